"""Benchmark: what real-text runs (chapter 6) cost on this machine, and how low a reference model's loss gets.

Not a test: it prints measured numbers. It needs the corpus (``memcap data``). Run from the project folder:

    .venv/bin/python benchmarks/text_pilot.py                  # several minutes on 2 cores
    .venv/bin/python benchmarks/text_pilot.py --steps 300      # a shorter reference
    .venv/bin/python benchmarks/text_pilot.py --targets 128 1024 8192    # and target models measured against it

It prints the splits of the default text (characters, sequences per split, exact duplicates removed) and the time
to build them (cold, then from the cache); training tokens per second of models of several widths at the text's
vocabulary and sequence length, on one thread; and one reference model trained on the whole reference split through
the engine (:class:`memcap.engine.runs.text.TextRun`), with its test loss in bits per token and per sequence beside
log2 V: what a reference costs and how many bits a sequence is worth to it. With ``--targets``, target models of
one width trained on pool sets of those sizes, with their unintended memorization against that reference (mem_U per
training and per test sequence, and in all).
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time

import numpy as np
import torch

from memcap.data import text
from memcap.engine.runs.cost import training_tokens_per_second
from memcap.engine.runs import TextRun
from memcap.engine.training import TrainConfig
from memcap.measures.memorization import unintended_memorization_bits
from memcap.model import GPTConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vocab", type=int, default=1024)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--reference-width", type=int, default=64)
    ap.add_argument("--steps", type=int, default=1000, help="training steps of the reference model")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--targets", type=int, nargs="*", default=[],
                    help="training-set sizes of target models, measured against the reference (mem_U)")
    ap.add_argument("--target-width", type=int, default=32)
    ap.add_argument("--target-steps", type=int, default=2000)
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = text.TextSpec(vocab_size=args.vocab, seq_len=args.seq_len)

    with tempfile.TemporaryDirectory() as tmp:  # cold: the tokenizer and the splits made afresh
        shutil.copy(text.SHAKESPEARE.path(), tmp)
        t0 = time.perf_counter()
        splits = text.make_splits(spec, cache=tmp)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        text.make_splits(spec, cache=tmp)
        warm = time.perf_counter() - t0
    print(f"splits of {spec}: {splits.summary()}")
    print(f"built in {cold:.1f} s with the tokenizer, {warm:.2f} s from the cache")
    text.make_splits(spec)  # into the ordinary cache, for the reference run below

    for d in [] if args.skip_throughput else args.widths:
        cfg = GPTConfig(vocab_size=args.vocab, seq_len=args.seq_len, n_layer=args.layers, d_model=d,
                        n_head=max(1, d // 16))
        tps = training_tokens_per_second(cfg, args.batch, steps=20, device="cpu")
        print(f"L{args.layers} d{d}: {cfg.n_params:,} params, {tps:,.0f} training tokens/s at batch {args.batch}")

    d = args.reference_width
    cfg = GPTConfig(vocab_size=args.vocab, seq_len=args.seq_len, n_layer=args.layers, d_model=d,
                    n_head=max(1, d // 16))
    train = TrainConfig(max_steps=args.steps, batch_size=args.batch, lr=args.lr, schedule="cosine",
                        warmup_steps=max(1, args.steps // 50), eval_every=max(1, args.steps // 4))
    ref = TextRun(model=cfg, train=train, text=spec, n_sequences=0, source="reference", measure_pool=True,
                  curve_sequences=1024)
    t0 = time.perf_counter()
    metrics, curve, _ = ref.execute()
    seconds = time.perf_counter() - t0
    tokens = metrics["tokens"]
    print(f"reference L{args.layers} d{d} ({cfg.n_params:,} params), {metrics['steps']} steps, {tokens:,} tokens "
          f"({tokens / (metrics['n_sequences'] * args.seq_len):.2f} epochs) in {seconds:.0f} s:")
    print(f"  train loss {metrics['train_loss_bits_per_token']:.3f} bits/token, test "
          f"{metrics['test_loss_bits_per_token']:.3f} (log2 V = {math.log2(args.vocab):.2f}); a test sequence "
          f"costs {metrics['test_loss_bits_per_token'] * args.seq_len:.0f} bits")

    pool_bits, ref_test = np.asarray(metrics["pool_bits"]), np.asarray(metrics["test_bits"])
    d = args.target_width
    cfg = GPTConfig(vocab_size=args.vocab, seq_len=args.seq_len, n_layer=args.layers, d_model=d,
                    n_head=max(1, d // 16))
    train = TrainConfig(max_steps=args.target_steps, batch_size=args.batch, lr=args.lr, schedule="cosine",
                        warmup_steps=max(1, args.target_steps // 50), eval_every=max(1, args.target_steps // 4))
    for n in args.targets:
        target = TextRun(model=cfg, train=train, text=spec, n_sequences=n, curve_sequences=1024)
        t0 = time.perf_counter()
        m, _, _ = target.execute()
        idx = target.train_indices(len(pool_bits))
        mem_train = unintended_memorization_bits(m["train_bits"], pool_bits[idx])
        mem_test = unintended_memorization_bits(m["test_bits"], ref_test)
        print(f"target L{args.layers} d{d} ({cfg.n_params:,} params) on {n} sequences, {m['steps']} steps "
              f"({m['tokens'] / (n * args.seq_len):.0f} epochs), {time.perf_counter() - t0:.0f} s: loss train "
              f"{m['train_loss_bits_per_token']:.3f} / test {m['test_loss_bits_per_token']:.3f} bits/token; mem_U "
              f"{mem_train.mean():.1f} bits per training sequence, {mem_test.mean():.1f} per test sequence; "
              f"{mem_train.sum():,.0f} bits in all = {mem_train.sum() / cfg.n_params:.2f} per parameter")


if __name__ == "__main__":
    main()
