"""Metrics of both evaluation protocols on hand-made cases with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sklearn_metrics

from seisbench_llm.training.metrics import (
    best_f1_threshold,
    best_mcc_threshold,
    matthews_corrcoef,
    phase_score,
    pick_metrics,
    polarity_metrics,
    precision_recall_f1,
    regression_metrics,
    residual_stats,
    roc_auc,
    top1_picks,
    wrap_degrees,
)
from seisbench_llm.training.plots import residual_histogram
from seisbench_llm.training.protocol_a import evaluate_protocol_a, window_scores
from seisbench_llm.training.reports import results_table

SR = 100.0
T = 1000


def _curve(*bumps: tuple[int, float]) -> np.ndarray:
    """Probability curve with Gaussian bumps (centre sample, height), sigma 5 samples."""
    t = np.arange(T)
    out = np.zeros(T)
    for centre, height in bumps:
        out = np.maximum(out, height * np.exp(-0.5 * ((t - centre) / 5.0) ** 2))
    return out


# --------------------------------------------------------------------------------------------
# Protocol B
# --------------------------------------------------------------------------------------------
@pytest.fixture
def pick_case() -> tuple[np.ndarray, np.ndarray]:
    nan = np.nan
    cases = [
        (300, [(305, 0.9)]),  # TP, residual +5
        (500, [(510, 0.9)]),  # TP just inside 0.1 s (10 samples), residual +10
        (400, [(389, 0.9)]),  # just outside (11 samples): FP and FN
        (nan, [(600, 0.8)]),  # noise trace with a false pick: FP
        (700, [(700, 0.2)]),  # peak below 0.3: missed label, FN
        (nan, []),  # noise, no pick: TN
        (200, [(203, 0.5), (800, 0.6)]),  # top-1 is the wrong, higher peak: FP and FN
        (250, [(247, 0.7)]),  # TP, residual -3
        (900, [(900, 0.4)]),  # TP, residual 0
        (nan, [(100, 0.35)]),  # FP
    ]
    true = np.array([c[0] for c in cases], dtype=float)
    prob = np.stack([_curve(*c[1]) for c in cases])
    return prob, true


def test_top1_picks(pick_case):
    prob, _ = pick_case
    picks = top1_picks(prob, SR)
    expected = [305, 510, 389, 600, np.nan, np.nan, 800, 247, 900, 100]
    np.testing.assert_array_equal(picks, expected)


def test_pick_metrics_counts_and_scores(pick_case):
    prob, true = pick_case
    m = pick_metrics(prob, true, SR, threshold=0.3, tolerance_s=0.1, min_distance_s=1.0)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (4, 4, 3, 1)
    assert m["n_traces"] == 10
    assert m["n_labelled"] == 7
    assert m["precision"] == pytest.approx(100 * 4 / 8)
    assert m["recall"] == pytest.approx(100 * 4 / 7)
    assert m["f1"] == pytest.approx(100 * 8 / 15)  # 2 TP / (2 TP + FP + FN)
    np.testing.assert_array_equal(np.sort(m["residuals"]), [-3, 0, 5, 10])
    assert m["residual_mean"] == pytest.approx(3.0)
    assert m["residual_std"] == pytest.approx(math.sqrt(24.5))


def test_pick_metrics_two_mae_definitions(pick_case):
    prob, true = pick_case
    m = pick_metrics(prob, true, SR)
    # TP-only: (5 + 10 + 3 + 0) / 4 TPs; original: same sum over the 7 labelled traces.
    assert m["mae"] == pytest.approx(18 / 4)
    assert m["mae_all_traces"] == pytest.approx(18 / 7)
    assert m["mae_all_traces"] < m["mae"]


def test_pick_metrics_tolerance_edges():
    prob = np.stack([_curve((510, 0.9)), _curve((511, 0.9)), _curve((489, 0.9))])
    m = pick_metrics(prob, [500, 500, 500], SR, tolerance_s=0.1)
    assert (m["tp"], m["fp"], m["fn"]) == (1, 2, 2)
    # a wider tolerance accepts all three
    assert pick_metrics(prob, [500, 500, 500], SR, tolerance_s=0.12)["tp"] == 3


def test_pick_metrics_ragged_and_no_tp():
    m = pick_metrics([np.zeros(50), np.zeros(80)], [10.0, np.nan], SR)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (0, 0, 1, 1)
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f1"] == 0.0
    assert math.isnan(m["mae"]) and m["mae_all_traces"] == 0.0


def test_polarity_metrics_macro_f1():
    pred = [0, 0, 0, 0, 1, 1, 0]
    true = [0, 0, 0, 1, 1, -1, -1]
    m = polarity_metrics(pred, true)
    # up: P 3/4, R 1, F1 6/7; down: P 1, R 1/2, F1 2/3
    assert m["n"] == 5
    assert m["precision_up"] == pytest.approx(75.0)
    assert m["recall_up"] == pytest.approx(100.0)
    assert m["f1_up"] == pytest.approx(100 * 6 / 7)
    assert m["precision_down"] == pytest.approx(100.0)
    assert m["recall_down"] == pytest.approx(50.0)
    assert m["f1_down"] == pytest.approx(100 * 2 / 3)
    assert m["macro_f1"] == pytest.approx(100 * 16 / 21)
    assert m["accuracy"] == pytest.approx(80.0)
    # class scores are reduced by argmax
    scores = np.eye(2)[pred]
    assert polarity_metrics(scores, true)["macro_f1"] == pytest.approx(m["macro_f1"])


def test_regression_metrics_known_values():
    true = np.array([1.0, 2.0, 3.0, 4.0])
    perfect = regression_metrics(true, true)
    assert perfect["r2"] == 1.0 and perfect["mae"] == 0.0
    mean = regression_metrics(np.full(4, true.mean()), true)
    assert mean["r2"] == pytest.approx(0.0)

    m = regression_metrics([1.5, 2.0, 2.0, 5.0], true)  # target - prediction: -.5, 0, 1, -1
    assert m["mae"] == pytest.approx(0.625)
    assert m["rmse"] == pytest.approx(math.sqrt(2.25 / 4))
    assert m["r2"] == pytest.approx(1 - 2.25 / 5.0)
    assert m["residual_mean"] == pytest.approx(-0.125)
    assert m["residual_std"] == pytest.approx(math.sqrt(2.1875 / 4))
    assert m["n"] == 4
    # NaN pairs are ignored
    assert regression_metrics([1.5, np.nan], [1.0, 2.0])["n"] == 1


def test_back_azimuth_wrap():
    assert wrap_degrees(358.0) == pytest.approx(-2.0)
    assert wrap_degrees(-180.0) == pytest.approx(-180.0)
    assert wrap_degrees(180.0) == pytest.approx(-180.0)
    m = regression_metrics([1.0, 359.0], [359.0, 1.0], wrap_degrees=True)
    assert m["mae"] == pytest.approx(2.0)  # not 358
    assert m["residual_mean"] == pytest.approx(0.0)
    raw = regression_metrics([1.0, 359.0], [359.0, 1.0])
    assert raw["mae"] == pytest.approx(358.0)

    true = np.array([350.0, 10.0, 340.0, 20.0])  # circular mean 0
    assert regression_metrics(true, true, wrap_degrees=True)["r2"] == pytest.approx(1.0)
    assert regression_metrics(true + 360.0, true, wrap_degrees=True)["r2"] == pytest.approx(1.0)
    circ_mean = regression_metrics(np.zeros(4), true, wrap_degrees=True)
    assert circ_mean["r2"] == pytest.approx(0.0, abs=1e-9)
    assert circ_mean["mae"] == pytest.approx(15.0)


# --------------------------------------------------------------------------------------------
# Protocol A
# --------------------------------------------------------------------------------------------
def test_roc_auc_known_values():
    labels = [0, 0, 1, 1]
    assert roc_auc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    assert roc_auc([0.9, 0.8, 0.2, 0.1], labels) == 0.0
    assert roc_auc([0.5, 0.5, 0.5, 0.5], labels) == 0.5
    assert roc_auc([0.1, 0.4, 0.35, 0.8], labels) == pytest.approx(0.75)
    # tie between a positive and a negative counts one half: (0.5 + 1 + 1 + 1) / 4
    assert roc_auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]) == pytest.approx(0.875)
    assert math.isnan(roc_auc([0.1, 0.2], [1, 1]))


def test_matthews_corrcoef_known_value():
    pred = [1, 1, 1, 0, 0, 0, 1, 0]
    labels = [1, 1, 0, 0, 0, 1, 1, 0]
    # TP 3, TN 3, FP 1, FN 1: (9 - 1) / sqrt(4 * 4 * 4 * 4)
    assert matthews_corrcoef(pred, labels) == pytest.approx(0.5)
    assert matthews_corrcoef(labels, labels) == pytest.approx(1.0)
    assert matthews_corrcoef(np.logical_not(labels), labels) == pytest.approx(-1.0)
    assert matthews_corrcoef(np.ones(8), labels) == 0.0  # degenerate: defined as 0


def test_precision_recall_f1_and_threshold():
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.2])
    labels = np.array([1, 0, 1, 1, 0])
    # F1 per threshold: .9 -> 1/2, .8 -> 2/5, .7 -> 2/3, .3 -> 6/7, .2 -> 3/4
    thr, f1 = best_f1_threshold(scores, labels)
    assert thr == 0.3 and f1 == pytest.approx(6 / 7)
    assert precision_recall_f1(scores >= 0.7, labels)["f1"] == pytest.approx(2 / 3)
    prf = precision_recall_f1(scores >= 0.3, labels)
    assert prf == pytest.approx({"precision": 0.75, "recall": 1.0, "f1": 6 / 7})


def test_threshold_tuning_finds_separating_threshold():
    scores = np.array([0.1, 0.7, 0.3, 0.6, 0.2, 0.8, np.nan])
    labels = np.array([0, 1, 0, 1, 0, 1, 1])
    thr, f1 = best_f1_threshold(scores, labels)
    assert (thr, f1) == (0.6, 1.0)
    thr, mcc = best_mcc_threshold(scores, labels)
    assert (thr, mcc) == (0.6, 1.0)
    assert precision_recall_f1(scores[:-1] >= thr, labels[:-1])["f1"] == 1.0


def test_best_mcc_threshold_is_exact_optimum():
    rng = np.random.default_rng(0)
    labels = rng.random(200) < 0.4
    scores = np.round(rng.normal(labels * 1.0, 1.0), 1)  # overlapping, with ties
    thr, mcc = best_mcc_threshold(scores, labels)
    brute = max(matthews_corrcoef(scores >= t, labels) for t in np.unique(scores))
    assert mcc == pytest.approx(brute)
    assert matthews_corrcoef(scores >= thr, labels) == pytest.approx(mcc)
    f1_thr, f1 = best_f1_threshold(scores, labels)
    brute = max(precision_recall_f1(scores >= t, labels)["f1"] for t in np.unique(scores))
    assert f1 == pytest.approx(brute)
    assert precision_recall_f1(scores >= f1_thr, labels)["f1"] == pytest.approx(f1)


def test_phase_score():
    np.testing.assert_allclose(phase_score([0.9, 0.0, 0.3], [0.1, 0.0, 0.6]), [0.9, 0.5, 1 / 3])
    ratio = np.array([0.2, 1.0, 3.0, 9.0])  # monotone in the benchmark's ratio P/S
    assert np.all(np.diff(phase_score(ratio, np.ones(4))) > 0)


def test_residual_stats():
    r = residual_stats([0.1, -0.2, 0.3, 2.0, np.nan], outlier_s=1.0)
    assert r["n"] == 4 and r["n_nan"] == 1
    assert r["mean_s"] == pytest.approx(0.55)
    assert r["rmse_s"] == pytest.approx(math.sqrt(4.14 / 4))
    assert r["mae_s"] == pytest.approx(0.65)
    assert r["median_s"] == pytest.approx(0.2)
    assert r["outlier_fraction"] == pytest.approx(0.25)
    assert r["modified_rmse_s"] == pytest.approx(math.sqrt(0.14 / 3))
    assert r["modified_mae_s"] == pytest.approx(0.2)
    assert "outlier_fraction" not in residual_stats([0.1], outlier_s=None)


# --------------------------------------------------------------------------------------------
# The project's versions against scikit-learn (same quantity, same conventions)
# --------------------------------------------------------------------------------------------
def _binary_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Hand-made edge cases (all one class, no positive prediction, ...) and random ones."""
    rng = np.random.default_rng(7)
    cases = [
        (np.array([1, 1, 1, 0, 0, 0, 1, 0]), np.array([1, 1, 0, 0, 0, 1, 1, 0])),
        (np.zeros(5, int), np.array([0, 1, 0, 1, 1])),  # nothing predicted positive
        (np.ones(4, int), np.ones(4, int)),  # one class only
        (np.array([1, 0, 1]), np.zeros(3, int)),  # no positive label
    ]
    for n in (2, 17, 300):
        for p in (0.1, 0.5):
            cases.append(((rng.random(n) < 0.5).astype(int), (rng.random(n) < p).astype(int)))
    return cases


