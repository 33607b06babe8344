"""Forward time per window on CPU: SeisMoLLM (picking) vs SeisBench's EQTransformer and PhaseNet.

All models are built from their default configurations with random weights (the timing does not
depend on the weight values) and run in eval mode under ``torch.inference_mode``. The SeisMoLLM
inference copy (``SeisMoLLM.inference_model()``: BatchNorms folded into the convs) is what
``annotate`` and ``classify`` run. PhaseNet's native
window is 3001 samples; its time is also given per 6000 samples of input (x 6000/3001) so the
last column compares the same amount of data.

Example::

    python benchmarks/forward_speed.py --threads 2 --batch-sizes 1 32 --repeats 5
"""

from __future__ import annotations

import argparse

import seisbench.models as sbm
import torch

from seisbench_llm import SeisMoLLM
from seisbench_llm.benchmarking import time_forward


def build_models() -> dict[str, tuple[torch.nn.Module, int]]:
    merged = SeisMoLLM(task="picking")
    merged.merge_lora()
    return {
        "SeisMoLLM (LoRA unmerged)": (SeisMoLLM(task="picking"), 6000),
        "SeisMoLLM (LoRA merged)": (merged, 6000),
        "SeisMoLLM (inference copy, as annotate runs)": (merged.inference_model(), 6000),
        "EQTransformer": (sbm.EQTransformer(), 6000),
        "PhaseNet": (sbm.PhaseNet(), 3001),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[1, 32], help="batch sizes to time"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed repetitions (median is reported)"
    )
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = {name: (m.eval(), n) for name, (m, n) in build_models().items()}
    ref = {}
    print(f"torch {torch.__version__}, {args.threads} CPU threads, median of {args.repeats} runs\n")
    print("| model | batch | window | ms / window | ms / 6000 samples | x EQTransformer |")
    print("|---|---|---|---|---|---|")
    for bs in args.batch_sizes:
        rows = []
        for name, (model, n) in models.items():
            per_window = time_forward(model, n, bs, args.repeats) / bs * 1000
            per_6000 = per_window * 6000 / n
            rows.append((name, n, per_window, per_6000))
            if name == "EQTransformer":
                ref[bs] = per_6000
        for name, n, per_window, per_6000 in rows:
            print(
                f"| {name} | {bs} | {n} | {per_window:.1f} | {per_6000:.1f} | {per_6000 / ref[bs]:.2f} |"
            )


if __name__ == "__main__":
    main()
