"""DiTing converter and dataset class, on a small DiTing-format fixture written here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import seisbench
import seisbench.data as sbd

from seisbench_llm.data.diting import (
    DiTing,
    DiTingNotFoundError,
    convert_diting,
    diting_magnitude_to_ml,
    diting_polarity,
    normalize_diting_key,
)

SNR_COLUMNS = [f"{c}_{p}_{k}_snr" for c in "ZNE" for p in "PS" for k in ("amplitude", "power")]
COLUMNS = [
    "part",
    "key",
    "ev_id",
    "evmag",
    "mag_type",
    "p_pick",
    "p_clarity",
    "p_motion",
    "s_pick",
    "net",
    "sta_id",
    "dis",
    "st_mag",
    "baz",
    *SNR_COLUMNS,
    "P_residual",
    "S_residual",
]


def _row(part: int, event: int, station: int, **fields) -> dict:
    row = {
        "part": part,
        "key": f"{event:06d}.{station:04d}",
        "ev_id": event,
        "evmag": 2.5,
        "mag_type": "ML",
        "p_pick": 2000 + 7 * station,
        "p_clarity": "I",
        "p_motion": "U",
        "s_pick": 3000 + 11 * station,
        "net": "SC",
        "sta_id": 100 + station,
        "dis": 12.5 + station,
        "st_mag": 2.4,
        "baz": 400.0 - 10 * station,
        **{c: 10.0 + i for i, c in enumerate(SNR_COLUMNS)},
        "P_residual": 0.1,
        "S_residual": -0.2,
    }
    row.update(fields)
    return row


class Fixture:
    """A DiTing-format folder and what the converter must make of it."""

    def __init__(self, src: Path):
        self.src = src
        self.rows: list[dict] = []  # every CSV row, in order, with "_full"/"_light" outcomes
        self.waveforms: dict[str, np.ndarray] = {}
        self.bad_lines = 0

    def expected(self, light: bool) -> tuple[list[str], Counter]:
        """Keys written (in order) and skip counts per reason."""
        keys, skipped = [], Counter()
        for row in self.rows:
            reason = row["_light"] if light else row["_full"]
            if reason is None:
                keys.append(row["_key"])
            else:
                skipped[reason] += 1
        skipped["corrupt_row"] += self.bad_lines
        return keys, skipped


def _write_part(
    fx: Fixture,
    part: int,
    rows: list[tuple[dict, str | None, str | None]],
    waveforms: dict[str, np.ndarray] | None,
    bad_lines: Sequence[str] = (),
) -> None:
    """Write one part: ``rows`` as (fields, full outcome, light outcome), ``waveforms`` by key
    (no HDF5 file if None), and raw ``bad_lines`` appended to the CSV."""
    table = []
    for fields, full, light in rows:
        try:
            key = normalize_diting_key(fields["key"])
        except ValueError:
            key = fields["key"]
        fx.rows.append({**fields, "_key": key, "_full": full, "_light": light})
        table.append(fields)
    frame = pd.DataFrame(table)
    frame = frame[
        [c for c in COLUMNS if c in frame.columns] + [c for c in frame if c not in COLUMNS]
    ]
    csv_path = fx.src / f"DiTing330km_part_{part}.csv"
    frame.to_csv(csv_path)  # with the unnamed index column of the original files
    with open(csv_path, "a") as f:
        for line in bad_lines:
            f.write(line + "\n")
    fx.bad_lines += len(bad_lines)
    if waveforms is not None:
        with h5py.File(fx.src / f"DiTing330km_part_{part}.hdf5", "w") as f:
            group = f.create_group("earthquake")
            for key, data in waveforms.items():
                group.create_dataset(key, data=data)
        fx.waveforms.update(waveforms)


def _wave(rng: np.random.Generator, shape=(9000, 3)) -> np.ndarray:
    return rng.normal(size=shape).astype(np.float32)


def make_diting(src: Path) -> Fixture:
    """Parts 0 and 1 (with every kind of problem), part 2 without HDF5, parts 3-27 absent."""
    src.mkdir(parents=True, exist_ok=True)
    fx = Fixture(src)
    rng = np.random.default_rng(1)
    ok = (None, None)
    rows0 = [
        (_row(0, 1, 1, mag_type="ML", p_motion="U"), *ok),
        (_row(0, 1, 2, mag_type="Ms", evmag=4.1, st_mag=3.9, p_motion="C"), *ok),
        (_row(0, 1, 3, mag_type="mb", evmag=4.6, st_mag=4.4, p_motion="R", p_clarity="E"), *ok),
        (_row(0, 2, 1, p_motion="D"), *ok),
        (_row(0, 2, 2, p_motion="n"), None, "unknown_polarity"),
        (_row(0, 2, 3, mag_type="Ms", p_motion=""), None, "missing_fields"),
        (_row(0, 3, 1, mag_type="mb", baz=""), None, "missing_fields"),
        (_row(0, 3, 2), "missing_waveform", "missing_waveform"),
        (_row(0, 3, 3, p_pick=4000, s_pick=3500), "bad_picks", "bad_picks"),
        (_row(0, 3, 4, s_pick=9100), "bad_picks", "bad_picks"),
        (_row(0, 4, 1, p_pick="abc"), "corrupt_row", "corrupt_row"),
        (_row(0, 4, 2), "bad_shape", "bad_shape"),
        (_row(0, 12, 10, key="12.001"), *ok),  # key read as a float: 000012.0010
        (_row(0, 5, 1, mag_type="Mw"), None, "unknown_magnitude_type"),
        (_row(0, 5, 2, s_pick=""), None, "missing_fields"),
        (_row(0, 5, 3, evmag=9.5), *ok),  # clipped to 8
        (_row(0, 5, 4, mag_type="Ms", evmag=-1.5), *ok),  # clipped to 0
        (_row(0, 6, 1), "non_finite_waveform", "non_finite_waveform"),
        (_row(0, 1, 1), "duplicate_key", "duplicate_key"),
        (_row(0, 6, 2, key="bogus"), "corrupt_row", "corrupt_row"),
    ]
    waves0 = {}
    for fields, full, _ in rows0:
        if full in ("missing_waveform", "corrupt_row", "duplicate_key"):
            continue
        key = normalize_diting_key(fields["key"])
        waves0[key] = _wave(rng, (8000, 3) if full == "bad_shape" else (9000, 3))
    waves0["000006.0001"][100, 1] = np.nan
    bad_line = ",".join(["0"] * (len(COLUMNS) + 5))  # too many fields
    _write_part(fx, 0, rows0, waves0, bad_lines=[bad_line])

    rows1 = []
    motions = ["U", "C", "R", "D"]
    for i in range(14):
        event, station = 101 + i // 4, 1 + i % 4
        fields = _row(
            1, event, station, mag_type=["ML", "Ms", "mb"][i % 3], p_motion=motions[i % 4]
        )
        fields["key"] = str(float(fields["key"]))  # keys as pandas floats lose their zeros
        rows1.append((fields, *ok))
    rows1[5][0]["Z_P_amplitude_snr"] = ""
    rows1[5] = (rows1[5][0], None, "missing_fields")
    waves1 = {normalize_diting_key(f["key"]): _wave(rng) for f, _, _ in rows1}
    _write_part(fx, 1, rows1, waves1)

    rows2 = [
        (_row(2, 201, 1), "missing_waveform_file", "missing_waveform_file"),
        (_row(2, 201, 2, p_motion="n"), "missing_waveform_file", "unknown_polarity"),
    ]
    _write_part(fx, 2, rows2, None)
    return fx


@pytest.fixture(scope="module")
def diting_src(tmp_path_factory) -> Fixture:
    return make_diting(tmp_path_factory.mktemp("diting_src"))


@pytest.fixture(scope="module")
def converted(diting_src, tmp_path_factory):
    """The fixture converted in full and light versions."""
    out = tmp_path_factory.mktemp("diting_out")
    full = convert_diting(diting_src.src, out / "full", progress=False, verbose=False)
    light = convert_diting(diting_src.src, out / "light", light=True, progress=False, verbose=False)
    return {"full": (out / "full", full), "light": (out / "light", light)}


def test_key_normalisation():
    assert normalize_diting_key("000001.0001") == "000001.0001"
    assert normalize_diting_key("1.0001") == "000001.0001"
    assert normalize_diting_key(1.001) == "000001.0010"
    assert normalize_diting_key("123456.1") == "123456.1000"
    assert normalize_diting_key("12.00100") == "000012.0010"
    for bad in ("abc", "1234567.0001", "1.00012", "-1.0001", ""):
        with pytest.raises(ValueError):
            normalize_diting_key(bad)


def test_magnitude_and_polarity_helpers():
    assert diting_magnitude_to_ml(3.0, "ML") == 3.0
    assert diting_magnitude_to_ml(4.1, "Ms") == pytest.approx((4.1 + 1.08) / 1.13)
    assert diting_magnitude_to_ml(4.6, "mb") == pytest.approx((1.17 * 4.6 + 0.67) / 1.13)
    assert diting_magnitude_to_ml(9.5, "ML") == 8.0
    assert diting_magnitude_to_ml(-1.5, "Ms") == 0.0
    assert diting_magnitude_to_ml(-1.5, "Ms", clip=False) < 0
    with pytest.raises(ValueError):
        diting_magnitude_to_ml(3.0, "Mw")
    assert [diting_polarity(m) for m in ("U", "C", "R", "D", "n", "", None, "x")] == [
        "U",
        "U",
        "D",
        "D",
        "",
        "",
        "",
        "",
    ]


@pytest.mark.parametrize("light", [False, True])
def test_counts_and_selection(diting_src, converted, light):
    dst, summary = converted["light" if light else "full"]
    keys, skipped = diting_src.expected(light)
    assert summary.written == len(keys)
    assert summary.skipped == skipped
    assert summary.read == len(diting_src.rows) + diting_src.bad_lines
    assert summary.read == summary.written + sum(summary.skipped.values())
    assert summary.parts == [0, 1, 2]
    assert set(summary.missing_parts) == {2, *range(3, 28)}
    assert "HDF5 missing" in summary.missing_parts[2]
    metadata = pd.read_csv(dst / "metadata.csv", dtype={"trace_diting_key": str})
    assert list(metadata["trace_diting_key"]) == keys
    text = str(summary)
    assert "missing_waveform" in text and "parts 3-27" in text
    assert summary.as_dict()["written"] == len(keys)


def test_light_is_full_filtered(diting_src, converted):
    full = sbd.WaveformDataset(converted["full"][0])
    light = sbd.WaveformDataset(converted["light"][0])
    assert light.metadata["trace_diting_light"].all()
    flagged = full.metadata[full.metadata["trace_diting_light"]]
    assert list(flagged["trace_diting_key"]) == list(light.metadata["trace_diting_key"])
    filtered = DiTing(converted["full"][0], light=True)
    assert filtered.name == "DiTing-light"
    light_keys = list(DiTing(converted["light"][0]).metadata["trace_diting_key"])
    assert list(filtered.metadata["trace_diting_key"]) == light_keys
    assert light_keys == diting_src.expected(light=True)[0]
    # Light rows: all fields, known polarity and magnitude type, 0 < P < S < 9000.
    m = light.metadata
    assert m["trace_polarity"].isin(["U", "D"]).all()
    assert (
        (0 < m["trace_p_arrival_sample"])
        & (m["trace_p_arrival_sample"] < m["trace_s_arrival_sample"])
        & (m["trace_s_arrival_sample"] < 9000)
    ).all()
    assert m["source_magnitude"].notna().all() and m["path_back_azimuth_deg"].notna().all()


def test_waveforms_and_format(diting_src, converted):
    dst = converted["full"][0]
    for dataset in (sbd.WaveformDataset(dst), DiTing(dst)):
        assert dataset.data_format["component_order"] == "ZNE"
        assert dataset.data_format["dimension_order"] == "CW"
        assert float(dataset.data_format["sampling_rate"]) == 50
        for i, key in enumerate(dataset.metadata["trace_diting_key"]):
            waveform = dataset.get_waveforms(i)
            assert waveform.shape == (3, 9000)
            np.testing.assert_array_equal(
                waveform, diting_src.waveforms[normalize_diting_key(key)].T
            )
    assert DiTing(dst).citation.startswith("Zhao")


def test_metadata_values(diting_src, converted):
    metadata = DiTing(converted["full"][0]).metadata.set_index("trace_diting_key")
    rows = {r["_key"]: r for r in diting_src.rows if r["_full"] is None}
    assert set(metadata.index) == set(rows)
    for key, row in rows.items():
        meta = metadata.loc[key]
        mag, kind = float(row["evmag"]), row["mag_type"]
        expected = {
            "ML": mag,
            "Ms": (mag + 1.08) / 1.13,
            "mb": (1.17 * mag + 0.67) / 1.13,
        }.get(kind)
        if expected is None:
            assert pd.isna(meta["source_magnitude"])
        else:
            assert meta["source_magnitude"] == pytest.approx(min(max(expected, 0), 8), abs=1e-12)
            assert meta["source_magnitude_type"] == "ML"
        assert meta["source_magnitude_original"] == mag
        assert meta["source_magnitude_type_original"] == kind
        polarity = {"U": "U", "C": "U", "R": "D", "D": "D"}.get(row["p_motion"], "")
        assert (
            meta["trace_polarity"] if isinstance(meta["trace_polarity"], str) else ""
        ) == polarity
        assert meta["trace_p_arrival_sample"] == float(row["p_pick"])
        if row["s_pick"] != "":
            assert meta["trace_s_arrival_sample"] == float(row["s_pick"])
        assert meta["source_distance_km"] == pytest.approx(row["dis"])
        if row["baz"] != "":
            assert meta["path_back_azimuth_deg"] == pytest.approx(float(row["baz"]) % 360)
        assert meta["trace_p_clarity"] == {"I": "impulsive", "E": "emergent"}[row["p_clarity"]]
        assert str(meta["source_id"]) == str(row["ev_id"])
        assert meta["station_network_code"] == row["net"]
        assert meta["trace_part"] == row["part"]
        assert meta["trace_Z_S_power_snr"] == pytest.approx(row["Z_S_power_snr"])
    assert converted["full"][1].notes["magnitude_clipped"] == 2
    assert converted["full"][1].notes["unknown_magnitude_type"] == 1


def test_random_split_by_trace(converted):
    for dst, summary in converted.values():
        metadata = pd.read_csv(dst / "metadata.csv")
        n = len(metadata)
        counts = metadata["split"].value_counts()
        assert counts["train"] == int(0.8 * n) and counts["dev"] == int(0.1 * n)
        assert counts["test"] == n - int(0.8 * n) - int(0.1 * n)
        assert summary.splits == {k: int(v) for k, v in counts.items()}
        # The shuffle of pandas.DataFrame.sample(frac=1, random_state=0), as SeisT.
        order = np.random.RandomState(0).choice(n, size=n, replace=False)
        assert (metadata["split"].to_numpy()[order[: int(0.8 * n)]] == "train").all()


def test_split_by_event_seed_and_fractions(diting_src, tmp_path):
    by_event = convert_diting(
        diting_src.src,
        tmp_path / "event",
        split_by="event",
        split_fractions=(0.5, 0.25, 0.25),
        seed=3,
        progress=False,
        verbose=False,
    )
    metadata = pd.read_csv(tmp_path / "event" / "metadata.csv")
    assert (metadata.groupby("source_id")["split"].nunique() == 1).all()
    n_events = metadata["source_id"].nunique()
    per_event = metadata.groupby("source_id")["split"].first().value_counts()
    assert per_event["train"] == int(0.5 * n_events)
    assert sum(by_event.splits.values()) == by_event.written
    a = convert_diting(diting_src.src, tmp_path / "s1", seed=1, progress=False, verbose=False)
    b = convert_diting(diting_src.src, tmp_path / "s1b", seed=1, progress=False, verbose=False)
    assert a.splits == b.splits
    split_a = pd.read_csv(tmp_path / "s1" / "metadata.csv")["split"]
    split_b = pd.read_csv(tmp_path / "s1b" / "metadata.csv")["split"]
    assert split_a.equals(split_b)
    with pytest.raises(ValueError, match="sum to 1"):
        convert_diting(diting_src.src, tmp_path / "x", split_fractions=(0.5, 0.5, 0.5))


def test_split_from_column(tmp_path):
    fx = Fixture(tmp_path / "src")
    fx.src.mkdir()
    rng = np.random.default_rng(0)
    values = ["train", "val", "test", "dev", "bogus", "train"]
    rows = [
        (_row(0, 7, i + 1, split=s), "invalid_split" if s == "bogus" else None, None)
        for i, s in enumerate(values)
    ]
    _write_part(fx, 0, rows, {r[0]["key"]: _wave(rng) for r in rows})
    summary = convert_diting(
        fx.src, tmp_path / "out", split_column="split", parts=[0], progress=False, verbose=False
    )
    assert summary.skipped == Counter(invalid_split=1)
    assert summary.missing_parts == {}
    metadata = pd.read_csv(tmp_path / "out" / "metadata.csv")
    assert list(metadata["split"]) == ["train", "dev", "test", "dev", "train"]
    with pytest.raises(ValueError, match="not in"):
        convert_diting(fx.src, tmp_path / "out2", split_column="nope", progress=False)


def test_cache_and_not_found(diting_src, tmp_path, monkeypatch):
    monkeypatch.setattr(seisbench, "cache_data_root", tmp_path / "datasets")
    with pytest.raises(DiTingNotFoundError) as error:
        DiTing()
    message = str(error.value)
    assert "not public" in message and "seisbench-llm convert-diting" in message
    assert str(tmp_path / "datasets" / "diting") in message
    with pytest.raises(DiTingNotFoundError, match="--light"):
        DiTing(light=True)
    with pytest.raises(DiTingNotFoundError):
        DiTing(tmp_path / "nowhere")

    summary = convert_diting(diting_src.src, light=True, progress=False, verbose=False)
    assert summary.destination == tmp_path / "datasets" / "diting_light"
    dataset = DiTing(light=True)
    assert len(dataset) == summary.written
    with pytest.raises(DiTingNotFoundError):
        DiTing()
    with pytest.raises(FileExistsError):
        convert_diting(diting_src.src, light=True, progress=False, verbose=False)
    again = convert_diting(
        diting_src.src, light=True, overwrite=True, progress=False, verbose=False
    )
    assert again.written == summary.written
    assert not list((tmp_path / "datasets" / "diting_light").glob("*.partial"))


def test_source_errors(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="not found"):
        convert_diting(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no DiTing files"):
        convert_diting(tmp_path / "empty", tmp_path / "out")
    # A part whose only rows are unusable: summary says so, nothing is created.
    fx = Fixture(tmp_path / "src")
    fx.src.mkdir()
    _write_part(fx, 0, [(_row(0, 1, 1), "missing_waveform", None)], {})
    summary = convert_diting(fx.src, tmp_path / "out", parts=[0], progress=False)
    assert summary.written == 0 and summary.skipped == Counter(missing_waveform=1)
    assert "no trace written" in capsys.readouterr().out
    assert not (tmp_path / "out" / "metadata.csv").exists()


def test_optional_and_extra_columns(tmp_path):
    """Parts may lack optional columns (SNRs, residuals) or carry extra ones."""
    fx = Fixture(tmp_path / "src")
    fx.src.mkdir()
    rng = np.random.default_rng(2)
    full_row = _row(0, 1, 1)
    _write_part(fx, 0, [(full_row, None, None)], {"000001.0001": _wave(rng)})
    sparse = {k: v for k, v in _row(1, 2, 1).items() if k in COLUMNS[:14]}
    sparse["comment"] = "hello"
    _write_part(fx, 1, [(sparse, None, None)], {"000002.0001": _wave(rng)})
    for light in (False, True):
        summary = convert_diting(
            fx.src,
            tmp_path / f"out{light}",
            light=light,
            parts=[0, 1],
            progress=False,
            verbose=False,
        )
        assert summary.written == 2 and not summary.skipped
    metadata = DiTing(tmp_path / "outFalse").metadata
    assert list(metadata["diting_comment"].fillna("")) == ["", "hello"]
    assert metadata["trace_E_S_power_snr"].isna().tolist() == [False, True]
    assert metadata["trace_p_residual"].isna().tolist() == [False, True]
