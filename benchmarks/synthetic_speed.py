"""Measure how fast the synthetic dataset is generated and how large it is on disk.

Writes each requested preset with :py:func:`seisbench_llm.data.generate_synthetic` (the same
code path as ``Synthetic(...)``) into a temporary folder and prints a small table.

Usage::

    python benchmarks/synthetic_speed.py --n-traces 10000 --presets stead diting
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from seisbench_llm.data.synthetic import PRESETS, generate_synthetic


def folder_size(path: Path) -> int:
    """Total size in bytes of the files in ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(preset: str, n_traces: int, seed: int, workers: int | None, root: Path) -> dict:
    """Generate one dataset and return timing and size."""
    out = root / f"{preset}_n{n_traces}"
    start = time.perf_counter()
    generate_synthetic(out, n_traces=n_traces, preset=preset, seed=seed, workers=workers)
    seconds = time.perf_counter() - start
    return {
        "preset": preset,
        "traces": n_traces,
        "seconds": seconds,
        "traces_per_s": n_traces / seconds,
        "size_mb": folder_size(out) / 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-traces", type=int, default=10000, help="traces per preset")
    parser.add_argument(
        "--presets", nargs="+", default=["stead"], choices=sorted(PRESETS), help="presets"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None, help="threads (default: all cores)")
    parser.add_argument("--out-dir", type=Path, default=None, help="keep the data here")
    args = parser.parse_args(argv)

    root = args.out_dir or Path(tempfile.mkdtemp(prefix="synthetic_speed_"))
    try:
        rows = [measure(p, args.n_traces, args.seed, args.workers, root) for p in args.presets]
    finally:
        if args.out_dir is None:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\ncores: {os.cpu_count()}, threads: {args.workers or os.cpu_count()}")
    print(
        f"{'preset':<8} {'traces':>8} {'seconds':>9} {'traces/s':>9} {'size MB':>9} {'kB/trace':>9}"
    )
    for r in rows:
        print(
            f"{r['preset']:<8} {r['traces']:>8d} {r['seconds']:>9.1f} {r['traces_per_s']:>9.0f} "
            f"{r['size_mb']:>9.1f} {1e3 * r['size_mb'] / r['traces']:>9.1f}"
        )


if __name__ == "__main__":
    main()
