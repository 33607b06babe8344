"""The demo's result record and its reports: results table (markdown, CSV) and final summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seisbench_llm.demo.profiles import BUDGET_MINUTES, DEMO_PRECISION, DEMO_PROFILES, TARGET_F1
from seisbench_llm.training.reports import results_table

__all__ = [
    "DEMO_PICKER",
    "DemoResult",
    "budget_remark",
    "results_markdown",
    "summary",
    "write_rows_csv",
]

#: Label of the demo's SeisMoLLM in the real-set tables.
DEMO_PICKER = "SeisMoLLM demo weights"


@dataclass
class DemoResult:
    """What :py:func:`~seisbench_llm.demo.run_demo` produced.

    :param out_dir: Output folder.
    :param rows: Protocol B result rows of both models.
    :param weights: Exported SeisMoLLM weight file.
    :param weight_name: Name of the exported weights.
    :param weight_version: Version of the exported weights.
    :param gpt2: Source of the pretrained GPT-2 used, None for random init.
    :param picks: SeisMoLLM's picks on the real evaluation set.
    :param real_rows: Per-record scores of SeisMoLLM and the classical picker on the real set
                      (:py:func:`seisbench_llm.real_eval.evaluate`).
    :param files: Files written.
    :param durations: Seconds per stage, and ``"total"``.
    :param steps: Per trained model (``"seismollm"``, ``"eqtransformer"``): its optimiser steps and
                  seconds per step on this machine (validation included).
    :param precision: The precision both models were trained in (``float32`` or ``bfloat16``).
    """

    out_dir: Path
    rows: list[dict[str, Any]]
    weights: Path
    weight_name: str
    weight_version: str
    gpt2: str | None
    picks: list[Any] = field(default_factory=list)
    real_rows: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    steps: dict[str, tuple[int, float]] = field(default_factory=dict)
    precision: str = DEMO_PRECISION

    def seconds_per_step(self, model: str) -> float:
        """Seconds per optimiser step of a model's training run on this machine (NaN without).

        :param model: ``"seismollm"`` or ``"eqtransformer"``.
        """
        return self.steps[model][1] if model in self.steps else float("nan")

    def f1(self, model: str, phase: str) -> float:
        """Protocol B F1 (%) of a model for a phase.

        :param model: ``"seismollm"`` or ``"eqtransformer"``.
        :param phase: ``"P"`` or ``"S"``.
        :return: F1 in percent.
        :raises KeyError: Without a result for them.
        """
        for row in self.rows:
            if row["model"] == model and row["target"] == phase:
                return float(row["f1"])
        raise KeyError(f"no result for {model} {phase}")

    def real_summary(self) -> dict[str, Any] | None:
        """The demo SeisMoLLM's real-set summary (its row of
        :py:func:`seisbench_llm.real_eval.summary_rows`), None without real-set results."""
        from seisbench_llm.real_eval import summary_rows

        mine = [s for s in summary_rows(self.real_rows) if s["picker"] == DEMO_PICKER]
        return mine[0] if mine else None

    def real_targets(self) -> dict[str, bool]:
        """The real-set targets (:py:data:`seisbench_llm.real_eval.REAL_TARGETS`) and whether the
        demo's SeisMoLLM met them.

        :return: Target text -> met; empty without real-set results.
        """
        from seisbench_llm.real_eval import real_targets

        summary = self.real_summary()
        return real_targets(summary) if summary else {}


def write_rows_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Write the result rows as CSV.

    :param rows: One mapping per model and phase.
    :param path: Output file.
    """
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)


