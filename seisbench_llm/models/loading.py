"""Load any model the package runs (SeisMoLLM, SeisMoE, EQTransformer, PhaseNet) by class name and
weights, and make it ready to annotate: one way for ``seisbench-llm annotate``, ``seisbench-llm
pick`` (on every Dask worker) and the benchmark scripts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from seisbench_llm.models.inputs import add_input_handling

#: Models the package loads by class name.
MODEL_NAMES = ("SeisMoLLM", "SeisMoE", "EQTransformer", "PhaseNet")


class ModelLoadError(ValueError):
    """Weights that cannot be loaded: missing, unreadable, of another class or task. One line."""


def model_class(name: str) -> type:
    """The model class called ``name`` (one of :py:data:`MODEL_NAMES`)."""
    if name not in MODEL_NAMES:
        raise ModelLoadError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
    if name in ("SeisMoLLM", "SeisMoE"):
        import seisbench_llm

        return getattr(seisbench_llm, name)
    import seisbench.models as sbm

    return getattr(sbm, name)


def weight_files(spec: str) -> tuple[Path, str | None] | None:
    """Where ``spec`` names weight files: their base path and version, else None.

    A value with a path separator or ending in ``.json``/``.pt`` (optionally ``.v<N>``) is a path;
    anything else is a weight name of the registry (such names contain neither).
    """
    from seisbench_llm.weights import WEIGHT_FILE_RE

    path = Path(spec).expanduser()
    match = WEIGHT_FILE_RE.fullmatch(path.name)
    if match:
        return path.with_name(match["name"]), match["version"]
    if "/" in spec or os.sep in spec:
        return path, None
    return None


def load_model(model_name: str, spec: str, task: str | None = "picking") -> Any:
    """Load ``model_name`` with weights ``spec``: a registry name (``from_pretrained``, offline
    first) or a SeisBench weight pair by path (``DIR/NAME`` for ``NAME.json`` + ``NAME.pt``, or
    either file, ``.v<N>`` for a version).

    :param task: The task the weights must have (SeisMoLLM); None accepts any.
    :raises ModelLoadError: One line saying what is missing or wrong.
    """
    from seisbench_llm.weights import WeightsCorruptError, WeightsNotFoundError, weight_paths

    cls = model_class(model_name)
    files = weight_files(spec)
    try:
        if files is None:
            model = cls.from_pretrained(spec)
        else:
            base, version = files
            missing = [str(p) for p in weight_paths(base, version) if not p.is_file()]
            if missing:
                raise ModelLoadError(
                    f"weight file(s) not found: {', '.join(missing)} (a weights path names a "
                    "SeisBench pair PATH.json + PATH.pt; a name without '/' is looked up in the "
                    "local weight registry, see `seisbench-llm list`)"
                )
            model = cls.load(base, version_str=version)
    except (WeightsNotFoundError, WeightsCorruptError, ModelLoadError) as error:
        raise ModelLoadError(str(error)) from error
    except Exception as error:  # SeisBench's own lookups, a json of another class, ...
        lines = str(error).strip().splitlines()
        reason = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
        raise ModelLoadError(f"cannot load {model_name} weights '{spec}': {reason}") from error
    model_task = getattr(model, "task", "picking")
    if task is not None and model_task != task:
        raise ModelLoadError(
            f"{model_name} weights '{spec}' are a '{model_task}' model; {task} weights are needed"
        )
    return model


def ready_for_annotation(model: Any, precision: str = "auto") -> Any:
    """A loaded model as the package's CLI and archive picking run it, made once per model.

    SeisMoLLM becomes its inference copy (``model.inference_model(precision)``: BatchNorms folded,
    LoRA merged, the forward pass at ``precision``); any other SeisBench model gets the shared
    input handling (:py:func:`seisbench_llm.models.inputs.add_input_handling`) and runs in float32.

    :param model: A SeisBench ``WaveformModel``, already on its device and in eval mode.
    :param precision: One of :py:data:`seisbench_llm.precision.PRECISIONS`; models other than
        SeisMoLLM accept only ``auto`` (meaning float32 for them) and ``float32``.
    :raises ValueError: For a reduced precision asked of a model that runs only in float32.
    """
    if hasattr(model, "inference_model"):
        return model.inference_model(precision)
    if precision not in ("auto", "float32"):
        raise ValueError(
            f"precision {precision!r} is available for SeisMoLLM only; "
            f"{type(model).__name__} runs in float32"
        )
    return add_input_handling(model)
