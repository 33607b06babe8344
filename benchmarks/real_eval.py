"""Score pickers on REAL earthquake recordings that ObsPy ships (see docs/real_eval.md).

The set comes from :py:func:`seisbench_llm.data.real_events.real_events` (built from the installed
obspy package at run time, never used for training). Every picker named on the command line, plus
a classical picker (ObsPy's AR picker on 3-component streams, the Baer-Kradolfer picker on a lone
vertical), is run on every record; picks are matched to the reference onsets with
:py:func:`seisbench_llm.data.real_events.score_picks`. Printed: a summary table and a per-record
table in markdown. Written into --out: summary.csv, per_record.csv and one figure per picker
(real_<picker>.png: one panel per recording, reference onsets solid, picks dashed).

Examples::

    python benchmarks/real_eval.py SeisMoLLM:synthetic --out real_eval_out
    python benchmarks/real_eval.py SeisMoLLM:/path/to/weights_base EQTransformer:stead
    python benchmarks/real_eval.py --records RJOB_2009 UH3_2010a      (classical picker only)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from seisbench_llm.data.real_events import SPECS, TOLERANCE, real_events
from seisbench_llm.real_eval import (
    CLASSICAL,
    Picker,
    classical_picks,
    evaluate,
    markdown_tables,
    model_picker,
    plot_records,
    real_targets,
    reference_table,
    summary_rows,
    write_csv,
)


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")


def _weights_spec(value: str) -> tuple[str, str]:
    model, sep, weights = value.partition(":")
    if not sep or not model or not weights:
        raise argparse.ArgumentTypeError(
            f"expected MODEL:WEIGHTS (e.g. SeisMoLLM:synthetic or SeisMoLLM:/path/base), got {value!r}"
        )
    return model, weights


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "weights",
        nargs="*",
        type=_weights_spec,
        help="MODEL:WEIGHTS pairs; WEIGHTS is a name in the local weight registry (see "
        "`seisbench-llm list`) or a path to a SeisBench weight pair PATH.json + PATH.pt",
    )
    parser.add_argument("--out", type=Path, default=Path("real_eval_out"), help="output folder")
    parser.add_argument(
        "--tolerance", type=float, default=TOLERANCE, help=f"matching tolerance in s ({TOLERANCE})"
    )
    parser.add_argument(
        "--records",
        nargs="+",
        metavar="NAME",
        help="records to use (default all: " + ", ".join(s.name for s in SPECS) + ")",
    )
    parser.add_argument("--no-classical", action="store_true", help="skip the classical picker")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.tolerance <= 0:
        print(f"error: --tolerance must be positive, got {args.tolerance}", file=sys.stderr)
        return 2
    try:
        records = real_events(args.records)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pickers: dict[str, Picker] = {}
    for model_name, weights in args.weights:
        try:
            pickers[f"{model_name}:{weights}"] = model_picker(model_name, weights)
        except ValueError as error:  # ModelLoadError: missing or unreadable weights
            print(f"error: {error}", file=sys.stderr)
            return 2
    if not args.no_classical:
        pickers[CLASSICAL] = classical_picks
    if not pickers:
        print("error: nothing to score (no weights given and --no-classical)", file=sys.stderr)
        return 2
    rows, picks = evaluate(pickers, records, args.tolerance)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "per_record.csv", rows)
    write_csv(args.out / "summary.csv", summary_rows(rows))
    figures = [
        plot_records(args.out / f"real_{_slug(label)}.png", label, records, picks[label])
        for label in pickers
    ]
    print(reference_table(records), "", markdown_tables(rows, args.tolerance), "", sep="\n")
    for summary in summary_rows(rows):
        met = real_targets(summary)
        print(
            f"Targets, {summary['picker']}: "
            + "; ".join(f"{text}: {'met' if ok else 'MISSED'}" for text, ok in met.items())
        )
    print(
        f"Written: {args.out / 'per_record.csv'}, {args.out / 'summary.csv'}, "
        + ", ".join(str(f) for f in figures)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
