"""Pretrained GPT-2 missing on a machine without network: a clear error within seconds."""

from __future__ import annotations

import socket
import time

import pytest

from seisbench_llm.models.gpt2 import GPT2Backbone, PretrainedGPT2NotFoundError


def test_missing_gpt2_fails_fast_when_the_hub_is_unreachable(tmp_path, monkeypatch):
    # as on a user's offline machine: no HF_HUB_OFFLINE, an empty cache, no route to the hub
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    probes = []

    def unreachable(address, *args, **kwargs):
        probes.append(address)
        raise OSError("Network is unreachable")

    def forbidden(*args, **kwargs):
        raise AssertionError("network access beyond the reachability probe")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    backbone = GPT2Backbone(d_model=32, n_layers=1, n_heads=2, n_positions=16)
    from transformers import GPT2Model  # noqa: F401  (import time is not what is measured)

    start = time.monotonic()
    with pytest.raises(PretrainedGPT2NotFoundError, match="unreachable") as err:
        backbone.load_gpt2_weights("gpt2")
    assert time.monotonic() - start < 5
    assert len(probes) == 1 and probes[0][0] == "huggingface.co"
    assert "save_pretrained" in str(err.value)  # says how to provide the weights
