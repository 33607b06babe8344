"""Harness configuration validation."""

import glob
import json
from pathlib import Path

import pytest

from seisbench_llm.training.config import ConfigError, load_config, validate_config

CONFIG_DIR = Path(__file__).parents[1] / "benchmarks" / "configs"


def test_all_shipped_configs_validate():
    files = sorted(glob.glob(str(CONFIG_DIR / "*.json")))
    names = {Path(f).stem for f in files}
    for data in ("stead", "ethz", "diting", "synthetic"):
        for model in ("seismollm", "seismoe", "eqtransformer", "phasenet"):
            assert f"{data}_{model}" in names
    for data in ("diting", "synthetic"):
        for task in ("polarity", "magnitude", "distance", "back_azimuth"):
            assert f"{data}_seismollm_{task}" in names
    for f in files:
        cfg = load_config(f)
        assert cfg.run_name == Path(f).stem


def test_seismoe_configs_keep_original_keys():
    stead = load_config(CONFIG_DIR / "stead_seismoe.json").model_args
    assert stead == {
        "base_model": "stead",
        "num_experts": 4,
        "num_experts_per_token": 2,
        "moe_loss_coef": 0.01,
        "lr": 1e-3,
        "rotate_array": True,
        "freeze_non_moe": False,
    }
    ethz = load_config(CONFIG_DIR / "ethz_seismoe.json").model_args
    assert (
        ethz["num_experts"],
        ethz["num_experts_per_token"],
        ethz["moe_loss_coef"],
        ethz["lr"],
    ) == (8, 2, 0.02, 5e-4)
    assert ethz["freeze_non_moe"] is True and ethz["base_model"] == "stead"


def test_defaults_are_filled():
    cfg = validate_config({"model": "PhaseNet", "data": "ETHZ"})
    assert cfg.model == "phasenet" and cfg.task == "picking"
    assert cfg.optimizer == {"name": "adam", "lr": 1e-3, "weight_decay": 0.0}
    assert cfg.checkpointing["save_last"] is True and cfg.lr_scheduler is None
    assert cfg.run_name == "ethz_phasenet"
    assert cfg.augmentation == {}


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"model": "seismollm", "data": "X", "epochs": 3},
            "Unknown key(s) in config: epochs. Valid keys:",
        ),
        (
            {"model": "gpt4", "data": "X"},
            "must be one of seismollm, seismoe, eqtransformer, phasenet",
        ),
        ({"model": "seismollm", "data": "X", "task": "detect"}, "must be one of picking, polarity"),
        ({"model": "phasenet", "data": "X", "task": "magnitude"}, "only supports task 'picking'"),
        (
            {"model": "seismollm", "data": "X", "optimizer": "rmsprop"},
            "must be one of adam, adamw, sgd",
        ),
        (
            {"model": "seismollm", "data": "X", "lr_scheduler": {"name": "cyclic", "T_max": 3}},
            "Valid keys: base_lr",
        ),
        (
            {"model": "seismollm", "data": "X", "lr_scheduler": "linear"},
            "must be one of cyclic, cosine, step, plateau",
        ),
        ({"model": "seismoe", "data": "X", "model_args": {"experts": 4}}, "Valid keys: base_model"),
        (
            {"model": "seismollm", "data": "X", "batch_size": 0},
            "batch_size = 0: must be an integer >= 1",
        ),
        ({"model": "seismollm", "data": "X", "checkpointing": {"every": 2}}, "Valid keys: monitor"),
        ({"data": "X"}, "Missing required key 'model'"),
    ],
)
def test_invalid_configs_list_valid_choices(raw, message):
    with pytest.raises(ConfigError) as err:
        validate_config(raw)
    assert message in str(err.value)


def test_load_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(bad)
    good = tmp_path / "mine.json"
    good.write_text(json.dumps({"model": "eqtransformer", "data": "Synthetic"}))
    assert load_config(good).run_name == "mine"


BASE = {"model": "seismollm", "data": "Synthetic"}


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            {"trainer_args": {"max_stepz": 2}},
            "Unknown key(s) in trainer_args: max_stepz. Valid keys: accelerator",
        ),
        ({"trainer_args": {"max_steps": "2"}}, 'trainer_args.max_steps = "2": must be an integer'),
        ({"model_args": {"d_model": "32"}}, 'model_args.d_model = "32": must be an integer >= 1'),
        ({"model_args": {"lr": "fast"}}, 'model_args.lr = "fast": must be a number > 0'),
        ({"model_args": {"lr": -0.001}}, "model_args.lr = -0.001: must be a number > 0"),
        ({"optimizer": {"name": "adam", "lr": -1}}, "optimizer.lr = -1: must be a number > 0"),
        ({"optimizer": {"lr": "fast"}}, 'optimizer.lr = "fast": must be a number > 0'),
        (
            {"model_args": {"dropout": True}},
            "model_args.dropout = true: must be a number in [0, 1)",
        ),
        (
            {"data_args": {"n_tracez": 10}},
            "Unknown key(s) in data_args: n_tracez. Valid keys:",
        ),
        ({"data_args": {"n_traces": "10"}}, 'data_args.n_traces = "10": must be an integer'),
        ({"seed": 1.5}, "seed = 1.5: must be an integer >= 0"),
        ({"gradient_clip": -1}, "gradient_clip = -1: must be null or a number > 0"),
        ({"trainer_args": {"devices": 0}}, "trainer_args.devices = 0: must be an integer >= 1"),
        (
            {"augmentation": {"vertical_only_p": 1.5}},
            "augmentation.vertical_only_p = 1.5: must be a number in [0, 1]",
        ),
        (
            {"augmentation": {"vertical_p": 0.2}},
            "Unknown key(s) in augmentation: vertical_p. Valid keys: amplitude_p",
        ),
        (
            {"model": "phasenet", "augmentation": {"drop_p": 0.2}},
            'augmentation applies to seismollm only: augmentation = {"drop_p": 0.2}',
        ),
    ],
)
def test_typed_schema_names_key_value_and_allowed(extra, message):
    with pytest.raises(ConfigError) as err:
        validate_config({**BASE, **extra})
    text = str(err.value)
    assert message in text and "\n" not in text


def test_data_args_follow_the_dataset_class():
    assert validate_config({**BASE, "data_args": {"n_traces": 10, "seed": 1}}).data_args
    ethz = {"model": "phasenet", "data": "ETHZ"}
    assert validate_config({**ethz, "data_args": {"cache": "trace"}}).data_args == {
        "cache": "trace"
    }
    with pytest.raises(ConfigError, match="Unknown key.*n_traces"):
        validate_config({**ethz, "data_args": {"n_traces": 10}})
    # a dataset name the harness cannot resolve is reported when the data is loaded
    assert validate_config({"model": "phasenet", "data": "NoSuchData"}).data == "NoSuchData"
