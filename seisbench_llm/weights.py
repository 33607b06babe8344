"""Weight registry: SeisBench's own ``from_pretrained`` / ``list_pretrained`` / ``list_versions``
and cache, with what SeisBench lacks added on top.

Weights live where SeisBench keeps them, ``<seisbench.cache_model_root>/<class name lower>/``, as
the pair ``<name>.json.v<version>`` + ``<name>.pt.v<version>``; versions are SeisBench's (any
string, ``"latest"`` is the highest by :py:func:`packaging.version.parse`, e.g. ``1rc1`` < ``1``
< ``2`` < ``10``). Model classes inherit :py:class:`RegistryMixin` *before* their SeisBench base
(``class SeisMoLLM(RegistryMixin, WaveformModel)``). What the mixin adds:

- offline first: ``from_pretrained`` and the listings never wait on the network for weights that
  are cached; remote listings that fail or take longer than :py:data:`REMOTE_TIMEOUT` seconds are
  a warning and the local weights are shown; ``SEISBENCH_LLM_REMOTE_ROOT=off`` never contacts a
  server;
- :py:class:`WeightsNotFoundError` and :py:class:`WeightsCorruptError` that say which files were
  looked for, where, and how to produce or repair them (also for a hand-edited json whose
  ``model_args`` have the wrong type).

:py:func:`export_weights` writes a pair atomically (LoRA merged) and claims its version with
exclusive links, so concurrent exports never share a version.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import seisbench
import torch
from packaging.version import InvalidVersion, Version
from seisbench.models import SeisBenchModel

__all__ = [
    "REMOTE_ENV",
    "RegistryMixin",
    "WeightsCorruptError",
    "WeightsNotFoundError",
    "check_name",
    "list_local_weights",
    "model_folder",
    "weight_paths",
    "weight_problem",
]

logger = logging.getLogger("seisbench_llm")

#: Environment variable: ``off`` (or empty) disables every remote access of the registry.
REMOTE_ENV = "SEISBENCH_LLM_REMOTE_ROOT"
#: Seconds a remote listing may take before the local weights are used instead.
REMOTE_TIMEOUT = 10.0

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
#: A weight file name: ``<name>.<json|pt>[.v<version>]`` (SeisBench's naming).
WEIGHT_FILE_RE = re.compile(r"(?P<name>.+?)\.(?P<kind>json|pt)(?:\.v(?P<version>.+))?")
_TMP_PREFIX = ".seisbench-llm-export-"  # no ".json"/".pt" inside: SeisBench's listing ignores it


class WeightsNotFoundError(FileNotFoundError, ValueError):
    """Weights are neither in the local SeisBench cache nor obtainable from the remote.

    A :py:class:`FileNotFoundError`, and a :py:class:`ValueError` like SeisBench's own error for
    unknown weight names, so existing ``except ValueError`` code keeps working.

    :param message: What was looked for, where, and how to produce the weights.
    :param weight_name: Name of the weights.
    :param cache_path: Local folder looked in.
    :param remote_url: Remote folder tried (None when the remote is disabled).
    """

    def __init__(self, message: str, *, weight_name=None, cache_path=None, remote_url=None):
        super().__init__(message)
        self.weight_name = weight_name
        self.cache_path = cache_path
        self.remote_url = remote_url


class WeightsCorruptError(RuntimeError):
    """A weight file exists but cannot be used (not JSON, truncated, not a state dict, or
    ``model_args`` of the wrong type).

    :param message: Which file, why, and how to repair it.
    :param path: The broken file.
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def remote_enabled() -> bool:
    """False when ``SEISBENCH_LLM_REMOTE_ROOT`` is ``off``, ``none`` or empty (read at each call)."""
    value = os.environ.get(REMOTE_ENV)
    return value is None or value.strip().lower() not in ("", "off", "none")


def model_folder(cls: type) -> Path:
    """SeisBench's cache folder of ``cls``'s weights, ``<cache_model_root>/<class name lower>``."""
    return Path(seisbench.cache_model_root, cls.__name__.lower())


def _remote_folder(cls: type) -> str:
    return seisbench.remote_model_root.rstrip("/") + "/" + cls.__name__.lower()


def weight_paths(base: str | os.PathLike, version: str | None = None) -> tuple[Path, Path]:
    """``(json, pt)`` paths of the weight pair ``base`` (``.v<version>`` appended if given), as
    SeisBench's ``save`` and ``load`` name them."""
    suffix = "" if version is None else f".v{version}"
    base = Path(base)
    return base.with_name(f"{base.name}.json{suffix}"), base.with_name(f"{base.name}.pt{suffix}")


