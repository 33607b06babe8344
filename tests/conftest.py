"""Test configuration: every test session gets its own SeisBench cache.

``SEISBENCH_CACHE_ROOT`` is read by SeisBench at import time, so it is set here, before any test
module imports seisbench. A user's ``~/.seisbench`` is never touched.
"""

import os
import tempfile

_CACHE = tempfile.mkdtemp(prefix="seisbench_llm_test_cache_")
os.environ["SEISBENCH_CACHE_ROOT"] = _CACHE
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
import seisbench  # noqa: E402
import torch  # noqa: E402

assert str(seisbench.cache_root) == _CACHE, "seisbench was imported before tests/conftest.py"

torch.set_num_threads(2)


@pytest.fixture
def cache_root():
    """The SeisBench cache root used by this test session."""
    return seisbench.cache_root


@pytest.fixture
def no_network(monkeypatch):
    """Make any attempt to open a network connection fail loudly."""
    import socket

    def guard(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
    monkeypatch.setattr(socket, "getaddrinfo", guard)