def _fmt_minutes(seconds: float) -> str:
    """``"2.5 min"`` from a minute on, else ``"42 s"``."""
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def results_markdown(
    result: DemoResult, configs: dict[str, Any], profile: str, gpt2_text: str
) -> str:
    """The demo's results as markdown: protocol B table, targets, what the weights are.

    :param result: The demo's results.
    :param configs: The demo's harness configs.
    :param profile: The profile run.
    :param gpt2_text: How GPT-2 was initialised.
    :return: The markdown text.
    """

    names = {"seismollm": "SeisMoLLM (demo size)", "eqtransformer": "EQTransformer"}
    rows = []
    for row in result.rows:
        rows.append(
            {
                "model": names.get(row["model"], row["model"]),
                "phase": row["target"],
                "precision %": row.get("precision"),
                "recall %": row.get("recall"),
                "F1 %": row.get("f1"),
                "MAE (samples, TP)": row.get("mae"),
                "test traces": row.get("n_traces", row.get("n")),
                "labelled": row.get("n_labelled"),
            }
        )
    lines = [
        f"# seisbench-llm demo results (profile '{profile}')",
        "",
        "Synthetic test split, protocol B: top-1 peak >= 0.3, at least 1 s apart, "
        "true positive within 0.1 s.",
        "",
        results_table(rows, float_format=".1f"),
        "Targets for SeisMoLLM: "
        + ", ".join(
            f"{p} F1 >= {t:.0f} % -> {result.f1('seismollm', p):.1f} % "
            f"({'met' if result.f1('seismollm', p) >= t else 'MISSED'})"
            for p, t in TARGET_F1.items()
        )
        + ".",
        "",
        *_real_set_lines(result),
        f"- {gpt2_text}",
        f"- Weights '{result.weight_name}' (version {result.weight_version}) were trained on the "
        "project's SYNTHETIC dataset: they are NOT STEAD weights.",
        f"- {DEMO_PROFILES[profile]['note']}",
    ]
    for key, cfg in configs.items():
        epochs = cfg.trainer_args.get("max_epochs")
        n = cfg.max_train_samples or "all"
        timing = ""
        if key in result.steps:
            timing = (
                f" ({result.steps[key][0]} steps, {result.seconds_per_step(key):.2f} s per step "
                f"on this machine, {result.precision})"
            )
        lines.append(
            f"- {names[key]}: {epochs} epochs on {n} training traces, batch {cfg.batch_size}"
            f"{timing}; config: configs/{key}.json"
        )
    lines.append(
        "- Durations: " + ", ".join(f"{k}: {_fmt_minutes(v)}" for k, v in result.durations.items())
    )
    return "\n".join(lines) + "\n"


def _real_set_lines(result: DemoResult) -> list[str]:
    """The real-set tables (:py:func:`seisbench_llm.real_eval.markdown_tables`) and the targets."""
    from seisbench_llm.data.real_events import TOLERANCE
    from seisbench_llm.real_eval import markdown_tables

    if not result.real_rows:
        return []
    met = result.real_targets()
    return [
        "## Real recordings (ObsPy's example and test events; never used for training)",
        "",
        markdown_tables(result.real_rows, TOLERANCE),
        "",
        "Real-set targets for SeisMoLLM: "
        + "; ".join(f"{text}: {'met' if ok else 'MISSED'}" for text, ok in met.items())
        + ". Figure: real_recordings.png.",
        "",
    ]


def budget_remark(result: DemoResult, profile: str) -> str:
    """A sentence for a default-profile run that took longer than :py:data:`BUDGET_MINUTES`, naming
    the training speed that made it so; empty otherwise.

    :param result: The demo's results.
    :param profile: The profile run.
    :return: The sentence, or ``""``.
    """
    minutes = result.durations["total"] / 60
    if profile != "default" or minutes <= BUDGET_MINUTES:
        return ""
    return (
        f"Over the demo's {BUDGET_MINUTES:.0f}-minute budget on this machine: SeisMoLLM trained at "
        f"{result.seconds_per_step('seismollm'):.2f} s per step; the step count is fixed so that "
        "the figures do not depend on the machine's speed (docs/demo.md)."
    )


def summary(result: DemoResult, table: str, profile: str = "default") -> str:
    """The final summary printed by the demo.

    :param result: The demo's results.
    :param table: The markdown of :py:func:`results_markdown`.
    :param profile: The profile run (the budget remark concerns the default profile only).
    :return: The summary text.
    """
    n_p = sum(p.phase == "P" for p in result.picks)
    n_s = sum(p.phase == "S" for p in result.picks)
    n_records = len({r["record"] for r in result.real_rows})
    files = "\n".join(f"  {f.relative_to(result.out_dir)}" for f in result.files)
    return (
        f"{table}\n"
        f"Real recordings ({n_records}): SeisMoLLM picked {n_p} P and {n_s} S.\n"
        f"Output folder: {result.out_dir}\n{files}\n"
        f"Done in {_fmt_minutes(result.durations['total'])}."
        + (f"\n{remark}" if (remark := budget_remark(result, profile)) else "")
    )
