"""Weight registry: SeisBench weight files for the models of seisbench_llm, written and found offline.

Weights live where SeisBench keeps them, ``<SEISBENCH_CACHE_ROOT>/models/v3/<class name lower>/``,
as the pair ``<name>.json.v<N>`` (metadata) and ``<name>.pt.v<N>`` (state dict), so that
``Model.from_pretrained(name)`` finds them. :py:func:`export_weights` writes such a pair atomically.
Model classes inherit :py:class:`RegistryMixin` *before* their SeisBench base
(``class SeisMoLLM(RegistryMixin, WaveformModel)``), which makes

- ``from_pretrained(name)`` load cached weights without any network access (newest local version),
  and only otherwise ask the remote,
- ``list_pretrained()`` / ``list_versions()`` show local weights even when the remote fails,
- missing weights raise :py:class:`WeightsNotFoundError` and unreadable files
  :py:class:`WeightsCorruptError`, each with a message that says where it looked and what to do.

The remote model root is SeisBench's (``seisbench.remote_model_root``) unless the environment
variable ``SEISBENCH_LLM_REMOTE_ROOT`` is set (read at every call); an empty value or ``off``
disables the remote.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import seisbench
import seisbench.models.base as _sb_base
import torch
from packaging.version import InvalidVersion, Version
from seisbench.models import SeisBenchModel

__all__ = [
    "REMOTE_ENV",
    "RegistryMixin",
    "WeightsCorruptError",
    "WeightsNotFoundError",
    "export_weights",
    "list_local_weights",
    "remote_model_root",
]

logger = logging.getLogger("seisbench_llm")

#: Environment variable overriding the remote model root (empty or ``off``: no remote).
REMOTE_ENV = "SEISBENCH_LLM_REMOTE_ROOT"

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
_VERSION_RE = re.compile(r"[0-9]+(\.[0-9]+)*")
_TMP_PREFIX = ".seisbench-llm-export-"  # no ".json"/".pt" inside: SeisBench's listing ignores it
_REMOTE_OFF = ("", "off", "none")


class WeightsNotFoundError(FileNotFoundError, ValueError):
    """Weights are neither in the local SeisBench cache nor obtainable from the remote.

    A :py:class:`FileNotFoundError`, and a :py:class:`ValueError` like SeisBench's own error for
    unknown weight names, so existing ``except ValueError`` code keeps working.

    :param message: What was looked for, where, and how to produce the weights.
    :param weight_name: Name of the weights.
    :param cache_path: Local folder looked in.
    :param remote_url: Remote folder tried (None when the remote is disabled).
    """

    def __init__(
        self,
        message: str,
        *,
        weight_name: str | None = None,
        cache_path: Path | None = None,
        remote_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.weight_name = weight_name
        self.cache_path = cache_path
        self.remote_url = remote_url


class WeightsCorruptError(RuntimeError):
    """A weight file exists but cannot be read (not JSON, truncated, not a state dict).

    :param message: Which file, why, and how to repair it.
    :param path: The broken file.
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def remote_model_root() -> str | None:
    """Remote model root used by :py:class:`RegistryMixin`, read from the environment at each call.

    :return: ``SEISBENCH_LLM_REMOTE_ROOT`` if set, else ``seisbench.remote_model_root``, always
             ending with ``/``; None if the variable is empty or ``off`` (remote disabled).
    """
    root = os.environ.get(REMOTE_ENV)
    if root is None:
        root = seisbench.remote_model_root
    elif root.strip().lower() in _REMOTE_OFF:
        return None
    root = root.strip()
    return root if root.endswith("/") else root + "/"


def _check_name(name: str) -> None:
    """Reject names SeisBench cannot list back (or that would leave the cache folder)."""
    if (
        not isinstance(name, str)
        or not _NAME_RE.fullmatch(name)
        or ".json" in name
        or ".pt" in name
    ):
        raise ValueError(
            f"Invalid weight name {name!r}: use letters, digits, '_', '-', '+' and '.', not "
            "starting with '.' and not containing '.json' or '.pt'"
        )


def _version_key(version_str: str) -> Version:
    return Version(version_str)


def _is_version(version_str: str | None) -> bool:
    if not version_str:
        return False
    try:
        Version(version_str)
    except InvalidVersion:
        return False
    return True


