"""Collect the evaluation results of harness runs into markdown tables (protocols kept apart).

Reads ``<runs>/*/results_test.csv`` (protocol B) and ``<runs>/*/protocol_a.json`` (protocol A)
written by ``benchmarks/eval.py`` and prints (or writes with --out) one table per protocol.

Example::

    python benchmarks/collect_results.py benchmarks/runs --out benchmarks/results.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from seisbench_llm.training.metrics import results_table

B_COLUMNS = [
    "run",
    "target",
    "n",
    "precision",
    "recall",
    "f1",
    "residual_mean",
    "residual_std",
    "mae",
    "mae_all_traces",
    "macro_f1",
    "r2",
]
A_COLUMNS = [
    "run",
    "test_det_auc",
    "test_det_f1",
    "test_phase_mcc",
    "test_P_mean_s",
    "test_P_rmse_s",
    "test_P_mae_s",
    "test_S_mean_s",
    "test_S_rmse_s",
    "test_S_mae_s",
]


def collect(runs: Path) -> str:
    b_rows, a_rows = [], []
    for csv in sorted(runs.glob("*/results_test.csv")):
        b_rows += pd.read_csv(csv).to_dict("records")
    for js in sorted(runs.glob("*/protocol_a.json")):
        a_rows.append({"run": js.parent.name, **json.loads(js.read_text())})
    if not b_rows and not a_rows:
        raise FileNotFoundError(f"No results under {runs} (run benchmarks/eval.py first)")
    parts = []
    if b_rows:
        cols = [c for c in B_COLUMNS if any(c in r and pd.notna(r[c]) for r in b_rows)]
        parts.append(
            "Protocol B (SeisT / SeisMoLLM; test split; F1 in %, residuals and MAE in samples; "
            "regression MAE in the target's unit)\n\n" + results_table(b_rows, columns=cols)
        )
    if a_rows:
        cols = [c for c in A_COLUMNS if any(c in r for r in a_rows)]
        parts.append(
            "Protocol A (pick benchmark; test; AUC/F1/MCC as fractions, residuals in s)\n\n"
            + results_table(a_rows, columns=cols)
        )
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "runs", nargs="?", default=str(Path(__file__).parent / "runs"), help="folder of run folders"
    )
    parser.add_argument("--out", help="write the tables to this markdown file")
    args = parser.parse_args(argv)
    try:
        text = collect(Path(args.runs))
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
