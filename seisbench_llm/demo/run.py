"""The demo's steps, in order: data, training, evaluation, export and reload, annotation,
figures and reports (:py:func:`run_demo`)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seisbench_llm.demo.figures import plot_test_examples, plot_training_curves
from seisbench_llm.demo.profiles import (
    DEMO_PRECISION,
    DEMO_PROFILES,
    check_profile,
    demo_configs,
    find_local_gpt2,
)
from seisbench_llm.demo.report import (
    DEMO_PICKER,
    DemoResult,
    results_markdown,
    summary,
    write_rows_csv,
)

if TYPE_CHECKING:
    from seisbench_llm.demo.clock import TrainingClock

__all__ = ["default_out_dir", "run_demo"]


def default_out_dir() -> Path:
    """``./seisbench-llm-demo-<UTC date>-<time>`` in the working directory.

    :return: The folder (not created).
    """
    return Path.cwd() / time.strftime("seisbench-llm-demo-%Y%m%d-%H%M%S", time.gmtime())


class _Stages:
    """Numbered stage headers on stdout, and the duration of each stage.

    :param n: Number of stages.
    :param say: Where the headers go.
    """

    def __init__(self, n: int, say: Callable[[str], None]):
        self.n, self.i, self.say = n, 0, say
        self.durations: dict[str, float] = {}
        self._name: str | None = None
        self._start = 0.0

    def __call__(self, key: str, title: str) -> None:
        """End the running stage and start stage ``key``, printing ``title``."""
        self.done()
        self.i += 1
        self._name, self._start = key, time.perf_counter()
        self.say(f"\n[{self.i}/{self.n}] {title}")

    def done(self) -> None:
        """End the running stage, recording its duration."""
        if self._name is not None:
            self.durations[self._name] = time.perf_counter() - self._start
            self._name = None


def run_demo(
    out_dir: str | os.PathLike | None = None,
    profile: str = "default",
    gpt2: str | None = "gpt2",
    weight_name: str = "synthetic",
    seed: int = 0,
    progress: bool = True,
    say: Callable[[str], None] = print,
    precision: str = DEMO_PRECISION,
) -> DemoResult:
    """Run the whole demo (see :py:mod:`seisbench_llm.demo`) into ``out_dir``.

    :param out_dir: Output folder; must not exist or be empty. Default :py:func:`default_out_dir`.
    :param profile: A key of :py:data:`~seisbench_llm.demo.profiles.DEMO_PROFILES`.
    :param gpt2: Pretrained GPT-2 to use if it is found locally (a ``save_pretrained`` directory or
                 a hub id in the Hugging Face cache); never downloaded. None: random init.
    :param weight_name: Name under which the SeisMoLLM weights are exported.
    :param seed: Seed of data splits, initialisation and training.
    :param progress: Show progress bars.
    :param precision: Training precision (:py:mod:`seisbench_llm.precision`; the demo's figures
                      in docs/demo.md are float32, with one bfloat16 spread).
    :param say: Where the stage headers and the summary go.
    :return: The results, written files and stage durations.
    :raises ValueError: For an unknown profile.
    :raises FileExistsError: If ``out_dir`` exists and is not an empty folder.
    """
    import lightning as L

    from seisbench_llm.precision import resolve_precision
    from seisbench_llm.training import harness

    check_profile(profile)
    out = _make_out_dir(out_dir)
    start = time.perf_counter()
    stages = _Stages(7, say)
    say(f"seisbench-llm demo (profile '{profile}'): writing to {out}")
    say(f"Profile: {DEMO_PROFILES[profile]['note']}")
    gpt2_source, gpt2_text = _gpt2_choice(gpt2)
    say(gpt2_text)
    precision = resolve_precision(precision, "cpu")
    say(_precision_text(precision))
    configs = demo_configs(profile, gpt2=gpt2_source, seed=seed, precision=precision)
    (out / "configs").mkdir()
    for key, cfg in configs.items():
        (out / "configs" / f"{key}.json").write_text(json.dumps(cfg.to_dict(), indent=2))

    stages("data", "Synthetic dataset (generated once, then read from the SeisBench cache)")
    dataset = harness.load_dataset(configs["seismollm"])
    say(f"{len(dataset)} traces in {dataset.path}")
    best, clocks = _train(configs, out / "runs", stages, progress)

    stages("evaluate", "Evaluate both on the synthetic test split (protocol B, 0.1 s tolerance)")
    rows: list[dict[str, Any]] = []
    lits = {}
    for key, cfg in configs.items():
        lits[key] = harness.load_lit(cfg, best[key])
        parts = harness.split_datasets(cfg, dataset)
        rows += harness.evaluate_protocol_b(cfg, lits[key], parts["test"], out / "runs" / key)

    stages(
        "export", f"Export the SeisMoLLM weights as '{weight_name}', reload with from_pretrained"
    )
    weights, version, model = _export_and_reload(configs["seismollm"], best, rows, weight_name)
    say(
        f"Exported {weights} and reloaded: sbm.SeisMoLLM.from_pretrained('{weight_name}', "
        f"version_str='{version}')"
    )

    stages("real", "Pick real recordings (ObsPy's example and test events) with the reloaded model")
    picks, real_rows, files = _score_real_set(model, out)

    stages("figures", "Figures and results table")
    test = harness.split_datasets(configs["seismollm"], dataset)["test"]
    files += [
        plot_test_examples(lits, configs, test, out / "test_examples.png", seed),
        plot_training_curves(out / "runs", out / "training_curves.png"),
    ]
    stages.done()
    durations = {**stages.durations, "total": time.perf_counter() - start}
    L.seed_everything(seed, verbose=False)  # leave the global RNGs as a fresh process would
    result = DemoResult(
        out_dir=out,
        rows=rows,
        weights=weights,
        weight_name=weight_name,
        weight_version=version,
        gpt2=gpt2_source,
        picks=picks,
        real_rows=real_rows,
        files=files,
        durations=durations,
        steps={key: (clock.steps, clock.seconds_per_step) for key, clock in clocks.items()},
        precision=precision,
    )
    table = results_markdown(result, configs, profile, gpt2_text)
    (out / "results.md").write_text(table)
    write_rows_csv(rows, out / "results.csv")
    result.files += [out / "results.md", out / "results.csv"]
    say("\n" + summary(result, table, profile))
    return result


def _precision_text(precision: str) -> str:
    """The line saying in which precision the demo trains, and what the other would do here."""
    from seisbench_llm.precision import cpu_has_native_bf16

    native = cpu_has_native_bf16()
    if precision == "bfloat16":
        how = "this CPU computes it natively" if native else "EMULATED here, many times slower"
        return f"Training in bfloat16 (mixed precision): {how}."
    if native:
        return (
            "Training in float32 (--precision bfloat16 is about 1.5x faster per step on this CPU "
            "but trained weaker demo models: docs/demo.md)."
        )
    return "Training in float32."


def _make_out_dir(out_dir: str | os.PathLike | None) -> Path:
    """Create the output folder.

    :param out_dir: Folder, or None for :py:func:`default_out_dir`.
    :return: The folder, empty.
    :raises FileExistsError: If it exists and is not an empty folder.
    """
    out = Path(out_dir).expanduser() if out_dir is not None else default_out_dir()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _gpt2_choice(gpt2: str | None) -> tuple[str | None, str]:
    """Pretrained GPT-2 to start from, if found locally, and a sentence saying what was chosen.

    :param gpt2: Where to look (:py:func:`~seisbench_llm.demo.profiles.find_local_gpt2`), or None.
    :return: ``(source or None, description)``.
    """
    found = find_local_gpt2(gpt2) if gpt2 else None
    if found:
        return found[0], (
            f"GPT-2 blocks initialised from pretrained GPT-2 found locally ({found[1]})."
        )
    looked = f" ('{gpt2}' not found locally; nothing is downloaded)" if gpt2 else ""
    return None, f"GPT-2 blocks RANDOMLY initialised: no pretrained GPT-2 weights{looked}."


def _train(
    configs: dict[str, Any], runs: Path, stages: _Stages, progress: bool
) -> tuple[dict[str, Path], dict[str, TrainingClock]]:
    """Train SeisMoLLM and the EQTransformer baseline with the harness.

    :param configs: The demo's harness configs.
    :param runs: Folder of the runs (one subfolder per model).
    :param stages: Stage headers (and where the early time estimate of each run goes).
    :param progress: Show Lightning's progress bars.
    :return: Best checkpoint and training clock per model.
    """
    from tqdm import tqdm

    from seisbench_llm.demo.clock import TrainingClock  # imports Lightning: not at CLI start-up
    from seisbench_llm.training import harness

    def say_between_bars(text: str) -> None:
        with tqdm.external_write_mode():
            stages.say(text)

    best: dict[str, Path] = {}
    clocks: dict[str, TrainingClock] = {}
    for key, title in (("seismollm", "SeisMoLLM"), ("eqtransformer", "EQTransformer baseline")):
        stages(f"train {key}", f"Train {title} (benchmark harness, CPU)")
        cfg = configs[key]
        if not progress:
            cfg.trainer_args["enable_progress_bar"] = False
        cfg.trainer_args.setdefault("enable_model_summary", False)
        clocks[key] = TrainingClock(title, say_between_bars)
        with _quiet_lightning():
            best[key] = harness.train(cfg, runs / key, extra_callbacks=[clocks[key]])
    return best, clocks


def _export_and_reload(
    cfg: Any, best: dict[str, Path], rows: list[dict[str, Any]], weight_name: str
) -> tuple[Path, str, Any]:
    """Export the trained SeisMoLLM to the SeisBench cache and reload it with ``from_pretrained``.

    :param cfg: SeisMoLLM's harness config.
    :param best: Best checkpoint per model.
    :param rows: Protocol B result rows (SeisMoLLM's go into the weights' docstring).
    :param weight_name: Name of the weights.
    :return: ``(weight file, version, reloaded model in eval mode)``.
    """
    import seisbench.models as sbm

    from seisbench_llm.training import harness

    results = {"protocol_b": [r for r in rows if r["model"] == "seismollm"]}
    weights = harness.export_checkpoint(cfg, best["seismollm"], weight_name, results)
    version = weights.name.rsplit(".v", 1)[-1]
    model = sbm.SeisMoLLM.from_pretrained(weight_name, version_str=version).eval()
    return weights, version, model


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Hide Lightning's start-up chatter (hardware lines, tips, deprecation notes) for a clean demo
    log; its progress bars and real warnings stay."""
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        for lg in loggers:
            lg.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _score_real_set(model: Any, out: Path) -> tuple[list[Any], list[dict[str, Any]], list[Path]]:
    """Pick the real evaluation set (:py:func:`~seisbench_llm.data.real_events.real_events`, ObsPy's
    example recording among them) with the reloaded SeisMoLLM and with the classical picker, and
    score both (:py:mod:`seisbench_llm.real_eval`).

    :param model: The reloaded SeisMoLLM.
    :param out: Output folder.
    :return: ``(SeisMoLLM's picks, per-record score rows of both pickers, [picks CSV, figure])``.
    """
    from seisbench_llm.data.real_events import real_events
    from seisbench_llm.picks_io import station_key, write_picks_csv
    from seisbench_llm.real_eval import (
        CLASSICAL,
        annotation_picker,
        classical_picks,
        evaluate,
        plot_records,
    )

    records = real_events()
    pickers = {DEMO_PICKER: annotation_picker(model), CLASSICAL: classical_picks}
    rows, picks = evaluate(pickers, records)
    sources: dict[str, list[tuple[Any, Any, str]]] = {}
    for record in records:
        start = min(tr.stats.starttime for tr in record.stream)
        end = max(tr.stats.endtime for tr in record.stream)
        key = station_key(record.stream[0])
        sources.setdefault(key, []).append((start, end, f"{record.name}: {record.source}"))
    mine = [p for record_picks in picks[DEMO_PICKER] for p in record_picks]
    write_picks_csv(out / "picks.csv", mine, sources)
    figure = plot_records(out / "real_recordings.png", DEMO_PICKER, records, picks[DEMO_PICKER])
    return mine, rows, [out / "picks.csv", figure]
