"""``seisbench-llm demo``: the whole pipeline offline on synthetic data."""

from __future__ import annotations

import argparse

from seisbench_llm.cli.common import (
    PROG,
    CommandError,
    one_line,
    positive_int,
    wrap,
)
from seisbench_llm.precision import PRECISIONS


def _run_demo(args: argparse.Namespace) -> int:
    import torch

    from seisbench_llm.demo import run_demo

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    gpt2 = None if args.no_gpt2 else (args.gpt2 or "gpt2")
    try:
        run_demo(
            out_dir=args.out,
            profile=args.profile,
            gpt2=gpt2,
            weight_name=args.name,
            seed=args.seed,
            progress=not args.no_progress,
            precision=args.precision,
        )
    except (FileExistsError, ValueError, OSError) as error:
        raise CommandError(one_line(error)) from error
    return 0


def _weight_name(value: str) -> str:
    from seisbench_llm.weights import check_name

    try:
        check_name(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def add_demo_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo [--out DIR] [--profile default|tiny] [--gpt2 SRC | --no-gpt2] ...``."""
    from seisbench_llm.demo import DEMO_MINUTES, DEMO_PRECISION, DEMO_PROFILES

    parser = subparsers.add_parser(
        "demo",
        help=f"the whole pipeline offline on synthetic data ({DEMO_MINUTES} min on 2 CPU cores)",
        description=wrap(
            "Run the project end to end, offline and on CPU: generate the synthetic "
            "SeisBench-format dataset (cached), train SeisMoLLM (picking; a demo-sized "
            "configuration) and an EQTransformer baseline with the benchmark harness, evaluate "
            "both on the synthetic test split (protocol B: P/S precision, recall, F1 at 0.1 s), "
            "export the SeisMoLLM weights to the local SeisBench cache as NAME, reload them with "
            "sbm.SeisMoLLM.from_pretrained(NAME), pick seven real earthquake recordings that "
            "ObsPy ships with them and with a classical picker and score both against reference "
            "onsets, and write results.md/results.csv (with the targets), picks.csv and PNG "
            "figures (real recordings with the picks; training curves; test examples) into the "
            "output folder it prints.",
            "GPT-2 is randomly initialised unless pretrained GPT-2 weights are found locally "
            "(--gpt2; nothing is downloaded). The weights are trained on SYNTHETIC waveforms: "
            "they are not STEAD weights.",
        ),
        epilog=(
            f"examples:\n  {PROG} demo\n  {PROG} demo --out demo_out --gpt2 ~/models/gpt2\n"
            f"  {PROG} demo --profile tiny --out /tmp/smoke   (1-minute smoke test, toy models)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="output folder, new or empty (default: ./seisbench-llm-demo-<date>-<time>)",
    )
    parser.add_argument(
        "--profile",
        choices=list(DEMO_PROFILES),
        default="default",
        help=f"default: the demo ({DEMO_MINUTES} min, by CPU); tiny: toy models, a smoke test "
        "(about 1 min)",
    )
    gpt2 = parser.add_mutually_exclusive_group()
    gpt2.add_argument(
        "--gpt2",
        metavar="SRC",
        default=None,  # "gpt2"; None so that argparse sees an explicit --gpt2 gpt2 --no-gpt2
        help="pretrained GPT-2 if present locally: a save_pretrained folder or a hub id in the "
        "Hugging Face cache (default 'gpt2'); never downloaded, random init when absent",
    )
    gpt2.add_argument(
        "--no-gpt2", action="store_true", help="random GPT-2 initialisation even if weights exist"
    )
    parser.add_argument(
        "--name",
        type=_weight_name,
        default="synthetic",
        help="weight name of the exported SeisMoLLM (default 'synthetic'; a new version each run)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of splits and training (default 0)"
    )
    parser.add_argument(
        "--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's)"
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=DEMO_PRECISION,
        help=f"training precision (default {DEMO_PRECISION}, as the figures in docs/demo.md; "
        "bfloat16 trains faster per step on CPUs with AVX512-BF16 or AMX, but its demo models "
        "scored lower there)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(func=_run_demo)
