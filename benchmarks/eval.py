"""Evaluate a trained harness checkpoint and optionally export it as SeisBench weights.

Examples::

    python benchmarks/eval.py --model_path benchmarks/runs/synthetic_seismollm/checkpoints/best.ckpt \
        --config benchmarks/configs/synthetic_seismollm.json
    python benchmarks/eval.py --model_path weights/SeisMoE_STEAD/model.ckpt \
        --config benchmarks/configs/stead_seismoe.json --export stead

Protocol B (SeisT / SeisMoLLM) runs on the test split for every model and task; its rows
go to ``results_test.csv`` next to the checkpoint's run folder (or --out), with residual histograms.
Protocol A (pick benchmark tasks 1-3) runs for picking models with --protocol-a; its numbers are
kept in a separate file, never mixed with protocol B. With --export NAME the evaluated model is
written to the SeisBench cache (LoRA merged) with the config and the test metrics in its docstring,
so ``seisbench.models.<Class>.from_pretrained(NAME)`` loads exactly this model.

Before any evaluation the config, the --export name, the checkpoint (readable, and of the config's
model, task and setting) and --out (writable) are checked; each problem is one line, exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from seisbench_llm.outputs import OutputError, check_output_dir
from seisbench_llm.training.config import ConfigError, check_checkpoint, load_config
from seisbench_llm.weights import check_name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model_path", required=True, help="checkpoint written by benchmarks/train.py"
    )
    parser.add_argument(
        "--config", required=True, help="the JSON config the checkpoint was trained with"
    )
    parser.add_argument("--out", help="folder for results (default: the checkpoint's run folder)")
    parser.add_argument(
        "--split",
        default="test",
        choices=["dev", "test"],
        help="split for protocol B (default test)",
    )
    parser.add_argument(
        "--protocol-a",
        action="store_true",
        help="also run the pick benchmark (tasks 1-3; picking models)",
    )
    parser.add_argument(
        "--export",
        metavar="NAME",
        help="export the evaluated model to the SeisBench cache under NAME",
    )
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        if args.export:
            try:
                check_name(args.export)
            except ValueError as e:
                raise ConfigError(f"--export: {e}") from e
        ckpt = check_checkpoint(cfg, args.model_path)
        out = (
            Path(args.out)
            if args.out
            else (ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent)
        )
        check_output_dir(out, "--out")
        from seisbench_llm.training.harness import evaluate, export_checkpoint

        results = evaluate(cfg, ckpt, out, split=args.split, protocol_a=args.protocol_a)
        if args.export:
            path = export_checkpoint(cfg, ckpt, args.export, results)
            print(f"exported weights: {path}")
    except (ConfigError, OutputError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
