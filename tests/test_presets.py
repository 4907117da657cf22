"""Typed presets: a reason on every setting, shared run sets named once, runs rebuilt under the same keys."""

import dataclasses
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

from memcap import papers
from memcap.book import plan, presets
from memcap.book.chapters import CHAPTERS, SCALES, start
from memcap.measures.knowledge import knowledge_bits_approx


def preset_classes():
    seen = set()
    for by_scale in presets.PRESETS.values():
        for preset in by_scale.values():
            stack = [preset]
            while stack:
                obj = stack.pop()
                if type(obj) not in seen:
                    seen.add(type(obj))
                    yield type(obj)
                stack += [getattr(obj, f.name) for f in dataclasses.fields(obj)
                          if dataclasses.is_dataclass(getattr(obj, f.name))]


def test_every_chapter_has_a_typed_preset_per_scale():
    assert set(presets.PRESETS) == {c.name for c in CHAPTERS}
    for name, by_scale in presets.PRESETS.items():
        assert tuple(by_scale) == SCALES, name
        assert len({type(p) for p in by_scale.values()}) == 1, f"{name}: one preset type for every scale"


def test_every_setting_has_a_one_line_reason():
    classes = list(preset_classes())
    assert len(classes) >= 7
    for cls in classes:
        for f in dataclasses.fields(cls):
            why = f.metadata.get("why", "")
            assert why and "\n" not in why and len(why) <= 110, f"{cls.__name__}.{f.name}: {why!r}"


def test_chapters_share_run_sets_explicitly():
    for scale in SCALES:
        cap, know = presets.CAPACITY_SWEEPS[scale], presets.KNOWLEDGE_SETUPS[scale]
        assert presets.PRESETS["02_capacity"][scale].sweep is cap
        assert presets.PRESETS["04_precision"][scale].sweep is cap
        assert presets.PRESETS["05_membership"][scale].sweep is cap
        assert presets.PRESETS["03_knowledge"][scale].setup is know
        assert presets.PRESETS["04_precision"][scale].knowledge is know
        assert presets.PRESETS["05_membership"][scale].knowledge is know


@pytest.mark.parametrize("scale", SCALES)
def test_chapter_4s_fp32_capacity_runs_are_chapter_2s_grid(scale):
    """Chapter 4's capacity per precision is a maximum over several sizes; its fp32 runs are chapter 2's own, so the
    fp32 capacity it reports is chapter 2's, and its quantized models are among them."""
    p = presets.PRESETS["04_precision"][scale]
    assert len(p.precision_ratios) >= 3
    grid = {json.dumps(r.to_dict(), sort_keys=True) for r in p.sweep.grid()}
    fp32 = [r for r in p.runs()["precision"] if r.train.precision == "fp32"]
    assert len(fp32) == len(p.precision_models) * len(p.precision_ratios)
    assert {json.dumps(r.to_dict(), sort_keys=True) for r in fp32} <= grid
    assert p.quantized_ratio in p.precision_ratios


@pytest.mark.parametrize("scale", SCALES)
def test_chapter_4s_corner_runs_measure_a_capacity_per_precision_and_vocabulary(scale):
    """The V trend trains the corner model at every V and precision on at least three sizes, with the sweep's
    training settings; at `paper` it reaches Table 1's own row (V = 2048, S = 64), whose runs are also the
    precision runs of that model, so the store trains them once."""
    p = presets.PRESETS["04_precision"][scale]
    corner = p.corner_runs()
    assert p.runs()["corner"] == (corner if p.corner_in_chapter else [])
    assert len(p.corner_ratios) >= 3 and len(p.corner_vocab_sizes) >= 2
    assert {(r.model.vocab_size, r.train.precision) for r in corner} == {
        (V, m) for V in p.corner_vocab_sizes for m in p.corner_precisions}
    assert len(corner) == len(p.corner_vocab_sizes) * len(p.corner_precisions) * len(p.corner_ratios)
    L, w, lr = p.corner_model
    for r in corner:
        assert (r.model.n_layer, r.model.d_model, r.model.seq_len, r.train.lr) == (L, w, p.corner_seq_len, lr)
        assert r.train.batch_size == p.sweep.batch_size and r.train.decay_frac == p.sweep.decay_frac
    if scale == "paper":
        row = papers.table1()
        assert ((row.n_layer == L) & (row.width == w) & (row.vocab_size == max(p.corner_vocab_sizes))
                & (row.seq_len == p.corner_seq_len)).any()
        precision = {json.dumps(r.to_dict(), sort_keys=True) for r in p.runs()["precision"]}
        at_2048 = [r for r in corner if r.model.vocab_size == 2048]
        assert at_2048 and all(json.dumps(r.to_dict(), sort_keys=True) in precision for r in at_2048)


