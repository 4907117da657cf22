from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from memcap.model import GPT, GPTConfig
from memcap.engine.training.stacked import StackedAdamW
from memcap.engine.runs import CapacityRun
from memcap.infra.sweep import run_sweep
from memcap.engine.training.config import TrainConfig
from memcap.engine.training.loop import train, train_models, train_stacked

CFG = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=4)


def _data(seed, n=40):
    return torch.randint(16, (n, 8), generator=torch.Generator().manual_seed(seed))


def test_stacked_adamw_matches_torch_adamw():
    g = torch.Generator().manual_seed(0)
    w0 = torch.randn(3, 5, generator=g)
    ref = w0.clone().requires_grad_()
    torch_opt = torch.optim.AdamW([ref], lr=0.1, betas=(0.9, 0.99), weight_decay=0.05)
    stacked = w0.clone().unsqueeze(0).repeat(2, 1, 1).requires_grad_()
    ours = StackedAdamW([stacked], (0.9, 0.99), 0.05)
    for step in range(6):
        grad = torch.randn(3, 5, generator=g)
        ref.grad = grad.clone()
        torch_opt.step()
        stacked.grad = torch.stack([grad, grad])
        frozen = step >= 3  # member 1 stops after three steps
        ours.step(torch.tensor([0.1, 0.1]), torch.tensor([True, not frozen]))
        if step == 2:
            after_three = stacked[1].detach().clone()
    assert torch.allclose(stacked[0], ref, atol=1e-6)
    assert torch.equal(stacked[1].detach(), after_three)


def test_stacked_training_matches_single_runs():
    tcs = [TrainConfig(max_steps=60, batch_size=16, lr=1e-2, warmup_steps=5, eval_every=10, min_decay_steps=10),
           TrainConfig(max_steps=80, batch_size=16, lr=3e-2, warmup_steps=5, eval_every=10, min_decay_steps=10,
                       weight_decay=0.01)]
    singles = []
    for k, tc in enumerate(tcs):
        m = GPT(CFG, generator=torch.Generator().manual_seed(k))
        singles.append((m, train(m, _data(k), tc, seed=k)))
    models = [GPT(CFG, generator=torch.Generator().manual_seed(k)) for k in range(2)]
    results = train_stacked(models, [_data(0), _data(1)], tcs, [0, 1])
    for (single, res), model, stacked in zip(singles, models, results):
        assert stacked.steps == res.steps and stacked.stop_reason == res.stop_reason
        assert [p["loss"] for p in stacked.curve] == pytest.approx([p["loss"] for p in res.curve], rel=1e-4)
        a, b = single.state_dict(), model.state_dict()
        for name in a:
            if name.endswith("qkv.bias"):
                # the key bias has zero gradient in exact arithmetic (softmax ignores a constant shift), so its
                # updates are Adam-normalized rounding noise; compare the query and value parts only
                d = CFG.d_model
                keep = torch.cat([torch.arange(d), torch.arange(2 * d, 3 * d)])
                a_, b_ = a[name][keep], b[name][keep]
            else:
                a_, b_ = a[name], b[name]
            assert torch.allclose(a_, b_, atol=1e-3), name


def test_stacked_members_keep_their_own_target_rule():
    from memcap.data.uniform import memorizable_bits
    from memcap.measures.capacity import memorized_bits

    tcs = [TrainConfig(max_steps=120, batch_size=16, lr=3e-2, warmup_steps=5, eval_every=10, min_decay_steps=10,
                       stall_rel_tol=1e-9, target_fraction=frac) for frac in (0.2, 1.0)]
    datas = [_data(0), _data(1)]
    ceilings = [memorizable_bits(40, 8, 16)] * 2
    metric = [lambda m, x=x: memorized_bits(m, x, 16).raw_bits for x in datas]
    singles = []
    for k, tc in enumerate(tcs):
        m = GPT(CFG, generator=torch.Generator().manual_seed(k))
        singles.append(train(m, datas[k], tc, seed=k, metric=metric[k], metric_ceiling=ceilings[k]))
    models = [GPT(CFG, generator=torch.Generator().manual_seed(k)) for k in range(2)]
    results = train_stacked(models, datas, tcs, [0, 1], metric, ceilings=ceilings)
    assert [r.stop_reason for r in results] == [r.stop_reason for r in singles] == ["target", "max_steps"]
    assert [r.steps for r in results] == [r.steps for r in singles]
    assert results[0].steps < results[1].steps


