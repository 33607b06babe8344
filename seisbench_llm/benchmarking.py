"""Timing, memory and FLOP helpers shared by the scripts in ``benchmarks/``."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable

import numpy as np
import obspy
import torch

#: A tiny SeisMoLLM (32-wide, 1 GPT-2 block, LoRA rank 2) for quick checks: the tests and
#: ``benchmarks/speed.py --tiny`` (timings of it say nothing about the real model).
TINY_SEISMOLLM = {
    "d_model": 32,
    "n_heads": 2,
    "n_layers": 1,
    "n_positions": 128,
    "embed_channels": [4, 8, 4, None],
    "head_channels": [8, 8, 8, 6],
    "lora_r": 2,
}


def array_stream(
    data: np.ndarray, sampling_rate: float = 100.0, station: str = "BENCH", network: str = "XX"
) -> obspy.Stream:
    """A stream of ``HHZ``, ``HHN``, ``HHE`` traces from a ``(3, N)`` array (Z, N, E)."""
    t0 = obspy.UTCDateTime(2024, 1, 1)
    return obspy.Stream(
        [
            obspy.Trace(
                np.asarray(data[i]),
                header=dict(
                    network=network,
                    station=station,
                    channel=f"HH{c}",
                    sampling_rate=sampling_rate,
                    starttime=t0,
                ),
            )
            for i, c in enumerate("ZNE")
        ]
    )


def noise_stream(
    duration_s: float, sampling_rate: float = 100.0, seed: int = 0, station: str = "BENCH"
) -> obspy.Stream:
    """A 3-component (Z, N, E) stream of Gaussian noise, for timing annotate."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sampling_rate)
    return array_stream(rng.normal(size=(3, n)).astype(np.float32), sampling_rate, station)


def event_stream(
    duration_s: float, sampling_rate: float = 100.0, seed: int = 0, station: str = "EVENT"
) -> obspy.Stream:
    """A 3-component (Z, N, E) stream of consecutive 60 s synthetic records, each with one local
    earthquake (magnitude 0.5 to 4, 10 to 150 km, P 5 to 40 s into the record) in background
    noise (:py:func:`seisbench_llm.data.synthetic.synthesize_trace`, preset ``stead``), for
    checks that need realistic waveforms rather than pure noise."""
    from seisbench_llm.data.synthetic import synthesize_trace

    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sampling_rate))
    records, total = [], 0
    while total < n:
        record, _ = synthesize_trace(
            float(rng.uniform(0.5, 4.0)),
            float(rng.uniform(10.0, 150.0)),
            p_arrival_s=float(rng.uniform(5.0, 40.0)),
            noise_position=float(rng.uniform(0.2, 0.6)),
            seed=int(rng.integers(2**31)),
        )
        records.append(record)
        total += record.shape[1]
    data = np.concatenate(records, axis=1)[:, :n]
    return array_stream(data, sampling_rate, station)


def time_call(fn, repeats: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def train_step_seconds(
    lit: torch.nn.Module,
    batch: dict[str, torch.Tensor],
    steps: int = 3,
    lr: float = 1e-4,
    precision: str = "float32",
) -> float:
    """Median wall time of one training step (``lit.shared_step(batch)["loss"]``, backward, Adam
    step over the trainable parameters) over ``steps`` steps, after one warm-up step.

    :param precision: A concrete precision; reduced ones run the forward pass under autocast, as
        Lightning's mixed precision does.
    """
    from seisbench_llm.precision import autocast

    lit.train()
    opt = torch.optim.Adam([p for p in lit.parameters() if p.requires_grad], lr=lr)

    def step():
        opt.zero_grad()
        with autocast(precision, "cpu"):
            loss = lit.shared_step(batch)["loss"]
        loss.backward()
        opt.step()

    step()  # warm-up (allocations, Adam state)
    return time_call(step, steps)


def benchmark_lit(config: str | os.PathLike, **model_args) -> torch.nn.Module:
    """The harness's training module for a config file, with ``model_args`` overriding the
    config's (e.g. ``base_model=None`` to start SeisMoE from random init)."""
    from seisbench_llm.training.config import load_config
    from seisbench_llm.training.harness import build_lit

    cfg = load_config(config)
    if model_args:
        cfg.raw["model_args"] = {**cfg.model_args, **model_args}
    return build_lit(cfg)


def random_train_batch(batch_size: int, in_samples: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A random batch with the keys the training modules read (``X``, ``y``, ``detections``)."""
    gen = torch.Generator().manual_seed(seed)
    return {
        "X": torch.randn(batch_size, 3, in_samples, generator=gen),
        "y": torch.rand(batch_size, 3, in_samples, generator=gen),
        "detections": torch.rand(batch_size, 1, in_samples, generator=gen),
    }


# ---------------------------------------------------------------------- memory (Linux)
def rss_bytes() -> int:
    """Current resident set size of this process (``/proc/self/statm``; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def reset_peak_rss() -> bool:
    """Reset this process's peak-RSS mark (``VmHWM``) to the current RSS by writing ``5`` to
    ``/proc/self/clear_refs`` (Linux >= 4.0); False where that is not possible, in which case
    :py:func:`peak_rss_bytes` gives the peak since the process started."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Peak resident set size of this process since it started or since :py:func:`reset_peak_rss`
    (``VmHWM`` in ``/proc/self/status``, else ``getrusage``'s ``ru_maxrss``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


# ---------------------------------------------------------------------- FLOPs
def count_flops(fn: Callable[..., object], *args, **kwargs) -> int:
    """Floating-point operations (a multiply-add counts 2) of ``fn(*args, **kwargs)`` as counted by
    :py:class:`torch.utils.flop_counter.FlopCounterMode` (matrix products, convolutions and
    attention; element-wise operations are not counted)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        fn(*args, **kwargs)
    return int(counter.get_total_flops())


def matmul_gflops(size: int = 1536, repeats: int = 5) -> float:
    """Achieved float32 GFLOP/s of a large square matrix product with the current torch threads:
    the practical compute ceiling of this machine for the models' matrix products and convs."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm-up
    return 2.0 * size**3 / time_call(lambda: a @ b, repeats) / 1e9
