"""Run the demo (``seisbench-llm demo``) once per seed and report the spread of its results.

The demo's model has a fixed CPU budget and is not trained to convergence, so a single run's
figures depend on the seed and on the machine's arithmetic. This script runs the whole demo for
each seed (data, training, evaluation, export, real recordings) into ``--out/seed_<n>`` and writes
``spread.md`` and ``spread.csv``: per seed the synthetic test-split F1 of SeisMoLLM, its real-set
hits, S-on-P confusions and the target verdicts, then mean, min and max over the seeds.

Example (11-27 minutes per seed on 2 CPU cores, by CPU)::

    python benchmarks/demo_spread.py --seeds 0 1 2 --out demo_spread
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from seisbench_llm.demo import DEMO_PRECISION, DEMO_PROFILES, TARGET_F1, run_demo
from seisbench_llm.precision import PRECISIONS
from seisbench_llm.training.reports import results_table


def seed_row(result: Any, seed: int) -> dict[str, Any]:
    """The figures of one demo run (:py:class:`~seisbench_llm.demo.report.DemoResult`).

    :param result: The run's result.
    :param seed: Its seed.
    :return: One row of the spread table.
    """
    real = result.real_summary()
    row: dict[str, Any] = {"seed": seed}
    for phase in TARGET_F1:
        row[f"{phase} F1 %"] = result.f1("seismollm", phase)
    row["real P hits"] = real["P_hits"]
    row["real P max abs err s"] = real["P_max_abs_error"]
    row["real S hits"] = real["S_hits"]
    row["real S on P"] = real["S_confusions"]
    row["synthetic targets met"] = all(result.f1("seismollm", p) >= t for p, t in TARGET_F1.items())
    row["real targets met"] = all(result.real_targets().values())
    row["train min"] = result.durations.get("train seismollm", float("nan")) / 60
    row["s per step"] = result.seconds_per_step("seismollm")
    row["precision"] = result.precision
    row["total min"] = result.durations["total"] / 60
    row["_references"] = (real["P_references"], real["S_references"])
    return row


def spread_markdown(rows: list[dict[str, Any]], profile: str) -> str:
    """Per-seed table and mean / min / max of the numeric columns, in markdown.

    :param rows: :py:func:`seed_row` rows.
    :param profile: The demo profile run.
    :return: The markdown text.
    """
    n_p, n_s = rows[0]["_references"]
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "_references"} for r in rows])
    numeric = table.drop(columns=["seed"]).select_dtypes("number")
    for column in table.select_dtypes("bool").columns:  # the "targets met" columns, in words
        table[column] = table[column].map({True: "met", False: "missed"})
    stats = [
        {"seed": name, **getattr(numeric, name)().to_dict()} for name in ("mean", "min", "max")
    ]
    targets = ", ".join(f"{p} F1 >= {t:.0f} %" for p, t in TARGET_F1.items())
    return "\n".join(
        [
            f"# Demo spread over seeds (profile '{profile}')",
            "",
            f"Synthetic test split (protocol B, 0.1 s): targets {targets}. Real set: "
            f"{n_p} judged P and {n_s} judged S onsets, hits within 0.5 s; targets every P, "
            "most S, no S on a P onset.",
            "",
            results_table(table.to_dict("records") + stats, float_format=".2f"),
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (0 1 2)")
    parser.add_argument("--out", type=Path, default=Path("demo_spread"), help="output folder")
    parser.add_argument(
        "--profile", default="default", choices=sorted(DEMO_PROFILES), help="demo profile"
    )
    parser.add_argument(
        "--precision",
        default=DEMO_PRECISION,
        choices=PRECISIONS,
        help=f"training precision (default {DEMO_PRECISION}, as the demo)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        print(f"error: --seeds repeats a seed: {args.seeds}", file=sys.stderr)
        return 2
    runs = [args.out / f"seed_{seed}" for seed in args.seeds]
    taken = [str(r) for r in runs if r.exists() and any(r.iterdir())]
    if taken:
        print(f"error: not empty, choose another --out: {', '.join(taken)}", file=sys.stderr)
        return 2
    rows = []
    for seed, run in zip(args.seeds, runs, strict=True):
        print(f"\n=== seed {seed} -> {run}")
        result = run_demo(
            run, profile=args.profile, seed=seed, progress=False, precision=args.precision
        )
        rows.append(seed_row(result, seed))
    text = spread_markdown(rows, args.profile)
    (args.out / "spread.md").write_text(text + "\n")
    pd.DataFrame(rows).drop(columns=["_references"]).to_csv(args.out / "spread.csv", index=False)
    print("\n" + text)
    print(f"\nWritten: {args.out / 'spread.md'}, {args.out / 'spread.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
