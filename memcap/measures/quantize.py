"""Post-training quantization of a trained GPT: round-to-nearest (RTN) and GPTQ, at a given bits per weight.

Both use the same grid: **symmetric, per output channel** (one scale per row of a weight matrix), integer levels
-(2^(b-1) - 1) ... 2^(b-1) - 1, scale = max |w| of the row / (2^(b-1) - 1). The models are then run with the
de-quantized weights in fp32, so what changes is only what the weights can hold.

Which tensors are quantized (:func:`quantized_tensors` lists them and :func:`count_weights` counts them):

* every matrix of every block (attention ``qkv`` and ``proj``; the MLP's ``fc``/``fc_out`` or ``gate``/``up``/``down``),
* the token embedding, which is also the output head (tied), and the learned position table if there is one.

LayerNorm weights and all biases stay in fp32: together a few percent of the parameters at our sizes, counted
separately, as is usual practice (GPTQ keeps them too).

GPTQ (Frantar et al. 2023) quantizes a matrix W (out × in) one input column at a time and, after each column,
updates the columns not yet quantized to compensate for its rounding error, using the inverse of the layer's
input Hessian H = X Xᵀ (X: the layer's inputs on calibration samples). Each row then ends up with the
quantized weights that a greedy, column-by-column least-squares fit would give (tested against that
brute-force fit). Layers are done in forward order, with calibration inputs recomputed through the already
quantized layers before them. The tied embedding is calibrated as the output head (its input is the final
LayerNorm's output).

    >>> W = torch.tensor([[0.9, -0.3, 0.05]])
    >>> rtn(W, bits=3)
    tensor([[ 0.9000, -0.3000,  0.0000]])
"""

from __future__ import annotations

import torch
from torch import nn

from memcap.measures.capacity import memorized_bits
from memcap.model import GPT


def levels(bits: int) -> int:
    """Largest integer level of the symmetric grid: 2^(bits-1) - 1 (bits >= 2)."""
    if not isinstance(bits, int) or isinstance(bits, bool) or not 2 <= bits <= 16:
        raise ValueError(f"bits must be an integer from 2 to 16, got bits={bits!r}")
    return 2 ** (bits - 1) - 1


def row_scales(W: torch.Tensor, bits: int) -> torch.Tensor:
    """One scale per row: max |w| / levels (rows of zeros get scale 1, so they stay zero)."""
    m = W.abs().amax(dim=1, keepdim=True)
    return torch.where(m > 0, m / levels(bits), torch.ones_like(m))


def quantize_to_grid(w: torch.Tensor, scale: torch.Tensor, bits: int) -> torch.Tensor:
    """Round to the nearest grid point and de-quantize."""
    q = levels(bits)
    return torch.clamp(torch.round(w / scale), -q, q) * scale


def rtn(W: torch.Tensor, bits: int) -> torch.Tensor:
    """Round-to-nearest, symmetric, per row."""
    return quantize_to_grid(W, row_scales(W, bits), bits)


def gptq(W: torch.Tensor, H: torch.Tensor, bits: int, damp: float = 0.01) -> torch.Tensor:
    """GPTQ of ``W`` (out × in) given the input Hessian ``H`` (in × in); returns the de-quantized matrix.

    ``damp`` adds damp · mean(diag H) to the diagonal (the paper's dampening, so H is invertible); inputs that
    are always zero (diag H = 0) get weight 0, as in the reference implementation. Scales are per row, from W.
    """
    W = W.detach().double().clone()
    H = H.detach().double().clone()
    if H.shape != (W.shape[1], W.shape[1]):
        raise ValueError(f"H must be {W.shape[1]}x{W.shape[1]} for W of shape {tuple(W.shape)}, got {tuple(H.shape)}")
    scale = row_scales(W, bits)
    dead = torch.diag(H) == 0
    H[dead, dead] = 1.0
    W[:, dead] = 0.0
    H += damp * torch.diag(H).mean() * torch.eye(H.shape[0], dtype=H.dtype)
    Hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    Q = torch.zeros_like(W)
    for i in range(W.shape[1]):
        w = W[:, i]
        q = quantize_to_grid(w.unsqueeze(1), scale, bits).squeeze(1)
        Q[:, i] = q
        err = (w - q) / Hinv[i, i]
        W[:, i + 1:] -= err.unsqueeze(1) * Hinv[i, i + 1:].unsqueeze(0)
    return Q.float()


