"""``seisbench-llm list``: the weights in the local SeisBench cache, corrupt pairs marked."""

from __future__ import annotations

import argparse
from pathlib import Path

from seisbench_llm.cli.common import MODEL_NAMES, PROG, model_name, wrap
from seisbench_llm.models.loading import model_class, weight_files


def _describe_weights(cls: type, path_json: Path) -> tuple[str, str]:
    """``(status, first docstring line)`` of a weight pair: ``ok``, or ``CORRUPT`` and why."""
    import json

    from seisbench_llm.weights import weight_paths, weight_problem

    base, version = weight_files(str(path_json)) or (path_json, None)
    problem = weight_problem(*weight_paths(base, version), cls)
    if problem is not None:
        bad, why = problem
        return "CORRUPT", f"{bad.name} unreadable ({why}); re-export or delete the pair"
    docstring = json.loads(path_json.read_text(encoding="utf-8")).get("docstring") or ""
    line = next((line.strip() for line in str(docstring).splitlines() if line.strip()), "")
    return "ok", line


def _run_list(args: argparse.Namespace) -> int:
    import seisbench

    from seisbench_llm.weights import list_local_weights, model_folder

    names = [args.model] if args.model else list(MODEL_NAMES)
    classes = [model_class(name) for name in names]
    rows = []
    for cls in classes:
        for _, name, version, path in list_local_weights(cls):
            rows.append((cls.__name__, name, version, str(path), *_describe_weights(cls, path)))
    if not rows:
        where = model_folder(classes[0]) if args.model else Path(seisbench.cache_model_root)
        print(f"no local weights in {where}")
        return 0
    header = ("CLASS", "NAME", "VERSION", "PATH", "STATUS", "DESCRIPTION")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def add_list_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``list [--model NAME]``."""
    parser = subparsers.add_parser(
        "list",
        help="list the weights in the local SeisBench cache",
        description=wrap(
            "List the weights in the local SeisBench cache (SEISBENCH_CACHE_ROOT, default "
            "~/.seisbench) that `annotate --weights NAME` and Model.from_pretrained(NAME) load "
            "without network: class, name, version, json file, status and the first line of the "
            "weights' description. Only complete pairs (json and pt) are listed; a pair whose "
            "files cannot be read (truncated .pt, broken json, model_args of the wrong type) is "
            "marked CORRUPT with the reason."
        ),
        epilog=f"examples:\n  {PROG} list\n  {PROG} list --model SeisMoLLM",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        type=model_name,
        choices=MODEL_NAMES,
        default=None,
        help="only this model class (default: all of them)",
    )
    parser.set_defaults(func=_run_list)
