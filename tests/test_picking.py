"""Archive picking on a generated SDS archive with a 2-worker local Dask cluster (shared by the
module): events at known times, the midnight event once, the corrupt file, the missing day,
failures, retries, resume, a killed run, and chunked picks equal to one classify of the stream.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import obspy
import pandas as pd
import pytest
from picking_archive import (
    BOUNDARY_EVENT,
    CORRUPT,
    DAYS,
    EVENTS,
    MISSING,
    NETWORK,
    OnsetPicker,
    make_sds_archive,
    sds_path,
)

from seisbench_llm.cli import main
from seisbench_llm.picking import pick_archive

TOLERANCE = 0.3  # s
CORRUPT_CHUNK = f"{NETWORK}.{CORRUPT[0]}./{CORRUPT[1]}"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return make_sds_archive(tmp_path_factory.mktemp("sds"))


@pytest.fixture(scope="module")
def cluster():
    """The scheduler address of a local cluster of 2 worker processes, 1 thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local.scheduler_address


def run(archive: Path, out: Path, cluster: str, model=None, **kwargs):
    return pick_archive(
        archive,
        out,
        model if model is not None else OnsetPicker(),
        scheduler_address=cluster,
        progress=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def reference(archive, cluster, tmp_path_factory):
    """An uninterrupted run: (summary, merged picks, output folder)."""
    out = tmp_path_factory.mktemp("reference")
    summary = run(archive, out, cluster)
    return summary, pd.read_parquet(out / "picks.parquet"), out


def expected_events() -> list[tuple[str, obspy.UTCDateTime]]:
    """Events on station-days that can be picked (not the corrupt chunk's day)."""
    return [
        (station, obspy.UTCDateTime(onset))
        for station, onset in EVENTS
        if (station, onset[:10]) != CORRUPT[:2]
    ]


def test_events_picked_within_tolerance(reference):
    summary, picks, _ = reference
    p_picks = picks[picks["phase"] == "P"]
    assert summary.picks == {"P": len(expected_events())}
    for station, onset in expected_events():
        mine = p_picks[p_picks["trace_id"] == f"{NETWORK}.{station}."]
        errors = [abs(obspy.UTCDateTime(t.isoformat()) - onset) for t in mine["peak_time"]]
        assert sum(e <= TOLERANCE for e in errors) == 1, (station, str(onset), errors)


def test_boundary_event_once_in_its_day(reference):
    _, picks, out = reference
    station, onset = BOUNDARY_EVENT
    onset = obspy.UTCDateTime(onset)
    near = [
        t
        for t in picks["peak_time"]
        if abs(obspy.UTCDateTime(t.isoformat()) - onset) <= 5 * TOLERANCE
    ]
    assert len(near) == 1
    # both neighbouring chunks saw it (margins); only the chunk of its peak's day kept it
    day1 = pd.read_csv(out / "chunks" / f"{NETWORK}.{station}." / f"{DAYS[0]}.csv")
    day2 = pd.read_csv(out / "chunks" / f"{NETWORK}.{station}." / f"{DAYS[1]}.csv")
    assert (day1["peak_time"].str[:10] == DAYS[0]).all()
    assert (day2["peak_time"].str[:10] == DAYS[1]).all()
    assert len(day1) == 2 and len(day2) == 1


def test_corrupt_file_reported_and_others_go_on(reference, archive):
    summary, _, out = reference
    corrupt = str(sds_path(archive, CORRUPT[0], CORRUPT[2], CORRUPT[1]))
    assert [path for path, _ in summary.unreadable_files] == [corrupt]
    assert list(summary.failed) == [CORRUPT_CHUNK]
    assert corrupt in summary.failed[CORRUPT_CHUNK]
    assert summary.chunks == 8 and summary.done == 7 and summary.skipped == 0
    failed = pd.read_csv(out / "failed.csv")
    assert failed["chunk"].tolist() == [CORRUPT_CHUNK]
    assert not (out / "chunks" / f"{NETWORK}.{CORRUPT[0]}." / f"{CORRUPT[1]}.csv").exists()


def test_missing_day_is_no_chunk(reference):
    summary, picks, out = reference
    assert summary.no_data == [f"{NETWORK}.{MISSING[0]}./{MISSING[1]}"]
    assert not (out / "chunks" / f"{NETWORK}.{MISSING[0]}." / f"{MISSING[1]}.csv").exists()
    # the event 50 s before the missing day is still picked (its margin has no data)
    assert (picks["trace_id"] == f"{NETWORK}.{MISSING[0]}.").sum() == 2


def test_outputs_and_summary(reference, tmp_path):
    summary, picks, out = reference
    csv = pd.read_csv(out / "picks.csv")
    assert len(csv) == len(picks) and list(csv.columns) == list(picks.columns)
    assert csv["peak_time"].str.endswith("Z").all()
    assert isinstance(picks["peak_time"].dtype, pd.DatetimeTZDtype)
    assert str(picks["peak_time"].dt.tz) == "UTC"
    text = summary.text()
    assert "8: 7 done, 0 skipped (done earlier), 1 failed" in text
    assert f"P {len(expected_events())}" in text and "station-days per hour" in text


def test_injected_failures_are_recorded_then_resumed(reference, archive, cluster, tmp_path):
    _, ref_picks, _ = reference
    first = run(archive, tmp_path, cluster, OnsetPicker(fail_first=1), retries=0)
    injected = {k: v for k, v in first.failed.items() if k != CORRUPT_CHUNK}
    assert 1 <= len(injected) <= 2  # each worker's first chunk
    assert all(v == "RuntimeError: injected failure" for v in injected.values())
    assert first.done == 7 - len(injected)

    second = run(archive, tmp_path, cluster)
    assert second.skipped == first.done and second.done == len(injected)
    assert list(second.failed) == [CORRUPT_CHUNK]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "picks.parquet"), ref_picks)


