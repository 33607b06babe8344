"""SeisMoLLM's configuration: every constructor argument once, with its type, default, check
and documentation.

:py:class:`SeisMoLLMConfig` is the single source of SeisMoLLM's keyword arguments, of
``get_model_args()`` (the ``model_args`` of saved weights), of the harness's ``model_args``
schema and of the argument table in ``docs/user_guide.md``.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import numbers
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seisbench_llm.tasks import TASKS, get_task

__all__ = ["ArgSpec", "SeisMoLLMConfig"]


def _arg(default: Any, doc: str, check: tuple[str, Callable[[Any], bool]] | None = None) -> Any:
    """A config field: ``default``, its documentation and an optional ``(words, test)`` check
    beyond the field's type (applied to non-null values)."""
    return dataclasses.field(default=default, metadata={"doc": doc, "check": check})


_AT_LEAST_1 = ("an integer >= 1", lambda v: v >= 1)
_AT_LEAST_0 = ("an integer >= 0", lambda v: v >= 0)
_POSITIVE = ("a number > 0", lambda v: v > 0)
_FRACTION = ("a number in [0, 1)", lambda v: 0 <= v < 1)
_POSITIVES = ("a list of integers >= 1", lambda v: all(x >= 1 for x in v))
_TASK = (f"one of {', '.join(TASKS)}", lambda v: v in TASKS)


@dataclass(frozen=True)
class SeisMoLLMConfig:
    """Architecture and task of a :py:class:`~seisbench_llm.models.seismollm.SeisMoLLM`.

    The defaults are the published model (GPT-2 small width, its first 3 blocks, LoRA rank 16) in
    the STEAD setting. Lists may be given as lists or tuples. ``p_position=None`` becomes
    ``in_samples // 6`` and a last ``embed_channels`` entry of None becomes
    ``d_model // patch_size``, so a config always holds the values the model is built with.

    :raises ValueError: One line naming the argument, the value and what is allowed.
    """

    task: str = _arg("picking", "Task, see seisbench_llm.tasks.TASKS.", _TASK)
    in_samples: int = _arg(
        6000, "Window length (6000 for STEAD at 100 Hz, 8192 for DiTing at 50 Hz).", _AT_LEAST_1
    )
    sampling_rate: float = _arg(
        100.0, "Sampling rate in Hz the model expects (input is resampled to it).", _POSITIVE
    )
    component_order: str = _arg("ZNE", "Component order of the input.")
    d_model: int = _arg(768, "GPT-2 width (768 for GPT-2 small).", _AT_LEAST_1)
    n_layers: int = _arg(3, "Number of GPT-2 blocks used (3 in the paper).", _AT_LEAST_1)
    n_heads: int = _arg(12, "Attention heads (12 for GPT-2 small).", _AT_LEAST_1)
    n_positions: int = _arg(1024, "Rows of the position embedding table.", _AT_LEAST_1)
    dropout: float = _arg(0.1, "GPT-2 embedding, attention and residual dropout.", _FRACTION)
    patch_size: int = _arg(
        8,
        "Feature samples per token; the embedder's last stage has d_model / patch_size channels.",
        _AT_LEAST_1,
    )
    embed_channels: tuple[int | None, ...] | None = _arg(
        (16, 48, 96, None),
        "Output channels of the 4 embedder stages (a last None: d_model // patch_size).",
    )
    embed_kernels: tuple[int, ...] = _arg(
        (16, 8, 6, 1), "Base kernel per embedder stage.", _POSITIVES
    )
    embed_scale_strides: tuple[int, ...] = _arg(
        (8, 6, 4, 2), "Kernel increment between the 4 branches of an embedder stage.", _POSITIVES
    )
    embed_strides: tuple[int, ...] = _arg((2, 2, 2, 1), "Stride per embedder stage.", _POSITIVES)
    head_channels: tuple[int, ...] = _arg(
        (224, 192, 160, 6), "Channels of the 4 up-layers of the picking head.", _POSITIVES
    )
    head_kernels: tuple[int, ...] = _arg(
        (1, 6, 8, 16), "Kernels of the 4 up-layers of the picking head.", _POSITIVES
    )
    lora_r: int = _arg(
        16, "LoRA rank; 0 builds the model without adapters (as merged).", _AT_LEAST_0
    )
    lora_alpha: float = _arg(16, "LoRA alpha.")
    lora_dropout: float = _arg(0.1, "LoRA dropout.", _FRACTION)
    magnitude_scale: float = _arg(8.0, "Magnitude output is sigmoid x magnitude_scale.", _POSITIVE)
    distance_scale: float = _arg(
        500.0, "Distance output is sigmoid x distance_scale (km).", _POSITIVE
    )
    p_position: int | None = _arg(
        None,
        "Non-picking tasks: sample of the P onset in a window (classify places windows so); "
        "None: in_samples // 6.",
    )
    phases: tuple[str, ...] = _arg(("P", "S"), "Phase names of the picking outputs.")

    def __post_init__(self) -> None:
        if isinstance(self.task, str):
            get_task(self.task)  # its error lists the valid tasks
        for name, spec in self.arg_specs().items():
            value = getattr(self, name)
            if not spec.accepts(value):
                raise ValueError(
                    f"SeisMoLLM argument {name} = {json.dumps(value, default=str)}: must be "
                    f"{spec.allowed}"
                )
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        if self.d_model % self.patch_size:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by patch_size ({self.patch_size})"
            )
        token_channels = self.d_model // self.patch_size
        channels = list(self.embed_channels or SeisMoLLMConfig.embed_channels)
        if channels[-1] is None:
            channels[-1] = token_channels
        if channels[-1] != token_channels:
            raise ValueError(
                f"The last embedder stage must have d_model / patch_size = {token_channels} "
                f"channels, got {channels[-1]}"
            )
        object.__setattr__(self, "embed_channels", tuple(channels))
        if self.p_position is None:
            object.__setattr__(self, "p_position", self.in_samples // 6)
        if not 0 <= self.p_position < self.in_samples:
            raise ValueError(
                f"p_position must lie in [0, {self.in_samples}), got {self.p_position}"
            )

    @classmethod
    def arg_specs(cls) -> dict[str, ArgSpec]:
        """Every argument's :py:class:`ArgSpec`, in the order of the fields."""
        hints = typing.get_type_hints(cls)
        return {
            f.name: ArgSpec(
                f.name, hints[f.name], f.default, f.metadata["doc"], f.metadata["check"]
            )
            for f in dataclasses.fields(cls)
        }

    @classmethod
    def split(cls, kwargs: dict[str, Any]) -> tuple[SeisMoLLMConfig, dict[str, Any]]:
        """A config from the arguments in ``kwargs`` that are its fields, and the others."""
        names = {f.name for f in dataclasses.fields(cls)}
        config = cls(**{k: v for k, v in kwargs.items() if k in names})
        return config, {k: v for k, v in kwargs.items() if k not in names}

    def to_dict(self) -> dict[str, Any]:
        """The arguments as JSON values (tuples as lists), as ``get_model_args`` saves them."""
        return {
            f.name: list(value) if isinstance(value := getattr(self, f.name), tuple) else value
            for f in dataclasses.fields(self)
        }

    @classmethod
    def signature(cls) -> inspect.Signature:
        """Keyword-only parameters with the fields' names, types and defaults (and ``**kwargs``
        for :py:class:`seisbench.models.WaveformModel`), for ``help()`` and argument checks."""
        hints = typing.get_type_hints(cls)
        params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
        params += [
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
            )
            for f in dataclasses.fields(cls)
        ]
        params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
        return inspect.Signature(params)


