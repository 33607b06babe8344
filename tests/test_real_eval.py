"""The real evaluation set (built from ObsPy's files), its scorer and benchmarks/real_eval.py."""

import csv
import math

import numpy as np
import pytest
from obspy import UTCDateTime
from scripts import load_benchmark
from seisbench.util import Pick

from seisbench_llm.data.real_events import (
    ORIGINS,
    SPECS,
    ReferencePick,
    obspy_data_dir,
    real_events,
    score_picks,
    summarize,
)

T0 = UTCDateTime("2020-01-01T00:00:00")


@pytest.fixture(scope="module")
def real_eval():
    return load_benchmark("real_eval")


def refs(p=10.0, s=12.0):
    out = {}
    if p is not None:
        out["P"] = ReferencePick("P", T0 + p, "read", "test")
    if s is not None:
        out["S"] = ReferencePick("S", T0 + s, "analyst", "test")
    return out


def pick(phase, t):
    return Pick("XX.STA.", start_time=T0 + t, peak_time=T0 + t, phase=phase)


def test_score_exact_and_signed_errors():
    scores = score_picks(refs(), [pick("P", 10.1), pick("S", 11.8)])
    assert scores["P"].error == pytest.approx(0.1)
    assert scores["S"].error == pytest.approx(-0.2)
    for phase in "PS":
        assert (scores[phase].missed, scores[phase].spurious, scores[phase].confusions) == (0, 0, 0)


def test_score_s_on_p_onset_is_a_confusion_and_a_miss():
    scores = score_picks(refs(), [pick("P", 10.0), pick("S", 10.05)])
    assert scores["S"].confusions == 1
    assert scores["S"].missed == 1
    assert scores["S"].spurious == 0
    assert scores["S"].error is None
    assert scores["P"].error == pytest.approx(0.0)


def test_score_p_on_s_onset_duplicates_far_picks_and_misses():
    picks = [pick("P", 10.2), pick("P", 9.9), pick("P", 0.0), pick("P", 12.1), pick("D", 10.0)]
    scores = score_picks(refs(), picks)
    assert scores["P"].error == pytest.approx(-0.1)  # the nearest of the two within 0.5 s
    assert scores["P"].spurious == 2  # the other near one and the one at 0 s
    assert scores["P"].confusions == 1  # the one on the S onset
    assert scores["S"].missed == 1 and scores["S"].spurious == 0


def test_score_tolerance_edges():
    assert score_picks(refs(), [pick("P", 10.5)], tolerance=0.5)["P"].missed == 0
    assert score_picks(refs(), [pick("P", 10.51)], tolerance=0.5)["P"].missed == 1
    assert score_picks(refs(), [pick("P", 10.51)], tolerance=0.5)["P"].spurious == 1
    with pytest.raises(ValueError, match="tolerance"):
        score_picks(refs(), [], tolerance=0)


def test_score_unjudged_phase_counts_only_confusions():
    scores = score_picks(refs(s=None), [pick("P", 10.0), pick("S", 10.1), pick("S", 14.0)])
    assert scores["S"].reference is None
    assert (scores["S"].missed, scores["S"].spurious, scores["S"].confusions) == (0, 0, 1)
    assert scores["P"].missed == 0


def test_summarize_totals():
    per_record = [
        score_picks(refs(), [pick("P", 10.1), pick("S", 12.3)]),
        score_picks(refs(), [pick("P", 9.7), pick("S", 10.0), pick("P", 20.0)]),
        score_picks(refs(s=None), []),
    ]
    total = summarize(per_record)
    assert total["P_references"] == 3 and total["S_references"] == 2
    assert total["P_hits"] == 2 and total["P_missed"] == 1 and total["P_spurious"] == 1
    assert total["S_hits"] == 1 and total["S_missed"] == 1 and total["S_confusions"] == 1
    assert total["P_median_abs_error"] == pytest.approx(0.2)
    assert total["P_max_abs_error"] == pytest.approx(0.3)
    assert total["S_median_abs_error"] == pytest.approx(0.3)
    assert math.isnan(summarize([score_picks(refs(), [])])["P_median_abs_error"])


@pytest.fixture(scope="module")
def records():
    return real_events()


def test_loader_records_have_references_inside_traces_and_sources(records):
    assert [r.name for r in records] == [s.name for s in SPECS]
    assert len({r.name for r in records}) == len(records)
    root = obspy_data_dir()
    for rec in records:
        assert rec.picks and rec.source.startswith("obspy ") and rec.description
        for phase, ref in rec.picks.items():
            assert ref.phase == phase and ref.origin in ORIGINS and ref.source
            for tr in rec.stream:
                assert len(tr) > 0 and np.all(np.isfinite(tr.data))
                assert tr.stats.starttime < ref.time < tr.stats.endtime
                assert tr.stats.channel[-1] in "ZNE"
        if "P" in rec.picks and "S" in rec.picks:
            assert rec.picks["S"].time - rec.picks["P"].time > 0.5
        for name in rec.source.split(": ", 1)[1].split(", "):
            if "/" in name:  # files of the obspy package (globs allowed)
                assert list(root.glob(name.replace("[zne]", "*"))), name
    origins = {ref.origin for rec in records for ref in rec.picks.values()}
    assert origins == set(ORIGINS)


