"""Label coverage: do the windows a config trains on and is scored on hold the labelled phases?

A pipeline is run on a sample of earthquake traces (traces with at least one pick) with two probes
around it: :py:class:`LabelledPhases` notes which phases the trace has picks for, before any
window is cut; :py:class:`PhasesInside` notes which of them lie inside the final window (the
window augmentations keep the ``*_arrival_sample`` metadata pointing at the waveform). The
fractions, per pipeline:

* ``P`` / ``S``: windows of traces with a P (S) pick whose P (S) lies inside the window;
* ``any``: windows with at least one of their trace's picks inside;
* ``all``: windows with every labelled phase inside.

:py:func:`check_label_coverage` runs before training and stops a config whose windows would miss
their labels (``any`` below :py:data:`MIN_COVERAGE` in the training or evaluation pipeline).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import seisbench.data as sbd
import seisbench.generate as sbg

from seisbench_llm.data.augmentations import PHASE_DICT
from seisbench_llm.training.windows import labelled_samples

#: Windows sampled per pipeline.
SAMPLE = 64
#: Smallest share of earthquake windows holding at least one of their picks that training accepts.
MIN_COVERAGE = 0.5
PHASES = ("P", "S")


class LabelledPhases:
    """Probe writing ``"_labelled"``: (2,) bool, whether the trace has a P / S pick."""

    def __call__(self, state_dict: dict) -> None:
        _, metadata = state_dict["X"]
        picks = labelled_samples(metadata, PHASE_DICT)
        state_dict["_labelled"] = (np.array([p in picks for p in PHASES]), None)


class PhasesInside:
    """Probe writing ``"_inside"``: (2,) bool, whether a P / S pick lies inside the window."""

    def __call__(self, state_dict: dict) -> None:
        x, metadata = state_dict["X"]
        n = x.shape[-1]
        picks = labelled_samples(metadata, PHASE_DICT)
        inside = [any(0 <= s < n for s in picks.get(p, [])) for p in PHASES]
        state_dict["_inside"] = (np.array(inside), None)


def earthquake_indices(dataset: sbd.WaveformDataset) -> np.ndarray:
    """Positions of the traces with at least one finite pick."""
    columns = [c for c in PHASE_DICT if c in dataset.metadata.columns]
    if not columns:
        return np.zeros(0, dtype=int)
    picks = dataset.metadata[columns].apply(lambda c: np.isfinite(c.astype(float)))
    return np.flatnonzero(picks.any(axis=1).to_numpy())


def pipeline_coverage(
    augmentations: list, datasets: list[sbd.WaveformDataset], n: int = SAMPLE, seed: int = 0
) -> dict[str, Any]:
    """Coverage of one pipeline on up to ``n`` earthquake traces drawn from ``datasets``.

    :param augmentations: The pipeline (as given to ``GenericGenerator.add_augmentations``).
    :param datasets: Datasets to sample from (equal shares).
    :param n: Number of windows.
    :param seed: Seed of the trace sample and of the pipeline's random choices (NumPy's global
                 state is restored afterwards).
    :return: ``{"n": windows, "P": ..., "S": ..., "any": ..., "all": ...}`` (fractions, NaN if
             there is nothing to count).
    """
    rng = np.random.default_rng(seed)
    state = np.random.get_state()
    np.random.seed(seed)
    labelled, inside = [], []
    try:
        for dataset in datasets:
            idx = earthquake_indices(dataset)
            take = rng.choice(idx, min(len(idx), -(-n // len(datasets))), replace=False)
            gen = sbg.GenericGenerator(dataset)
            gen.add_augmentations([LabelledPhases(), *augmentations, PhasesInside()])
            for i in take:
                out = gen[int(i)]
                labelled.append(out["_labelled"])
                inside.append(out["_inside"])
    finally:
        np.random.set_state(state)
    if not labelled:
        return {"n": 0, **{k: float("nan") for k in (*PHASES, "any", "all")}}
    lab, ins = np.array(labelled), np.array(inside)
    hit = lab & ins

    def share(mask: np.ndarray, ok: np.ndarray) -> float:
        return float(ok[mask].mean()) if mask.any() else float("nan")

    rows = lab.any(axis=1)
    return {
        "n": len(lab),
        **{p: share(lab[:, i], ins[:, i]) for i, p in enumerate(PHASES)},
        "any": share(rows, hit.any(axis=1)),
        "all": share(rows, (hit == lab).all(axis=1)),
    }


def lit_coverage(
    lit: Any, parts: dict[str, sbd.WaveformDataset], n: int = SAMPLE, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Coverage of a Lightning module's training pipeline (train split) and evaluation pipeline
    (dev and test splits, where validation and protocol B score)."""
    return {
        "train": pipeline_coverage(lit.get_train_augmentations(), [parts["train"]], n, seed),
        "eval": pipeline_coverage(
            lit.get_val_augmentations(), [parts["dev"], parts["test"]], n, seed
        ),
    }


def check_label_coverage(
    name: str, lit: Any, parts: dict[str, sbd.WaveformDataset], n: int = SAMPLE
) -> dict[str, dict[str, Any]]:
    """Raise :py:class:`~seisbench_llm.training.config.ConfigError` if fewer than
    :py:data:`MIN_COVERAGE` of the sampled earthquake windows of the training or the evaluation
    pipeline hold any of their picks.

    :param name: Config name, for the message.
    :return: The coverage per pipeline.
    """
    from seisbench_llm.training.config import ConfigError

    result = lit_coverage(lit, parts, n)
    for pipeline, cov in result.items():
        if cov["n"] and not cov["any"] >= MIN_COVERAGE:
            raise ConfigError(
                f"Config '{name}': only {cov['any']:.0%} of {cov['n']} sampled earthquake windows of "
                f"the {pipeline} pipeline hold a labelled phase (P {cov['P']:.0%}, S {cov['S']:.0%}; "
                f"at least {MIN_COVERAGE:.0%} needed): the window placement does not fit this "
                'dataset\'s traces (for SeisMoLLM on long traces such as ETHZ set "window": "pick")'
            )
    return result
