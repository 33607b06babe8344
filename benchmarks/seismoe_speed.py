"""SeisMoE vs EQTransformer speed, in one run: forward time per window and annotate time on a long
stream, as ratios to EQTransformer (target: at most 1.3x with 4 experts, top-2).

Both models are built from their default configurations with random weights (timing does not
depend on weight values); SeisMoE is made from that EQTransformer with ``from_eqtransformer``.

Example::

    python benchmarks/seismoe_speed.py --threads 2 --hours 1
"""

from __future__ import annotations

import argparse

import seisbench.models as sbm
import torch

from seisbench_llm import SeisMoE
from seisbench_llm.benchmarking import noise_stream, time_call, time_forward


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--hours",
        type=float,
        default=1.0,
        help="length of the annotated stream in hours (default 1)",
    )
    parser.add_argument("--experts", type=int, default=4, help="experts per MoE layer (default 4)")
    parser.add_argument("--top-k", type=int, default=2, help="experts per token (default 2)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed repetitions of the forward pass (median)"
    )
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    eqt = sbm.EQTransformer().eval()
    moe = SeisMoE.from_eqtransformer(
        eqt, num_experts=args.experts, num_experts_per_token=args.top_k
    ).eval()
    stream = noise_stream(args.hours * 3600)
    print(
        f"torch {torch.__version__}, {args.threads} threads; SeisMoE {args.experts} experts, top-{args.top_k}\n"
    )
    print("| measure | EQTransformer | SeisMoE | ratio |")
    print("|---|---|---|---|")
    for bs in (1, 32):
        t_eqt = time_forward(eqt, 6000, bs, args.repeats) / bs * 1000
        t_moe = time_forward(moe, 6000, bs, args.repeats) / bs * 1000
        print(
            f"| forward, batch {bs} (ms / window) | {t_eqt:.2f} | {t_moe:.2f} | {t_moe / t_eqt:.2f} |"
        )
    eqt.annotate(
        stream.slice(stream[0].stats.starttime, stream[0].stats.starttime + 300)
    )  # warm-up
    t_eqt = time_call(lambda: eqt.annotate(stream))
    t_moe = time_call(lambda: moe.annotate(stream))
    print(
        f"| annotate {args.hours:g} h, 3 comp, 100 Hz (s) | {t_eqt:.1f} | {t_moe:.1f} | {t_moe / t_eqt:.2f} |"
    )


if __name__ == "__main__":
    main()