@dataclass(frozen=True)
class ArgSpec:
    """One argument of :py:class:`SeisMoLLMConfig`: its type, default and check, in words too.

    :param name: Argument name.
    :param type: Type annotation.
    :param default: Default value.
    :param doc: What the argument means.
    :param check: ``(words, test)`` beyond the type, applied to non-null values, or None.
    """

    name: str
    type: Any
    default: Any
    doc: str
    check: tuple[str, Callable[[Any], bool]] | None = None

    @property
    def allowed(self) -> str:
        """What the argument accepts, in words (``"an integer >= 1"``, ``"null or a list of
        integers"``, ...)."""
        words = _describe(self.type)
        if self.check is None:
            return words
        return f"null or {self.check[0]}" if _accepts(None, self.type) else self.check[0]

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` (a Python or JSON value) is valid for this argument."""
        if not _accepts(value, self.type):
            return False
        return value is None or self.check is None or bool(self.check[1](value))


_WORDS = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    type(None): "null",
}
_PLURAL = {int: "integers", float: "numbers", str: "strings"}


def _describe(hint: Any) -> str:
    """A type annotation in words."""
    if hint in _WORDS:
        return _WORDS[hint]
    args = typing.get_args(hint)
    if _is_union(hint):
        return " or ".join(_describe(a) for a in sorted(args, key=lambda a: a is not type(None)))
    item = args[0]
    if _is_union(item):
        return "a list of " + " or ".join(_PLURAL.get(a, "nulls") for a in typing.get_args(item))
    return f"a list of {_PLURAL[item]}"


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _accepts(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of type ``hint`` (bool is no number; lists count as tuples; an
    integer is a float)."""
    if hint is type(None):
        return value is None
    if _is_union(hint):
        return any(_accepts(value, a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, list | tuple) and all(_accepts(v, item) for v in value)
    if isinstance(value, bool):
        return hint is bool
    if hint is float:
        return isinstance(value, numbers.Real)
    if hint is int:
        return isinstance(value, numbers.Integral)
    return isinstance(value, hint)
