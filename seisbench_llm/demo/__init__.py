"""The main job in one call: ``seisbench-llm demo`` / :py:func:`run_demo`.

Offline and on CPU: generate the synthetic dataset (cached), train SeisMoLLM (picking) and an
EQTransformer baseline with the benchmark harness, evaluate both on the synthetic test split
(protocol B, docs/reference.md section 3), export the SeisMoLLM weights to the SeisBench cache,
reload them with ``SeisMoLLM.from_pretrained``, pick the real recordings of
:py:mod:`seisbench_llm.data.real_events` with them and with a classical picker and score both
(:py:mod:`seisbench_llm.real_eval`), and write the results tables, a picks CSV and figures into one
output folder.

Everything the demo trains is labelled for what it is: GPT-2 is randomly initialised unless
pretrained GPT-2 weights are found locally, and weights trained on synthetic waveforms are not
STEAD weights.

Modules: :py:mod:`.profiles` (profiles and :py:func:`demo_configs`, the one place where the
training configs are built), :py:mod:`.run` (the steps), :py:mod:`.clock` (seconds per training
step and an early estimate of the training time), :py:mod:`.report` (results table and summary)
and :py:mod:`.figures`.
"""

from seisbench_llm.demo.profiles import (
    BUDGET_MINUTES,
    DEMO_MINUTES,
    DEMO_PRECISION,
    DEMO_PROFILES,
    TARGET_F1,
    demo_configs,
    find_local_gpt2,
)
from seisbench_llm.demo.report import DemoResult, results_markdown, summary
from seisbench_llm.demo.run import default_out_dir, run_demo

__all__ = [
    "BUDGET_MINUTES",
    "DEMO_MINUTES",
    "DEMO_PRECISION",
    "DEMO_PROFILES",
    "TARGET_F1",
    "DemoResult",
    "default_out_dir",
    "demo_configs",
    "find_local_gpt2",
    "results_markdown",
    "run_demo",
    "summary",
]
