"""benchmarks/demo_spread.py: the per-seed table and its spread, on hand-made demo results."""

import pytest
from scripts import load_benchmark
from seisbench.util import Pick

from seisbench_llm.data.real_events import real_events
from seisbench_llm.demo.report import DEMO_PICKER, DemoResult
from seisbench_llm.real_eval import CLASSICAL, evaluate


@pytest.fixture(scope="module")
def spread():
    return load_benchmark("demo_spread")


def _result(tmp_path, f1_p, f1_s, s_on_p):
    """A demo result: given F1s; on RJOB_2009 + UH3_2010a a picker hitting P exactly and S
    0.2 s late, plus an S on the P onset of the first record if ``s_on_p``."""
    records = real_events(["RJOB_2009", "UH3_2010a"])

    def picker(stream):
        rec = next(r for r in records if r.stream[0].stats.starttime == stream[0].stats.starttime)
        p, s = rec.picks["P"].time, rec.picks["S"].time + 0.2
        picks = [Pick("X.Y.", p, peak_time=p, phase="P"), Pick("X.Y.", s, peak_time=s, phase="S")]
        if s_on_p and rec is records[0]:
            picks.append(Pick("X.Y.", p, peak_time=p, phase="S"))
        return picks

    real_rows, _ = evaluate({DEMO_PICKER: picker, CLASSICAL: lambda st: []}, records)
    rows = [
        {"model": "seismollm", "target": "P", "f1": f1_p},
        {"model": "seismollm", "target": "S", "f1": f1_s},
    ]
    return DemoResult(
        out_dir=tmp_path,
        rows=rows,
        weights=tmp_path / "w.json.v1",
        weight_name="synthetic",
        weight_version="1",
        gpt2=None,
        real_rows=real_rows,
        durations={"train seismollm": 600.0, "total": 840.0},
        steps={"seismollm": (1500, 0.4)},
        precision="bfloat16",
    )


def test_seed_rows_and_spread(spread, tmp_path):
    good = spread.seed_row(_result(tmp_path, 92.0, 85.0, s_on_p=False), 0)
    bad = spread.seed_row(_result(tmp_path, 88.0, 75.0, s_on_p=True), 1)
    assert good["real P hits"] == 2 and good["real S hits"] == 2
    assert good["real S on P"] == 0 and bad["real S on P"] == 1
    assert good["synthetic targets met"] and good["real targets met"]
    assert not bad["synthetic targets met"] and not bad["real targets met"]
    assert good["train min"] == 10.0 and good["total min"] == 14.0 and good["s per step"] == 0.4
    text = spread.spread_markdown([good, bad], "default")
    assert "2 judged P and 2 judged S onsets" in text
    assert "| mean | 90.00 | 80.00 |" in text
    assert "| min | 88.00 | 75.00 |" in text
    assert "| max | 92.00 | 85.00 |" in text
    assert good["precision"] == "bfloat16"
    assert (
        "| met | met | 10.00 | 0.40 | bfloat16 | 14.00 |" in text and "| missed | missed |" in text
    )


def test_main_refuses_repeated_seeds_and_used_folders(spread, tmp_path, capsys):
    assert spread.main(["--seeds", "1", "1", "--out", str(tmp_path)]) == 2
    assert "repeats" in capsys.readouterr().err
    (tmp_path / "seed_0").mkdir()
    (tmp_path / "seed_0" / "x").write_text("earlier run")
    assert spread.main(["--seeds", "0", "--out", str(tmp_path)]) == 2
    assert "seed_0" in capsys.readouterr().err