def test_dask_retries_recover_a_failing_worker(reference, archive, cluster, tmp_path):
    summary = run(archive, tmp_path, cluster, OnsetPicker(fail_first=1), retries=1)
    assert list(summary.failed) == [CORRUPT_CHUNK] and summary.done == 7
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "picks.parquet"), reference[1])


def test_other_run_in_same_folder_is_refused(reference, archive, cluster):
    _, _, out = reference
    with pytest.raises(ValueError, match="another run .*classify_args"):
        run(archive, out, cluster, P_threshold=0.7)


def test_ps_separation_is_refused_for_a_model_without_the_rule(archive, cluster, tmp_path):
    with pytest.raises(ValueError, match="ps_separation applies to SeisMoLLM and SeisMoE only"):
        run(archive, tmp_path, cluster, ps_separation=0.3)
    assert not (tmp_path / "picks.csv").exists()


def test_killed_run_resumes_to_the_same_picks(reference, archive, cluster, tmp_path):
    """A run killed (SIGKILL) after some chunks were written, then rerun."""
    here = Path(__file__).parent
    script = textwrap.dedent(
        f"""
        from picking_archive import OnsetPicker
        from seisbench_llm.picking import pick_archive
        pick_archive({str(archive)!r}, {str(tmp_path)!r}, OnsetPicker(delay=0.02),
                     scheduler_address={cluster!r}, progress=False)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here.parent), str(here)])}
    process = subprocess.Popen([sys.executable, "-c", script], env=env)
    chunks = tmp_path / "chunks"
    deadline = time.monotonic() + 120
    while len(list(chunks.glob("*/*.csv"))) < 2 and process.poll() is None:
        assert time.monotonic() < deadline, "no chunk written in 120 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = len(list(chunks.glob("*/*.csv")))
    assert 2 <= written < 7, "the run was not killed midway"
    assert not (tmp_path / "picks.csv").exists()

    time.sleep(1.0)  # tasks of the killed client may still finish; either way is fine
    resumed = run(archive, tmp_path, cluster)
    assert resumed.skipped >= written and resumed.skipped + resumed.done == 7
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "picks.parquet"), reference[1])
    again = run(archive, tmp_path, cluster)
    assert again.skipped == 7 and again.done == 0 and list(again.failed) == [CORRUPT_CHUNK]


def test_chunks_equal_one_classify_of_the_stream(archive, cluster, tmp_path):
    """Chunk bookkeeping: with a low threshold (thousands of picks on noise, some close to
    midnight) the chunked run gives exactly the picks of one classify over the whole stream cut
    at the first chunk's read start (same window grid), keeping those of the picked days."""
    from seisbench_llm.picking.chunks import window_geometry

    model = OnsetPicker()
    stream = obspy.read(str(archive / "2024" / NETWORK / "ST01" / "*" / "*"))
    stream.merge(method=-1)
    margin, grid = window_geometry(model, model.default_args)
    day_start = obspy.UTCDateTime(DAYS[1]).timestamp
    stream.trim(obspy.UTCDateTime((day_start - margin) // grid * grid), nearest_sample=True)
    expected = [
        (p.phase, str(p.peak_time), round(float(p.peak_value), 4))
        for p in model.classify(stream, P_threshold=0.1).picks
        if p.peak_time >= obspy.UTCDateTime(DAYS[1])
    ]
    summary = run(
        archive,
        tmp_path,
        cluster,
        select=[f"{NETWORK}.ST01"],
        start=DAYS[1],
        end=DAYS[2],
        P_threshold=0.1,
    )
    assert summary.chunks == 2 and summary.done == 2 and summary.picks["P"] > 1000
    picks = pd.read_parquet(tmp_path / "picks.parquet")
    got = [
        (phase, str(obspy.UTCDateTime(t.isoformat())), value)
        for phase, t, value in zip(
            picks["phase"], picks["peak_time"], picks["peak_value"], strict=True
        )
    ]
    assert got == expected
    midnight = obspy.UTCDateTime(DAYS[2])
    assert any(abs(obspy.UTCDateTime(t) - midnight) < 60 for _, t, _ in got)


def test_cli_with_a_weight_file(archive, cluster, tmp_path, capsys):
    """`seisbench-llm pick` with a (random, 10 Hz) PhaseNet saved as a weight pair: the workers
    load it by path; picks stay in their day; QuakeML; a rerun skips the finished chunk."""
    import seisbench.models as sbm

    sbm.PhaseNet(sampling_rate=10.0).save(tmp_path / "phasenet_test")
    out = tmp_path / "out"
    argv = [
        "pick",
        str(archive),
        "--model",
        "phasenet",
        "--weights",
        str(tmp_path / "phasenet_test"),
    ]
    argv += ["--out", str(out), "--scheduler", cluster, "--select", f"{NETWORK}.ST01..HH?"]
    argv += ["--start", DAYS[1], "--end", DAYS[1], "--no-progress"]
    argv += ["--quakeml", str(tmp_path / "picks.xml")]
    assert main(argv) == 0
    assert "Chunks (station-days): 1: 1 done, 0 skipped" in capsys.readouterr().out
    picks = pd.read_csv(out / "picks.csv")
    chunk = pd.read_csv(out / "chunks" / f"{NETWORK}.ST01." / f"{DAYS[1]}.csv")
    assert len(picks) == len(chunk) and (picks["peak_time"].str[:10] == DAYS[1]).all()
    assert len(obspy.read_events(str(tmp_path / "picks.xml"))[0].picks) == len(picks)
    assert main(argv) == 0 and "1 skipped (done earlier)" in capsys.readouterr().out


def test_cli_errors_are_one_line(archive, tmp_path, capsys):
    base = ["pick", str(archive), "--model", "PhaseNet", "--out", str(tmp_path)]
    assert main([*base, "--weights", str(tmp_path / "absent")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("seisbench-llm pick: error: weight file(s) not found")
    assert len(err.splitlines()) == 1
    torch_model = tmp_path / "w"
    import seisbench.models as sbm

    sbm.PhaseNet(sampling_rate=10.0).save(torch_model)
    assert main([*base, "--weights", str(torch_model), "--start", "yesterday-ish"]) == 1
    assert "start 'yesterday-ish' is not a date" in capsys.readouterr().err
    assert main([*base, "--weights", str(torch_model), "--select", "A.B.C.D.E"]) == 1
    assert "is not NET[.STA[.LOC[.CHA]]]" in capsys.readouterr().err


def test_folder_index_matches_sds_and_is_cached(archive, tmp_path, monkeypatch):
    """A plain folder (layout detected) indexes to the same traces as the SDS tree; the index
    is cached: unchanged files are not read again, a changed file is."""
    import shutil

    from seisbench_llm.picking import archive as archive_module
    from seisbench_llm.picking.archive import detect_layout, index_archive
    from seisbench_llm.picking.chunks import plan_chunks

    folder = tmp_path / "flat"
    folder.mkdir()
    for path in archive.rglob("*.D.*"):
        shutil.copy(path, folder / f"{path.name}.mseed")
    assert detect_layout(archive) == "sds" and detect_layout(folder) == "folder"
    cache = tmp_path / "index.parquet"
    flat = index_archive(folder, cache=cache, progress=False)
    sds = index_archive(archive, progress=False)
    assert len(flat) == len(sds) == 3 * 3 * 3 - 3  # 3 stations x 3 days x 3 channels, 1 day missing
    unreadable = flat[flat["reason"] != ""]
    assert len(unreadable) == 1 and unreadable["station"].iloc[0] == ""  # station unknown
    columns = ["network", "station", "channel", "start", "end"]
    key = sorted(map(tuple, flat[flat["reason"] == ""][columns].to_numpy()))
    assert key == sorted(map(tuple, sds[sds["reason"] == ""][columns].to_numpy()))
    chunks, empty = plan_chunks(flat, 90.0, 30.0)
    assert len(chunks) == 8 and empty == [(f"{NETWORK}.{MISSING[0]}.", MISSING[1])]

    read = []
    original = archive_module._header_rows
    monkeypatch.setattr(
        archive_module, "_header_rows", lambda p, m: read.append(p) or original(p, m)
    )
    again = index_archive(folder, cache=cache, progress=False)
    assert read == [] and len(again) == len(flat)
    changed = sorted(folder.iterdir())[0]
    os.utime(changed, (time.time() + 10, time.time() + 10))
    index_archive(folder, cache=cache, progress=False)
    assert read == [changed]


def test_selection_patterns():
    from seisbench_llm.picking.archive import matches, seed_pattern

    assert seed_pattern("XX") == "XX.*.*.*" and seed_pattern("XX.ST0?") == "XX.ST0?.*.*"
    assert matches("XX.ST01..HHZ", ["YY", "XX.ST0[12]..HH?"])
    assert not matches("XX.ST03..HHZ", ["XX.ST0[12]"])
    with pytest.raises(ValueError, match="NET\\[.STA"):
        seed_pattern("A.B.C.D.E")


def test_callers_model_instance_is_left_as_it_was(archive, cluster, tmp_path):
    """The model instance given to pick_archive keeps its class (it travels to the workers)."""
    model = OnsetPicker()
    run(archive, tmp_path / "out", cluster, model=model, select=["XX.ST02"])
    assert type(model) is OnsetPicker
