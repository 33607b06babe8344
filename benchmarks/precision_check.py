"""Do trained SeisMoLLM weights give the same picks at a reduced precision as at float32?

The criterion (``seisbench_llm.precision.PickComparison``): on every stream, the same number of
picks, each matched to one of the other precision's (same station and phase) within 1 sample, and
peak values within 0.01. Streams: the test split of a synthetic dataset (one stream per trace) and
ObsPy's example recording (``obspy.read()``). The reduced path runs even where the CPU only
emulates it (slowly): use a small ``--n-traces`` there.

Examples::

    python benchmarks/precision_check.py SeisMoLLM:synthetic --precision bfloat16
    python benchmarks/precision_check.py SeisMoLLM:path/to/weights --n-traces 50 --threshold 0.3
"""

from __future__ import annotations

import argparse
import sys
import time


def synthetic_test_streams(n_traces: int, dataset_traces: int, seed: int) -> list:
    """One ObsPy stream per trace of the test split of ``Synthetic(n_traces=dataset_traces)``."""
    from seisbench_llm.benchmarking import array_stream
    from seisbench_llm.data import Synthetic

    test = Synthetic(n_traces=dataset_traces, seed=seed).test()
    streams = []
    for i in range(min(n_traces, len(test))):
        rate = float(test.metadata["trace_sampling_rate_hz"].iloc[i])
        streams.append(array_stream(test.get_waveforms(i), rate, station=f"T{i:04d}"))
    return streams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("weights", help="MODEL:WEIGHTS, e.g. SeisMoLLM:synthetic or a weight path")
    parser.add_argument("--precision", default="bfloat16", choices=("bfloat16", "float16"))
    parser.add_argument("--n-traces", type=int, default=200, help="synthetic test traces used")
    parser.add_argument(
        "--dataset-traces",
        type=int,
        default=2000,
        help="size of the synthetic dataset (demo: 2000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic dataset")
    parser.add_argument("--threshold", type=float, default=0.3, help="P and S pick threshold")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args(argv)

    import obspy

    from seisbench_llm.models.loading import load_model
    from seisbench_llm.precision import pick_equivalence

    model_name, _, spec = args.weights.partition(":")
    if model_name != "SeisMoLLM" or not spec:
        parser.error("weights must be SeisMoLLM:NAME_OR_PATH (only SeisMoLLM runs reduced)")
    try:
        model = load_model(model_name, spec).to(args.device).eval()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    thresholds = {"P_threshold": args.threshold, "S_threshold": args.threshold}
    sets = {
        f"synthetic test split ({args.n_traces} traces)": synthetic_test_streams(
            args.n_traces, args.dataset_traces, args.seed
        ),
        "ObsPy example (obspy.read())": [obspy.read()],
    }
    print(f"{args.weights}: float32 vs {args.precision}, thresholds {args.threshold}\n")
    print(
        "| streams | picks float32 | picks reduced | unmatched | max time error (samples) "
        "| max peak difference | same picks | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    all_same = True
    for label, streams in sets.items():
        start = time.perf_counter()
        result = pick_equivalence(model, streams, args.precision, **thresholds)
        all_same &= result.equivalent
        print(
            f"| {label} | {result.n_reference} | {result.n_other} | {result.unmatched} | "
            f"{result.max_time_error_samples:.2f} | {result.max_peak_difference:.4f} | "
            f"{'yes' if result.equivalent else 'NO'} | {time.perf_counter() - start:.0f} |"
        )
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