@pytest.mark.filterwarnings("ignore::UserWarning")  # sklearn: "a single label was found"
def test_binary_scores_match_sklearn():
    for pred, labels in _binary_cases():
        ours = precision_recall_f1(pred, labels)
        p, r, f, _ = sklearn_metrics.precision_recall_fscore_support(
            labels, pred, average="binary", pos_label=1, zero_division=0
        )
        assert ours == pytest.approx({"precision": p, "recall": r, "f1": f})
        mcc = sklearn_metrics.matthews_corrcoef(labels, pred)
        assert matthews_corrcoef(pred, labels) == pytest.approx(mcc, abs=1e-12)


def test_roc_auc_matches_sklearn():
    rng = np.random.default_rng(3)
    for n in (4, 50, 500):
        labels = rng.random(n) < 0.3
        labels[:2] = [True, False]  # both classes present
        for scores in (rng.random(n), np.round(rng.normal(labels, 1.0), 1)):  # with ties
            expected = sklearn_metrics.roc_auc_score(labels, scores)
            assert roc_auc(scores, labels) == pytest.approx(expected, abs=1e-12)


def test_tuned_thresholds_match_sklearn_brute_force():
    rng = np.random.default_rng(11)
    for n in (10, 200):
        labels = rng.random(n) < 0.4
        scores = np.round(rng.normal(labels * 1.0, 1.0), 1)
        candidates = np.unique(scores)
        f1s = [sklearn_metrics.f1_score(labels, scores >= t, zero_division=0) for t in candidates]
        mccs = [sklearn_metrics.matthews_corrcoef(labels, scores >= t) for t in candidates]
        assert best_f1_threshold(scores, labels)[1] == pytest.approx(max(f1s))
        assert best_mcc_threshold(scores, labels)[1] == pytest.approx(max(0.0, *mccs))


