"""What a trained knowledge model holds where: the bits left when one layer is removed (Allen-Zhu & Li §8.1), and
how a mixture of experts spreads the tokens over its experts.

Both measure a stored :class:`~memcap.engine.runs.knowledge.KnowledgeRun`'s model on the run's own evaluation
renderings, with the run's own measurement (:meth:`~memcap.engine.runs.knowledge.KnowledgeRun.measure`), so the
numbers are the chapter's R(F) and knowledge bits. Knowledge bits are R(F) · P with P the *whole* model's parameters: a model without a layer is
measured as the same model's knowledge, not as a smaller model's ratio.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from memcap.engine.runs.knowledge import KnowledgeRun
from memcap.model import GPT, remove_layer


def bits_without_each_layer(model: GPT, run: KnowledgeRun, recall: bool = True) -> list[dict]:
    """The run's knowledge bits with every layer (``removed=None``), then without each layer in turn: one dict
    per row with ``removed`` (the block index or None), ``knowledge_bits`` (the bound as computed: below zero when
    the model codes the knowledge tokens worse than a code that knows nothing), ``share`` (``max(0, bits)`` over the
    whole model's bits: what is left that the bound can prove; NaN in every row when the whole model stores nothing
    by the bound, so there is nothing to take apart), the three losses and, with ``recall``, the greedy recall
    accuracy."""
    if model.cfg != run.model:
        raise ValueError(f"the model's configuration {model.cfg} is not the run's {run.model}")
    corpus = run.corpus()
    evaluation = run.evaluation(corpus)
    model.eval()
    rows = []
    for removed in [None, *range(model.cfg.n_layer)]:
        m = run.measure(model if removed is None else remove_layer(model, removed), corpus, evaluation,
                        recall=recall)
        rows.append(dict(removed=removed, knowledge_bits=m["knowledge_bits"], p1=m["p1"], p2=m["p2"], p3=m["p3"],
                         **({"recall_accuracy": m["recall_accuracy"]} if recall else {})))
    whole = rows[0]["knowledge_bits"]
    for row in rows:
        row["share"] = max(0.0, row["knowledge_bits"]) / whole if whole > 0 else math.nan
    return rows


def expert_load(model: GPT, tokens: np.ndarray | torch.Tensor) -> np.ndarray:
    """Share of the token positions of ``tokens`` (windows, (n, seq_len)) that each layer's router sends to each
    expert: an array (n_layer, E) whose rows sum to 1."""
    if not model.cfg.n_experts:
        raise ValueError(f"the model has no experts (mlp={model.cfg.mlp!r})")
    x = torch.as_tensor(np.asarray(tokens), dtype=torch.long, device=next(model.parameters()).device)
    if x.ndim != 2:
        raise ValueError(f"tokens must be windows of shape (n, seq_len), got shape {tuple(x.shape)}")
    model.eval()
    with torch.no_grad():
        model(x)
    E = model.cfg.n_experts
    return np.stack([np.bincount(b.moe.last_choice.reshape(-1).cpu().numpy(), minlength=E) / x.numel()
                     for b in model.blocks])
