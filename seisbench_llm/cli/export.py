"""``seisbench-llm export``: a training checkpoint as SeisBench weights in the local cache."""

from __future__ import annotations

import argparse
from pathlib import Path

from seisbench_llm.cli.common import (
    PROG,
    CommandError,
    one_line,
    wrap,
)

_CONFIG_MODELS = {
    "seismollm": "SeisMoLLM",
    "seismoe": "SeisMoE",
    "eqtransformer": "EQTransformer",
    "phasenet": "PhaseNet",
}


def _run_export(args: argparse.Namespace) -> int:
    import json
    import pickle

    from seisbench_llm.training.config import check_checkpoint, load_config
    from seisbench_llm.weights import check_name

    try:  # everything checked before the model is loaded
        check_name(args.name)
        cfg = load_config(Path(args.config).expanduser())
        checkpoint = check_checkpoint(cfg, args.checkpoint)
    except ValueError as error:  # ConfigError included
        raise CommandError(str(error)) from error
    results = None
    if args.results is not None:
        try:
            results = json.loads(Path(args.results).expanduser().read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read --results {args.results}: {error}") from error
        if not isinstance(results, dict):
            raise CommandError(f"--results {args.results} must hold a JSON object")

    from seisbench_llm.training.harness import export_checkpoint

    try:
        path = export_checkpoint(cfg, checkpoint, args.name, results=results)
    except (
        OSError,
        ValueError,
        RuntimeError,
        KeyError,
        TypeError,
        EOFError,
        pickle.UnpicklingError,
    ) as error:  # not a checkpoint, or one of another model than the config's
        raise CommandError(
            f"cannot export {checkpoint} with config {args.config}: {one_line(error)}"
        ) from error
    cls_name = _CONFIG_MODELS[cfg.model]
    version = path.name.rsplit(".v", 1)[-1]
    print(f"Exported {cls_name} weights '{args.name}' version {version}: {path}")
    if cfg.task == "picking":
        print(f"Pick with: {PROG} annotate PATH --model {cls_name} --weights {args.name}")
    else:
        print(f'Load with: seisbench_llm.{cls_name}.from_pretrained("{args.name}")')
    return 0


def add_export_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export CKPT --config CONFIG --name NAME [--results FILE]``."""
    parser = subparsers.add_parser(
        "export",
        help="export a training checkpoint as SeisBench weights",
        description=wrap(
            "Export the model of a checkpoint written by the training harness (benchmarks/"
            "train.py) as SeisBench weights NAME into the local SeisBench cache (the next free "
            "version; LoRA merged), with the config (and --results) in the weights' docstring. "
            "Afterwards Model.from_pretrained(NAME) and `seisbench-llm annotate --weights NAME` "
            "find them offline."
        ),
        epilog=(
            f"examples:\n  {PROG} export benchmarks/runs/stead_seismollm/checkpoints/best.ckpt \\\n"
            "      --config benchmarks/configs/stead_seismollm.json --name stead\n"
            f"  {PROG} export best.ckpt --config my_run.json --name mine "
            "--results eval_out/results.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", metavar="CKPT", help="Lightning checkpoint (.ckpt)")
    parser.add_argument(
        "--config", required=True, metavar="CONFIG", help="the run's harness config (JSON)"
    )
    parser.add_argument(
        "--name",
        required=True,
        metavar="NAME",
        help="weight name: letters, digits, '_', '-', '+', '.'",
    )
    parser.add_argument(
        "--results",
        metavar="FILE",
        default=None,
        help="evaluation results (JSON object, e.g. results.json of benchmarks/eval.py) to record",
    )
    parser.set_defaults(func=_run_export)