def test_presets_are_frozen_and_json_ready():
    p = presets.PRESETS["02_capacity"]["default"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.require_plateau = False
    payload = json.loads(json.dumps(p.to_dict()))
    assert payload["sweep"]["models"][0] == {"n_layer": 2, "width": 12, "lr": 0.03}
    assert payload["prediction_configs"][3] == {"vocab_size": 128, "seq_len": 48, "n_layer": 2, "width": 16,
                                                "bits_per_param": 6}


def test_a_missing_setting_is_named(tmp_path):
    run = start("3", scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path), quiet=True)
    with pytest.raises(AttributeError, match=r"no setting 'n_people'.*'setup'"):
        run.preset.n_people
    assert run.preset.setup.n_people == 100


def test_settings_table_shows_every_reason_in_full(tmp_path):
    run = start("2", scale="default", seed=0, device="cpu", output_dir=str(tmp_path), quiet=True)
    table = run.settings()
    assert "sweep.vocab_size" in table.frame.index and "prediction_configs" in table.frame.index
    longest = max(table.frame.why, key=len)
    assert longest in table._repr_html_() and longest in repr(table)  # not cut at pandas' 50 characters
    shared = start("5", scale="default", seed=0, device="cpu", output_dir=str(tmp_path), quiet=True).settings().frame
    assert shared.loc["sweep", "value"] == "CapacitySweep (shared)" and "sweep.vocab_size" not in shared.index


