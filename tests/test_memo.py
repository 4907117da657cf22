"""Kept measurements (memcap.infra.memo): keyed by every input, read back whole or computed again."""

import functools

import numpy as np
import pytest
import torch

from memcap.infra.memo import Memo, digest
from memcap.model import GPT, GPTConfig


def _model(seed=0):
    return GPT(GPTConfig(vocab_size=8, seq_len=4, n_layer=1, d_model=8), generator=torch.Generator().manual_seed(seed))


def test_digest_sees_every_input():
    a, b = _model(0), _model(0)
    assert digest(a) == digest(b) and digest(a) != digest(_model(1))
    with torch.no_grad():
        next(b.parameters()).view(-1)[0] += 1e-6
    assert digest(a) != digest(b)  # one weight moved
    x = torch.arange(6).reshape(2, 3)
    assert digest(x) != digest(x.reshape(3, 2)) and digest(x) != digest(x.to(torch.int32))
    assert digest(torch.ones(2, dtype=torch.bfloat16)) != digest(torch.ones(2, dtype=torch.float16))
    rng = np.random.default_rng(0)
    before = digest(rng)
    rng.random()
    assert digest(rng) != before
    assert digest(functools.partial(np.add, 1)) != digest(functools.partial(np.add, 2))
    assert digest({"a": 1, "b": [1.5, None]}) == digest({"b": [1.5, None], "a": 1})

    class Run:  # a run is keyed by its configuration, as the store keys it
        def __init__(self, width):
            self.width = width

        def to_dict(self):
            return {"width": self.width}

    assert digest(Run(8)) == digest(Run(8)) != digest(Run(16))
    with pytest.raises(TypeError, match="cannot key the function .*<lambda>.*functools.partial"):
        digest(lambda x: x)
    with pytest.raises(TypeError, match="cannot key a value of type object"):
        digest(object())


def _measure(model, data, rng):
    """A stand-in measurement that reads its inputs and draws from a generator."""
    calls.append(1)
    return {"sum": float(data.sum()) + float(next(model.parameters()).detach().sum()), "draw": float(rng.random())}


calls = []


def test_a_kept_result_is_read_back_and_leaves_the_generator_where_computing_left_it(tmp_path):
    calls.clear()
    memo, model, data = Memo(tmp_path, "v1"), _model(), np.arange(5.0)
    rng = np.random.default_rng(3)
    cold = memo(_measure, model, data, rng)
    after_cold = rng.random()
    rng = np.random.default_rng(3)
    warm = memo(_measure, model, data, rng)
    assert warm == cold and len(calls) == 1
    assert rng.random() == after_cold  # the next draw is the same warm as cold
    memo(_measure, model, data + 1, np.random.default_rng(3))
    Memo(tmp_path, "v2")(_measure, model, data, np.random.default_rng(3))  # other code: computed again
    assert len(calls) == 3


def test_a_damaged_entry_is_computed_again_and_said(tmp_path):
    calls.clear()
    said = []
    memo = Memo(tmp_path, "v1", log=said.append)
    args = (_model(), np.arange(3.0), np.random.default_rng(0))
    path = memo.path(_measure, *args)  # keyed by the generator's state before the call
    first = memo(_measure, *args)
    path.write_text(path.read_text().replace('"sum":', '"sum":1'))  # a changed number, still valid JSON
    args = (_model(), np.arange(3.0), np.random.default_rng(0))
    assert memo(_measure, *args) == first and len(calls) == 2
    assert len(said) == 1 and "is damaged" in said[0] and str(path) in said[0]
    path.write_text("{not json")
    assert memo(_measure, _model(), np.arange(3.0), np.random.default_rng(0)) == first and len(calls) == 3


def test_a_store_that_cannot_be_written_measures_and_keeps_nothing(tmp_path):
    said = []
    (tmp_path / "a-file").write_text("")  # where the memo's folder should be (a read-only store fails the same way)
    memo = Memo(tmp_path / "a-file" / "memo", "v1", log=said.append)
    for _ in range(2):
        assert "sum" in memo(_measure, _model(), np.arange(2.0), np.random.default_rng(0))
    assert len(said) == 1 and "memo not kept" in said[0]


def test_a_result_json_cannot_hold_is_refused_by_name(tmp_path):
    with pytest.raises(TypeError, match="_tensor_result returned what JSON cannot hold"):
        Memo(tmp_path, "v1")(_tensor_result, 1)


def _tensor_result(n):
    return {"t": torch.zeros(n)}


def _two_draws(a, b):
    return {"a": float(a.random()), "b": float(b.random())}


def test_generators_get_back_their_own_end_states_however_they_are_passed(tmp_path):
    memo = Memo(tmp_path, "v1")

    def gens():
        return np.random.default_rng(1), np.random.default_rng(2)

    a, b = gens()
    cold = memo(_two_draws, a=a, b=b)
    next_a, next_b = a.random(), b.random()
    a, b = gens()
    assert memo(_two_draws, b=b, a=a) == cold  # the same call, keywords in another order
    assert (a.random(), b.random()) == (next_a, next_b)


def _typed(kind):
    return {"tuple": {"t": (1, 2)}, "int keys": {1: 2.0}, "numpy": {"x": np.float32(1.5)},
            "fine": {"x": np.float64(0.1), "l": [1, None, "s"]}}[kind]


def test_only_what_a_json_round_trip_keeps_is_kept_and_warm_equals_cold(tmp_path):
    memo = Memo(tmp_path, "v1")
    for kind, what in (("tuple", "is a tuple"), ("int keys", "has the key 1"), ("numpy", "is a float32")):
        with pytest.raises(TypeError, match=f"_typed returned what JSON cannot hold unchanged .*{what}"):
            memo(_typed, kind)
    cold, warm = memo(_typed, "fine"), memo(_typed, "fine")
    assert cold == warm and type(cold["x"]) is type(warm["x"]) is float


def test_a_chapter_keeps_one_memo_and_says_once_that_it_cannot_keep(tmp_path, capsys):
    from memcap.book.chapters import start

    (tmp_path / "store").write_text("")  # the store is a file: nothing can be kept in it
    run = start("02_capacity", scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path / "out"), quiet=True)
    object.__setattr__(run, "store", type("Store", (), {"root": tmp_path / "store"})())
    for _ in range(3):
        assert run.memo(_two_draws, np.random.default_rng(0), np.random.default_rng(1))["a"] >= 0
    assert capsys.readouterr().out.count("memo not kept") == 1
    assert "|cpu|torch " in run._memo.version  # the device and the library versions are part of the key
