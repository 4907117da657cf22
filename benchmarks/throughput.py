"""Benchmark: training throughput, achieved FLOP/s against a large matrix product, sweep and stacking speed-ups.

Not a test: it prints measured numbers and ratios. Run from the project folder:

    .venv/bin/python benchmarks/throughput.py            # about two minutes on 2 cores
    .venv/bin/python benchmarks/throughput.py --quick    # a smaller version (seconds)

FLOPs of a training step are counted as 6 · (non-embedding parameters + V·d for the tied output head) per
token, plus the attention scores (6 · 2 · L · T · d per token for forward and backward of QKᵀ and AV),
the usual transformer estimate (Kaplan et al. 2020), with T the mean context length.

Stacking (memcap.engine.training.stacked): tokens per second of K models trained at once in one process against one model
alone, both on one thread; a ratio above 1 means stacking pays per CPU-second at that size, and the last line
prints the largest size where it did (the value to pass as ``run_sweep(..., stack_max_params=...)``).
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from memcap.data.uniform import uniform_sequences
from memcap.model import GPT, GPTConfig
from memcap.engine.training.loop import train_stacked
from memcap.engine.runs import CapacityRun
from memcap.infra.sweep import run_sweep
from memcap.engine.runs.cost import step_flops_per_token, training_flops_per_second, training_tokens_per_second
from memcap.engine.training import TrainConfig, train


def matmul_flops_per_second(n: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t0)


def stacking_ratio(cfg: GPTConfig, batch_size: int, steps: int, k: int) -> tuple[float, float]:
    """(tokens/s of one model, tokens/s of k stacked models), each trained ``steps`` steps by the engine."""
    tc = TrainConfig(max_steps=steps, batch_size=batch_size, schedule="cosine", eval_every=steps, warmup_steps=1)
    datas = [uniform_sequences(batch_size * 4, cfg.seq_len, cfg.vocab_size, torch.Generator().manual_seed(i))
             for i in range(k)]
    tokens = steps * batch_size * (cfg.seq_len - 1)
    t0 = time.perf_counter()
    train(GPT(cfg), datas[0], tc)
    single = tokens / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    train_stacked([GPT(cfg) for _ in range(k)], datas, [tc] * k, list(range(k)))
    stacked = k * tokens / (time.perf_counter() - t0)
    return single, stacked


def save_measurement(path: str, device: str) -> None:
    """Training FLOP/s of Morris et al.'s L2 d128 model (V 2048, S 64) on ``device``, written as JSON."""
    import json
    from pathlib import Path

    from memcap.infra.device import resolve_device

    device = resolve_device(device)
    cfg = GPTConfig(vocab_size=2048, seq_len=64, n_layer=2, d_model=128, n_head=8)
    batch = 512 if device.startswith("cuda") else 16
    rate = training_flops_per_second(cfg, batch, steps=20 if device.startswith("cuda") else 3, device=device)
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else f"this CPU ({os.cpu_count()} cores)"
    out = dict(device=name, training_flops_per_second=rate, shape="V2048 S64 L2 d128", batch=batch,
               torch=torch.__version__, measured=time.strftime("%Y-%m-%d"))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, indent=1) + "\n")
    print(f"{name}: {rate / 1e9:,.1f} GFLOP/s training ({cfg.n_params:,} parameters, batch {batch}) -> {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--save", metavar="PATH", help="measure training FLOP/s at a paper-scale shape on --device, write "
                    "it to PATH (JSON: what `memcap plan` reads from benchmarks/measured/) and stop")
    ap.add_argument("--device", default="auto", help="device for --save: auto, cpu, cuda, cuda:N")
    args = ap.parse_args()
    if args.save:
        save_measurement(args.save, args.device)
        return
    torch.set_num_threads(1)
    steps = 20 if args.quick else 60
    peak = matmul_flops_per_second(512 if args.quick else 1024)
    print(f"1-thread fp32 matrix product: {peak / 1e9:.2f} GFLOP/s (the reference)")
    print(f"{'model':>22} {'params':>8} {'batch':>5} {'tokens/s':>10} {'GFLOP/s':>8} {'of matmul':>9}")
    shapes = [(256, 16, 2), (256, 32, 2), (64, 16, 2), (64, 32, 2)]
    for V, d, L in shapes[: 2 if args.quick else None]:
        cfg = GPTConfig(vocab_size=V, seq_len=32, n_layer=L, d_model=d, n_head=d // 8)
        for batch in (128, 256):
            tps = training_tokens_per_second(cfg, batch, steps)
            flops = tps * step_flops_per_token(cfg)
            name = f"V{V} L{L} d{d} h{cfg.n_head}"
            print(f"{name:>22} {cfg.n_params:>8,} {batch:>5} {tps:>10,.0f} {flops / 1e9:>8.2f} {flops / peak:>8.1%}")

    # stacking: K models of one shape in one process, against one at a time (both one thread)
    print(f"\n{'stacking: model':>26} {'params':>8} {'batch':>5} {'K':>2} {'1 model tok/s':>13} {'stacked tok/s':>13} {'ratio':>6}")
    stack_shapes = [(8, 8, 1, 8, 64), (8, 8, 1, 16, 64), (128, 32, 2, 12, 128), (256, 32, 2, 12, 128),
                    (256, 32, 2, 20, 128), (256, 32, 2, 32, 128)]
    best = 0
    for V, S, L, d, batch in stack_shapes[: 3 if args.quick else None]:
        cfg = GPTConfig(vocab_size=V, seq_len=S, n_layer=L, d_model=d, n_head=max(1, d // 4))
        for k in (2, 4):
            single, stacked = stacking_ratio(cfg, batch, 40 if args.quick else 150, k)
            ratio = stacked / single
            if ratio > 1:
                best = max(best, cfg.n_params)
            name = f"V{V} S{S} L{L} d{d}"
            print(f"{name:>26} {cfg.n_params:>8,} {batch:>5} {k:>2} {single:>13,.0f} {stacked:>13,.0f} {ratio:>5.2f}x")
    print(f"stacking paid (ratio > 1) up to {best:,} parameters" if best else "stacking did not pay at any size measured")

    # sweep speed-up: the same runs one after another in this process, then through the 2-process executor
    workers = os.cpu_count() or 1
    cfg = GPTConfig(vocab_size=64, seq_len=32, n_layer=2, d_model=16, n_head=2)
    tc = TrainConfig(max_steps=150 if args.quick else 600, batch_size=128, eval_every=50, min_decay_steps=50)
    runs = [CapacityRun(model=cfg, train=tc, n_sequences=n, init_seed=7) for n in (64, 96, 128, 160)]
    t0 = time.perf_counter()
    for r in runs:
        r.execute()
    sequential = time.perf_counter() - t0
    import tempfile

    with tempfile.TemporaryDirectory() as store:
        t0 = time.perf_counter()
        run_sweep(runs, store, max_workers=workers, progress=False)
        parallel = time.perf_counter() - t0
    print(f"sweep of {len(runs)} runs: one after another {sequential:.1f} s, {workers} worker processes "
          f"{parallel:.1f} s: speed-up {sequential / parallel:.2f}x (includes process start-up)")


if __name__ == "__main__":
    main()