def test_knowledge_setup_builds_runs_with_its_paragraph_length():
    setup = presets.KNOWLEDGE_SETUPS["default"]
    spec = setup.spec()
    assert spec.paragraph_len == 1 + setup.name_len + setup.K * (1 + setup.C * setup.L)
    run = setup.biod_run(32, 1000)
    assert run.train.max_steps == -(-1000 * spec.N * spec.paragraph_len // (setup.batch_size * setup.seq_len))
    with pytest.raises(ValueError, match="width=33"):
        setup.biod_run(33, 1000)


def test_paper_presets_use_the_papers_settings_where_they_give_them():
    from memcap import papers

    M, A = papers.MORRIS, papers.ALLEN_ZHU_LI
    assert presets.CAPACITY_SWEEPS["paper"].batch_size == M["batch_size"].value
    k = presets.KNOWLEDGE_SETUPS["paper"]
    assert {w.lr for w in k.widths} == {k.bios_lr} == {A["lr"].value}
    assert k.batch_size == A["batch_50k_1000"].value
    high, low = k.biod_run(k.widths[0].width, 1000), k.biod_run(k.widths[0].width, 100)
    assert (high.train.weight_decay, low.train.weight_decay) == (A["weight_decay_1000"].value,
                                                                 A["weight_decay_100"].value)
    assert high.train.schedule == "cosine"


def test_architecture_runs_vary_one_thing_and_reuse_what_is_the_same():
    for scale in SCALES:
        p = presets.PRESETS["07_architecture"][scale]
        runs = p.runs(0)
        assert [a.mlp for a in p.archs][0] == "standard"
        for a in p.archs:
            assert {r.model.mlp for r in runs["arch"][a.mlp]} == {a.mlp}
            low = min(p.setup.exposures)
            assert {r.model.d_model for r in runs["arch"][a.mlp] if r.exposures != low} == set(a.high)
            assert {r.model.d_model for r in runs["arch"][a.mlp] if r.exposures == low} == set(a.low)
        assert {r.model.n_experts for r in runs["moe"]} == {p.moe_experts}
        assert runs["removal"].model.n_layer == p.removal_depth
        for name, by_exposures in runs["junk"].items():
            for e, r in by_exposures.items():
                j = p.junk_setups[name]
                assert (r.junk_people, r.domain_token, r.exposures) == (j.junk_people, j.domain_token, e)
                assert r.junk_world == "shared"  # the paper's junk: people of the useful world
                clean = runs["junk"]["no junk"][e]
                # the same steps and useful windows a step as without junk, junk added on top
                assert r.train.max_steps == clean.train.max_steps
                assert r.train.lr == clean.train.lr and r.train.warmup_steps == clean.train.warmup_steps
                if j.junk_people:
                    assert r.train.batch_size == p.junk_batch_size
                    assert r.model.vocab_size == clean.model.vocab_size + j.domain_token
    default = presets.PRESETS["07_architecture"]["default"]
    runs = default.runs(0)
    low = min(default.setup.exposures)
    same = [r for r in runs["arch"]["standard"] if r.exposures == low and r.model.d_model == default.junk_width]
    assert runs["junk"]["no junk"][low].to_dict() == same[0].to_dict()  # trained once, used twice


def test_architecture_seeds_repeat_every_run_at_the_next_seeds_and_stack_only_where_asked():
    smoke = presets.PRESETS["07_architecture"]["smoke"]
    assert smoke.seed_list(4) == (4, 5, 6)
    runs = smoke.runs(4)
    assert set(runs["more_seeds"]) == {5, 6}
    first = [r for k, v in runs.items() if k != "more_seeds" for r in plan._flat(v)]
    assert {(r.data_seed, r.init_seed) for r in first} == {(4, 4)}
    # the same runs at every seed, but for the seed
    shape = lambda r: json.dumps({k: v for k, v in r.to_dict().items() if k not in ("data_seed", "init_seed")},
                                 sort_keys=True)
    for s, by_seed in runs["more_seeds"].items():
        again = list(plan._flat(by_seed))
        assert sorted(map(shape, again)) == sorted(map(shape, first))
        assert {(r.data_seed, r.init_seed) for r in again} == {(s, s)}
    assert len(plan.chapter_runs("07_architecture", "smoke", 4)["more_seeds"]) == 2 * len(first)
    default = presets.PRESETS["07_architecture"]["default"]
    assert default.seed_list(2) == (2,) and "more_seeds" not in default.runs(2)
    assert default.stack == 1 and smoke.stack > 1
    for bad in (0, -1, 1.5, "3"):
        with pytest.raises(ValueError, match=f"seeds={bad!r}"):
            dataclasses.replace(smoke, seeds=bad)
    with pytest.raises(ValueError, match="stack=0"):
        dataclasses.replace(smoke, stack=0)
    with pytest.raises(ValueError, match="stack_max_params=-1"):
        dataclasses.replace(smoke, stack_max_params=-1)


def test_junk_run_counts_steps_in_useful_windows():
    k = presets.KNOWLEDGE_SETUPS["smoke"]
    clean = k.biod_run(8, 30, batch_size=4)
    junk = k.junk_run(8, 30, junk_people=50, junk_ratio=0.875, batch_size=32)
    assert junk.train.max_steps == clean.train.max_steps and junk.train.batch_size == 32
    assert junk.to_dict()["junk_people"] == 50 and "domain_token" not in junk.to_dict()
    with pytest.raises(ValueError, match="junk share of 0.99"):
        k.junk_run(8, 30, junk_people=50, junk_ratio=0.99, batch_size=32)
    deep = k.biod_run(8, 30, mlp="gated", n_layer=3)
    assert (deep.model.mlp, deep.model.n_layer) == ("gated", 3)
    assert k.biod_run(8, 30, mlp="standard", n_layer=k.n_layer).to_dict() == k.biod_run(8, 30).to_dict()


def test_architecture_ceilings_are_the_runs_own_R_max_and_fall_with_width():
    p = presets.PRESETS["07_architecture"]["default"]
    k = p.setup
    bits = knowledge_bits_approx(k.spec())
    for family in [a.mlp for a in p.archs] + ["moe"]:
        ceilings = p.ceilings(family)
        assert list(ceilings) == [w.width for w in k.widths]
        values = list(ceilings.values())
        assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
        mlp = f"moe{p.moe_experts}" if family == "moe" else family
        for w, c in ceilings.items():
            P = k.biod_run(w, min(k.exposures), mlp=mlp).model.n_params
            assert c == pytest.approx(bits / P, rel=1e-12)


def test_text_preset_builds_its_runs_and_names_a_bad_duplication_target():
    for scale in SCALES:
        p = presets.PRESETS["06_text"][scale]
        assert p.sweep is presets.CAPACITY_SWEEPS[scale]
        runs = p.runs(0)
        sizes = [r.model.n_params for r in runs["references"].values()]
        assert max(sizes) / min(sizes) >= (8 if scale != "smoke" else 1)
        # the targets of one width share their nested draws; every reference codes the pool
        assert all(r.measure_pool and r.source == "reference" for r in [*runs["references"].values(),
                                                                        runs["oracle"]])
        base = [r for r in runs["grid"][p.duplication_target.width]
                if r.n_sequences == p.duplication_target.bits_per_param]
        assert len(base) == 1 and all(dataclasses.replace(r, duplicated=0, copies=1) == base[0]
                                      for r in runs["copies"])
        assert runs["near_copies"] and all(
            r.near and dataclasses.replace(r, duplicated=0, copies=1, near=False) == base[0]
            for r in runs["near_copies"])
        assert len(p.set_sizes) >= (6 if scale != "smoke" else 4)
    paper = presets.PRESETS["06_text"]["paper"]  # Morris et al.: GPT-2's vocabulary, 1.7M-19.2M parameters
    assert paper.text.tokenizer == "gpt2" and paper.text.vocab_size == 50257
    sizes = [paper.model(s.n_layer, s.width).n_params for s in paper.targets]
    assert min(sizes) == pytest.approx(1.7e6, rel=0.02) and max(sizes) == pytest.approx(19.2e6, rel=0.01)
    bad = dataclasses.replace(presets.PRESETS["06_text"]["smoke"], duplication_target=presets.Config(1, 16, 7))
    with pytest.raises(ValueError, match=r"duplication_target=Config\(n_layer=1, width=16, bits_per_param=7\)"):
        bad.runs(0)


def test_text_preset_names_a_set_larger_than_the_pool():
    p = presets.PRESETS["06_text"]["smoke"]
    fake = SimpleNamespace(pool=np.zeros((600, 16)))
    p.check_splits(fake)  # 512 of 600: fits
    with pytest.raises(ValueError, match=r"\{'set_sizes': 512, 'duplication_target': 512\}.*the 500 of the pool"):
        p.check_splits(SimpleNamespace(pool=np.zeros((500, 16))))


@pytest.mark.parametrize("scale", ["smoke", "default"])  # the paper's runs take 15 s to build (its bioS corpora)
def test_knowledge_exposure_study_reuses_the_chapters_runs_and_changes_one_setting(scale):
    p = presets.PRESETS["03_knowledge"][scale]
    runs = p.runs()
    keys = {presets_key(r) for r in runs["biod"]}
    exposures = runs["exposures"]
    assert [r.exposures for r in exposures] == sorted(p.exposure_counts)
    assert all(r.model.d_model == p.exposure_width for r in exposures)
    for r in exposures:  # a count the chapter trains is the same run, not a second one
        assert (presets_key(r) in keys) == (r.exposures in p.setup.exposures)
    base = runs["variants"]["as trained"]
    assert presets_key(base) in keys
    for name, r in runs["variants"].items():
        assert r.exposures == min(p.setup.exposures) and r.model == base.model, name
        assert presets_key(r) != presets_key(base) or name == "as trained", name


def test_knowledge_exposure_width_must_be_a_setup_width():
    p = dataclasses.replace(presets.PRESETS["03_knowledge"]["smoke"], exposure_width=13)
    with pytest.raises(ValueError, match="width=13"):
        p.runs()


def presets_key(run) -> str:
    return json.dumps(run.to_dict(), sort_keys=True, default=str)


@pytest.mark.parametrize("scale", ["default", "paper"])
def test_the_double_descent_sweep_spans_its_threshold_densely(scale):
    p = presets.PRESETS["02_capacity"][scale]
    dd = p.double_descent
    sizes = dd.dataset_bits_per_param
    assert len(sizes) >= 8 and len(dd.models) >= 2 and p.double_descent_seeds >= 2
    steps = [b / a for a, b in zip(sizes, sizes[1:])]
    assert max(steps) / min(steps) < 1.02  # evenly spaced in log (three significant digits)
    assert sizes[-1] / sizes[0] >= 40  # about 0.1x to 4x of any capacity in that span
    runs = p.runs(0)["double_descent"]
    assert len(runs) == len(dd.models) * len(sizes) * p.double_descent_seeds
    assert len({json.dumps(r.to_dict(), sort_keys=True) for r in runs}) == len(runs)
    assert {(r.data_seed, r.init_seed) for r in runs} == {(k, k) for k in range(p.double_descent_seeds)}


@pytest.mark.parametrize("scale", SCALES)
def test_chapter_2s_probes_are_its_own_grid_run_and_runs_that_change_one_thing(scale):
    p = presets.PRESETS["02_capacity"][scale]
    planned = p.runs(0)
    (own_name, own), *others = planned["probes"].items()
    assert own_name == "warm-up, constant, decay at plateau"
    assert own.to_dict() in [r.to_dict() for r in planned["grid"]]  # trained once, with the grid
    changed = [{f.name for f in dataclasses.fields(own.train)
                if getattr(own.train, f.name) != getattr(other.train, f.name)} for _, other in others]
    assert changed == [{"schedule"}, {"optimizer"}]  # cosine, then NAdam
    for _, other in others:
        assert dataclasses.replace(other, train=own.train).to_dict() == own.to_dict()


@pytest.mark.parametrize("scale", SCALES)
def test_chapter_2s_twins_are_of_a_grid_run_and_the_claims_4x_comes_last(scale):
    # k times the steps a stored base took: tests/test_capacity_engine.py; here, the preset's part
    p = presets.PRESETS["02_capacity"][scale]
    base = p.saturation_base(0)
    assert base.to_dict() in [r.to_dict() for r in p.runs(0)["grid"]]
    planned = p.later_runs(0)["saturation"]  # nothing stored: from the step cap, as `memcap plan` counts
    assert [r.train.max_steps for r in planned] == [k * base.train.max_steps for k in p.saturation_factors]
    assert p.saturation_factors[-1] == max(p.saturation_factors) == 4  # the claim judges the last: 4x


def test_geometric_sizes_name_bad_bounds():
    assert presets.geometric(1, 4, 3) == (1.0, 2.0, 4.0)
    with pytest.raises(ValueError, match="lo=4"):
        presets.geometric(4, 1, 3)


@pytest.mark.parametrize("n, seed", [(1, 0), (23, 2), (300, 1)])
def test_bios_size_is_the_corpus_own(n, seed):
    """The cheap size of a bioS corpus equals what building it gives, for every kind and vocabulary; the people
    drawn all at once are the ones the corpus draws one by one, and the random stream is left where it leaves it."""
    from memcap.data.bios_size import bios_size
    from memcap.data.bios import DAYS, FIRST_YEAR, MONTHS, YEARS, BioSWorld
    from memcap.data.streams import BioSCorpus

    for simple in (False, True):
        for vocabulary in ("pool", "used"):
            corpus = BioSCorpus(n, seed, simple, vocabulary=vocabulary)
            assert bios_size(n, seed, simple, vocabulary) == (corpus.mean_length(), corpus.vocab_size)
    world = BioSWorld.load()
    one_by_one, at_once = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 1])
    codes = one_by_one.choice(world.n0, size=n, replace=False)  # the draws person by person, scalar calls
    expected = [(int(one_by_one.integers(2)), int(one_by_one.integers(len(MONTHS))),
                 int(one_by_one.integers(1, DAYS + 1)), int(one_by_one.integers(YEARS)),
                 int(one_by_one.integers(len(world.cities))), int(one_by_one.integers(len(world.universities))),
                 int(one_by_one.integers(len(world.majors))), int(one_by_one.integers(len(world.employers))))
                for _ in codes]
    people = world.sample_people(n, at_once)
    assert [(int(p.female), p.month, p.day, p.year - FIRST_YEAR, p.birth_city, p.university, p.major, p.employer)
            for p in people] == expected
    assert [p.full_name for p in people] == [
        f"{world.first[c // (len(world.middle) * len(world.last))]} "
        f"{world.middle[c // len(world.last) % len(world.middle)]} {world.last[c % len(world.last)]}"
        for c in codes.tolist()]
    assert one_by_one.integers(1 << 62) == at_once.integers(1 << 62)
    with pytest.raises(ValueError, match="unknown vocabulary"):
        bios_size(n, seed, False, "all")


