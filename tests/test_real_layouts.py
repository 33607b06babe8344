"""Every shipped config on format-faithful miniatures of STEAD, ETHZ and DiTing (tests/miniatures.py):
the windows hold the phases they are scored on, the real layouts load, the data options work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import seisbench.data as sbd
from miniatures import use_miniatures

from seisbench_llm.benchmarking import TINY_SEISMOLLM
from seisbench_llm.data.augmentations import POLARITY_COLUMNS, MultiTaskLabeller
from seisbench_llm.training import harness
from seisbench_llm.training.config import ConfigError, load_config, validate_config
from seisbench_llm.training.coverage import lit_coverage
from seisbench_llm.training.windows import PhaseWindow

CONFIGS = sorted(
    p
    for p in (Path(__file__).parents[1] / "benchmarks" / "configs").glob("*.json")
    if not p.stem.startswith("synthetic")
)


@pytest.fixture
def mini(monkeypatch):
    return use_miniatures(monkeypatch)


def plain(path: Path, **changes):
    """A shipped config with no pretrained weights (and a tiny SeisMoLLM: the windows and labels
    do not depend on the model's width)."""
    raw = load_config(path).to_dict()
    args = dict(raw["model_args"])
    if raw["model"] == "seismollm":
        args.update(TINY_SEISMOLLM, gpt2=None)
    if raw["model"] == "seismoe":
        args.update(base_model=None, num_experts=2)
    raw.update(model_args=args, **changes)
    return validate_config(raw, path)


# ------------------------------------------------------------------------------ the miniatures
def test_miniatures_have_the_real_layouts(mini):
    stead = sbd.STEAD()
    m = stead.metadata
    assert stead.data_format["component_order"] == "ZNE" and len(m) == 60
    assert {
        "trace_p_arrival_sample",
        "trace_s_arrival_sample",
        "source_magnitude",
        "source_distance_km",
        "path_back_azimuth_deg",
        "trace_category",
    } <= set(m.columns)
    assert set(m["split"]) == {"train", "dev", "test"}
    assert stead.get_waveforms(0).shape == (3, 6000)

    ethz = sbd.ETHZ()
    m = ethz.metadata
    assert set(m["trace_sampling_rate_hz"]) == {100.0, 120.0, 200.0, 250.0}
    lengths = {ethz.get_waveforms(i).shape[-1] for i in range(len(m))}
    assert len(lengths) > 5 and min(lengths) > 12000  # 60 s before the first, after the last pick
    for phase in ("Pg", "Pn", "P1", "PmP", "Sg", "Sn", "S1", "SmS"):
        assert f"trace_{phase}_arrival_sample" in m.columns
        assert f"trace_{phase}_polarity" in m.columns
    assert set(m["split"]) == {"train", "dev", "test"}
    first_pick = m[[c for c in m.columns if c.endswith("_arrival_sample")]].min(axis=1)
    np.testing.assert_allclose(first_pick / m["trace_sampling_rate_hz"], 60.0, atol=0.05)

    from seisbench_llm.data.diting import DiTing

    diting = DiTing(light=True)
    assert diting.get_waveforms(0).shape == (3, 9000) and len(diting) == 40


def test_every_ethz_p_polarity_column_is_read(mini):
    assert {"trace_Pg_polarity", "trace_Pn_polarity", "trace_P1_polarity"} <= set(POLARITY_COLUMNS)
    cfg = plain(Path("benchmarks/configs/ethz_seismollm.json"), task="polarity")
    m = sbd.ETHZ().metadata
    known = harness.task_mask(cfg, m)
    assert 0 < known.sum() < len(m)
    labeller = MultiTaskLabeller(tasks=["polarity"])
    for row in m[known].to_dict("records"):
        state = {"X": (np.zeros((3, 10)), row)}
        labeller(state)
        assert state["polarity"][0] in (0, 1)


# ------------------------------------------------------------------------------ label coverage
@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_config_windows_hold_their_phases(mini, path):
    cfg = plain(path)
    cov = lit_coverage(harness.build_lit(cfg), harness.split_datasets(cfg), n=64)
    assert cov["train"]["n"] >= 8 and cov["eval"]["n"] >= 4
    assert cov["train"]["any"] >= 0.75, cov  # the pick benchmark also trains on some random crops
    assert cov["eval"]["P"] >= 0.95 and cov["eval"]["S"] >= 0.95, cov  # what protocol B scores


def test_config_whose_windows_miss_the_labels_fails_before_training(mini, tmp_path):
    cfg = plain(Path("benchmarks/configs/ethz_seismollm.json"), window="start")  # main's setting
    with pytest.raises(ConfigError, match=r"hold a labelled phase.*\"window\": \"pick\""):
        harness.train(cfg, tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()


# -------------------------------------------------------------------------------- data options
def test_stead_resplit_is_random_by_trace_and_shared_by_tasks(mini):
    parts = harness.split_datasets(plain(Path("benchmarks/configs/stead_seismollm.json")))
    sizes = {k: len(v) for k, v in parts.items()}
    assert sizes == {"train": 48, "dev": 6, "test": 6}
    own = sbd.STEAD().metadata.set_index("trace_name")["split"]
    test_names = parts["test"].metadata["trace_name"]
    assert (own[test_names] != "test").any()  # not STEAD's own split
    again = harness.split_datasets(plain(Path("benchmarks/configs/stead_seismollm.json")))
    assert list(again["test"].metadata["trace_name"]) == list(test_names)
    magnitude = harness.split_datasets(
        plain(Path("benchmarks/configs/stead_seismollm_magnitude.json"))
    )
    assert set(magnitude["test"].metadata["trace_name"]) <= set(test_names)
    assert (
        len(magnitude["train"]) > 0
        and (magnitude["train"].metadata["trace_category"] != "noise").all()
    )


def test_random_split_validation():
    base = {"model": "seismollm", "data": "STEAD"}
    with pytest.raises(ConfigError, match="sum"):
        validate_config({**base, "random_split": {"fractions": [0.8, 0.1, 0.2]}})
    with pytest.raises(ConfigError, match="window applies to seismollm"):
        validate_config({"model": "phasenet", "data": "ETHZ", "window": "pick"})
    with pytest.raises(ConfigError, match="must be one of start, pick, diting"):
        validate_config({**base, "window": "middle"})
    cfg = validate_config({**base, "random_split": {"seed": 3}})
    assert cfg.random_split == {"fractions": [0.8, 0.1, 0.1], "seed": 3}


@pytest.mark.parametrize("model", ["eqtransformer", "seismoe"])
def test_pick_benchmark_models_are_built_with_peak_normalisation(model):
    args = {"base_model": None, "num_experts": 2} if model == "seismoe" else {}
    lit = harness.build_lit(validate_config({"model": model, "data": "x", "model_args": args}))
    assert lit.model.norm == "peak" and lit.model.get_model_args()["norm"] == "peak"


# ------------------------------------------------------------------------------- PhaseWindow
def _window(metadata, n=12000, windowlen=6000, seed=0):
    state = {"X": (np.zeros((3, n)), {"trace_name": "t", **metadata})}
    PhaseWindow(windowlen, seed=seed)(state)
    return state["X"]


def test_phase_window_holds_both_picks_and_is_deterministic():
    meta = {"trace_Pg_arrival_sample": 6000.0, "trace_Sn_arrival_sample": 9000.0}
    x, out = _window(meta)
    assert x.shape == (3, 6000)
    assert 50 <= out["trace_Pg_arrival_sample"] and out["trace_Sn_arrival_sample"] < 5950
    assert _window(meta)[1] == out
    starts = {6000 - _window(meta, seed=s)[1]["trace_Pg_arrival_sample"] for s in range(8)}
    assert len(starts) > 1  # seeded, not fixed


def test_phase_window_long_span_short_trace_and_noise():
    _, out = _window({"trace_P_arrival_sample": 1000.0, "trace_S_arrival_sample": 9000.0})
    assert out["trace_P_arrival_sample"] == 50  # span > window: the first pick is kept
    x, out = _window({"trace_p_arrival_sample": 500.0, "trace_s_arrival_sample": 2000.0}, n=3000)
    assert x.shape == (3, 6000) and out["trace_p_arrival_sample"] == 500  # padded at the end
    x, _ = _window({}, n=9000)
    assert x.shape == (3, 6000)


def test_eqtransformer_annotate_normalises_as_training():
    """What the exported model sees through ``annotate`` equals the training input."""
    import seisbench.generate as sbg
    import torch

    lit = harness.build_lit(validate_config({"model": "eqtransformer", "data": "x"}))
    rng = np.random.default_rng(0)
    raw = rng.normal(0, 1, (3, 6000)) * np.array([[1.0], [30.0], [0.01]]) + 5.0
    state = {"X": (raw.copy(), {})}
    sbg.Normalize(demean_axis=-1, amp_norm_axis=-1, amp_norm_type="peak")(state)
    seen = lit.model.annotate_batch_pre(torch.tensor(raw[None], dtype=torch.float32), {})[0]
    np.testing.assert_allclose(seen[:, 6:-6].numpy(), state["X"][0][:, 6:-6], atol=1e-3)
