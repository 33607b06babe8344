"""seisbench_llm: large-model seismology for SeisBench.

Importing this package registers :py:class:`SeisMoLLM` and :py:class:`SeisMoE`
into ``seisbench.models`` so that ``seisbench.models.SeisMoLLM.from_pretrained(...)`` works.
"""

import seisbench.models as _sbm

from seisbench_llm.export import export_weights
from seisbench_llm.models.seismoe import SeisMoE
from seisbench_llm.models.seismollm import SeisMoLLM
from seisbench_llm.weights import WeightsNotFoundError

__version__ = "0.1.0"

__all__ = ["SeisMoE", "SeisMoLLM", "WeightsNotFoundError", "export_weights", "register"]


def register() -> None:
    """Make the models of this package available as ``seisbench.models.<Name>``.

    SeisBench has no plugin entry point, so the package registers its classes itself on import.
    Calling this again is harmless.
    """
    for cls in (SeisMoLLM, SeisMoE):
        setattr(_sbm, cls.__name__, cls)


register()
