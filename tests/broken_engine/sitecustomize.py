"""Breaks the memcap engine on purpose, in every Python process started with this folder on PYTHONPATH (the
papermill kernel and the sweep's worker processes alike), as chosen by $MEMCAP_TEST_BREAK:

* ``lr0``: the learning rate is 0 at every step (the models never change, so no step computes more than its
  loss);
* ``fresh``: measurement sees fresh data instead of the training data (uniform sequences redrawn, for the code
  lengths and for the attacks' per-token statistics, on text too; the tokens of every knowledge span redrawn from those seen at
  that position);
* ``nats``: nats are converted to bits the wrong way round (× ln 2 instead of ÷ ln 2);
* ``labels``: membership attacks see their members and non-members shuffled together (the labels are noise), while
  training and every code length stay right (chapter 8's metrics lose their groups with the labels);
* ``quant``: the quantizer's row scale is computed for 4 bits fewer than the grid it rounds to, and for no fewer
  than 2 (int8 rounds to 15 levels, as int4 should; 3- to 6-bit weights to 3 levels), while training and every
  unquantized measurement stay right (chapter 4's first exercise, which checks its answer against the package's
  rounding, then stops the chapter, after its claims);
* ``ref0``: chapter 6's mem_U (:func:`memcap.measures.text.mem_u`) reads its reference's code lengths as those of a
  reference that never trained (log2 V a token, what its untrained model charged): a reference too weak, which the
  chapter's claim on the test split's mem_U exists to catch. A stand-in, applied where the chapter reads the stored
  code lengths (a reference that truly never trained would store them so); training stays right.
* ``shift``: chapter 5's bioS non-members run on into the next non-member's biography, its first 8 tokens after its
  ``<eot>`` (a cut that misses the end of the text; the last runs into the first), while members stop at theirs: members and non-members differ in form, not in what the model
  stored (what the membership-inference literature warns of); training stays right.

Used by tests/test_broken_engine.py only: each chapter's smoke run must then fail on one of its claims.
"""

import os

_BREAK = os.environ.get("MEMCAP_TEST_BREAK", "")

if _BREAK == "lr0":
    import torch

    import memcap.engine.training.config
    import memcap.engine.training.loop
    import memcap.engine.training.stacked

    memcap.engine.training.config.Schedule.__call__ = lambda self, step: 0.0

    # At a rate of 0 AdamW (every chapter's optimizer; NAdam too) leaves every weight as it is, so a step's backward
    # pass and update change nothing: each step computes its loss only (the same forward pass, so the same losses,
    # curves and weights), which saves the broken runs two thirds of their arithmetic. Not so for Rprop, whose step
    # sizes ignore the rate: only benchmarks/recipes.py trains with it, never a chapter.
    def _single_loss(self, batches, lrs, active):
        (batch,) = batches
        with torch.no_grad(), self.autocast:
            return [self.model.loss(batch[:, :-1], batch[:, 1:]).item()]

    def _stacked_losses(self, batches, lrs, active):
        with torch.no_grad():
            return self.losses(torch.stack(batches)).double().cpu().tolist()

    memcap.engine.training.loop._SingleStep.__call__ = _single_loss
    memcap.engine.training.stacked.StackedStep.__call__ = _stacked_losses

elif _BREAK == "nats":
    import math

    import memcap.theory.information

    memcap.theory.information.nats_to_bits = lambda nats: nats * math.log(2)

