"""SeisMoE and the mixture-of-experts layer."""

import copy

import numpy as np
import obspy
import pytest
import seisbench.models as sbm
import torch
import torch.nn.functional as F
from curves import annotation_curves

from seisbench_llm import SeisMoE, WeightsNotFoundError
from seisbench_llm.models.inputs import add_input_handling
from seisbench_llm.models.moe import MoEFeedForward, balance_loss


@pytest.fixture
def eqt():
    torch.manual_seed(0)
    return sbm.EQTransformer().eval()


def test_registered():
    assert sbm.SeisMoE is SeisMoE


# ---------------------------------------------------------------------------- MoE layer
def test_topk_gates_sum_to_one_and_pick_k():
    torch.manual_seed(0)
    layer = MoEFeedForward(16, 32, num_experts=6, top_k=2, channels_first=False)
    nn_init = torch.nn.init
    nn_init.normal_(layer.router.weight)
    _, probs, gates = layer.route(torch.randn(50, 16))
    torch.testing.assert_close(gates.sum(-1), torch.ones(50))
    assert ((gates > 0).sum(-1) == 2).all()
    # the two chosen are the two most probable experts
    assert torch.equal((gates > 0), probs >= probs.topk(2, dim=-1).values[:, -1:])


def test_balance_loss_known_values():
    # 4 tokens, 4 experts, top-2, each expert chosen twice, uniform probabilities -> minimum k = 2
    probs = torch.full((4, 4), 0.25)
    gates = torch.tensor(
        [[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.float
    )
    assert balance_loss(probs, gates).item() == pytest.approx(2.0)
    # everything routed to experts 0 and 1 with all probability there -> E * (1 * .5 + 1 * .5) = 4
    probs = torch.tensor([[0.5, 0.5, 0.0, 0.0]] * 4)
    gates = torch.tensor([[1, 1, 0, 0]] * 4, dtype=torch.float)
    assert balance_loss(probs, gates).item() == pytest.approx(4.0)
    # top-1, balanced -> 1
    probs = torch.full((3, 3), 1 / 3)
    assert balance_loss(probs, torch.eye(3)).item() == pytest.approx(1.0)


def test_router_gets_gradient_from_balance_loss():
    torch.manual_seed(0)
    layer = MoEFeedForward(16, 32, num_experts=4, top_k=2, channels_first=False)
    layer(torch.randn(64, 16))
    layer.aux_loss.backward()
    assert layer.router.weight.grad is not None
    assert layer.router.weight.grad.abs().sum() > 0


def test_unused_expert_still_in_graph():
    torch.manual_seed(0)
    layer = MoEFeedForward(16, 32, num_experts=4, top_k=1, router_jitter=0, channels_first=False)
    with torch.no_grad():
        layer.router.weight.zero_()
        layer.router.weight[0] = 10.0  # all positive inputs go to expert 0
    x = torch.rand(32, 16)
    layer(x).sum().backward()
    assert layer.usage.tolist() == [32, 0, 0, 0]
    assert layer.w1.grad is not None and layer.w1.grad[1:].abs().sum() == 0


def test_moe_layer_equals_dense_ffn_when_experts_equal():
    torch.manual_seed(0)
    lin1, lin2 = torch.nn.Linear(16, 128), torch.nn.Linear(128, 16)
    layer = MoEFeedForward(16, 128, num_experts=4, top_k=2, channels_first=False).eval()
    layer.init_from_feedforward(lin1, lin2, noise=0.0)
    torch.nn.init.normal_(layer.router.weight)  # any routing: convex combination of equal experts
    x = torch.randn(10, 16)
    torch.testing.assert_close(layer(x), lin2(F.relu(lin1(x))), atol=1e-6, rtol=1e-6)


# ---------------------------------------------------------------------------- SeisMoE
def test_equivalence_at_init(eqt):
    moe = SeisMoE.from_eqtransformer(eqt, expert_noise=0.0).eval()
    x = torch.randn(3, 3, 6000)
    with torch.no_grad():
        for a, b in zip(moe(x), eqt(x), strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def test_expert_zero_is_exact_copy_others_noisy(eqt):
    moe = SeisMoE.from_eqtransformer(eqt, num_experts=3, expert_noise=0.01)
    for name in ("transformer_d0", "transformer_d"):
        layer, ff = getattr(moe, name).ff, getattr(eqt, name).ff
        assert torch.equal(layer.w1[0], ff.lin1.weight.T)
        assert torch.equal(layer.b2[0, 0], ff.lin2.bias)
        diff = (layer.w1[1:] - ff.lin1.weight.T).abs()
        assert 0.001 < diff.mean() < 0.05


def test_moe_blocks_choice(eqt):
    moe = SeisMoE.from_eqtransformer(eqt, moe_blocks=["transformer_d"])
    assert isinstance(moe.transformer_d.ff, MoEFeedForward)
    assert not isinstance(moe.transformer_d0.ff, MoEFeedForward)
    with pytest.raises(ValueError, match="moe_blocks"):
        SeisMoE(moe_blocks=["encoder"])


def test_freeze_non_moe():
    moe = SeisMoE(num_experts=8)
    moe.freeze_non_moe()
    trainable = {n for n, p in moe.named_parameters() if p.requires_grad}
    assert trainable and all(".ff." in n for n in trainable)
    assert {n.split(".ff.")[1] for n in trainable} == {"router.weight", "w1", "b1", "w2", "b2"}
    assert {n.split(".ff.")[0] for n in trainable} == {"transformer_d0", "transformer_d"}


def test_annotate_and_classify(eqt):
    rng = np.random.default_rng(0)
    t0 = obspy.UTCDateTime(2021, 1, 1)
    st = obspy.Stream(
        [
            obspy.Trace(
                rng.normal(size=9000),
                header=dict(station="X", channel=f"HH{c}", sampling_rate=100, starttime=t0),
            )
            for c in "ZNE"
        ]
    )
    moe = SeisMoE.from_eqtransformer(eqt, expert_noise=0.0)
    ann = moe.annotate(st)
    assert sorted(tr.stats.channel for tr in ann) == ["SeisMoE_Detection", "SeisMoE_P", "SeisMoE_S"]
    ref = add_input_handling(copy.deepcopy(eqt)).annotate(st)  # the baseline, same input path
    assert [tr.stats.channel for tr in ref][:1] == ["EQTransformer_Detection"]
    for a, b in zip(ann, ref, strict=True):
        assert a.stats.npts == b.stats.npts == 9000 and a.stats.starttime == b.stats.starttime == t0
        np.testing.assert_allclose(a.data, b.data, atol=1e-5)
    out = moe.classify(st, P_threshold=0.0001)
    assert len(out.picks) >= 1 and all(p.phase in ("P", "S") for p in out.picks)
    assert hasattr(out, "detections")


def test_save_load_round_trip(tmp_path, eqt):
    moe = SeisMoE.from_eqtransformer(eqt, num_experts=3, num_experts_per_token=1).eval()
    moe.save(tmp_path / "moe")
    loaded = SeisMoE.load(tmp_path / "moe").eval()
    assert loaded.num_experts == 3 and loaded.num_experts_per_token == 1
    x = torch.randn(2, 3, 6000)
    with torch.no_grad():
        for a, b in zip(moe(x), loaded(x), strict=True):
            torch.testing.assert_close(a, b)


def test_from_weight_paths(tmp_path, eqt):
    eqt.save(tmp_path / "eqt")
    torch.save(eqt.state_dict(), tmp_path / "state.pt")
    x = torch.randn(1, 3, 6000)
    with torch.no_grad():
        ref = eqt(x)[1]
        for base in (tmp_path / "eqt", tmp_path / "eqt.pt", tmp_path / "state.pt"):
            moe = SeisMoE.from_eqtransformer(base, expert_noise=0).eval()
            torch.testing.assert_close(moe(x)[1], ref, atol=1e-6, rtol=1e-6)
    with pytest.raises(FileNotFoundError):
        SeisMoE.from_eqtransformer(tmp_path / "missing.pt")


def test_from_uncached_name_offline_clear_error(no_network):
    with pytest.raises(WeightsNotFoundError, match="EQTransformer"):
        SeisMoE.from_eqtransformer("stead")


def test_training_steps_lower_loss(eqt):
    torch.manual_seed(0)
    moe = SeisMoE.from_eqtransformer(eqt).train()
    x = torch.randn(8, 3, 6000)
    y = torch.zeros(8, 3, 6000)
    y[:, 0, 1000:3000] = 1
    y[:, 1, 900:1100] = torch.exp(-0.5 * ((torch.arange(900, 1100) - 1000) / 20.0) ** 2)
    opt = torch.optim.Adam(moe.parameters(), lr=1e-3)
    losses = []
    for _ in range(6):
        det, p, s = moe(x)
        loss = (
            0.05 * F.binary_cross_entropy(det, y[:, 0])
            + 0.4 * F.binary_cross_entropy(p, y[:, 1])
            + 0.55 * F.binary_cross_entropy(s, y[:, 2])
            + 0.01 * moe.moe_loss()
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    usage = moe.expert_usage()
    assert set(usage) == {"transformer_d0", "transformer_d"}
    assert all(u.sum().item() == 8 * 47 * 2 for u in usage.values())
    assert np.isfinite(losses).all()


def test_export_then_from_pretrained(eqt, no_network):
    from seisbench_llm import export_weights

    moe = SeisMoE.from_eqtransformer(eqt, num_experts=3).eval()
    export_weights(moe, "seismoe_unit")
    loaded = sbm.SeisMoE.from_pretrained("seismoe_unit").eval()
    x = torch.randn(1, 3, 6000)
    with torch.no_grad():
        for a, b in zip(moe(x), loaded(x), strict=True):
            torch.testing.assert_close(a, b)


def test_classify_keeps_one_phase_per_onset_and_the_detections():
    moe = SeisMoE()
    peaks = [("Detection", 5.5, 0.9), ("P", 5.0, 0.9), ("S", 5.02, 0.4), ("S", 6.0, 0.7)]
    curves = annotation_curves("SeisMoE", peaks, ("Detection", "P", "S"))
    start = curves[0].stats.starttime
    out = moe.classify_aggregate(curves, {})
    assert [(p.phase, round(p.peak_time - start, 2)) for p in out.picks] == [("P", 5.0), ("S", 6.0)]
    assert len(out.detections) == 1
    # ps_separation=0: EQTransformer's own decoding, every pick above its threshold
    eqt_out = sbm.EQTransformer.classify_aggregate(moe, curves, {})
    both = moe.classify_aggregate(curves, {"ps_separation": 0})
    assert sorted(map(str, both.picks)) == sorted(map(str, eqt_out.picks))
    assert sorted(p.phase for p in both.picks) == ["P", "S", "S"]
    with pytest.raises(ValueError, match="ps_separation"):
        moe.classify(obspy.read(), ps_separation=-1)


def test_separation_args_accepts_seismoe():
    from seisbench_llm.models.picks import separation_args

    assert separation_args(SeisMoE(), 0.5) == {"ps_separation": 0.5}
