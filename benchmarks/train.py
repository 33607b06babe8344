"""Train a model of the benchmark harness from a JSON config.

Examples::

    python benchmarks/train.py benchmarks/configs/synthetic_seismollm.json
    python benchmarks/train.py benchmarks/configs/stead_seismoe.json --out weights/SeisMoE_STEAD
    python benchmarks/train.py benchmarks/configs/stead_seismoe.json --out weights/SeisMoE_STEAD --resume

The run folder receives ``checkpoints/best.ckpt`` (lowest validation loss), ``checkpoints/last.ckpt``
(for --resume), CSV and TensorBoard logs and the validated ``config.json``. Everything is checked
before training starts (the config against its typed schema, --out writable, the checkpoint of
--resume readable and of the config's model and task); each problem is one line on stderr, exit 1.
A run shorter than one validation still ends with ``last.ckpt`` (early stopping waits for the
first validation instead of failing). Multi-GPU / multi-process
training: set ``"trainer_args": {"strategy": "ddp", "devices": N}`` in the config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seisbench_llm.outputs import OutputError, check_output_dir
from seisbench_llm.training.config import ConfigError, check_checkpoint, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("config", help="JSON config (see benchmarks/configs/)")
    parser.add_argument("--out", help="run folder (default: benchmarks/runs/<config name>)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        out = Path(args.out) if args.out else Path(__file__).parent / "runs" / cfg.run_name
        check_output_dir(out, "--out", create=False)
        last = out / "checkpoints" / "last.ckpt"
        if args.resume and last.is_file():
            check_checkpoint(cfg, last)
        from seisbench_llm.training.harness import train  # after the checks: imports Lightning

        best = train(cfg, out, resume=args.resume)
    except (ConfigError, OutputError, FileNotFoundError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"best checkpoint: {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