def test_stacked_training_rejects_mixed_shapes_and_batches():
    models = [GPT(CFG), GPT(CFG.with_(d_model=8, n_head=2))]
    with pytest.raises(ValueError, match="one shape"):
        train_stacked(models, [_data(0), _data(1)], [TrainConfig()] * 2, [0, 1])
    with pytest.raises(ValueError, match="batch sizes"):
        train_stacked([GPT(CFG), GPT(CFG)], [_data(0, 40), _data(1, 20)], [TrainConfig(batch_size=32)] * 2, [0, 1])
    with pytest.raises(ValueError, match="at least 2 models, got 1"):
        train_stacked([GPT(CFG)], [_data(0)], [TrainConfig()], [0])
    with pytest.raises(ValueError, match="one data set, config and seed per model"):
        train_models([GPT(CFG), GPT(CFG)], [_data(0)], [TrainConfig()] * 2, [0, 1])


def test_sweep_stacks_small_runs_and_stores_each(tmp_path):
    tc = TrainConfig(max_steps=40, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=10, min_decay_steps=10)
    runs = [CapacityRun(CFG, tc, n_sequences=n) for n in (8, 12, 16)] + [CapacityRun(CFG.with_(d_model=32, n_head=4), tc, 8)]
    report = run_sweep(runs, tmp_path, executor=ThreadPoolExecutor(2), progress=False, stack=2,
                       stack_max_params=CFG.n_params)
    assert report.trained == 4
    assert sorted(m.get("stacked_with", 1) for m in report.metrics) == [1, 1, 2, 2]
    assert report.metrics[3].get("stacked_with", 1) == 1  # too big to stack
    again = run_sweep(runs, tmp_path, progress=False, stack=2, stack_max_params=CFG.n_params)
    assert again.trained == 0 and again.metrics == report.metrics
    with pytest.raises(ValueError, match="stack=0"):
        run_sweep(runs, tmp_path, stack=0)


@pytest.mark.parametrize("mlp,positions,n_layer", [("standard", "learned", 1), ("gated", "rotary", 2),
                                                   ("quarter", "learned", 2), ("none", "rotary", 1)])
def test_stacked_logits_are_each_members_forward(mlp, positions, n_layer):
    from torch.func import stack_module_state

    from memcap.engine.training.stacked import stacked_logits

    cfg = CFG.with_(mlp=mlp, positions=positions, n_layer=n_layer)
    models = [GPT(cfg, generator=torch.Generator().manual_seed(k)) for k in range(3)]
    for m in models:  # move every parameter off its initial value (zero biases, unit norms)
        with torch.no_grad():
            for p in m.parameters():
                p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    params, _ = stack_module_state(models)
    idx = torch.randint(16, (3, 5, 7), generator=torch.Generator().manual_seed(1))  # T = 7 < seq_len
    rope = (models[0].rope_cos, models[0].rope_sin) if positions == "rotary" else None
    logits = stacked_logits(params, cfg, idx, rope)
    assert logits.shape == (3, 5 * 7, 16)
    for k, m in enumerate(models):
        assert torch.allclose(logits[k], m(idx[k]).flatten(0, 1), atol=1e-5), k



def test_knowledge_runs_stack_and_match_the_same_runs_alone():
    from memcap.book.presets.knowledge_setup import KNOWLEDGE_SETUPS
    from memcap.engine.runs import KnowledgeRun

    k = KNOWLEDGE_SETUPS["smoke"]
    runs = [k.biod_run(8, 3, data_seed=s, init_seed=s) for s in (0, 1)]
    assert runs[0].stack_key(10**6) == runs[1].stack_key(10**6) is not None
    assert runs[0].stack_key(100) is None  # too large to stack
    assert k.biod_run(16, 3).stack_key(10**6) != runs[0].stack_key(10**6)  # another shape
    assert k.biod_run(8, 3, mlp="moe4").stack_key(10**6) is None  # the stacked step has no router
    alone = [r.execute() for r in runs]
    together = KnowledgeRun.execute_many(runs)
    for (single, curve1, _), (stacked, curve2, _) in zip(alone, together):
        assert (single["stacked_with"], stacked["stacked_with"]) == (1, 2)
        assert stacked["steps"] == single["steps"] and len(curve2) == len(curve1)
        assert [p["loss"] for p in curve2] == pytest.approx([p["loss"] for p in curve1], rel=1e-3)
        assert stacked["knowledge_bits"] == pytest.approx(single["knowledge_bits"], rel=1e-2, abs=1.0)
