"""Output locations checked before any work starts, and files written atomically.

Every entry point (``seisbench-llm annotate``, ``convert-diting``, ``benchmarks/train.py``,
``benchmarks/eval.py``) calls :py:func:`check_output_dir` on its output folder first, so a
read-only or misnamed destination costs a one-line error, not the work done before writing.
:py:func:`atomic_write` writes a file under a temporary name beside it and renames it into place:
the file is complete or absent, never half written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["OutputError", "atomic_write", "check_output_dir"]


class OutputError(ValueError):
    """An output location that cannot be used; the message names it, the problem and the fix."""


def check_output_dir(
    path: str | os.PathLike, what: str, files: Sequence[str] = (), create: bool = True
) -> Path:
    """Check that ``path`` is (or can be created as) a writable folder, and that none of ``files``
    inside it is a folder. Creates the folder when ``create`` is True.

    :param path: The output folder.
    :param what: How the user named it (``"--out"``, ``"DST"``), for the message.
    :param files: Names of files that will be written into the folder.
    :param create: Create the folder (and its parents) if missing.
    :return: The folder as a :py:class:`~pathlib.Path`.
    :raises OutputError: It is a file, cannot be created, is not writable, or a file name in
                         ``files`` is taken by a folder.
    """
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what} {folder} is a file, not a folder; choose a folder")
    if not folder.exists():
        existing = next((p for p in folder.parents if p.exists()), Path("."))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"{what} {folder} cannot be created: {existing} is not writable")
        if not create:
            return folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"{what} {folder} cannot be created: {error.strerror}") from error
    try:  # os.access is not enough (read-only mounts, ACLs): try it
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise OutputError(
            f"{what} {folder} is not writable ({error.strerror}); choose another folder"
        ) from error
    for name in files:
        if (folder / name).is_dir():
            raise OutputError(
                f"{what}: {folder / name} is a folder, but a file of that name is written there; "
                "remove it or choose another folder"
            )
    return folder


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` (``os.replace``),
    on error it is removed and ``path`` is left as it was.

    :param path: The file to write.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
