import itertools

import pytest
import torch

from memcap.measures import quantize as qz
from memcap.model import GPT, GPTConfig


def test_levels_and_bad_bits():
    assert [qz.levels(b) for b in (2, 3, 4, 8)] == [1, 3, 7, 127]
    for bad in (1, 17, 4.0, True):
        with pytest.raises(ValueError, match="bits="):
            qz.levels(bad)


def test_rtn_is_symmetric_per_row_and_within_half_a_step():
    W = torch.randn(5, 9, generator=torch.Generator().manual_seed(0))
    for bits in (3, 4, 8):
        Q = qz.rtn(W, bits)
        scale = W.abs().amax(1, keepdim=True) / qz.levels(bits)
        steps = Q / scale
        assert torch.allclose(steps, steps.round(), atol=1e-5)  # on the grid
        assert (steps.abs() <= qz.levels(bits) + 1e-5).all()
        assert ((W - Q).abs() <= scale / 2 + 1e-6).all()
        assert torch.allclose(Q.abs().amax(1), W.abs().amax(1))  # the largest weight of a row is exact


def _sequential_least_squares(W, H, bits):
    """Brute-force reference: quantize column i by rounding, then re-solve the not-yet-quantized weights of each row
    for the least-squares optimum of ||(w - w') X||² given every quantized column so far."""
    W = W.double()
    n = W.shape[1]
    scale = qz.row_scales(W, bits)
    Q = torch.zeros_like(W)
    current = W.clone()
    for i in range(n):
        Q[:, i] = qz.quantize_to_grid(current[:, i:i + 1], scale, bits).squeeze(1)
        done, rest = slice(0, i + 1), slice(i + 1, n)
        if i + 1 < n:
            # minimize (d)ᵀ H (d) over the free part, d = W - [Q_done, free]
            delta = W[:, done] - Q[:, done]
            current[:, rest] = W[:, rest] + (torch.linalg.solve(H[rest, rest], H[rest, done] @ delta.T)).T
    return Q


@pytest.mark.parametrize("seed", range(5))
def test_gptq_equals_the_sequential_least_squares_fit(seed):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(4, 6, generator=g, dtype=torch.float64)
    X = torch.randn(6, 40, generator=g, dtype=torch.float64) + 0.5 * torch.randn(6, 1, generator=g, dtype=torch.float64)
    H = X @ X.T
    damped = H + 0.01 * torch.diag(H).mean() * torch.eye(6, dtype=torch.float64)
    got = qz.gptq(W, H, bits=3, damp=0.01).double()
    want = _sequential_least_squares(W, damped, bits=3)
    assert torch.allclose(got, want, atol=1e-5)


def test_gptq_beats_rounding_and_is_close_to_the_brute_force_optimum():
    g = torch.Generator().manual_seed(0)
    wins, ratios = 0, []
    for _ in range(30):
        W = torch.randn(1, 4, generator=g, dtype=torch.float64)
        X = torch.randn(4, 30, generator=g, dtype=torch.float64)
        X[1] = X[0] + 0.3 * X[1]  # correlated inputs: where compensation pays
        H = X @ X.T
        bits = 2  # levels -1, 0, 1: 3^4 = 81 candidates per row
        scale = qz.row_scales(W, bits)

        def err(Q):
            d = (W - Q) @ X
            return float((d * d).sum())

        best = min(err(torch.tensor([c], dtype=torch.float64) * scale)
                   for c in itertools.product((-1, 0, 1), repeat=4))
        e_gptq, e_rtn = err(qz.gptq(W, H, bits, damp=1e-6).double()), err(qz.rtn(W, bits))
        assert best <= e_gptq * (1 + 1e-6) and best <= e_rtn * (1 + 1e-6)
        wins += e_gptq <= e_rtn * (1 + 1e-6)
        ratios.append(e_gptq / max(best, 1e-12))
    assert wins >= 25, f"GPTQ beat rounding in only {wins} of 30 layers"
    assert sorted(ratios)[15] < 1.5  # the median layer is within 50 % of the optimum


def test_gptq_rejects_a_hessian_of_the_wrong_shape():
    with pytest.raises(ValueError, match="H must be 3x3"):
        qz.gptq(torch.zeros(2, 3), torch.eye(4), bits=4)


@pytest.mark.parametrize("mlp,positions", [("standard", "learned"), ("gated", "rotary")])
def test_model_quantization_counts_and_high_bit_fidelity(mlp, positions):
    cfg = GPTConfig(vocab_size=32, seq_len=16, n_layer=2, d_model=16, n_head=4, mlp=mlp, positions=positions)
    model = GPT(cfg, generator=torch.Generator().manual_seed(0))
    counts = qz.count_weights(model)
    assert counts["quantized"] + counts["kept_fp32"] == cfg.n_params
    names = qz.quantized_tensors(model)
    assert "wte.weight" in names and all("ln" not in n and not n.endswith("bias") for n in names)
    x = torch.randint(32, (8, 16), generator=torch.Generator().manual_seed(1))
    base = model.loss(x[:, :-1], x[:, 1:]).item()
    for quantized in (qz.quantize_rtn(model, 16), qz.quantize_gptq(model, x, 16)):
        assert quantized.loss(x[:, :-1], x[:, 1:]).item() == pytest.approx(base, abs=1e-3)
    coarse = qz.quantize_rtn(model, 2)
    assert not torch.equal(coarse.wte.weight, model.wte.weight)
    assert torch.equal(coarse.ln_f.weight, model.ln_f.weight)  # LayerNorms stay fp32
    assert torch.equal(model.wte.weight, GPT(cfg, generator=torch.Generator().manual_seed(0)).wte.weight)  # original kept
