"""Datasets in SeisBench format: a physically motivated synthetic dataset (``Synthetic``)."""

from seisbench_llm.data.synthetic import PRESETS as PRESETS
from seisbench_llm.data.synthetic import Synthetic as Synthetic
from seisbench_llm.data.synthetic import SyntheticPreset as SyntheticPreset
from seisbench_llm.data.synthetic import generate_synthetic as generate_synthetic
from seisbench_llm.data.synthetic import simulate_synthetic as simulate_synthetic
from seisbench_llm.data.synthetic import synthesize_trace as synthesize_trace
from seisbench_llm.data.synthetic import travel_times as travel_times
