"""Exporting models as SeisBench weights into the local cache: atomic, LoRA merged, and safe when
several processes export the same name at once (each claims its own version)."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import seisbench
from packaging.version import InvalidVersion, Version
from seisbench.models import SeisBenchModel

from seisbench_llm.weights import _TMP_PREFIX, _scan, check_name, model_folder, weight_paths

__all__ = ["export_weights"]

logger = logging.getLogger("seisbench_llm")


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if hasattr(value, "tolist"):  # numpy scalars and arrays, torch tensors
        return value.tolist()
    return str(value)  # paths, dates, anything else


def _describe(value: Any) -> str:
    """One line for the docstring: strings as they are, mappings as ``key=value, ...``."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_describe(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value, default=_json_default)


def _next_version(folder: Path, name: str) -> str:
    """One more than the highest release number of ``name`` in ``folder`` (any file of a pair)."""
    numbers = [0]
    for version_str in _scan(folder).get(name, {}):
        try:
            numbers.append(Version(version_str).release[0])
        except InvalidVersion:
            pass
    return str(max(numbers) + 1)


def _remove_stale_exports(folder: Path) -> None:
    """Remove temporary folders of exports whose process is gone (killed mid-export)."""
    for path in folder.glob(_TMP_PREFIX + "*"):
        pid = path.name[len(_TMP_PREFIX) :].split("-", 1)[0]
        try:
            os.kill(int(pid), 0)
            continue  # that export is still running
        except (ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue  # alive, another user's
        shutil.rmtree(path, ignore_errors=True)


def _claim(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` unless ``dst`` exists (FileExistsError), atomically: a hard link,
    or where links are not supported an exclusive create followed by a rename."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:
        os.close(os.open(dst, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        try:
            os.replace(src, dst)
        except BaseException:
            dst.unlink(missing_ok=True)
            raise


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # directories on some platforms
    finally:
        os.close(fd)


def _write_pair(
    model: SeisBenchModel, tmp: Path, name: str, text: str, facts: dict
) -> tuple[Path, Path]:
    """Save ``model`` as ``tmp/name.json``/``.pt`` with the package's metadata; synced."""
    from seisbench_llm import __version__

    cls = type(model)
    model.save(tmp / name, weights_docstring=text)
    tmp_json, tmp_pt = weight_paths(tmp / name)
    content = json.loads(tmp_json.read_text(encoding="utf-8"))
    content["seisbench_llm"] = {
        "package_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_class": f"{cls.__module__}.{cls.__qualname__}",
        "metadata": facts,
    }
    tmp_json.write_text(json.dumps(content, indent=4, default=_json_default), encoding="utf-8")
    _fsync(tmp_pt)
    return tmp_json, tmp_pt


def _set_version(tmp_json: Path, version_str: str) -> None:
    content = json.loads(tmp_json.read_text(encoding="utf-8"))
    content["version"] = version_str
    content["docstring"] = content["docstring"].replace(
        "version {version}", f"version {version_str}"
    )
    tmp_json.write_text(json.dumps(content, indent=4), encoding="utf-8")
    _fsync(tmp_json)


def _ensure_model_cache() -> None:
    """Create SeisBench's model cache folder when there is no legacy (pre-v3) cache to migrate.

    SeisBench migrates a legacy cache on first use with a ``mkdir`` that fails when another
    process creates the folder at the same moment (two exports starting together); with the folder
    in place the migration is skipped. A real legacy cache is left to SeisBench's migration.
    """
    models = Path(seisbench.cache_root, "models")
    current = Path(seisbench.cache_model_root)
    legacy = models.is_dir() and any(p != current for p in models.iterdir())
    if not legacy:
        current.mkdir(parents=True, exist_ok=True)


def export_weights(
    model: SeisBenchModel,
    name: str,
    docstring: str | None = None,
    version: int | str | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``model`` as SeisBench weights ``<name>.json.v<N>`` + ``<name>.pt.v<N>`` into the cache.

    The folder is :py:func:`model_folder` of the model's class, so ``type(model).from_pretrained(
    name)`` loads them. A deep copy of the model is moved to the CPU, put in eval mode and
    LoRA-merged (``merge_lora()``, where the model has it); the caller's model is not changed. The
    pair is written by SeisBench's ``save`` into a hidden temporary folder beside the target
    (named after the process, removed by the next export once that process is gone) and linked
    into place, weights first and json last: a version becomes visible complete or not at all.
    The links are exclusive, so two processes exporting the same name at once never claim the
    same version: the second takes the next free one. With ``overwrite=True`` the old json is
    removed first, so an interrupted overwrite leaves that version absent, never half old and
    half new.

    The json is SeisBench's (``docstring``, ``model_args``, ``seisbench_requirement``,
    ``default_args``) plus ``version`` and ``seisbench_llm``: ``{"package_version", "created"
    (UTC), "model_class", "metadata"}``.

    :param model: Model to export (any SeisBench model class).
    :param name: Weight name, e.g. ``"stead"``.
    :param docstring: What the weights are; default ``"<Class> weights '<name>', version <N>."``.
                      ``data``, ``config`` and ``metrics`` from ``metadata`` are appended as lines.
    :param version: Version number; default the next free one (1 for a new name).
    :param metadata: JSON-serialisable facts (numpy values and paths are converted).
    :param overwrite: Replace existing files of ``version`` instead of raising FileExistsError.
    :return: Path of the written json file; the weights are beside it (``.json`` -> ``.pt``).
    """
    if not isinstance(model, SeisBenchModel):
        raise TypeError(f"model must be a SeisBench model, got {type(model).__name__}")
    check_name(name)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    if version is not None and (
        isinstance(version, bool) or not re.fullmatch(r"[0-9]+(\.[0-9]+)*", str(version))
    ):
        raise ValueError(f"Invalid version {version!r}: use a number such as 1, 2 or '2.1'")
    cls = type(model)
    folder = model_folder(cls)
    _ensure_model_cache()
    cls.list_pretrained(remote=False)  # SeisBench's own cache migration and folder creation
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_exports(folder)

    facts = json.loads(json.dumps(dict(metadata or {}), default=_json_default))
    lines = [docstring or f"{cls.__name__} weights '{name}', version {{version}}."]
    lines += [
        f"{key.capitalize()}: {_describe(facts[key])}"
        for key in ("data", "config", "metrics")
        if key in facts
    ]
    exported = copy.deepcopy(model).cpu().eval()
    if callable(getattr(exported, "merge_lora", None)):
        exported.merge_lora()

    with tempfile.TemporaryDirectory(prefix=f"{_TMP_PREFIX}{os.getpid()}-", dir=folder) as tmp:
        tmp_json, tmp_pt = _write_pair(exported, Path(tmp), name, "\n".join(lines), facts)
        while True:
            version_str = str(version) if version is not None else _next_version(folder, name)
            _set_version(tmp_json, version_str)
            path_json, path_pt = weight_paths(folder / name, version_str)
            if overwrite:
                path_json.unlink(missing_ok=True)  # hide the old version before replacing it
                path_pt.unlink(missing_ok=True)
            try:
                _claim(tmp_pt, path_pt)
                try:
                    _claim(tmp_json, path_json)
                except BaseException:
                    path_pt.unlink(missing_ok=True)
                    raise
                break
            except FileExistsError:
                if version is not None:
                    raise FileExistsError(
                        f"Weights '{name}' version {version_str} exist in {folder}; pass "
                        "overwrite=True to replace them, or another version"
                    ) from None
                # another process claimed this version first: take the next one
    _fsync(folder)
    logger.info(f"Exported {cls.__name__} weights '{name}' version {version_str} to {folder}")
    return path_json