def quantized_tensors(model: GPT) -> list[str]:
    """Names of the parameters that quantization replaces (see the module docstring)."""
    names = [n for n, p in model.named_parameters() if p.dim() == 2]
    return names


def count_weights(model: GPT) -> dict[str, int]:
    """Parameters quantized and parameters kept in fp32."""
    quantized = set(quantized_tensors(model))
    q = sum(p.numel() for n, p in model.named_parameters() if n in quantized)
    return dict(quantized=q, kept_fp32=sum(p.numel() for p in model.parameters()) - q)


def quantize_rtn(model: GPT, bits: int) -> GPT:
    """A copy of ``model`` with every listed tensor rounded to nearest."""
    out = _copy(model)
    with torch.no_grad():
        for name in quantized_tensors(out):
            p = out.get_parameter(name)
            p.copy_(rtn(p.float(), bits))
    return out


def quantize_gptq(model: GPT, calibration: torch.Tensor, bits: int, damp: float = 0.01) -> GPT:
    """A copy of ``model`` quantized by GPTQ, calibrated on the token sequences ``calibration`` (B, S).

    Matrices of the blocks are done in forward order; each one's Hessian is collected with the layers before it
    already quantized. The tied embedding is done last, as the output head; a learned position table (a lookup,
    with no input to calibrate on) is rounded to nearest.
    """
    out = _copy(model)
    out.eval()
    linears = [(n, m) for n, m in out.named_modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for name, module in linears:
            H = _input_hessian(out, module, calibration)
            module.weight.copy_(gptq(module.weight, H, bits, damp))
        if hasattr(out, "wpe"):
            out.wpe.weight.copy_(rtn(out.wpe.weight, bits))
        H = _input_hessian(out, out.ln_f, calibration, output=True)
        out.wte.weight.copy_(gptq(out.wte.weight, H, bits, damp))
    return out


def _input_hessian(model: GPT, module: nn.Module, calibration: torch.Tensor, output: bool = False) -> torch.Tensor:
    """Σ x xᵀ over every position of the calibration set, x the module's input (or its output)."""
    captured: list[torch.Tensor] = []

    def hook(mod, args, result):
        x = result if output else args[0]
        captured.append(x.detach().reshape(-1, x.shape[-1]).double())

    handle = module.register_forward_hook(hook)
    try:
        model(calibration.to(next(model.parameters()).device))
    finally:
        handle.remove()
    X = torch.cat(captured).cpu()
    return X.T @ X


def _copy(model: GPT) -> GPT:
    clone = GPT(model.cfg).to(next(model.parameters()).device)
    clone.load_state_dict(model.state_dict())
    clone.eval()
    return clone


def memorized_row(model: GPT, data: torch.Tensor, vocab_size: int) -> dict:
    """What a quantization sweep records of a model on uniform sequences ``data``: its memorized bits, raw (the
    dataset's whole code-length saving) and clipped per sample (Morris et al.'s mem_U summed)."""
    mem = memorized_bits(model, data, vocab_size)
    return dict(memorized_bits=mem.raw_bits, clipped_bits=mem.clipped_bits)


def knowledge_row(model: GPT, run) -> dict:
    """What a quantization sweep records of a model trained by a knowledge run: R(F), measured as ``run`` measures
    it, on the run's own corpus and evaluation people."""
    corpus = run.corpus()
    return dict(R=run.measure(model, corpus, run.evaluation(corpus))["R"])


def quantization_sweep(model: GPT, bits, calibration: torch.Tensor, measure, methods=("RTN", "GPTQ")) -> list[dict]:
    """``measure(model)`` (a dict) of the unquantized model (method "none", 32 bits) and of each method at each
    bit width; GPTQ is calibrated on ``calibration`` (B, S) token sequences."""
    unknown = set(methods) - {"RTN", "GPTQ"}
    if unknown:
        raise ValueError(f"unknown quantization method(s) {sorted(unknown)}; allowed: ['RTN', 'GPTQ']")
    rows = [dict(method="none", bits=32, **measure(model))]
    for b in bits:
        levels(b)  # validate before any work
    for b in bits:
        for method in methods:
            q = quantize_rtn(model, b) if method == "RTN" else quantize_gptq(model, calibration, b)
            rows.append(dict(method=method, bits=b, **measure(q)))
    return rows
