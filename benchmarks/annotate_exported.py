"""Load exported weights with ``from_pretrained`` and annotate synthetic test traces as ObsPy streams.

Closes the loop of ``run_synthetic.sh``: for every weight name given, the model comes from the
SeisBench cache (offline), each of the first N earthquake traces of the synthetic test split is
turned into a 3-component ObsPy stream and classified; the P and S picks nearest to the labels
are compared with them.

Example::

    python benchmarks/annotate_exported.py SeisMoLLM:synthetic_seismollm EQTransformer:synthetic_eqtransformer
"""

from __future__ import annotations

import argparse

import numpy as np
import seisbench.models as sbm

import seisbench_llm  # noqa: F401  (registers SeisMoLLM and SeisMoE)
from seisbench_llm.benchmarking import array_stream
from seisbench_llm.data import Synthetic


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "weights", nargs="+", help="CLASS:NAME pairs, e.g. SeisMoLLM:synthetic_seismollm"
    )
    parser.add_argument(
        "--traces", type=int, default=20, help="test traces to annotate (default 20)"
    )
    parser.add_argument(
        "--n-traces", type=int, default=2000, help="size of the Synthetic dataset used in training"
    )
    args = parser.parse_args(argv)
    test = Synthetic(n_traces=args.n_traces, sampling_rate=100, component_order="ZNE").test()
    idx = np.flatnonzero((test.metadata["trace_category"] == "earthquake").to_numpy())[
        : args.traces
    ]
    print(
        "| model | weights | traces | P picked within 0.5 s | S picked within 0.5 s | median abs P error (s) |"
    )
    print("|---|---|---|---|---|---|")
    for spec in args.weights:
        cls_name, name = spec.split(":")
        model = getattr(sbm, cls_name).from_pretrained(name)
        hits = {"P": 0, "S": 0}
        p_err = []
        for i in idx:
            row = test.metadata.iloc[i]
            st = array_stream(test.get_waveforms(int(i)).astype(np.float64), 100.0, f"T{i}", "SY")
            picks = model.classify(st).picks
            for phase, col in (("P", "trace_p_arrival_sample"), ("S", "trace_s_arrival_sample")):
                truth = st[0].stats.starttime + row[col] / 100.0
                errs = [abs(p.peak_time - truth) for p in picks if p.phase == phase]
                if errs and min(errs) <= 0.5:
                    hits[phase] += 1
                if phase == "P" and errs:
                    p_err.append(min(errs))
        med = f"{np.median(p_err):.2f}" if p_err else "-"
        print(f"| {cls_name} | {name} | {len(idx)} | {hits['P']} | {hits['S']} | {med} |")


if __name__ == "__main__":
    main()
