"""Annotate speed and memory, and training-step time, of SeisMoLLM, SeisMoE, EQTransformer and
PhaseNet on this machine, in one run on one synthetic stream; prints a markdown table, checks
SeisMoLLM's speed targets and shows what bounds SeisMoLLM's speed.

Method
------
Stream: ``--hours`` of 3-component (Z, N, E) Gaussian noise at 100 Hz, one station, always the
same seed (``seisbench_llm.benchmarking.noise_stream``). Weights are random (they do not change
speed): SeisMoLLM (picking, LoRA merged as exported weights are), SeisMoE (4 experts, top-2),
SeisBench's EQTransformer and PhaseNet, each at its default annotate settings (SeisMoLLM:
overlap 3000, batch 8, optimised inference copy; EQTransformer/SeisMoE/PhaseNet: SeisBench's).

Each model runs in a fresh Python subprocess with ``--threads`` torch threads, so one model's
memory does not count against the next. In it: build the model and the stream, warm up with
``annotate`` on the first 5 minutes, then time one ``annotate`` of the whole stream.

Columns
-------
- wall (s): wall time of that ``annotate`` call. x realtime: stream length / wall.
- per day (s): wall scaled to 24 h of data (wall x 24 / hours).
- windows, ms/window: windows seen by the model's forward (counted with a forward pre-hook) and
  wall / windows (the whole annotate, not the forward alone).
- peak RSS +: the process's peak resident memory during that annotate minus its resident memory
  just before it. The peak mark is reset right before the call (``/proc/self/clear_refs``, Linux)
  and read after it (``VmHWM``); where that reset is impossible the peak since process start is
  used. It includes SeisBench's copies of the stream and the output traces.
- peak RSS: the absolute peak of that process during annotate (Python, torch, model, stream).
- GFLOP / window: floating-point operations of one window's forward pass (see below; LSTMs are
  not counted, so EQTransformer's and SeisMoE's figures are slightly low).
- x EQT: wall / EQTransformer's wall (when EQTransformer is among ``--models``).
- train step (s): median of ``--train-steps`` training steps (after one warm-up step) on a
  random batch of ``--train-batch`` windows: forward, loss, backward and Adam step of the
  harness's training module (``benchmarks/configs/synthetic_<model>.json``; SeisMoE from random
  init; SeisMoLLM with its LoRA adapters, as trained). Data loading is not included.

SeisMoLLM bound
---------------
FLOPs per window of the embedder, GPT-2 and the picking head, counted with
``torch.utils.flop_counter.FlopCounterMode`` (matrix products, convolutions, attention; a
multiply-add counts 2) on the inference copy annotate runs; each part's time per window at the
annotate batch size; windows per station-day at the default overlap; the GFLOP/s annotate
achieves (FLOP per window x windows / wall) and a large float32 matrix product's GFLOP/s, the
practical ceiling of this CPU, which gives the fastest a station-day could possibly be.

Precision: every model runs at each of ``--precisions`` (default ``float32`` and ``auto``) in its
own process, as the CLI runs it (``seisbench_llm.models.loading.ready_for_annotation``). ``auto``
is the device's native reduced precision where it has given the same picks as float32, else
float32 (``seisbench_llm.precision``); only SeisMoLLM runs at reduced precision, so the other
models run once, at float32, whatever ``--precisions`` says. The table names the precision used.
The ratio to EQTransformer is always to EQTransformer's float32 run.

Targets (SeisMoLLM): at most 60 s per station-day, at most 4x EQTransformer (3.5x at ``auto`` on a
CPU that computes bfloat16 natively), peak RSS below 4 GiB (the absolute process peak). Other processes on the machine slow every figure down: the
load average before each model is recorded.

Examples::

    python benchmarks/speed.py --hours 24 --threads 2 --out benchmarks/runs/speed
    python benchmarks/speed.py --hours 0.5 --models seismollm eqtransformer
    python benchmarks/speed.py --hours 1 --models seismollm --batch-sweep 1 2 4 8 16 32 64
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from seisbench_llm.benchmarking import TINY_SEISMOLLM
from seisbench_llm.precision import PRECISIONS

MODELS = ("seismollm", "seismoe", "eqtransformer", "phasenet")
NAMES = {
    "seismollm": "SeisMoLLM",
    "seismoe": "SeisMoE",
    "eqtransformer": "EQTransformer",
    "phasenet": "PhaseNet",
}
CONFIGS = Path(__file__).resolve().parent / "configs"
TARGET_DAY_S = 60.0
TARGET_X_EQT = 4.0
TARGET_X_EQT_NATIVE_BF16 = 3.5
TARGET_PEAK_GIB = 4.0
GIB = 2**30


def log(message: str) -> None:
    print(f"[speed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- worker (one model)
def build_model(name: str, tiny: bool):
    """The model to annotate with: random init, eval mode."""
    import seisbench.models as sbm

    from seisbench_llm import SeisMoE, SeisMoLLM

    if name == "seismollm":
        model = SeisMoLLM(task="picking", **(TINY_SEISMOLLM if tiny else {}))
        model.merge_lora()  # as exported weights are
    elif name == "seismoe":
        model = SeisMoE()
    elif name == "eqtransformer":
        model = sbm.EQTransformer()
    else:
        model = sbm.PhaseNet()
    return model.eval()


def build_lit(name: str, tiny: bool):
    """The harness's training module for ``name`` (config ``synthetic_<name>.json``)."""
    from seisbench_llm.benchmarking import benchmark_lit

    overrides = {"seismoe": {"base_model": None}}.get(name, {})
    if name == "seismollm" and tiny:
        overrides = TINY_SEISMOLLM
    return benchmark_lit(CONFIGS / f"synthetic_{name}.json", **overrides)