def test_polarity_metrics_match_sklearn():
    rng = np.random.default_rng(5)
    for n in (7, 100):
        true = rng.integers(-1, 2, n)
        pred = rng.integers(0, 2, n)
        m = polarity_metrics(pred, true)
        keep = true != -1
        p, r, f, _ = sklearn_metrics.precision_recall_fscore_support(
            true[keep], pred[keep], labels=[0, 1], zero_division=0
        )
        assert [m["precision_up"], m["precision_down"]] == pytest.approx(100 * p)
        assert [m["recall_up"], m["recall_down"]] == pytest.approx(100 * r)
        assert [m["f1_up"], m["f1_down"]] == pytest.approx(100 * f)
        macro = sklearn_metrics.f1_score(true[keep], pred[keep], labels=[0, 1], average="macro")
        assert m["macro_f1"] == pytest.approx(100 * macro)
        assert m["accuracy"] == pytest.approx(
            100 * sklearn_metrics.accuracy_score(true[keep], pred[keep])
        )


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(9)
    cases = [(np.array([1.5, 2.0, 2.0, 5.0]), np.array([1.0, 2.0, 3.0, 4.0]))]
    cases += [(rng.normal(size=n), rng.normal(size=n)) for n in (3, 50, 1000)]
    for pred, true in cases:
        m = regression_metrics(pred, true)
        assert m["mae"] == pytest.approx(sklearn_metrics.mean_absolute_error(true, pred))
        assert m["rmse"] == pytest.approx(sklearn_metrics.root_mean_squared_error(true, pred))
        assert m["r2"] == pytest.approx(sklearn_metrics.r2_score(true, pred))