def test_a_claim_no_set_can_test_is_reported_before_anything_trains():
    """Chapter 6's "memorization rises with parameters" needs a set past the smallest target's capacity: with a
    capacity far beyond any set's bits the preset says so, naming the claim; with a small one it says nothing."""
    p = presets.PRESETS["06_text"]["smoke"]
    assert p.unevaluable_claims(alpha=0.01) == {}
    found = p.unevaluable_claims(alpha=1e4)
    assert list(found) == ["mem_rises_with_params"] and "no set size to test it at" in found["mem_rises_with_params"]
    assert presets.PRESETS["02_capacity"]["smoke"].unevaluable_claims(alpha=1e4) == {}


def test_membership_bios_runs_share_one_budget_and_default_reads_chapter_3s_run():
    from memcap.book.presets.knowledge import BY_SCALE as KNOWLEDGE
    from memcap.book.presets.membership import BY_SCALE as MEMBERSHIP

    smoke = MEMBERSHIP["smoke"]
    bios = [r for r in smoke.runs()["bios"] if r.kind == "bioS"]
    assert len(bios) == len(smoke.bios_widths) * len(smoke.bios_people)
    assert {r.n_people * r.exposures for r in bios} == {smoke.bios_presentations}  # one budget, spread over people
    assert {r.vocabulary for r in bios} == {smoke.bios_vocabulary}
    default = MEMBERSHIP["default"]
    assert default.bios_presentations is None  # chapter 3's budget: its own run is one of the grid's, read from the store
    chapter_3 = KNOWLEDGE["default"].runs()["bios"]["bioS"]
    assert chapter_3 in default.runs()["bios"]
    for bad in (0, -5, 2.5, True, "4000"):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            dataclasses.replace(smoke, bios_presentations=bad).runs()
    with pytest.raises(ValueError, match="'words'"):
        dataclasses.replace(smoke, bios_vocabulary="words").runs()