def windows_per_day(in_samples: int, overlap: int, pad: int, sampling_rate: float) -> int:
    """Windows SeisBench cuts from one day of data padded by ``pad`` samples in total."""
    n = int(round(86400 * sampling_rate)) + pad
    step = in_samples - overlap
    count = (n - in_samples) // step + 1
    return count + (1 if (count - 1) * step + in_samples < n else 0)


def seismollm_bound(inference, batch_size: int, repeats: int) -> dict[str, Any]:
    """FLOPs and time per window of the parts of SeisMoLLM's inference copy ``inference``."""
    import torch

    from seisbench_llm.benchmarking import count_flops, matmul_gflops, time_call
    from seisbench_llm.models.embedder import patchify, unpatchify

    x = torch.randn(batch_size, 3, inference.in_samples)
    with torch.inference_mode():
        tokens = patchify(inference.embedder(x), inference.patch_size)
        features = unpatchify(inference.llm(tokens), inference.patch_size)
        parts = {
            "embedder": (inference.embedder, x),
            "gpt2": (inference.llm, tokens),
            "head": (inference.head, features),
        }
        out: dict[str, Any] = {"batch_size": batch_size, "parts": {}}
        for part, (module, arg) in parts.items():
            flops = count_flops(module, arg[:1])
            module(arg)  # warm-up
            seconds = time_call(lambda m=module, a=arg: m(a), repeats) / batch_size
            out["parts"][part] = {
                "gflop_per_window": flops / 1e9,
                "ms_per_window": seconds * 1e3,
                "gflops": flops / 1e9 / seconds,
            }
    out["gflop_per_window"] = sum(p["gflop_per_window"] for p in out["parts"].values())
    out["forward_ms_per_window"] = sum(p["ms_per_window"] for p in out["parts"].values())
    out["matmul_gflops"] = matmul_gflops()
    pre, post = inference._annotate_args["blinding"][1]
    overlap = inference._annotate_args["overlap"][1]
    out["overlap"] = overlap
    out["windows_per_day"] = windows_per_day(
        inference.in_samples, overlap, pre + post, inference.sampling_rate
    )
    return out


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from seisbench_llm.benchmarking import (
        count_flops,
        noise_stream,
        peak_rss_bytes,
        random_train_batch,
        reset_peak_rss,
        rss_bytes,
        train_step_seconds,
    )

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    name = args.worker
    result: dict[str, Any] = {"model": name, "load_before": os.getloadavg()[0]}
    log(f"{NAMES[name]}: building the model and a {args.hours:g} h stream")
    from seisbench_llm.models.loading import ready_for_annotation

    # as the CLI runs it: SeisMoLLM's inference copy at the precision, made once
    model = ready_for_annotation(build_model(name, args.tiny), args.precision)
    result["precision_asked"] = args.precision
    result["precision"] = getattr(model, "precision", "float32")
    stream = noise_stream(args.hours * 3600.0)
    kwargs = {} if args.batch_size is None else {"batch_size": args.batch_size}
    result["batch_size"] = kwargs.get("batch_size", model._annotate_args["batch_size"][1])
    t0 = stream[0].stats.starttime
    model.annotate(stream.slice(t0, t0 + 300), **kwargs)  # warm-up

    windows = []
    hook = model.register_forward_pre_hook(lambda module, inputs: windows.append(len(inputs[0])))
    gc.collect()
    rss_before = rss_bytes()
    result["peak_reset"] = reset_peak_rss()
    log(f"{NAMES[name]}: annotating {args.hours:g} h (batch {result['batch_size']})")
    start = time.perf_counter()
    output = model.annotate(stream, **kwargs)
    result["wall_s"] = time.perf_counter() - start
    peak = peak_rss_bytes()
    hook.remove()
    result["n_output_traces"] = len(output)
    del output
    result.update(
        stream_s=args.hours * 3600.0,
        windows=int(sum(windows)),
        rss_before_gib=rss_before / GIB,
        peak_rss_gib=peak / GIB,
        peak_rss_increase_gib=max(peak - rss_before, 0) / GIB,
        in_samples=model.in_samples,
    )
    log(f"{NAMES[name]}: annotate took {result['wall_s']:.1f} s")

    x = torch.randn(1, 3, model.in_samples)
    result["gflop_per_window"] = count_flops(model, x) / 1e9
    if name == "seismollm" and not args.no_bound:
        log("SeisMoLLM: counting FLOPs and timing embedder / GPT-2 / head")
        result["bound"] = seismollm_bound(model, result["batch_size"], args.repeats)
    del model, stream
    gc.collect()

    if args.train_steps > 0:
        log(f"{NAMES[name]}: timing {args.train_steps} training steps, batch {args.train_batch}")
        lit = build_lit(name, args.tiny)
        window = lit.model.in_samples
        batch = random_train_batch(args.train_batch, window)
        result["train_step_s"] = train_step_seconds(
            lit, batch, args.train_steps, precision=result["precision"]
        )
        result["train_batch"] = args.train_batch
    return result


