"""Control flow: :py:class:`Compose`, :py:func:`with_probability`, :py:class:`Seeded`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import seisbench.generate as sbg

from seisbench_llm.data.augmentations.core import Augmentation, StateDict, trace_seed

__all__ = ["Compose", "Seeded", "with_probability"]


class Compose:
    """Applies a sequence of augmentations in order (a unit for :py:class:`~seisbench.generate.OneOf`).

    :param augmentations: Augmentations applied in order to the same state dict.
    """

    def __init__(self, augmentations: Sequence[Augmentation]):
        self.augmentations = list(augmentations)

    def __call__(self, state_dict: StateDict) -> None:
        for augmentation in self.augmentations:
            augmentation(state_dict)

    def __str__(self) -> str:
        return f"Compose ({', '.join(str(a) for a in self.augmentations)})"


def with_probability(augmentation: Augmentation, p: float) -> sbg.OneOf:
    """Apply ``augmentation`` with probability ``p``, else do nothing.

    SeisBench's idiom ``OneOf([augmentation, NullAugmentation()], [p, 1 - p])``.

    :param augmentation: The augmentation.
    :param p: Probability in [0, 1].

    :return: A :py:class:`~seisbench.generate.OneOf` of the augmentation and a no-op.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    return sbg.OneOf([augmentation, sbg.NullAugmentation()], probabilities=[p, 1.0 - p])


class Seeded:
    """Runs augmentations with NumPy's global random state seeded per trace.

    SeisBench's random augmentations draw from ``numpy.random``. Inside this wrapper the global
    state is seeded from ``seed`` and the trace's identity (:py:func:`trace_seed`) and restored
    afterwards, so the same trace always gets the same "random" windows and values while the
    surrounding random stream is left untouched. Used to make validation and test pipelines
    deterministic.

    :param augmentations: Augmentations to run.
    :param seed: Base seed.
    :param key: State-dict key whose metadata identifies the trace.
    """

    def __init__(
        self, augmentations: Augmentation | Sequence[Augmentation], seed: int = 0, key: str = "X"
    ):
        self.augmentations = (
            list(augmentations) if isinstance(augmentations, Sequence) else [augmentations]
        )
        self.seed = seed
        self.key = key

    def __call__(self, state_dict: StateDict) -> None:
        metadata = state_dict[self.key][1]
        outer = np.random.get_state()
        np.random.seed(trace_seed(metadata, self.seed) % 2**32)
        try:
            for augmentation in self.augmentations:
                augmentation(state_dict)
        finally:
            np.random.set_state(outer)

    def __str__(self) -> str:
        inner = ", ".join(str(a) for a in self.augmentations)
        return f"Seeded (seed={self.seed}, {inner})"