def test_attack_families_and_their_bad_settings():
    from memcap.book.presets.attacks import BY_SCALE as ATTACKS

    for scale, p in ATTACKS.items():
        runs = p.runs(3)
        K, sizes = p.n_models, p.dataset_bits_per_param
        assert len(runs["shadows"]) == K * len(sizes) and len(runs["reference"]) == len(sizes)
        for i, ref in enumerate(runs["reference"]):
            family = runs["shadows"][i * K:(i + 1) * K]
            assert {r.n_sequences for r in family} == {ref.n_sequences}
            assert [r.index for r in family] == list(range(K)) and {r.data_seed for r in family} == {3}
            assert ref.data_seed != 3 and ref.model == family[0].model  # other sequences, the same shape
            assert family[0].train.max_steps <= p.max_steps
            if p.lr is not None:
                assert family[0].train.lr == p.lr
            if p.vocab_size is not None:
                assert ref.model.vocab_size == p.vocab_size and ref.model.seq_len == p.seq_len
    smoke = ATTACKS["smoke"]
    for changes, named in ((dict(n_models=5), "n_models=5"), (dict(n_models=4), "n_models=4"),
                           (dict(near_capacity=3), "near_capacity=3"), (dict(near_capacity=16), "near_capacity=16"), (dict(min_k=0.0), "min_k=0.0"),
                           (dict(dataset_bits_per_param=(4, 1, 16)), "(4, 1, 16)"),
                           (dict(text_models=7), "text_models=7"),
                           (dict(text_sizes=(512, 16)), "text_sizes=(512, 16)"), (dict(text_sizes=(16,)), "(16,)"),
                           (dict(text_width=24), "text_width=24")):
        with pytest.raises(ValueError, match=re.escape(named)):
            dataclasses.replace(smoke, **changes)


