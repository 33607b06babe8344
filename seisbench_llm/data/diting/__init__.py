"""DiTing (China Earthquake Networks Center): conversion to SeisBench format and a dataset class.

DiTing is not publicly downloadable, so SeisBench has no class for it. Whoever has the original
files (``DiTing330km_part_{0..27}.csv`` / ``.hdf5``) converts them once with
:py:func:`convert_diting` (or ``seisbench-llm convert-diting SRC DST``) and then reads them with
:py:class:`DiTing`, a regular :py:class:`seisbench.data.WaveformDataset`.

Modules, one job each (every name below is importable from this package):

* :py:mod:`.dataset`: the dataset class :py:class:`DiTing` and where it looks;
* :py:mod:`.convert`: :py:func:`convert_diting`, the conversion run (writer, parts, splits,
  atomic renames);
* :py:mod:`.source`: reader of the original CSV and HDF5 parts;
* :py:mod:`.rows`: row validation, one CSV row to one metadata row or a skip reason;
* :py:mod:`.values`: keys, magnitudes as ML, polarity and clarity in SeisBench's terms;
* :py:mod:`.splits`: train/dev/test splits;
* :py:mod:`.summary`: :py:class:`DiTingConversionSummary` and the skip reasons.
"""

from seisbench_llm.data.diting.convert import convert_diting
from seisbench_llm.data.diting.dataset import DiTing, DiTingNotFoundError, default_diting_path
from seisbench_llm.data.diting.rows import LIGHT_REQUIRED_COLUMNS
from seisbench_llm.data.diting.source import (
    COMPONENT_ORDER,
    CSV_TEMPLATE,
    HDF5_GROUP,
    HDF5_TEMPLATE,
    N_PARTS,
    NPTS,
    SAMPLING_RATE,
)
from seisbench_llm.data.diting.summary import SKIP_REASONS, DiTingConversionSummary
from seisbench_llm.data.diting.values import (
    diting_magnitude_to_ml,
    diting_polarity,
    normalize_diting_key,
)

__all__ = [
    "COMPONENT_ORDER",
    "CSV_TEMPLATE",
    "HDF5_GROUP",
    "HDF5_TEMPLATE",
    "LIGHT_REQUIRED_COLUMNS",
    "NPTS",
    "N_PARTS",
    "SAMPLING_RATE",
    "SKIP_REASONS",
    "DiTing",
    "DiTingConversionSummary",
    "DiTingNotFoundError",
    "convert_diting",
    "default_diting_path",
    "diting_magnitude_to_ml",
    "diting_polarity",
    "normalize_diting_key",
]