def _scan(folder: Path) -> dict[str, dict[str, set[str]]]:
    """``{weight name: {version: {"json", "pt"} present}}`` of the numbered weight files in ``folder``."""
    found: dict[str, dict[str, set[str]]] = {}
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        name, ftype, version_str = SeisBenchModel._parse_weight_filename(path.name)
        if name is None or ftype is None or not version_str:
            continue
        if not _VERSION_RE.fullmatch(version_str) or not path.is_file():
            continue  # e.g. "<name>.pt.v1.partial" of a running SeisBench download
        found.setdefault(name, {}).setdefault(version_str, set()).add(ftype)
    return found


def _complete_versions(folder: Path) -> dict[str, list[str]]:
    """``{weight name: versions with both files, ascending}`` in ``folder``."""
    out = {}
    for name, versions in sorted(_scan(folder).items()):
        complete = [v for v, kinds in versions.items() if kinds == {"json", "pt"}]
        if complete:
            out[name] = sorted(complete, key=_version_key)
    return out


def _migrate_cache() -> None:
    """Run SeisBench's v0 -> v3 cache migration before anything creates ``models/v3``."""
    migrate = getattr(_sb_base, "_cache_migration_v0_v3", None)
    if migrate is not None:
        migrate()


def _short(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > 160:  # e.g. torch's zip errors: keep the first sentence
        end = first.find(". ")
        first = first[:end] if 0 < end < 160 else first[:157] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _corrupt_message(path: Path, cause: BaseException) -> str:
    name, ftype, version_str = SeisBenchModel._parse_weight_filename(path.name)
    if name is None or ftype is None:
        repair = "Delete it (and its .json/.pt partner) or save the model again."
    else:
        other = "pt" if ftype == "json" else "json"
        partner = path.with_name(f"{name}.{other}" + (f".v{version_str}" if version_str else ""))
        version_arg = ""
        if version_str:
            version_arg = (
                f", version={version_str}"
                if version_str.isdigit()
                else f", version={version_str!r}"
            )
        repair = (
            f"Delete it together with {partner.name}, or replace both by re-exporting with "
            f'`export_weights(model, "{name}"{version_arg}, overwrite=True)`; '
            "other weights in the cache are not affected."
        )
    return f"Weight file {path} is corrupt or truncated ({_short(cause)}). {repair}"


def _find_corrupt_file(
    path_json: Path, path_pt: Path, load_kwargs: Mapping[str, Any]
) -> tuple[Path, BaseException] | None:
    """The unreadable file of a weight pair and why, or None if both read fine (or are missing)."""
    try:
        with open(path_json, encoding="utf-8") as f:
            content = json.load(f)
        if not isinstance(content, dict):
            raise ValueError(f"top level is a {type(content).__name__}, not an object")
    except FileNotFoundError:
        return None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError included
        return path_json, error
    try:
        state = torch.load(path_pt, **{"map_location": "cpu", **load_kwargs})
        if not isinstance(state, Mapping):
            raise TypeError(f"contains a {type(state).__name__}, not a state dict")
    except FileNotFoundError:
        return None
    except Exception as error:  # truncated zip (RuntimeError), empty (EOFError), pickle errors
        return path_pt, error
    return None


class RegistryMixin:
    """Offline-first weight handling for SeisBench models.

    Inherit it before the SeisBench base class, e.g. ``class SeisMoLLM(RegistryMixin,
    WaveformModel)``; it only overrides classmethods (``from_pretrained``, ``list_pretrained``,
    ``list_versions``, ``load``, ``_remote_path``) and needs nothing from the model class beyond
    SeisBench's own interface. A model may define ``merge_lora()``, used by
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
    def _remote_path(cls) -> str:
        """Remote folder of this class's weights (``""`` when the remote is disabled)."""
        root = remote_model_root()
        return "" if root is None else urljoin(root, cls._name_internal().lower())

    @classmethod
    def _local_versions(cls, name: str) -> list[str]:
        """Versions of weights ``name`` with both files in the local cache, ascending."""
        return _complete_versions(cls._model_path()).get(name, [])

    @classmethod
    def _remote_versions(cls, name: str) -> tuple[list[str], str | None]:
        """Versions of ``name`` on the remote, and why none could be listed (None: listed fine)."""
        if remote_model_root() is None:
            return [], f"the remote is disabled ({REMOTE_ENV} is set to off)"
        try:
            versions = super().list_versions(name, remote=True)
        except Exception as error:  # connection errors, 404 (ValueError), a guarded socket, ...
            return [], _short(error)
        return [v for v in versions if _is_version(v)], None

    @classmethod
    def list_versions(cls, name: str, remote: bool = True) -> list[str]:
        """Available versions of weights ``name``.

        :param name: Weight name.
        :param remote: Also ask the remote; a failure there is logged as a warning and ignored.
        :return: Version strings, ascending: local ones (both files present) and remote ones.
        """
        cls._cleanup_local_repository()
        versions = set(cls._local_versions(name))
        if remote:
            remote_versions, problem = cls._remote_versions(name)
            if problem is not None and remote_model_root() is not None:
                logger.warning(
                    f"Remote versions of {cls.__name__} weights '{name}' not listed "
                    f"({problem}); showing local versions only"
                )
            versions.update(remote_versions)
        return sorted(versions, key=_version_key)

    @classmethod
    def list_pretrained(
        cls, details: bool = False, remote: bool = True
    ) -> list[str] | dict[str, str | None]:
        """Names of available weights: local ones always, remote ones when the remote answers.

        :param details: Return ``{name: docstring of its newest version}`` instead of a list; the
                        docstring is None where it cannot be read.
        :param remote: Also list the remote; a failure there is logged as a warning and ignored.
        :return: Sorted weight names, or a dict of names and docstrings.
        """
        cls._cleanup_local_repository()
        local = _complete_versions(cls._model_path())
        names = set(local)
        if remote and remote_model_root() is not None:
            try:
                listing = seisbench.util.ls_webdav(cls._remote_path())
            except Exception as error:
                logger.warning(
                    f"Remote weights of {cls.__name__} not listed ({_short(error)}); showing "
                    "local weights only"
                )
            else:
                for file in listing:
                    name = cls._parse_weight_filename(file)[0]
                    if name:
                        names.add(name)
        names_sorted = sorted(names)
        if not details:
            return names_sorted
        return {name: cls._latest_docstring(name, local.get(name, [])) for name in names_sorted}

    @classmethod
    def _latest_docstring(cls, name: str, local_versions: list[str]) -> str | None:
        if local_versions:
            _, path_json = cls._pretrained_path(name, local_versions[-1])
            try:
                with open(path_json, encoding="utf-8") as f:
                    return json.load(f).get("docstring")
            except (OSError, ValueError, AttributeError) as error:
                logger.warning(_corrupt_message(path_json, error))
                return None
        try:
            return super()._get_latest_docstring(name, remote=True)
        except Exception as error:
            logger.warning(f"Docstring of remote weights '{name}' not read ({_short(error)})")
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
        """Load pretrained weights, from the local cache when there (no network access at all).

        ``"latest"`` is the newest local version; the remote is only asked when no version is
        cached or with ``update=True`` (then an unreachable remote is a warning, and the newest
        local version is used). A version not in the cache is downloaded from the remote.

        :param name: Weight name.
        :param version_str: Version string, or ``"latest"`` (or None).
        :param update: Also look for newer versions on the remote.
        :param force: Passed to SeisBench's download: discard partial downloads.
        :param wait_for_file: Passed to SeisBench's download: wait for a concurrent download.
        :return: Model instance with the weights loaded.
        :raises WeightsNotFoundError: The weights are neither cached nor obtainable remotely.
        :raises WeightsCorruptError: A weight file cannot be read.
        """
        _check_name(name)
        cls._cleanup_local_repository()
        local = cls._local_versions(name)
        if version_str is None or version_str == "latest":
            candidates = set(local)
            if update or not candidates:
                remote_versions, problem = cls._remote_versions(name)
                if problem is not None and not candidates:
                    raise cls._not_found(name, None, problem)
                if problem is not None and remote_model_root() is not None:
                    logger.warning(
                        f"Remote versions of {cls.__name__} weights '{name}' not checked "
                        f"({problem}); using the newest local version"
                    )
                candidates.update(remote_versions)
            if not candidates:
                raise cls._not_found(name, None, f"the remote has no weights '{name}'")
            version_str = max(candidates, key=_version_key)
        version_str = str(version_str)

        weight_path, metadata_path = cls._pretrained_path(name, version_str)
        if version_str not in local:
            if remote_model_root() is None:
                raise cls._not_found(
                    name, version_str, f"the remote is disabled ({REMOTE_ENV} is set to off)"
                )
            try:
                cls._ensure_weight_files(
                    name, version_str, weight_path, metadata_path, force, wait_for_file
                )
            except Exception as error:
                raise cls._not_found(name, version_str, _short(error)) from error

        cls._version_warnings(name, version_str)
        return cls.load(weight_path.with_name(name), version_str=version_str)

    @classmethod
    def load(
        cls, path: str | os.PathLike, version_str: str | None = None, **kwargs: Any
    ) -> SeisBenchModel:
        """SeisBench's ``load``, with :py:class:`WeightsCorruptError` for unreadable files.

        :param path: Path without suffixes; ``.json``/``.pt`` (and ``.v<version>``) are appended.
        :param version_str: Version string, or None for files without version suffix.
        :param kwargs: Passed to ``torch.load``.
        :return: Model instance with the weights loaded.
        :raises WeightsCorruptError: The json or the pt file cannot be read.
        """
        try:
            return super().load(path, version_str=version_str, **kwargs)
        except Exception as error:
            path_json, path_pt = cls._get_weights_file_paths(path, version_str)
            broken = _find_corrupt_file(Path(path_json), Path(path_pt), kwargs)
            if broken is None:
                raise
            bad_path, cause = broken
            raise WeightsCorruptError(_corrupt_message(bad_path, cause), path=bad_path) from error

    @classmethod
    def _not_found(cls, name: str, version_str: str | None, reason: str) -> WeightsNotFoundError:
        folder = cls._model_path()
        what = f"'{name}'" + (f" version {version_str}" if version_str else "")
        partial = ""
        if version_str:
            present = [p.name for p in cls._pretrained_path(name, version_str) if p.is_file()]
            if present:
                partial = f" (only {present[0]} is there)"
        remote = cls._remote_path() or None
        where = f"the remote {remote}" if remote else "a remote"
        cached = ", ".join(_complete_versions(folder)) or "none"
        message = (
            f"No {cls.__name__} weights {what}: not in the local cache {folder}{partial} and not "
            f"available from {where} ({reason}). Cached {cls.__name__} weights: {cached}. To "
            "produce them, train with `python benchmarks/train.py CONFIG` and export the checkpoint "
            f"with `seisbench-llm export CKPT --config CONFIG.json --name {name}` (or `python benchmarks/eval.py "
            f"--model_path CKPT --config CONFIG --export {name}`), or in Python with "
            f'`seisbench_llm.export_weights(model, "{name}")`. Set {REMOTE_ENV} to fetch from '
            "another remote, or to 'off' to never contact one."
        )
        return WeightsNotFoundError(message, weight_name=name, cache_path=folder, remote_url=remote)


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if hasattr(value, "tolist"):  # numpy scalars and arrays, torch tensors
        return value.tolist()
    return str(value)  # paths, dates, anything else


def _describe(value: Any) -> str:
    """One line for the docstring: strings as they are, mappings as ``key=value, ...``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_describe_item(v)}" for k, v in value.items())
    return _describe_item(value)


def _describe_item(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=_json_default)


def _next_version(folder: Path, name: str) -> str:
    numbers = [int(v.split(".")[0]) for v in _scan(folder).get(name, {})]
    return str(max(numbers, default=0) + 1)


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


def export_weights(
    model: SeisBenchModel,
    name: str,
    docstring: str | None = None,
    version: int | str | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``model`` as SeisBench weights ``<name>.json.v<N>`` + ``<name>.pt.v<N>`` into the cache.

    The folder is the class's ``_model_path()``, ``<SEISBENCH_CACHE_ROOT>/models/v3/<class lower>``,
    so ``type(model).from_pretrained(name)`` loads them. A deep copy of the model is moved to the
    CPU, put in eval mode and LoRA-merged (``merge_lora()``, where the model has it); the caller's
    model is not changed. The files are written by SeisBench's ``save`` into a hidden temporary
    folder next to the target, synced, and moved into place with ``os.replace``, weights first and
    the json last: a version becomes visible complete or not at all, and nothing is left behind on
    failure. With ``overwrite=True`` the old json is removed first, so an interrupted overwrite
    leaves that version absent, never half old and half new.

    The json is SeisBench's (``docstring``, ``model_args``, ``seisbench_requirement``,
    ``default_args``) plus ``version`` and ``seisbench_llm``: ``{"package_version", "created"
    (UTC), "model_class", "metadata"}``.

    :param model: Model to export (any SeisBench model class).
    :param name: Weight name, e.g. ``"stead"``.
    :param docstring: What the weights are; default ``"<Class> weights '<name>', version <N>."``.
                      ``data``, ``config`` and ``metrics`` from ``metadata`` are appended as lines.
    :param version: Version number; default the next free one (1 for a new name).
    :param metadata: JSON-serialisable facts (numpy values and paths are converted), e.g.
                     ``{"data": "STEAD", "config": "configs/stead.json", "metrics": {"P_F1": 0.99}}``.
    :param overwrite: Replace existing files of that version instead of raising FileExistsError.
    :return: Path of the written json file; the weights are beside it (``.json`` -> ``.pt``).
    """
    if not isinstance(model, SeisBenchModel):
        raise TypeError(f"model must be a SeisBench model, got {type(model).__name__}")
    _check_name(name)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    cls = type(model)
    _migrate_cache()
    folder = cls._model_path()
    folder.mkdir(parents=True, exist_ok=True)

    if version is None:
        version_str = _next_version(folder, name)
    else:
        version_str = str(version)
        if isinstance(version, bool) or not _VERSION_RE.fullmatch(version_str):
            raise ValueError(f"Invalid version {version!r}: use a number such as 1, 2 or '2.1'")
    weight_path, metadata_path = cls._pretrained_path(name, version_str)
    if not overwrite and (weight_path.exists() or metadata_path.exists()):
        raise FileExistsError(
            f"Weights '{name}' version {version_str} exist in {folder}; pass overwrite=True to "
            "replace them, or another version"
        )

    from seisbench_llm import __version__

    facts = json.loads(json.dumps(dict(metadata or {}), default=_json_default))
    lines = [docstring or f"{cls.__name__} weights '{name}', version {version_str}."]
    for key in ("data", "config", "metrics"):
        if key in facts:
            lines.append(f"{key.capitalize()}: {_describe(facts[key])}")
    text = "\n".join(lines)

    exported = copy.deepcopy(model).cpu().eval()
    merge_lora = getattr(exported, "merge_lora", None)
    if callable(merge_lora):
        merge_lora()

    with tempfile.TemporaryDirectory(prefix=_TMP_PREFIX, dir=folder) as tmp:
        tmp_base = Path(tmp) / name
        exported.save(tmp_base, weights_docstring=text, version_str=version_str)
        tmp_json, tmp_pt = cls._get_weights_file_paths(tmp_base, version_str)
        content = json.loads(tmp_json.read_text(encoding="utf-8"))
        content["version"] = version_str
        content["seisbench_llm"] = {
            "package_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
            "metadata": facts,
        }
        tmp_json.write_text(json.dumps(content, indent=4, default=_json_default), encoding="utf-8")
        _fsync(tmp_pt)
        _fsync(tmp_json)

        if overwrite:
            metadata_path.unlink(missing_ok=True)  # hide the old version before replacing it
        os.replace(tmp_pt, weight_path)
        try:
            os.replace(tmp_json, metadata_path)
        except BaseException:
            weight_path.unlink(missing_ok=True)
            raise
    _fsync(folder)
    logger.info(f"Exported {cls.__name__} weights '{name}' version {version_str} to {folder}")
    return metadata_path


def _registry_classes() -> list[type]:
    """Every class using :py:class:`RegistryMixin` that is a SeisBench model, one per cache folder."""
    seen: dict[Path, type] = {}
    stack = list(RegistryMixin.__subclasses__())
    while stack:
        sub = stack.pop(0)
        stack.extend(sub.__subclasses__())
        if issubclass(sub, SeisBenchModel):
            seen.setdefault(sub._model_path(), sub)
    return list(seen.values())


def list_local_weights(
    model_cls: type[SeisBenchModel] | None = None,
) -> list[tuple[str, str, str, Path]]:
    """Weights in the local cache, complete pairs only (both ``.json`` and ``.pt``).

    :param model_cls: One model class; None for every class using :py:class:`RegistryMixin`
                      (those imported: importing ``seisbench_llm`` imports its models).
    :return: ``(class name, weight name, version, json path)`` tuples, sorted.
    """
    classes = [model_cls] if model_cls is not None else _registry_classes()
    rows = []
    for cls in classes:
        folder = cls._model_path()
        for name, versions in _complete_versions(folder).items():
            for version_str in versions:
                _, path_json = cls._pretrained_path(name, version_str)
                rows.append((cls._name_internal(), name, version_str, path_json))
    return sorted(rows, key=lambda r: (r[0], r[1], _version_key(r[2])))
