"""``seisbench-llm`` output locations, run through a real subprocess: checked before any work, never
a traceback, earlier runs kept unless --overwrite, corrupt weights marked in ``list``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import obspy
import pytest
import seisbench
import torch
from test_diting import make_diting
from test_entry_points import read_only_dir  # noqa: F401  (a fixture)

from seisbench_llm import SeisMoLLM, export_weights
from seisbench_llm.benchmarking import TINY_SEISMOLLM

REPO = Path(__file__).parents[1]


def cli(*argv: str) -> subprocess.CompletedProcess:
    """Run ``seisbench-llm`` in a fresh process with this session's SeisBench cache, offline."""
    env = {
        **os.environ,
        "SEISBENCH_CACHE_ROOT": str(seisbench.cache_root),
        "SEISBENCH_LLM_REMOTE_ROOT": "off",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "seisbench_llm.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> None:
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and err.count("\n") == 0, err
    for text in expected:
        assert text in err, err


@pytest.fixture(scope="module")
def waveforms(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("waveforms")
    obspy.read().write(str(folder / "example.mseed"), format="MSEED")
    torch.manual_seed(0)
    export_weights(SeisMoLLM(**TINY_SEISMOLLM), "outtest")
    return folder


def annotate(waveforms: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    argv = ["annotate", str(waveforms), "--model", "SeisMoLLM", "--weights", "outtest"]
    return cli(*argv, "--out", str(out), "--P-threshold", "0.01", *extra)


@pytest.mark.slow
def test_rerun_into_an_earlier_run_is_refused_unless_overwrite(waveforms, tmp_path):
    """Three real ``annotate`` processes (about a minute on a loaded 2-core machine); the same
    through ``cli.main`` in one process is in ``test_rerun_in_process``."""
    out = tmp_path / "out"
    assert annotate(waveforms, out, "--plot").returncode == 0
    assert (out / "BW.RJOB.png").is_file() and (out / "run.json").is_file()
    before = (out / "picks.csv").read_text()
    (out / "notes.txt").write_text("mine")

    assert_one_line_error(annotate(waveforms, out), "holds an earlier run", "--overwrite")
    assert (out / "picks.csv").read_text() == before and (out / "BW.RJOB.png").is_file()

    proc = annotate(waveforms, out, "--overwrite")  # no --plot this time
    assert proc.returncode == 0, proc.stderr
    assert not (out / "BW.RJOB.png").exists()  # the earlier run's plot is gone
    assert (out / "notes.txt").read_text() == "mine"  # files not written by a run are kept
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "picks.csv", "run.json"]


def test_picks_csv_that_is_a_folder_is_refused_up_front(waveforms, tmp_path):
    out = tmp_path / "out"
    (out / "picks.csv").mkdir(parents=True)
    proc = annotate(waveforms, out)
    assert_one_line_error(proc, "picks.csv is a folder")
    assert "Stations:" not in proc.stdout  # nothing was annotated


def test_read_only_out_is_refused_up_front(waveforms, read_only_dir):  # noqa: F811
    proc = annotate(waveforms, read_only_dir / "sub")
    assert_one_line_error(proc, "--out", str(read_only_dir))
    assert "Stations:" not in proc.stdout


def test_rerun_in_process(waveforms, tmp_path, capsys, read_only_dir):  # noqa: F811
    from seisbench_llm import cli as command

    out = tmp_path / "out"
    argv = ["annotate", str(waveforms), "--model", "SeisMoLLM", "--weights", "outtest"]
    argv += ["--out", str(out), "--P-threshold", "0.01"]
    assert command.main([*argv, "--plot"]) == 0
    before = (out / "picks.csv").read_text()
    capsys.readouterr()
    assert command.main(argv) == 1
    assert "holds an earlier run" in capsys.readouterr().err
    assert (out / "picks.csv").read_text() == before
    assert command.main([*argv, "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["picks.csv", "run.json"]  # plot removed
    assert command.main([*argv[:-2], "--out", str(read_only_dir)]) == 1
    assert "not writable" in capsys.readouterr().err


def test_convert_diting_into_read_only_destination(tmp_path, read_only_dir):  # noqa: F811
    fixture = make_diting(tmp_path / "src")
    proc = cli("convert-diting", str(fixture.src), str(read_only_dir / "dst"), "--no-progress")
    assert_one_line_error(proc, "destination", str(read_only_dir))
    assert "conversion" not in proc.stdout  # refused before any row was read


def test_list_marks_a_truncated_pt_as_corrupt(waveforms):
    path = export_weights(SeisMoLLM(**TINY_SEISMOLLM), "truncated")
    pt = path.with_name(path.name.replace(".json", ".pt"))
    pt.write_bytes(pt.read_bytes()[:300])
    proc = cli("list", "--model", "SeisMoLLM")
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if " truncated " in line)
    assert "CORRUPT" in line and pt.name in line
    good = next(line for line in proc.stdout.splitlines() if " outtest " in line)
    assert " ok " in good


def test_full_disk_while_writing_leaves_no_partial_file(waveforms, tmp_path, capsys, monkeypatch):
    import errno

    from seisbench_llm import cli as command
    from seisbench_llm.cli import annotate as annotate_module

    def full_disk(path, picks, sources):
        Path(path).write_text("trace_id,pha")  # half a file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(annotate_module, "write_picks_csv", full_disk)
    out = tmp_path / "out"
    argv = ["annotate", str(waveforms), "--model", "SeisMoLLM", "--weights", "outtest"]
    assert command.main([*argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert "No space left on device" in err and "Traceback" not in err and "\n" not in err
    assert list(out.iterdir()) == []  # neither a partial picks.csv nor a temporary file
