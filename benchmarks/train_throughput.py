"""Training throughput (samples/s) per model on this machine, full-size models, one run.

Each model's Lightning module from the harness (built from ``benchmarks/configs/synthetic_<model>.json``)
runs ``shared_step`` + backward + Adam step on random batches of its window length; the median of
the timed steps gives samples per second. Data loading is not included. ``benchmarks/speed.py``
reports the same step time next to each model's annotate speed.

Example::

    python benchmarks/train_throughput.py --threads 2 --batch-size 8 --steps 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from seisbench_llm.benchmarking import benchmark_lit, random_train_batch, train_step_seconds

CONFIGS = Path(__file__).parent / "configs"
WINDOW = {"seismollm": 6000, "seismoe": 6000, "eqtransformer": 6000, "phasenet": 3001}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--batch-size", type=int, default=8, help="batch size (default 8)")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps (median)")
    parser.add_argument("--models", nargs="+", default=list(WINDOW), choices=list(WINDOW))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch_size}\n")
    print("| model | window | s / step | samples / s | x EQTransformer |")
    print("|---|---|---|---|---|")
    rows = {}
    for name in args.models:
        overrides = {"base_model": None} if name == "seismoe" else {}
        lit = benchmark_lit(CONFIGS / f"synthetic_{name}.json", **overrides)
        n = WINDOW[name]
        batch = random_train_batch(args.batch_size, n)
        rows[name] = (n, train_step_seconds(lit, batch, args.steps))
    ref = rows.get("eqtransformer")
    for name, (n, t) in rows.items():
        ratio = f"{(args.batch_size / t) / (args.batch_size / ref[1]):.2f}" if ref else "-"
        print(f"| {name} | {n} | {t:.2f} | {args.batch_size / t:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
