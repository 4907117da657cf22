"""What a model says about token sequences: losses and code lengths in bits, and greedy continuations.

Every measure in the book that runs a model over data goes through :func:`token_losses_nats`, the one forward
pass that returns each predicted token's −ln p(x_j | x_<j); nats become bits in one place,
:func:`memcap.theory.information.nats_to_bits`. On top of it:

* :func:`sequence_code_length_bits` — −log2 p(x | model) of every row of a (N, S) tensor, the first token charged
  log2 V (the model has nothing to condition it on; the uniform start distribution is the best any model can do
  there, and it keeps the parameter count the paper's: no BOS row);
* :func:`span_loss_sums` — per sequence, the summed loss (nats) over named token spans (knowledge tokens,
  Allen-Zhu & Li's Remark 3.1), for sequences of different lengths;
* :func:`sequence_losses` — a sequence's summed loss after its first token (the membership attack's score);
* the per-token baselines :func:`code_length_bits_per_token` and :func:`loss_bits_per_token`;
* :func:`greedy_complete` — the most likely continuation of prompts (extraction, recall).

    INPUT: x0 x1 ... x_{S-2}
    PRED:  x1 x2 ... x_{S-1}     every token after the first is predicted exactly once
"""

from __future__ import annotations

import math

import numpy as np
import torch

from memcap.theory.information import nats_to_bits


def token_losses_nats(model, x: torch.Tensor) -> torch.Tensor:
    """(B, T−1) next-token losses in nats, float64 on the CPU, of a (B, T) batch of token ids: entry j is
    −ln p(x_{j+1} | x_≤j). The model is left in the mode it was in."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = x.to(device)
            return model.loss(x[:, :-1], x[:, 1:], reduction="none").double().cpu()
    finally:
        model.train(was_training)


def sequence_code_length_bits(model, data: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """−log2 p(x | model) for every row of ``data`` (N, S), in bits; x0 charged log2 V (see the module doc)."""
    out = [token_losses_nats(model, data[i:i + batch_size]).sum(dim=1) for i in range(0, data.shape[0], batch_size)]
    bits = nats_to_bits(torch.cat(out).numpy())
    return bits + math.log2(model.cfg.vocab_size)


def span_loss_sums(model, sequences, spans, *, pad: int = 0, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Per sequence, the **sum** of next-token losses (nats) over each span's tokens.

    ``sequences`` are token-id arrays (of any lengths: shorter ones are padded with ``pad``, which no span
    reaches); ``spans[i]`` maps a name to the token span [a, b) of sequence i (a >= 1: the first token has no
    prediction). Returns, for every span name, an array over sequences (NaN where a sequence lacks that span).
    """
    names = sorted({k for s in spans for k in s})
    out = {k: np.full(len(sequences), np.nan) for k in names}
    for lo in range(0, len(sequences), batch_size):
        chunk = sequences[lo:lo + batch_size]
        width = max(len(s) for s in chunk)
        x = torch.full((len(chunk), width), pad, dtype=torch.long)
        for i, s in enumerate(chunk):
            x[i, :len(s)] = torch.as_tensor(np.asarray(s))
        losses = token_losses_nats(model, x).numpy()
        for i in range(len(chunk)):
            for k, (a, b) in spans[lo + i].items():
                if not 1 <= a < b <= len(chunk[i]):
                    raise ValueError(f"span {k!r}={(a, b)} does not fit sequence {lo + i} of {len(chunk[i])} tokens")
                out[k][lo + i] = losses[i, a - 1:b - 1].sum()
    return out


def sequence_losses(model, sequences, pad: int = 0) -> np.ndarray:
    """Total next-token loss (nats) of each token sequence after its first token: the attack's score."""
    seqs = [np.asarray(s) for s in sequences]
    return span_loss_sums(model, seqs, [{"all": (1, len(s))} for s in seqs], pad=pad)["all"]


def code_length_bits_per_token(model, data: torch.Tensor) -> float:
    """Mean code length per token of ``data`` (N, S), first tokens included (charged log2 V): log2 V for a model
    that knows nothing, e.g. one before training."""
    return float(sequence_code_length_bits(model, data).sum()) / data.numel()


def loss_bits_per_token(model, sequences, pad: int = 0) -> float:
    """Mean loss per predicted token (bits) of token sequences of any lengths, first tokens not counted: log2 V for
    a model that knows nothing."""
    sums = sequence_losses(model, sequences, pad=pad)
    return float(nats_to_bits(sums.sum()) / sum(len(s) - 1 for s in sequences))


def greedy_complete(model, prompts, n_tokens: int) -> torch.Tensor:
    """Greedy continuation: the ``n_tokens`` most likely next tokens after each row of ``prompts`` (B, T)."""
    device = next(model.parameters()).device
    x = torch.as_tensor(prompts).to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for _ in range(n_tokens):
                nxt = model(x)[:, -1].argmax(-1, keepdim=True)
                x = torch.cat([x, nxt], dim=1)
    finally:
        model.train(was_training)
    return x[:, -n_tokens:].cpu()