def test_loader_analyst_pick_from_sac_header():
    (rec,) = real_events(["CDV_1981"])
    ref = rec.picks["P"]
    assert ref.origin == "analyst" and "SAC header A" in ref.source
    sac = rec.stream[0].stats.sac
    assert ref.time - rec.stream[0].stats.starttime == pytest.approx(sac.a - sac.b, abs=1e-3)


def test_loader_unknown_name():
    with pytest.raises(ValueError, match="unknown real record"):
        real_events(["nope"])


def test_classical_picker_on_one_record(real_eval):
    (rec,) = real_events(["UH3_2010a"])
    picks = real_eval.classical_picks(rec.stream)
    assert {p.phase for p in picks} == {"P", "S"}
    assert all(p.trace_id == "BW.UH3." for p in picks)
    scores = score_picks(rec.picks, picks)
    assert abs(scores["P"].error) < 0.2
    assert abs(scores["S"].error) < 0.5


def test_classical_picker_vertical_only_gives_p_only(real_eval):
    (rec,) = real_events(["CDV_1981"])
    assert all(p.phase == "P" for p in real_eval.classical_picks(rec.stream))


def test_evaluate_tables_csv_and_figure(real_eval, tmp_path):
    recs = real_events(["RJOB_2009", "CER_2005"])

    def perfect_but_s_on_p(stream):
        rec = next(r for r in recs if r.stream[0].stats.starttime == stream[0].stats.starttime)
        ref = rec.picks["P"].time
        return [
            Pick("X.Y.", ref, peak_time=ref, phase="P"),
            Pick("X.Y.", ref, peak_time=ref, phase="S"),
        ]

    rows, picks = real_eval.evaluate({"toy": perfect_but_s_on_p}, recs)
    (summary,) = real_eval.summary_rows(rows)
    assert summary["P_hits"] == 2 and summary["P_missed"] == 0
    assert summary["S_references"] == 1 and summary["S_missed"] == 1
    assert summary["S_confusions"] == 2
    table = real_eval.markdown_tables(rows, 0.5)
    assert "| toy | 2/2 | 0.000 |" in table
    real_eval.write_csv(tmp_path / "rows.csv", rows)
    with open(tmp_path / "rows.csv") as f:
        read = list(csv.DictReader(f))
    assert [r["record"] for r in read] == ["RJOB_2009", "CER_2005"]
    assert read[0]["S_confusions"] == "1"
    figure = real_eval.plot_records(tmp_path / "fig.png", "toy", recs, picks["toy"])
    assert figure.stat().st_size > 10_000


def test_main_classical_only(real_eval, tmp_path, capsys):
    assert real_eval.main(["--records", "UH3_2010b", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| UH3_2010b |" in out and "classical" in out
    assert (tmp_path / "summary.csv").is_file() and (tmp_path / "per_record.csv").is_file()
    assert list(tmp_path.glob("real_classical*.png"))


def test_main_errors(real_eval, tmp_path, capsys):
    assert real_eval.main(["SeisMoLLM:no_such_weights", "--out", str(tmp_path)]) == 2
    assert "no_such_weights" in capsys.readouterr().err
    assert real_eval.main(["--records", "nope", "--out", str(tmp_path)]) == 2
    assert real_eval.main(["--no-classical", "--out", str(tmp_path)]) == 2
    with pytest.raises(SystemExit):
        real_eval.main(["SeisMoLLM"])


def test_main_scores_registry_weights(real_eval, tmp_path, capsys):
    import torch

    from seisbench_llm import SeisMoLLM, export_weights
    from seisbench_llm.benchmarking import TINY_SEISMOLLM

    torch.manual_seed(0)
    export_weights(SeisMoLLM(**TINY_SEISMOLLM), "realevaltest")
    argv = ["SeisMoLLM:realevaltest", "--records", "CDV_1981", "RJOB_2009", "--out", str(tmp_path)]
    assert real_eval.main(argv) == 0
    out = capsys.readouterr().out
    assert "| SeisMoLLM:realevaltest |" in out and "| classical" in out
    with open(tmp_path / "summary.csv") as f:
        summary = list(csv.DictReader(f))
    assert [s["picker"] for s in summary] == ["SeisMoLLM:realevaltest", real_eval.CLASSICAL]
    assert all(s["P_references"] == "2" and s["S_references"] == "1" for s in summary)
    assert (tmp_path / "real_SeisMoLLM_realevaltest.png").is_file()


def test_real_targets_on_hand_made_summaries():
    from seisbench_llm.real_eval import REAL_TARGETS, real_targets

    good = {"P_hits": 7, "P_references": 7, "S_hits": 3, "S_references": 4, "S_confusions": 0}
    assert real_targets(good) == dict.fromkeys(REAL_TARGETS, True)
    one_p_missed = {**good, "P_hits": 6}
    assert list(real_targets(one_p_missed).values()) == [False, True, True]
    half_s = {**good, "S_hits": 2}  # half is not "most"
    assert list(real_targets(half_s).values()) == [True, False, True]
    s_on_p = {**good, "S_confusions": 1}
    assert list(real_targets(s_on_p).values()) == [True, True, False]