elif _BREAK == "fresh":
    import numpy as np
    import torch

    import memcap.measures.evaluate  # before anything imports its functions by name

    _codes = memcap.measures.evaluate.sequence_code_length_bits
    _spans = memcap.measures.evaluate.span_loss_sums

    def _fresh_codes(model, data, batch_size=1024):
        g = torch.Generator().manual_seed(987_654_321)
        return _codes(model, torch.randint(model.cfg.vocab_size, tuple(data.shape), generator=g), batch_size)

    def _fresh_spans(model, sequences, spans, *, pad=0, batch_size=256):
        rng = np.random.default_rng(987_654_321)
        seqs = [np.array(s, copy=True) for s in sequences]
        for key in spans[0]:
            groups = {}
            for i, sp in enumerate(spans):
                a, b = sp[key]
                groups.setdefault(b - a, []).append(i)
            for length, members in groups.items():
                block = np.stack([sequences[i][spans[i][key][0]:spans[i][key][1]] for i in members])  # (n, length)
                for i in members:
                    a, b = spans[i][key]
                    seqs[i][a:b] = block[rng.integers(len(members), size=length), np.arange(length)]
        return _spans(model, seqs, spans, pad=pad, batch_size=batch_size)

    memcap.measures.evaluate.sequence_code_length_bits = _fresh_codes
    memcap.measures.evaluate.span_loss_sums = _fresh_spans

    import memcap.measures.attacks

    _stats = memcap.measures.attacks.token_statistics

    def _fresh_stats(model, data, batch_size=512):
        g = torch.Generator().manual_seed(987_654_321)
        return _stats(model, torch.randint(model.cfg.vocab_size, tuple(data.shape), generator=g), batch_size)

    memcap.measures.attacks.token_statistics = _fresh_stats

elif _BREAK == "labels":
    import numpy as np

    import memcap.measures.membership

    _attack = memcap.measures.membership.calibrated_attack

    def _shuffled_attack(members, nonmembers, rng, n_boot=1000):
        m, n = np.asarray(members, dtype=float), np.asarray(nonmembers, dtype=float)
        pooled = np.random.default_rng(987_654_321).permutation(np.concatenate([m, n]))
        return _attack(pooled[:m.size], pooled[m.size:], rng, n_boot=n_boot)

    memcap.measures.membership.calibrated_attack = _shuffled_attack

    import memcap.measures.attacks

    _metrics = memcap.measures.attacks.attack_metrics

    def _shuffled_metrics(members, nonmembers, **kw):
        m, n = np.asarray(members, dtype=float), np.asarray(nonmembers, dtype=float)
        order = np.random.default_rng(987_654_321).permutation(m.size + n.size)
        pooled = np.concatenate([m, n])[order]
        for side in ("member_groups", "nonmember_groups"):  # groups travel with their scores
            if kw.get(side) is not None:
                kw[side] = None
        return _metrics(pooled[:m.size], pooled[m.size:], **kw)

    memcap.measures.attacks.attack_metrics = _shuffled_metrics

elif _BREAK == "quant":
    import memcap.measures.quantize

    _scales = memcap.measures.quantize.row_scales
    memcap.measures.quantize.row_scales = lambda W, bits: _scales(W, max(2, bits - 4))

elif _BREAK == "ref0":
    import numpy as np

    import memcap.measures.text  # before chapter 6's tables import mem_u by name

    _mem_u = memcap.measures.text.mem_u

    def _untrained_reference(run, metrics, reference):
        code = reference["untrained_bits_per_token"] * run.model.seq_len  # one sequence, untrained
        weak = dict(reference, pool_bits=np.full(len(reference["pool_bits"]), code),
                    test_bits=np.full(len(reference["test_bits"]), code))
        return _mem_u(run, metrics, weak)

    memcap.measures.text.mem_u = _untrained_reference

elif _BREAK == "shift":
    import numpy as np

    import memcap.data.streams

    _nonmembers = memcap.data.streams.BioSCorpus.nonmembers

    def _run_on(self, n, seed):
        bios = _nonmembers(self, n, seed)
        return [np.concatenate([b, bios[(i + 1) % len(bios)][1:9]]) for i, b in enumerate(bios)]

    memcap.data.streams.BioSCorpus.nonmembers = _run_on

elif _BREAK:
    raise ValueError(f"unknown MEMCAP_TEST_BREAK={_BREAK!r}; allowed: lr0, fresh, nats, labels, quant, ref0, shift")
