"""Train a model of the benchmark harness from a JSON config.

Examples::

    python benchmarks/train.py benchmarks/configs/synthetic_seismollm.json
    python benchmarks/train.py benchmarks/configs/stead_seismoe.json --out weights/SeisMoE_STEAD
    python benchmarks/train.py benchmarks/configs/stead_seismoe.json --out weights/SeisMoE_STEAD --resume

The run folder receives ``checkpoints/best.ckpt`` (lowest validation loss), ``checkpoints/last.ckpt``
(for --resume), CSV and TensorBoard logs and the validated ``config.json``. Multi-GPU / multi-process
training: set ``"trainer_args": {"strategy": "ddp", "devices": N}`` in the config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seisbench_llm.training.config import ConfigError, load_config
from seisbench_llm.training.harness import train


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
        best = train(cfg, out, resume=args.resume)
    except (ConfigError, FileNotFoundError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"best checkpoint: {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