def test_text_families_are_chapter_6s_runs_and_must_fit_its_pool():
    from memcap.book.presets.attacks import BY_SCALE as ATTACKS
    from memcap.book.presets.text import BY_SCALE as TEXT
    from memcap.data.text import make_splits

    for scale in ("smoke", "default"):
        p, t = ATTACKS[scale], TEXT[scale].runs(2)
        runs = p.runs(2)
        keys = lambda rs: [r.to_dict() for r in rs]  # noqa: E731
        assert keys(runs["text_reference"]) == keys([t["references"][p.text_width]])
        assert keys(runs["text_oracle"]) == keys([t["oracle"]])
        assert runs["text_deals"][1].to_dict() == t["earlier"].to_dict()
        assert runs["text_deals"][0].to_dict() in keys(t["grid"][p.text.earlier_target[1]])
        family = runs["text_shadows"][:p.text_models]
        assert [r.index for r in family] == list(range(p.text_models))
        assert {r.n_sequences for r in family} == {p.text_sizes[0]}
        assert family[0].model == t["references"][p.text_width].model and not family[0].prefix_lens
    smoke = ATTACKS["smoke"]
    splits = make_splits(smoke.text.text)
    smoke.check_text_splits(splits)
    too_big = dataclasses.replace(smoke, text_sizes=(16, len(splits.pool)))
    with pytest.raises(ValueError, match=f"text_sizes=\\(16, {len(splits.pool)}\\)"):
        too_big.check_text_splits(splits)


@pytest.mark.parametrize("scale", ["smoke", "default", "paper"])
def test_chapter_5_biography_runs_train_alone_in_its_one_sweep(scale):
    """Chapter 5 trains its uniform and biography runs in one sweep with chapter 2's stacking settings; stacked runs
    differ from lone ones in rounding, so no biography run may fall in a stack group (each is larger than the
    largest model stacked, or nothing stacks), and every run trains as it did in a sweep of its own."""
    from memcap.book.presets.membership import BY_SCALE as MEMBERSHIP

    p = MEMBERSHIP[scale]
    bios = p.runs(0)["bios"]
    assert bios, "no biography runs to check"
    if p.sweep.stack > 1:
        stacked = [r.label for r in bios if r.stack_key(p.sweep.stack_max_params) is not None]
        assert not stacked, f"{scale}: biography runs that chapter 2's stacking would group: {stacked}"
