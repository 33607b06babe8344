"""The task table: each SeisMoLLM task described once, read by the model, the training module,
the harness's trace filter and the labeller; adding a task is adding one entry."""

import numpy as np
import obspy
import pandas as pd
import pytest
import torch

import seisbench_llm.data.augmentations as augmentations
import seisbench_llm.training.targets as targets
from seisbench_llm.benchmarking import TINY_SEISMOLLM
from seisbench_llm.data.augmentations import MultiTaskLabeller
from seisbench_llm.models.seismollm import SeisMoLLM
from seisbench_llm.tasks import PHASE_DICT, TASKS, Task, back_azimuth_degrees, get_task
from seisbench_llm.training.config import ConfigError, validate_config
from seisbench_llm.training.harness import task_mask
from seisbench_llm.training.lit import SeisMoLLMLit


def tiny(task, **kwargs):
    torch.manual_seed(0)
    return SeisMoLLM(task=task, **{**TINY_SEISMOLLM, **kwargs}).eval()


def test_constants_are_defined_once():
    assert augmentations.TASKS is TASKS
    assert augmentations.PHASE_DICT is PHASE_DICT and targets.PHASE_DICT is PHASE_DICT
    assert list(TASKS) == ["picking", "polarity", "magnitude", "distance", "back_azimuth"]
    with pytest.raises(ValueError, match="Unknown task 'depth'. Valid tasks: picking, polarity"):
        get_task("depth")


@pytest.mark.parametrize("task", list(TASKS))
def test_model_is_built_from_the_entry(task):
    spec, model = TASKS[task], tiny(task)
    assert model.task_spec is spec and model.output_type == spec.output_type
    assert model.labels == list(spec.labels or ("P", "S"))
    head = model.head.out.out_channels if spec.head == "picking" else model.head.linear.out_features
    assert head == spec.n_outputs


def test_back_azimuth_degrees_in_one_place():
    spec = TASKS["back_azimuth"]
    degrees = [0.0, 45.0, 90.0, 181.0, 359.5]
    targets = torch.as_tensor(np.stack([spec.target(d) for d in degrees]))
    np.testing.assert_allclose(back_azimuth_degrees(targets).numpy(), degrees, atol=1e-4)
    # annotation, classify and evaluation all use it
    torch.testing.assert_close(spec.to_annotation(targets)[:, 0], back_azimuth_degrees(targets))
    pred, target = spec.evaluation_pair(targets, targets)
    torch.testing.assert_close(pred, back_azimuth_degrees(targets))
    out = spec.classify_output(spec.to_annotation(targets).numpy(), list("abcde"))
    assert out["back_azimuth_deg"]["b"] == pytest.approx(45.0, abs=1e-4)


def test_losses():
    g = torch.Generator().manual_seed(0)
    # picking: the noise channel has weight 0, P and S weight 1
    logits, y = torch.randn(2, 3, 50, generator=g), torch.rand(2, 3, 50, generator=g)
    losses = TASKS["picking"].loss(logits, y)
    other = logits.clone()
    other[:, 0] += 5
    assert TASKS["picking"].loss(other, y)["loss"] == losses["loss"]
    torch.testing.assert_close(losses["loss"], losses["loss_p"] + losses["loss_s"])
    # polarity: unknown (-1) labels are ignored
    logits = torch.randn(3, 2, generator=g)
    both = TASKS["polarity"].loss(logits, torch.tensor([0, 1, -1]))["loss"]
    known = TASKS["polarity"].loss(logits[:2], torch.tensor([0, 1]))["loss"]
    torch.testing.assert_close(both, known)
    # back-azimuth: Huber on cos plus Huber on sin
    pred, target = torch.zeros(4, 2), torch.tensor([[1.0, 0.0]] * 4)
    losses = TASKS["back_azimuth"].loss(pred, target)
    assert losses["loss_cos"] == pytest.approx(0.5) and losses["loss_sin"] == 0
    assert TASKS["magnitude"].loss(torch.zeros(3), torch.full((3,), 3.0))["loss"] == 2.5


def test_has_target_filters_traces():
    metadata = pd.DataFrame(
        {
            "trace_polarity": ["U", "n", None, "d"],
            "trace_P_polarity": [None, "C", None, None],
            "source_magnitude": [1.0, np.nan, 2.0, 3.0],
        }
    )
    np.testing.assert_array_equal(TASKS["polarity"].has_target(metadata), [1, 1, 0, 1])
    np.testing.assert_array_equal(TASKS["magnitude"].has_target(metadata), [1, 0, 1, 1])
    with pytest.raises(KeyError, match="looked for path_back_azimuth_deg"):
        TASKS["back_azimuth"].has_target(metadata)


def test_adding_a_task_is_one_entry(monkeypatch):
    """A new task, given only as a table entry, trains, is filtered, labelled and annotated."""
    depth = Task(
        name="depth",
        head="pooled",
        n_outputs=1,
        activation=lambda out: torch.sigmoid(out[:, 0]),
        scale="distance_scale",
        loss=TASKS["distance"].loss,
        key="depth",
        columns=("source_depth_km",),
        target=TASKS["distance"].target,
        labels=("depth_km",),
        output="depth_km",
    )
    monkeypatch.setitem(TASKS, "depth", depth)

    cfg = validate_config({"model": "seismollm", "task": "depth", "data": "Synthetic"})
    metadata = pd.DataFrame(
        {"source_depth_km": [10.0, np.nan], "trace_category": ["earthquake"] * 2}
    )
    np.testing.assert_array_equal(task_mask(cfg, metadata), [True, False])
    with pytest.raises(ConfigError, match="no column for task 'depth'"):
        task_mask(cfg, metadata.drop(columns="source_depth_km"))

    state = {"X": (np.zeros((3, 6000), dtype=np.float32), {"source_depth_km": 12.5})}
    MultiTaskLabeller(tasks=("depth",))(state)
    assert state["depth"][0] == np.float32(12.5)

    lit = SeisMoLLMLit(task="depth", **TINY_SEISMOLLM)
    batch = {"X": torch.randn(2, 3, 6000), "depth": torch.tensor([10.0, 20.0])}
    assert set(lit.shared_step(batch)) == {"loss"}
    pred, target = lit.predict_batch(batch)["depth"]
    assert pred.shape == (2,) and 0 <= pred.min() and pred.max() <= 500

    model = lit.model.eval()
    stream = obspy.read()
    assert [tr.stats.channel for tr in model.annotate(stream)] == ["SeisMoLLM_depth_km"]
    out = model.classify(stream)
    assert 0 <= out.depth_km["BW.RJOB."] <= 500