def run_worker(
    name: str, args: argparse.Namespace, batch_size: int | None = None, precision: str = "float32"
) -> dict:
    """Run one model in a fresh subprocess; its progress goes to stderr, its result is JSON."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        name,
        "--precision",
        precision,
        "--hours",
        str(args.hours),
        "--threads",
        str(args.threads),
        "--train-steps",
        str(0 if batch_size is not None else args.train_steps),
        "--train-batch",
        str(args.train_batch),
        "--repeats",
        str(args.repeats),
    ]
    if batch_size is not None:
        cmd += ["--batch-size", str(batch_size)]
    if batch_size is not None or args.no_bound:  # a batch-size sweep run times annotate only
        cmd.append("--no-bound")
    if args.tiny:
        cmd.append("--tiny")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{NAMES[name]} failed (exit {proc.returncode}); see the output above")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- report
def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(results: dict[str, dict], sweep: list[dict], args: argparse.Namespace) -> str:
    lines = []
    eqt = results.get("eqtransformer:float32")
    lines.append(
        f"Stream: {args.hours:g} h, 3 components, 100 Hz noise; torch threads: {args.threads}; "
        f"CPU: {_cpu_name()} ({os.cpu_count()} cores); train batch {args.train_batch}"
        + (" (--tiny SeisMoLLM: timings not meaningful)" if args.tiny else "")
        + "\n"
    )
    lines.append(
        "| model | precision | wall (s) | x realtime | per day (s) | windows | ms / window "
        "| GFLOP / window | peak RSS + (GiB) | peak RSS (GiB) | x EQT | train step (s) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results.values():
        name = r["model"]
        ratio = r["wall_s"] / eqt["wall_s"] if eqt else None
        per_day = r["wall_s"] * 86400.0 / r["stream_s"]
        label = NAMES[name] + (" (random init)" if name == "seismollm" else "")
        used = r["precision"] + (" (auto)" if r["precision_asked"] == "auto" else "")
        lines.append(
            f"| {label} | {used} | {r['wall_s']:.1f} | {r['stream_s'] / r['wall_s']:.0f} | {per_day:.0f} "
            f"| {r['windows']} | {1e3 * r['wall_s'] / max(r['windows'], 1):.1f} "
            f"| {r['gflop_per_window']:.2f} | {r['peak_rss_increase_gib']:.2f} | {r['peak_rss_gib']:.2f} | {_fmt(ratio, 2)} "
            f"| {_fmt(r.get('train_step_s'), 2)} |"
        )
    loads = ", ".join(f"{NAMES[r['model']]} {r['load_before']:.1f}" for r in results.values())
    lines.append(f"\nLoad average (1 min) before each model: {loads}.")

    for r in results.values():
        if r["model"] == "seismollm":
            lines.append(targets_text(r, eqt))
    if sweep:
        lines.append(
            f"\nSeisMoLLM annotate by batch size ({args.hours:g} h, {args.threads} threads):\n"
        )
        lines.append("| batch | wall (s) | ms / window | peak RSS + (GiB) | peak RSS (GiB) |")
        lines.append("|---|---|---|---|---|")
        for r in sweep:
            lines.append(
                f"| {r['batch_size']} | {r['wall_s']:.1f} | "
                f"{1e3 * r['wall_s'] / max(r['windows'], 1):.1f} | "
                f"{r['peak_rss_increase_gib']:.2f} | {r['peak_rss_gib']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def targets_text(r: dict, eqt: dict | None) -> str:
    """SeisMoLLM's targets for one of its runs (``r``), against EQTransformer's float32 run."""
    from seisbench_llm.precision import cpu_has_native_bf16

    per_day = r["wall_s"] * 86400.0 / r["stream_s"]
    ratio = r["wall_s"] / eqt["wall_s"] if eqt else None
    native = r["precision"] == "bfloat16" and cpu_has_native_bf16()
    max_ratio = TARGET_X_EQT_NATIVE_BF16 if native else TARGET_X_EQT
    mark = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    lines = [f"\nSeisMoLLM targets at {r['precision']} ({r['precision_asked']} asked):"]
    lines.append(
        f"- <= {TARGET_DAY_S:.0f} s per station-day: {per_day:.0f} s -> {mark(per_day <= TARGET_DAY_S)}"
    )
    if ratio is None:
        lines.append(f"- <= {max_ratio:g}x EQTransformer: not measured (add eqtransformer)")
    else:
        lines.append(
            f"- <= {max_ratio:g}x EQTransformer: {ratio:.2f}x -> {mark(ratio <= max_ratio)}"
        )
    lines.append(
        f"- peak memory < {TARGET_PEAK_GIB:g} GiB: {r['peak_rss_gib']:.2f} GiB (process peak; "
        f"+{r['peak_rss_increase_gib']:.2f} GiB during annotate) -> "
        f"{mark(r['peak_rss_gib'] < TARGET_PEAK_GIB)}"
    )
    if "bound" in r:
        lines.append(bound_text(r, per_day, eqt))
    return "\n".join(lines)


def bound_text(r: dict, per_day: float, eqt: dict | None) -> str:
    b = r["bound"]
    gflop = b["gflop_per_window"]
    windows = b["windows_per_day"]
    achieved = gflop * r["windows"] / r["wall_s"]
    floor = gflop * windows / b["matmul_gflops"]
    lines = [
        f"\nWhat bounds SeisMoLLM (inference copy, batch {b['batch_size']}, parts timed in "
        "float32):\n",
        "| part | GFLOP / window | ms / window | GFLOP/s |",
        "|---|---|---|---|",
    ]
    for part, p in b["parts"].items():
        lines.append(
            f"| {part} | {p['gflop_per_window']:.2f} | {p['ms_per_window']:.1f} | {p['gflops']:.0f} |"
        )
    lines.append(
        f"| total forward | {gflop:.2f} | {b['forward_ms_per_window']:.1f} | "
        f"{gflop / b['forward_ms_per_window'] * 1e3:.0f} |"
    )
    lines.append(
        f"\nBounded by {gflop:.2f} GFLOP per window x {windows} windows per station-day (overlap "
        f"{b['overlap']}) = {gflop * windows / 1e3:.1f} TFLOP per day; annotate achieved "
        f"{achieved:.0f} GFLOP/s ({per_day:.0f} s per day). A float32 matrix product runs at "
        f"{b['matmul_gflops']:.0f} GFLOP/s here, so even at that rate a station-day takes at "
        f"least {floor:.0f} s."
    )
    needed = [f"{gflop * windows / TARGET_DAY_S:.0f} GFLOP/s for {TARGET_DAY_S:.0f} s per day"]
    if eqt:
        eqt_per_day = eqt["wall_s"] * 86400.0 / eqt["stream_s"]
        needed.append(
            f"{gflop * windows / (TARGET_X_EQT * eqt_per_day):.0f} GFLOP/s for "
            f"{TARGET_X_EQT:g}x EQTransformer ({TARGET_X_EQT * eqt_per_day:.0f} s per day)"
        )
    lines.append("The targets would need " + " and ".join(needed) + " at this FLOP count.")
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# ---------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--hours", type=float, default=24.0, help="length of the stream in hours (default 24)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--models",
        nargs="+",
        default=list(MODELS),
        choices=MODELS,
        help="models to run, in this order (default: all four)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the table to OUT.md and all figures to OUT.json (e.g. benchmarks/runs/speed)",
    )
    parser.add_argument(
        "--train-batch", type=int, default=8, help="batch size of the training step (default 8)"
    )
    parser.add_argument(
        "--train-steps",
        type=int,
        default=3,
        help="timed training steps, median reported (default 3; 0 skips training)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="repetitions of the per-part timing (default 3)"
    )
    parser.add_argument(
        "--batch-sweep",
        type=int,
        nargs="*",
        default=[],
        metavar="B",
        help="also annotate with SeisMoLLM at these batch sizes (time and memory per batch size)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="use a tiny SeisMoLLM (for testing this script; its timings mean nothing)",
    )
    parser.add_argument(
        "--no-bound", action="store_true", help="skip SeisMoLLM's FLOP count and part timings"
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["float32", "auto"],
        choices=PRECISIONS,
        help="SeisMoLLM's precisions, each in its own run (default: float32 auto); the other "
        "models run at float32",
    )
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hours <= 0:
        parser.error("--hours must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return
    results: dict[str, dict] = {}
    for name in args.models:
        for precision in args.precisions if name == "seismollm" else ["float32"]:
            log(
                f"{NAMES[name]} ({precision}): starting a fresh process (load average "
                f"{os.getloadavg()[0]:.1f})"
            )
            results[f"{name}:{precision}"] = run_worker(name, args, precision=precision)
    sweep = []
    for batch_size in args.batch_sweep:
        log(f"SeisMoLLM batch {batch_size}: starting a fresh process")
        sweep.append(run_worker("seismollm", args, batch_size))
    text = report(results, sweep, args)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".md").write_text(text)
        facts = {
            "hours": args.hours,
            "threads": args.threads,
            "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(),
            "train_batch": args.train_batch,
            "tiny": args.tiny,
            "targets": {
                "seismollm_s_per_day": TARGET_DAY_S,
                "seismollm_x_eqtransformer": TARGET_X_EQT,
                "peak_rss_gib": TARGET_PEAK_GIB,
            },
            "results": results,
            "batch_sweep": sweep,
        }
        args.out.with_suffix(".json").write_text(json.dumps(facts, indent=2))
        log(f"wrote {args.out.with_suffix('.md')} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
