"""Plot synthetic traces next to ObsPy's example recording to judge their realism.

Writes a PNG with one column per trace (ObsPy's example event ``BW.RJOB``, then synthetic
traces from easy to hard and a noise trace), rows Z, N, E and the amplitude spectrum of Z.
P and S labels are drawn as vertical lines. Runs offline (``obspy.read()`` ships the example).

Usage::

    python benchmarks/plot_synthetic.py --out docs/synthetic_vs_real.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import obspy  # noqa: E402
import pandas as pd  # noqa: E402

from seisbench_llm.data.synthetic import simulate_synthetic  # noqa: E402

WINDOW_S = 30.0  # shown length, like the ObsPy example


def _pick_examples(meta: pd.DataFrame) -> list[tuple[int, str]]:
    """Choose an easy, a medium, a hard earthquake trace and a noise trace."""
    eq = meta[meta["trace_category"] == "earthquake"]
    choices = [
        ("easy", (eq.trace_snr_db > 35) & (eq.source_distance_km < 40)),
        ("medium", eq.trace_snr_db.between(15, 25) & eq.source_distance_km.between(50, 110)),
        ("hard", eq.trace_snr_db.between(2, 8)),
    ]
    picked = []
    for label, mask in choices:
        rows = eq[mask]
        if len(rows):
            picked.append((int(rows.index[0]), label))
    noise = meta.index[meta["trace_category"] == "noise"]
    if len(noise):
        picked.append((int(noise[0]), "noise"))
    return picked


def _spectrum(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    x = (x - x.mean()) * np.hanning(len(x))
    return np.fft.rfftfreq(len(x), 1 / fs)[1:], np.abs(np.fft.rfft(x))[1:] / fs


def plot(out: Path, seed: int = 1, n_traces: int = 384) -> Path:
    """Draw the comparison figure and save it to ``out``."""
    waves, meta = simulate_synthetic(n_traces, preset="stead", seed=seed)

    real = obspy.read()
    columns = [
        {
            "title": "real: BW.RJOB (ObsPy example), EH, counts",
            "data": np.stack([real.select(component=c)[0].data.astype(float) for c in "ZNE"]),
            "fs": real[0].stats.sampling_rate,
            "t0": 0.0,
            "p": None,
            "s": None,
        }
    ]
    for idx, label in _pick_examples(meta):
        row = meta.loc[idx]
        fs = float(row.trace_sampling_rate_hz)
        if row.trace_category == "earthquake":
            start = max(0.0, row.trace_p_arrival_sample / fs - 6.0)
            title = (
                f"synthetic ({label}): M{row.source_magnitude:.1f}, "
                f"{row.source_distance_km:.0f} km, {row.station_channels}, "
                f"P SNR {row.trace_snr_db:.0f} dB, {row.trace_polarity}"
            )
        else:
            start = 10.0
            title = f"synthetic noise, {row.station_channels}"
        i0 = int(start * fs)
        columns.append(
            {
                "title": title,
                "data": waves[idx][:, i0 : i0 + int(WINDOW_S * fs)].astype(float),
                "fs": fs,
                "t0": start,
                "p": row.trace_p_arrival_sample / fs - start,
                "s": row.trace_s_arrival_sample / fs - start,
            }
        )

    fig, axes = plt.subplots(
        4,
        len(columns),
        figsize=(4.2 * len(columns), 8.5),
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1, 1, 1.1]},
    )
    for j, col in enumerate(columns):
        data = col["data"] - col["data"].mean(axis=1, keepdims=True)
        t = np.arange(data.shape[1]) / col["fs"]
        scale = np.abs(data).max()
        for i, comp in enumerate("ZNE"):
            ax = axes[i, j]
            ax.plot(t, data[i], color="k", lw=0.5)
            ax.set_ylim(-1.05 * scale, 1.05 * scale)
            ax.set_xlim(0, t[-1])
            for key, color in (("p", "tab:blue"), ("s", "tab:red")):
                if col[key] is not None and np.isfinite(col[key]):
                    ax.axvline(col[key], color=color, lw=1.0, alpha=0.8, label=key.upper())
            ax.text(0.01, 0.85, comp, transform=ax.transAxes, fontsize=9, weight="bold")
            ax.tick_params(labelsize=7)
            if i == 0:
                ax.set_title(col["title"], fontsize=8)
                if j == 1:
                    ax.legend(loc="upper right", fontsize=7)
        freq, amp = _spectrum(data[0], col["fs"])
        ax = axes[3, j]
        ax.loglog(freq, amp, color="k", lw=0.5)
        ax.set_xlim(0.05, col["fs"] / 2)
        ax.set_xlabel("Hz (Z amplitude spectrum)   /   time axis above: s", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "seisbench_llm synthetic traces (60 s at 20-250 Hz, in counts; 30 s windows shown) vs a real recording",
        fontsize=10,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/synthetic_vs_real.png"))
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--n-traces", type=int, default=384, help="traces to choose from")
    args = parser.parse_args(argv)
    print(plot(args.out, seed=args.seed, n_traces=args.n_traces))


if __name__ == "__main__":
    main()
