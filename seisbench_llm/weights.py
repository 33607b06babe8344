"""Weight registry of seisbench_llm: SeisBench weight files, found and written offline.

Weights live where SeisBench keeps them, ``<SEISBENCH_CACHE_ROOT>/models/v3/<class name lower>/``
as ``<name>.json.v<N>`` + ``<name>.pt.v<N>``. Every model of the package inherits
:py:class:`RegistryMixin` (``class SeisMoLLM(RegistryMixin, WaveformModel)``), which makes

- ``from_pretrained(name)`` use local files first without any network access,
- ``list_pretrained()`` list local weights even when the remote is unreachable,
- missing weights raise :py:class:`WeightsNotFoundError` and broken files
  :py:class:`WeightsCorruptError`, both with a message that says what to do.

The remote root defaults to SeisBench's and can be set with ``SEISBENCH_LLM_REMOTE_ROOT``.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import seisbench
import torch

logger = logging.getLogger("seisbench_llm")

REMOTE_ENV = "SEISBENCH_LLM_REMOTE_ROOT"
EXPORT_HINT = (
    "Produce weights by training with `python benchmarks/train.py CONFIG.json` and exporting with "
    "`python benchmarks/eval.py --model_path CKPT --config CONFIG.json --export NAME` "
    "(or `seisbench-llm export CKPT --config CONFIG.json --name NAME`), or in Python with "
    "`seisbench_llm.export_weights(model, NAME)`."
)
_VERSIONED = re.compile(r"^(?P<name>.+)\.(?P<kind>json|pt)\.v(?P<version>\d+)$")


class WeightsNotFoundError(FileNotFoundError):
    """Weights are neither in the local SeisBench cache nor reachable remotely."""


class WeightsCorruptError(RuntimeError):
    """A weight file in the cache cannot be read (truncated, not JSON, wrong tensors)."""


def remote_root() -> str:
    """Remote model root: ``SEISBENCH_LLM_REMOTE_ROOT`` if set, else SeisBench's."""
    root = os.environ.get(REMOTE_ENV) or seisbench.remote_model_root
    return root if root.endswith("/") else root + "/"


def _local_versions(folder: Path, name: str) -> list[int]:
    """Versions of ``name`` with both files present, ascending."""
    if not folder.is_dir():
        return []
    found: dict[int, set[str]] = {}
    for path in folder.iterdir():
        m = _VERSIONED.match(path.name)
        if m and m["name"] == name:
            found.setdefault(int(m["version"]), set()).add(m["kind"])
    return sorted(v for v, kinds in found.items() if kinds == {"json", "pt"})


class RegistryMixin:
    """Offline-first weight handling for SeisBench models; put it first in the bases."""

    @classmethod
    def _remote_path(cls) -> str:
        return remote_root() + cls._name_internal().lower()

    @classmethod
    def local_versions(cls, name: str) -> list[int]:
        """Versions of weights ``name`` in the local cache."""
        return _local_versions(cls._model_path(), name)

    @classmethod
    def load_local(cls, name: str, version: int | str | None = None):
        """Load weights ``name`` from the local cache (newest version by default); never uses the network."""
        versions = cls.local_versions(name)
        if version is None:
            if not versions:
                raise cls._not_found(name, None)
            version = versions[-1]
        version = int(str(version).lstrip("v"))
        if version not in versions:
            raise cls._not_found(name, None)
        base = cls._model_path() / name
        json_path, pt_path = cls._get_weights_file_paths(base, str(version))
        try:
            model = cls.load(base, version_str=str(version), map_location="cpu", weights_only=True)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise WeightsCorruptError(cls._corrupt_message(json_path, e)) from e
        except (RuntimeError, EOFError, OSError, ValueError, KeyError, TypeError) as e:
            if isinstance(e, ValueError) and "seisbench version" in str(e):
                raise
            raise WeightsCorruptError(cls._corrupt_message(pt_path, e)) from e
        return model

    @classmethod
    def from_pretrained(
        cls,
        name: str,
        version_str: str = "latest",
        update: bool = False,
        force: bool = False,
        wait_for_file: bool = False,
    ):
        """Load pretrained weights: from the local cache without network access when present,
        otherwise from the remote (``SEISBENCH_LLM_REMOTE_ROOT``).

        :raises WeightsNotFoundError: Neither local nor reachable.
        :raises WeightsCorruptError: The local files are broken.
        """
        local = cls.local_versions(name)
        wanted = None if version_str in (None, "latest") else int(str(version_str).lstrip("v"))
        if not update and not force and local and (wanted is None or wanted in local):
            return cls.load_local(name, wanted)
        try:
            return super().from_pretrained(
                name,
                version_str=version_str or "latest",
                update=update,
                force=force,
                wait_for_file=wait_for_file,
            )
        except WeightsCorruptError:
            raise
        except Exception as e:  # requests' ConnectionError, 404 -> ValueError, ...
            raise cls._not_found(name, e) from e

    @classmethod
    def list_pretrained(cls, details: bool = False, remote: bool = True):
        """Names of available weights: local ones always, remote ones when the remote answers."""
        folder = cls._model_path()
        local = sorted(
            {
                m["name"]
                for p in (folder.iterdir() if folder.is_dir() else [])
                if (m := _VERSIONED.match(p.name))
            }
        )
        names = set(local)
        if remote:
            try:
                names |= set(super().list_pretrained(details=False, remote=True))
            except Exception as e:
                logger.warning(
                    f"Remote weights of {cls.__name__} not listed ({type(e).__name__}: {e}); showing local weights only"
                )
        names = sorted(names)
        if not details:
            return names
        out = {}
        for name in names:
            versions = cls.local_versions(name)
            doc = ""
            if versions:
                json_path, _ = cls._get_weights_file_paths(
                    cls._model_path() / name, str(versions[-1])
                )
                try:
                    doc = json.loads(json_path.read_text()).get("docstring", "")
                except (OSError, json.JSONDecodeError):
                    doc = "(unreadable weight file)"
            out[name] = doc
        return out

    @classmethod
    def _not_found(cls, name: str, error: Exception | None) -> WeightsNotFoundError:
        reason = f" ({type(error).__name__}: {error})" if error is not None else ""
        return WeightsNotFoundError(
            f"No weights '{name}' for {cls.__name__}: not in the local cache {cls._model_path()} and not "
            f"available from the remote {cls._remote_path()}{reason}. {EXPORT_HINT} "
            f"Set {REMOTE_ENV} to use another remote."
        )

    @staticmethod
    def _corrupt_message(path: Path, error: Exception) -> str:
        return (
            f"Weight file {path} is corrupt or truncated ({type(error).__name__}: {error}). Delete it "
            "(and its .json/.pt partner) or re-export with export_weights(..., overwrite=True)."
        )


