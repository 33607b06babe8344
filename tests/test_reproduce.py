"""benchmarks/reproduce.py: checks, plan, coverage, the table with the published figures, and
(slow) a tiny-budget run of one config per dataset and model family on the miniatures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from miniatures import use_miniatures
from scripts import load_benchmark

from seisbench_llm.training.config import load_config

REPO = Path(__file__).parents[1]
reproduce = load_benchmark("reproduce")


@pytest.fixture
def mini(monkeypatch):
    return use_miniatures(monkeypatch)


def test_published_figures_are_data_with_their_source():
    pub = pd.read_csv(reproduce.PUBLISHED)
    assert set(pub["protocol"]) == {"A", "B"} and pub["value"].notna().all()
    assert pub["source"].str.contains("2502.19960").any()
    assert pub["source"].str.contains("Münchmeyer").any()
    row = pub.query("dataset == 'STEAD' and model == 'seismollm' and target == 'P'")
    assert dict(zip(row["metric"], row["value"], strict=True)) == {
        "f1": 98.08,
        "mae_all_traces": 0.498,
    }
    assert pub.duplicated(["dataset", "protocol", "model", "target", "metric"]).sum() == 0


def test_dry_run_checks_data_and_weights_and_prints_the_plan(mini, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert reproduce.main(["--dry-run", "--gpus", "4", "--runs", str(runs)]) == 0
    out = capsys.readouterr().out
    for name in ("STEAD", "ETHZ", "DiTing"):
        assert f"{name}" in out and "MISSING (its" not in out
    assert "stead_seismollm: MISSING GPT-2 'gpt2'" in out  # no GPT-2 on a machine without network
    assert "stead_seismoe: MISSING EQTransformer weights 'stead'" in out
    assert "| stead_eqtransformer | eqtransformer | picking | STEAD's own" in out
    assert "B + A" in out and "Estimate: at most" in out
    assert not runs.exists()  # a dry run writes nothing


def test_dry_run_reports_absent_datasets(monkeypatch, tmp_path, capsys):
    import seisbench

    monkeypatch.setattr(seisbench, "cache_data_root", tmp_path / "datasets")
    assert reproduce.main(["--dry-run", "--datasets", "stead", "diting"]) == 0
    out = capsys.readouterr().out
    assert "STEAD   MISSING" in out and "DiTing  MISSING" in out and "nothing to run" in out


def test_tiny_plan_runs_every_config_without_pretrained_weights(mini, capsys):
    assert reproduce.main(["--dry-run", "--tiny", "--datasets", "stead"]) == 0
    out = capsys.readouterr().out
    assert "MISSING" not in out and "Plan (7 configs" in out and "| 1 cpu |" in out
    cfg = reproduce.effective_config(REPO / "benchmarks/configs/stead_seismollm.json", 4, True)
    assert cfg["model_args"]["gpt2"] is None and cfg["trainer_args"]["limit_train_batches"] == 2
    full = reproduce.effective_config(REPO / "benchmarks/configs/stead_seismollm.json", 2, False)
    assert full["trainer_args"]["devices"] == 2 and full["trainer_args"]["strategy"] == "ddp"


def test_coverage_table(mini, capsys):
    args = ["--coverage", "--datasets", "ethz", "--configs", "ethz_seismollm"]
    assert reproduce.main([*args, "--coverage-windows", "16"]) == 0
    out = capsys.readouterr().out
    assert "| config | pipeline | windows | P | S | any | all |" in out
    assert "| ethz_seismollm | eval | 9 | 1.00 | 1.00 | 1.00 | 1.00 |" in out


def test_table_puts_published_figures_next_to_ours(mini, tmp_path):
    cfgs = [
        load_config(REPO / f"benchmarks/configs/{n}.json")
        for n in ("stead_seismollm", "ethz_phasenet")
    ]
    (tmp_path / "stead_seismollm").mkdir()
    pd.DataFrame([{"target": "P", "f1": 97.5, "mae": 1.2, "mae_all_traces": 0.6}]).to_csv(
        tmp_path / "stead_seismollm" / "results_test.csv", index=False
    )
    (tmp_path / "ethz_phasenet").mkdir()
    (tmp_path / "ethz_phasenet" / "protocol_a.json").write_text(
        json.dumps({"test_P_rmse_s": 0.5, "test_det_auc": 0.9})
    )
    table = reproduce.collect(cfgs, tmp_path, pd.read_csv(reproduce.PUBLISHED))
    row = table.query("config == 'stead_seismollm' and metric == 'mae_all_traces'").iloc[0]
    assert (row["ours"], row["published"]) == (0.6, 0.498)
    assert row["our split"] == "random 80/10/10 by trace (seed 0)"
    row = table.query("config == 'ethz_phasenet' and metric == 'test_P_rmse_s'").iloc[0]
    assert (row["ours"], row["published"], row["protocol"]) == (0.5, 0.42, "A")
    assert "detection" in set(table["target"])
    # published figures without a run stay in the table
    assert table.query("dataset == 'DiTing' and metric == 'macro_f1'")["ours"].isna().all()
    text = reproduce.markdown(table)
    assert "| STEAD | B | seismollm | P | mae_all_traces | 0.600 | 0.498 |" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "dataset, configs",
    [
        ("stead", ["stead_seismollm", "stead_seismoe", "stead_phasenet"]),
        ("ethz", ["ethz_seismollm", "ethz_eqtransformer", "ethz_phasenet"]),
        ("diting", ["diting_seismollm_polarity", "diting_seismoe", "diting_phasenet"]),
    ],
)
def test_tiny_run_trains_evaluates_and_resumes(mini, tmp_path, capsys, dataset, configs):
    args = ["--tiny", "--datasets", dataset, "--configs", *configs, "--runs", str(tmp_path)]
    assert reproduce.main(args) == 0, capsys.readouterr()
    table = pd.read_csv(tmp_path / "reproduce.csv")
    for name in configs:
        cfg = load_config(tmp_path / name / "reproduce_config.json")
        ours = table[(table["config"] == name) & table["ours"].notna()]
        assert set(ours["protocol"]) == ({"A", "B"} if reproduce.runs_protocol_a(cfg) else {"B"})
        assert (tmp_path / name / "train.done").is_file()
    assert reproduce.main(args) == 0  # finished runs are skipped, the table is rewritten
    for name in configs:
        log = (tmp_path / name / "reproduce.log").read_text()
        assert log.count("$ train.py") == 1 and log.count("$ eval.py") == 1