def check_name(name: str) -> None:
    """Reject weight names SeisBench cannot list back (or that would leave the cache folder).

    :raises ValueError: With the rule for valid names.
    """
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or re.search(r"\.(json|pt)", name):
        raise ValueError(
            f"Invalid weight name {name!r}: use letters, digits, '_', '-', '+' and '.', not "
            "starting with '.' and not containing '.json' or '.pt'"
        )


def _version_key(version_str: str) -> tuple:
    try:
        return (0, Version(version_str))
    except InvalidVersion:
        return (1, version_str)  # SeisBench itself cannot order these; keep them last


def _short(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    if len(first) > 160:  # e.g. torch's zip errors: keep the first sentence
        end = first.find(". ")
        first = first[:end] if 0 < end < 160 else first[:157] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _bounded(call: Callable[[], Any]) -> Any:
    """``call()`` in a daemon thread; TimeoutError if it takes longer than :py:data:`REMOTE_TIMEOUT`."""
    seconds = REMOTE_TIMEOUT
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # handed to the caller
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"the remote did not answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _json_problem(path_json: Path, cls: type | None = None) -> tuple[Path, str] | None:
    """Why a weight json cannot be used (not JSON, not an object, ``model_args`` of the wrong
    type for ``cls``'s constructor defaults), or None (also when it is missing)."""
    try:
        content = json.loads(path_json.read_text(encoding="utf-8"))
        if not isinstance(content, dict):
            raise ValueError(f"top level is a {type(content).__name__}, not an object")
    except FileNotFoundError:
        return None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError included
        return path_json, _short(error)
    if cls is None:
        return None
    from seisbench_llm.training.config import ConfigError, check_section, signature_rules

    rules = signature_rules(cls.__init__)
    given = content.get("model_args") or {}
    try:
        check_section({k: v for k, v in dict(given).items() if k in rules}, rules, "model_args")
    except (ConfigError, TypeError, ValueError) as error:
        return path_json, str(error)
    return None


def _pt_problem(path_pt: Path) -> tuple[Path, str] | None:
    """Why a weight file cannot be read as a state dict, or None (also when it is missing).
    Memory-mapped: cheap even for large weights."""
    try:
        state = torch.load(path_pt, map_location="cpu", weights_only=True, mmap=True)
        if not isinstance(state, Mapping):
            raise TypeError(f"contains a {type(state).__name__}, not a state dict")
    except FileNotFoundError:
        return None
    except Exception as error:  # truncated zip (RuntimeError), empty (EOFError), pickle errors
        return path_pt, _short(error)
    return None


def weight_problem(
    path_json: Path, path_pt: Path, cls: type | None = None
) -> tuple[Path, str] | None:
    """The unusable file of a weight pair and why, or None if both read fine (or are missing).

    :param path_json: The metadata file.
    :param path_pt: The weights file.
    :param cls: Model class whose constructor defaults type the json's ``model_args``.
    """
    return _json_problem(path_json, cls) or _pt_problem(path_pt)


def _corrupt(path: Path, why: str) -> WeightsCorruptError:
    match = WEIGHT_FILE_RE.fullmatch(path.name)
    if match is None:
        repair = "Delete it (and its .json/.pt partner) or save the model again."
    else:
        version = match["version"]
        other = "pt" if match["kind"] == "json" else "json"
        partner = f"{match['name']}.{other}" + (f".v{version}" if version else "")
        version_arg = (
            "" if not version else f", version={version if version.isdigit() else repr(version)}"
        )
        repair = (
            f"Delete it together with {partner}, or replace both by re-exporting with "
            f'`export_weights(model, "{match["name"]}"{version_arg}, overwrite=True)`; '
            "other weights in the cache are not affected."
        )
    return WeightsCorruptError(
        f"Weight file {path} is corrupt or truncated ({why}). {repair}", path=path
    )


class RegistryMixin:
    """Offline-first weight handling over SeisBench's public weight API.

    Inherit it before the SeisBench base class, e.g. ``class SeisMoLLM(RegistryMixin,
    WaveformModel)``. It wraps ``from_pretrained``, ``list_pretrained``, ``list_versions`` and
    ``load`` and calls SeisBench's own for the work. A model may define ``merge_lora()``, used by
    :py:func:`export_weights`.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        if SeisBenchModel in mro and mro.index(SeisBenchModel) < mro.index(RegistryMixin):
            raise TypeError(
                f"{cls.__name__}: put RegistryMixin before the SeisBench base class, e.g. "
                f"class {cls.__name__}(RegistryMixin, WaveformModel)"
            )

    @classmethod
    def _remote_listing(cls, listing: Callable[[], Any], what: str) -> tuple[Any, str | None]:
        """``(listing(), None)`` when the remote is enabled and answers in time, else ``(None,
        why not)``; a failure is logged as a warning."""
        if not remote_enabled():
            return None, f"the remote is disabled ({REMOTE_ENV} is set to off)"
        try:
            return _bounded(listing), None
        except Exception as error:  # connection errors, 404 (ValueError), timeouts, ...
            problem = _short(error)
            logger.warning(
                f"{what} of {cls.__name__} not listed ({problem}); showing local ones only"
            )
            return None, problem

    @classmethod
    def _remote_versions(cls, name: str) -> tuple[list[str], str | None]:
        listed, problem = cls._remote_listing(
            lambda: super(RegistryMixin, cls).list_versions(name, remote=True),
            f"Remote versions of '{name}'",
        )
        return [v for v in listed or [] if not v.endswith(".partial")], problem

    @classmethod
    def list_versions(cls, name: str, remote: bool = True) -> list[str]:
        """SeisBench's versions of weights ``name``, sorted by version (``1rc1`` < ``1`` < ``10``).

        :param name: Weight name.
        :param remote: Also ask the remote; a failure or timeout there is a warning.
        :return: Version strings: local ones and, if listed, remote ones.
        """
        versions = {
            v for v in super().list_versions(name, remote=False) if not v.endswith(".partial")
        }
        if remote:
            versions.update(cls._remote_versions(name)[0])
        return sorted(versions, key=_version_key)

    @classmethod
    def list_pretrained(cls, details: bool = False, remote: bool = True) -> list[str] | dict:
        """SeisBench's weight names: local ones always, remote ones when the remote answers.

        :param details: Return ``{name: docstring of its newest version}``; None where unreadable.
        :param remote: Also list the remote; a failure or timeout there is a warning.
        """
        names = set(super().list_pretrained(remote=False))
        if remote:
            listed, _ = cls._remote_listing(
                lambda: super(RegistryMixin, cls).list_pretrained(remote=True), "Remote weights"
            )
            names.update(listed or [])
        if not details:
            return sorted(names)
        return {name: cls._docstring(name) for name in sorted(names)}

    @classmethod
    def _docstring(cls, name: str) -> str | None:
        local = cls.list_versions(name, remote=False)
        if not local:
            listed, _ = cls._remote_listing(
                lambda: super(RegistryMixin, cls).list_pretrained(details=True, remote=True),
                "Remote docstrings",
            )
            return (listed or {}).get(name)
        path_json, _ = weight_paths(model_folder(cls) / name, local[-1])
        try:
            return json.loads(path_json.read_text(encoding="utf-8")).get("docstring")
        except (OSError, ValueError, AttributeError) as error:
            logger.warning(str(_corrupt(path_json, _short(error))))
            return None

    @classmethod
    def from_pretrained(
        cls,
        name: str,
        version_str: str | int | None = "latest",
        update: bool = False,
        force: bool = False,
        wait_for_file: bool = False,
    ) -> SeisBenchModel:
        """SeisBench's ``from_pretrained``, resolving ``"latest"`` without the network when the
        weights are cached, with :py:class:`WeightsNotFoundError` when they cannot be had.

        :param name: Weight name.
        :param version_str: A version string, or ``"latest"`` (or None): the highest local version;
                            the remote is asked only when none is cached, or with ``update=True``.
        :param update: Also look for newer versions on the remote.
        :param force: Passed to SeisBench: discard partial downloads.
        :param wait_for_file: Passed to SeisBench: wait for a concurrent download.
        :raises WeightsNotFoundError: Neither cached nor obtainable from the remote.
        :raises WeightsCorruptError: A weight file cannot be read or has wrong ``model_args``.
        """
        check_name(name)
        version_str = "latest" if version_str is None else str(version_str)
        if version_str == "latest":
            versions = cls.list_versions(name, remote=update)
            problem = f"the remote has no weights '{name}'"
            if not versions:
                versions, problem = cls._remote_versions(name)
            if not versions:
                raise cls._not_found(name, None, problem or f"the remote has no weights '{name}'")
            version_str = max(versions, key=_version_key)
        path_json, path_pt = weight_paths(model_folder(cls) / name, version_str)
        cached = path_json.is_file() and path_pt.is_file()
        if not cached and not remote_enabled():
            raise cls._not_found(name, version_str)
        try:
            return super().from_pretrained(
                name, version_str, update=False, force=force, wait_for_file=wait_for_file
            )
        except WeightsCorruptError:
            raise
        except Exception as error:
            if path_json.is_file() and path_pt.is_file():  # the files are there: a load error
                raise
            raise cls._not_found(name, version_str, _short(error)) from error

    @classmethod
    def load(
        cls, path: str | os.PathLike, version_str: str | None = None, **kwargs: Any
    ) -> SeisBenchModel:
        """SeisBench's ``load``, with :py:class:`WeightsCorruptError` for unusable files.

        :param path: Path without suffixes; ``.json``/``.pt`` (and ``.v<version>``) are appended.
        :param version_str: Version string, or None for files without version suffix.
        :param kwargs: Passed to ``torch.load``.
        """
        path_json, path_pt = weight_paths(path, version_str)
        if path_json.is_file():  # wrong model_args types would fail deep inside the constructor
            problem = _json_problem(path_json, cls)
            if problem is not None:
                raise _corrupt(*problem)
        try:
            return super().load(path, version_str=version_str, **kwargs)
        except Exception as error:
            problem = weight_problem(path_json, path_pt)
            if problem is None:
                raise
            raise _corrupt(*problem) from error

    @classmethod
    def _not_found(
        cls, name: str, version_str: str | None, reason: str | None = None
    ) -> WeightsNotFoundError:
        folder = model_folder(cls)
        what = f"'{name}'" + (f" version {version_str}" if version_str else "")
        there = ""
        if version_str:
            present = [p.name for p in weight_paths(folder / name, version_str) if p.is_file()]
            if len(present) == 1:
                there = f" (only {present[0]} is there)"
        remote = _remote_folder(cls) if remote_enabled() else None
        if remote is None:
            reason = f"the remote is disabled ({REMOTE_ENV} is set to off)"
        where = (
            f"the remote {remote}" + (f" ({reason})" if reason else "")
            if remote
            else f"a remote ({reason})"
        )
        cached = ", ".join(sorted({row[1] for row in list_local_weights(cls)})) or "none"
        message = (
            f"No {cls.__name__} weights {what}: not in the local cache {folder}{there} and not "
            f"available from {where}. Cached {cls.__name__} weights: {cached}. To produce them, "
            "train with `python benchmarks/train.py CONFIG` and export the checkpoint with "
            f"`seisbench-llm export CKPT --config CONFIG.json --name {name}` (or `python "
            f"benchmarks/eval.py --model_path CKPT --config CONFIG --export {name}`), or in Python "
            f'with `seisbench_llm.export_weights(model, "{name}")`. Set {REMOTE_ENV}=off to never '
            "contact a remote."
        )
        return WeightsNotFoundError(message, weight_name=name, cache_path=folder, remote_url=remote)


def _scan(folder: Path) -> dict[str, dict[str, set[str]]]:
    """``{name: {version: {"json", "pt"}}}`` of the versioned weight files in ``folder``."""
    found: dict[str, dict[str, set[str]]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = WEIGHT_FILE_RE.fullmatch(path.name)
            if match and match["version"] and not match["version"].endswith(".partial"):
                found.setdefault(match["name"], {}).setdefault(match["version"], set()).add(
                    match["kind"]
                )
    return found


def _registry_classes() -> list[type]:
    """Every class using :py:class:`RegistryMixin` that is a SeisBench model, one per cache folder."""
    seen: dict[Path, type] = {}
    stack = list(RegistryMixin.__subclasses__())
    while stack:
        sub = stack.pop(0)
        stack.extend(sub.__subclasses__())
        if issubclass(sub, SeisBenchModel):
            seen.setdefault(model_folder(sub), sub)
    return list(seen.values())


def list_local_weights(
    model_cls: type[SeisBenchModel] | None = None,
) -> list[tuple[str, str, str, Path]]:
    """Weights in the local cache, complete pairs only (both ``.json`` and ``.pt``).

    :param model_cls: One model class; None for every class using :py:class:`RegistryMixin`
                      (those imported: importing ``seisbench_llm`` imports its models).
    :return: ``(class name, weight name, version, json path)`` tuples, sorted by version.
    """
    rows = []
    for cls in [model_cls] if model_cls is not None else _registry_classes():
        folder = model_folder(cls)
        for name, versions in _scan(folder).items():
            for version_str, kinds in versions.items():
                if kinds == {"json", "pt"}:
                    rows.append(
                        (
                            cls.__name__,
                            name,
                            version_str,
                            weight_paths(folder / name, version_str)[0],
                        )
                    )
    return sorted(rows, key=lambda r: (r[0], r[1], _version_key(r[2])))


def __getattr__(name: str) -> Any:
    """``export_weights`` lives in :py:mod:`seisbench_llm.export`; importable from here too."""
    if name == "export_weights":
        from seisbench_llm.export import export_weights

        return export_weights
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