def export_weights(
    model: torch.nn.Module,
    name: str,
    docstring: str | None = None,
    version: int | None = None,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``model`` as SeisBench weights ``<name>.json.v<N>`` / ``<name>.pt.v<N>`` into the cache.

    The model is copied, LoRA merged (``merge_lora()`` where the model has it), moved to CPU and put
    in eval mode; the caller's model is unchanged. Files are written under temporary names in the
    same folder and renamed into place (weights first, then the json), so a half-written file is
    never visible under a weight name.

    :param model: A SeisBench model.
    :param name: Weight name, e.g. ``"synthetic"``.
    :param docstring: What the weights are; data, config and metrics from ``metadata`` are appended.
    :param version: Version number; default the next free one (1 for new names).
    :param metadata: JSON-serialisable facts, e.g. ``{"data": ..., "config": ..., "metrics": ...}``;
                     stored under ``"seisbench_llm"`` in the json.
    :param overwrite: Replace existing files of that version.
    :return: Path of the json file.
    """
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"Weight name '{name}' may only contain letters, digits, '_' and '-'")
    cls = type(model)
    folder = cls._model_path()
    folder.mkdir(parents=True, exist_ok=True)
    existing = _local_versions(folder, name)
    if version is None:
        version = (existing[-1] + 1) if existing else 1
    json_path, pt_path = cls._get_weights_file_paths(folder / name, str(version))
    if not overwrite and (json_path.exists() or pt_path.exists()):
        raise FileExistsError(f"{json_path} already exists; pass overwrite=True or another version")

    export = copy.deepcopy(model).cpu().eval()
    if hasattr(export, "merge_lora"):
        export.merge_lora()
    metadata = dict(metadata or {})
    text = docstring or f"{cls.__name__} weights '{name}'."
    for key in ("data", "config", "metrics"):
        if key in metadata:
            text += f"\n{key}: {json.dumps(metadata[key], default=str)}"

    with tempfile.TemporaryDirectory(dir=folder, prefix=".tmp_export_") as tmp:
        tmp_base = Path(tmp) / name
        export.save(tmp_base, weights_docstring=text, version_str=str(version))
        tmp_json, tmp_pt = cls._get_weights_file_paths(tmp_base, str(version))
        content = json.loads(tmp_json.read_text())
        content["version"] = str(version)
        content["seisbench_llm"] = metadata
        tmp_json.write_text(json.dumps(content, indent=2, default=str))
        os.replace(tmp_pt, pt_path)
        os.replace(tmp_json, json_path)
    logger.info(f"Exported {cls.__name__} weights '{name}' v{version} to {folder}")
    return json_path


def list_local_weights(model_cls: type | None = None) -> list[tuple[str, str, int, Path]]:
    """``(class folder, weight name, version, json path)`` of every local weight file set,
    for one model class or for all classes in the cache."""
    root = Path(seisbench.cache_model_root)
    folders = (
        [model_cls._model_path()]
        if model_cls is not None
        else sorted(p for p in root.glob("*") if p.is_dir())
    )
    rows = []
    for folder in folders:
        names = {
            m["name"]
            for p in (folder.iterdir() if folder.is_dir() else [])
            if (m := _VERSIONED.match(p.name))
        }
        for name in sorted(names):
            for v in _local_versions(folder, name):
                rows.append((folder.name, name, v, folder / f"{name}.json.v{v}"))
    return rows