def test_results_table():
    rows = [
        {"model": "A", "f1": 0.5, "n": 3, "residuals": np.arange(3)},
        {"model": "B|x", "f1": np.nan},
    ]
    assert results_table(rows) == (
        "| model | f1 | n |\n|---|---|---|\n| A | 0.500 | 3 |\n| B\\|x | - | - |\n"
    )
    assert results_table(rows, columns=["f1"], float_format=".1f").splitlines()[2] == "| 0.5 |"


def test_residual_histogram(tmp_path):
    path = residual_histogram(
        np.r_[np.random.default_rng(0).normal(0, 0.1, 500), np.nan],
        tmp_path / "sub" / "hist.png",
        "P residuals",
        xlim=(-0.5, 0.5),
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_protocol_a_known_values():
    task1 = {
        "dev": pd.DataFrame(
            {
                "trace_type": ["earthquake", "earthquake", "noise", "noise"],
                "score_detection": [0.9, 0.6, 0.5, 0.1],
            }
        ),
        "test": pd.DataFrame(
            {
                "trace_type": ["earthquake"] * 3 + ["noise"] * 2,
                "score_detection": [0.95, 0.55, 0.7, 0.65, 0.2],
            }
        ),
    }
    task23 = {
        "dev": pd.DataFrame(
            {
                "phase_label": ["P", "P", "S", "S"],
                "p_max": [0.9, 0.6, 0.2, 0.5],
                "s_max": [0.1, 0.4, 0.8, 0.5],
                "phase_onset": [500.0, 500.0, 500.0, 500.0],
                "p_pred_onset": [510.0, 490.0, 0.0, 0.0],
                "s_pred_onset": [0.0, 0.0, 500.0, 520.0],
                "sampling_rate": 100.0,
            }
        ),
        "test": pd.DataFrame(
            {
                "phase_label": ["P", "P", "S", "S"],
                "p_max": [0.7, 0.45, 0.1, 0.6],  # scores .7, .45, .1, .6 vs threshold .6
                "s_max": [0.3, 0.55, 0.9, 0.4],
                "phase_onset": [300.0, 300.0, 300.0, 300.0],
                "p_pred_onset": [310.0, 450.0, 0.0, 0.0],
                "s_pred_onset": [0.0, 0.0, 280.0, 300.0],
                "sampling_rate": 100.0,
            }
        ),
    }
    out = evaluate_protocol_a(task1, task23)
    assert out["det_threshold"] == 0.6 and out["dev_det_f1"] == 1.0
    assert out["dev_det_auc"] == 1.0
    assert out["test_det_auc"] == pytest.approx(5 / 6)
    assert out["test_det_precision"] == pytest.approx(2 / 3)
    assert out["test_det_recall"] == pytest.approx(2 / 3)
    assert out["test_det_f1"] == pytest.approx(2 / 3)
    assert out["n_test_task1"] == 5

    assert out["phase_threshold"] == pytest.approx(0.6) and out["dev_phase_mcc"] == 1.0
    # test predictions P, S, S, P vs P, P, S, S: TP 1, TN 1, FP 1, FN 1 -> MCC 0
    assert out["test_phase_mcc"] == pytest.approx(0.0)
    assert out["n_test_task23"] == 4

    assert out["test_P_mean_s"] == pytest.approx(0.8)  # residuals 0.1 s and 1.5 s
    assert out["test_P_rmse_s"] == pytest.approx(math.sqrt((0.01 + 2.25) / 2))
    assert out["test_P_mae_s"] == pytest.approx(0.8)
    assert out["test_P_outlier_fraction"] == pytest.approx(0.5)
    assert out["test_S_mean_s"] == pytest.approx(-0.1)
    assert out["test_S_mae_s"] == pytest.approx(0.1)
    assert out["dev_P_mae_s"] == pytest.approx(0.1)
    np.testing.assert_allclose(out["test_P_residuals_s"], [0.1, 1.5])
    assert "test_det_auc" in results_table([out])


def test_evaluate_protocol_a_with_predict_function():
    rows = []
    for split in ("dev", "test"):
        for phase, onset in (("P", 400), ("S", 600), ("P", 250)):
            rows.append({"trace_split": split, "phase_label": phase, "phase_onset": float(onset)})
    targets = pd.DataFrame(rows)
    task23 = {s: targets[targets.trace_split == s].reset_index(drop=True) for s in ("dev", "test")}

    def predict(row: pd.Series) -> dict[str, float]:
        onset = int(row["phase_onset"])
        p = _curve((onset + 3, 0.9)) if row["phase_label"] == "P" else _curve((onset, 0.2))
        s = _curve((onset - 2, 0.8)) if row["phase_label"] == "S" else _curve((onset, 0.1))
        return window_scores(p, s)

    out = evaluate_protocol_a(task23=task23, predict=predict)
    assert out["dev_phase_mcc"] == 1.0 and out["test_phase_mcc"] == 1.0
    assert out["test_P_mean_s"] == pytest.approx(0.03)
    assert out["test_S_mean_s"] == pytest.approx(-0.02)

    with pytest.raises(ValueError, match="prediction columns"):
        evaluate_protocol_a(task23=task23)


def test_window_scores():
    p, s = _curve((100, 0.7)), _curve((300, 0.4))
    scores = window_scores(p, s)
    assert scores == pytest.approx(
        {
            "score_detection": 0.7,
            "p_max": 0.7,
            "s_max": 0.4,
            "p_pred_onset": 100.0,
            "s_pred_onset": 300.0,
        }
    )
    assert window_scores(p, s, det_curve=np.full(T, 0.25))["score_detection"] == 0.25


def test_label_onsets_with_two_events_follow_the_pick():
    from seisbench_llm.training.metrics import label_onsets, pick_metrics

    t = np.arange(1000)
    two = np.exp(-0.5 * ((t - 300) / 10) ** 2) + np.exp(-0.5 * ((t - 700) / 10) ** 2)
    one = np.exp(-0.5 * ((t - 450) / 10) ** 2)
    labels = np.stack([two, two, one, np.zeros(1000)])
    assert label_onsets(labels)[:3].tolist() == [300, 300, 450]  # argmax: the first event
    assert np.isnan(label_onsets(labels)[3])
    near = np.array([702.0, np.nan, 10.0, 5.0])
    onsets = label_onsets(labels, near=near)
    assert onsets[:3].tolist() == [700, 300, 450] and np.isnan(onsets[3])
    # a top-1 pick on the second event of a two-event window is a true positive
    prob = np.zeros((1, 1000), dtype=np.float32)
    prob[0, 702] = 0.9
    result = pick_metrics(prob, label_onsets(labels[:1], near=np.array([702.0])), 100.0)
    assert result["tp"] == 1 and result["fp"] == 0
    assert pick_metrics(prob, label_onsets(labels[:1]), 100.0)["tp"] == 0
