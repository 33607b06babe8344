"""Generate pick-benchmark evaluation targets (protocol A, tasks 1-3) for a dataset.

Writes ``task1.csv`` (30 s detection windows) and ``task23.csv`` (10 s windows with exactly one
pick) for the dev and test splits, seed 42, at the config's sampling rate, in the pick benchmark's
layout. ``benchmarks/eval.py --protocol-a`` generates the same targets itself; this script keeps
them as files, to inspect or to share.

Example::

    python benchmarks/targets.py benchmarks/configs/synthetic_eqtransformer.json --out targets/synthetic
"""

from __future__ import annotations

import argparse
import sys

from seisbench_llm.training.config import ConfigError, load_config
from seisbench_llm.training.harness import load_dataset, model_sampling_rate
from seisbench_llm.training.targets import write_targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("config", help="harness config naming the dataset (its data / data_args)")
    parser.add_argument("--out", required=True, help="output folder for task1.csv and task23.csv")
    parser.add_argument(
        "--seed", type=int, default=42, help="random seed (default 42, as the benchmark)"
    )
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        paths = write_targets(
            load_dataset(cfg), args.out, sampling_rate=model_sampling_rate(cfg), seed=args.seed
        )
    except (ConfigError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for task, path in paths.items():
        print(f"{task}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
