"""SeisBench-style augmentations that SeisBench itself does not provide.

Every class follows the conventions of :py:mod:`seisbench.generate`: it is a callable taking the
generator's ``state_dict``, whose entries are ``(data, metadata)`` tuples; ``key`` is either one
key (read and write) or a ``(read, write)`` pair; waveforms are ``(channels, samples)``.
Augmentations that move or cut samples keep every numeric ``*_sample`` metadata entry (the
``*_arrival_sample`` pick columns in particular) pointing at the same waveform sample, so labels
generated afterwards from the metadata follow the waveform.

Modules, one job each (every name is importable from this package):

* :py:mod:`.core`: state-dict keys, metadata lookups and :py:func:`trace_seed`;
* :py:mod:`.control`: :py:class:`Compose`, :py:func:`with_probability` (SeisBench's ``OneOf``),
  :py:class:`Seeded` (deterministic randomness per trace, for validation and test);
* :py:mod:`.amplitude`: :py:class:`PreEmphasis`, :py:class:`RandomAmplitudeScale`,
  :py:class:`GaussianNoiseSNR`, :py:class:`DropChannels`, :py:class:`VerticalOnly`,
  :py:class:`StdNormalize`;
* :py:mod:`.windows`: :py:class:`DiTingCrop`, :py:class:`CircularShift`;
* :py:mod:`.events`: :py:class:`ZeroGapBetweenPhases`, :py:class:`EventToNoise` and the pick
  benchmark's :py:class:`DuplicateEvent` (EQTransformer recipe);
* :py:mod:`.labels`: :py:class:`TruncatedGaussianLabeller` and :py:class:`MultiTaskLabeller`
  (all five SeisMoLLM tasks).
"""

from seisbench_llm.data.augmentations.amplitude import (
    DropChannels,
    GaussianNoiseSNR,
    PreEmphasis,
    RandomAmplitudeScale,
    StdNormalize,
    VerticalOnly,
)
from seisbench_llm.data.augmentations.control import Compose, Seeded, with_probability
from seisbench_llm.data.augmentations.core import trace_seed
from seisbench_llm.data.augmentations.events import (
    DuplicateEvent,
    EventToNoise,
    ZeroGapBetweenPhases,
)
from seisbench_llm.data.augmentations.labels import MultiTaskLabeller, TruncatedGaussianLabeller
from seisbench_llm.data.augmentations.windows import CircularShift, DiTingCrop
from seisbench_llm.tasks import (  # the metadata conventions the labels are read from
    P_PHASES,
    PHASE_DICT,
    POLARITY_CLASSES,
    POLARITY_COLUMNS,
    S_PHASES,
    TASKS,
    polarity_class,
)

__all__ = [
    "PHASE_DICT",
    "POLARITY_CLASSES",
    "POLARITY_COLUMNS",
    "P_PHASES",
    "S_PHASES",
    "TASKS",
    "CircularShift",
    "Compose",
    "DiTingCrop",
    "DropChannels",
    "DuplicateEvent",
    "EventToNoise",
    "GaussianNoiseSNR",
    "MultiTaskLabeller",
    "PreEmphasis",
    "RandomAmplitudeScale",
    "Seeded",
    "StdNormalize",
    "VerticalOnly",
    "TruncatedGaussianLabeller",
    "ZeroGapBetweenPhases",
    "polarity_class",
    "trace_seed",
    "with_probability",
]
