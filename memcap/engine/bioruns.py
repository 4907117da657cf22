"""Knowledge-capacity runs: a GPT trained on biographies for a stated number of exposures, then measured.

An **exposure** is one appearance of a person's biography in the training stream. Biographies (each starting
with ``<eot>``) are rendered afresh at every exposure (``bioD``, ``bioS``) or once per person (``bioS_simple``),
joined, and cut into windows of ``seq_len`` tokens; every person appears once per epoch, in a fresh order. The
step count follows from the exposures: steps = ceil(exposures · N · mean biography length / (batch · seq_len)).
Training uses the ordinary next-token loss on every token; measurement uses the knowledge tokens only
(Remark 3.1) on one rendering of each person's biography, with the losses summed over each field's tokens.

Parameters: P is every parameter, :attr:`GPTConfig.n_params`. bioD uses every embedding row. A bioS model has
the whole world's vocabulary (see :class:`BioSCorpus`), so rows of name words that none of its N people has are
parameters too: as output rows they are trained to give those names low probability, which is what the name term
counts. Allen-Zhu & Li count only the rows the data uses; ``R_used_rows`` is R per that count, shown beside.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from memcap.data.biod import BioD, BioDData
from memcap.data.bios import ATTRIBUTES, BioSWorld, template_words, token_span
from memcap.engine.train import TrainConfig, train
from memcap.engine.version import ENGINE_VERSION
from memcap.measures.evaluate import greedy_complete, loss_bits_per_token, span_loss_sums
from memcap.measures.knowledge import (
    biod_losses,
    bios_capacity_ratio,
    bios_max_capacity_ratio,
    capacity_ratio,
    knowledge_bits_approx,
    stored_bits_lower_bound,
)
from memcap.model import GPT, GPTConfig
from memcap.theory.information import nats_to_bits

KINDS = ("bioD", "bioS", "bioS_simple")


class BioDCorpus:
    """bioD paragraphs as a training corpus. With ``domain_token``, every paragraph (and every recall prompt)
    starts with an extra token, id ``spec.vocab_size``, instead of ``<eot>``: Allen-Zhu & Li's special token before
    the useful data (Result 12); the vocabulary grows by one."""

    def __init__(self, spec: BioD, seed, domain_token: bool = False):
        self.spec = spec
        self.data = BioDData(spec, np.random.default_rng([*np.atleast_1d(seed).tolist(), 1]))
        self.n_people = spec.N
        self.vocab_size = self.data.vocab_size + (1 if domain_token else 0)
        self.eot = self.data.eot
        self.start = self.data.vocab_size if domain_token else self.eot  # a paragraph's first token

    def _marked(self, tokens: np.ndarray) -> np.ndarray:
        if self.start != self.eot:
            tokens = tokens.copy()
            tokens[..., 0] = self.start
        return tokens

    def render(self, person: int, rng: np.random.Generator):
        tokens, spans = self.data.render(person, rng)
        return self._marked(tokens), spans

    def prompt(self, person: int, attribute: int) -> np.ndarray:
        return self._marked(self.data.prompt(person, attribute))

    def render_epoch(self, rng: np.random.Generator) -> np.ndarray:
        """One exposure of every person, in a random person order: (N, paragraph_len)."""
        return self._marked(self.data.render_all(rng)[rng.permutation(self.n_people)])

    def mean_length(self) -> float:
        return float(self.data.paragraph_len)

    def fresh_evaluation(self, n: int, seed: int) -> list:
        """One rendering each of ``n`` people who are not in the corpus: new names, values from the same
        diversity sets (what the world makes, but no one the model was trained on)."""
        fresh = self.data.fresh_people(n, np.random.default_rng([seed, 4]))
        return [(self._marked(t), s) for t, s in (fresh.render(i, np.random.default_rng([seed, 5, i]))
                                                   for i in range(n))]


class JunkMixture:
    """Training windows of which a share ``junk_ratio`` comes from another bioD world ("junk": its own names,
    diversity sets and values, ``junk_people`` people; huge and random, or small and repeated) and the rest from the
    useful corpus, each window all-useful or all-junk (Allen-Zhu & Li, Results 10–12). Every batch holds exactly
    ``round(junk_ratio · batch)`` junk windows, at random places; ``useful_per_batch`` counts the others, which is
    what the exposures of the useful people are counted in. Windows are whole paragraphs (``seq_len`` must be the
    paragraph length)."""

    def __init__(self, useful: BioDCorpus, junk_people: int, junk_ratio: float, seed: int):
        if not 0 < junk_ratio < 1:
            raise ValueError(f"junk_ratio must lie in (0, 1), got junk_ratio={junk_ratio!r}")
        if not isinstance(junk_people, int) or junk_people < 1:
            raise ValueError(f"junk_people must be a positive integer, got junk_people={junk_people!r}")
        self.useful, self.junk_ratio = useful, junk_ratio
        self.junk = BioDCorpus(BioD(**{**asdict(useful.spec), "N": junk_people}), [seed, 7])

    def junk_per_batch(self, batch_size: int) -> int:
        return junk_windows(self.junk_ratio, batch_size)

    def useful_per_batch(self, batch_size: int) -> int:
        return batch_size - self.junk_per_batch(batch_size)


def junk_windows(junk_ratio: float, batch_size: int) -> int:
    """Junk windows in a batch of ``batch_size``: round(junk_ratio · batch_size), at least one of each kind."""
    j = round(junk_ratio * batch_size)
    if not 0 < j < batch_size:
        raise ValueError(f"a batch of {batch_size} windows cannot hold a junk share of {junk_ratio}: "
                         f"it would have {j} junk windows")
    return j


def _paragraphs(corpus: BioDCorpus, rng: np.random.Generator):
    """Rendered paragraphs of ``corpus`` one at a time, a fresh epoch (every person once) after another."""
    while True:
        yield from corpus.render_epoch(rng)


def mixture_stream(mix: JunkMixture, batch_size: int, seq_len: int):
    """:func:`window_stream` for a :class:`JunkMixture`: each window one useful or one junk paragraph."""
    if seq_len != mix.useful.data.paragraph_len:
        raise ValueError(f"junk mixing needs one paragraph per window: seq_len={seq_len}, paragraph length "
                         f"{mix.useful.data.paragraph_len}")
    n_junk = mix.junk_per_batch(batch_size)

    def batches(gen: torch.Generator):
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=gen)))
        useful, junk = _paragraphs(mix.useful, rng), _paragraphs(mix.junk, rng)
        while True:
            is_junk = np.zeros(batch_size, dtype=bool)
            is_junk[rng.choice(batch_size, size=n_junk, replace=False)] = True
            rows = [next(junk) if j else next(useful) for j in is_junk]
            yield torch.from_numpy(np.stack(rows).astype(np.int64))

    return batches


VOCABULARIES = ("pool", "used")


class BioSCorpus:
    """bioS (or bioS_simple) biographies of N people, tokenized.

    ``vocabulary="pool"`` (the default) gives the model every word of the world: all 1,800 name words of the name
    pool, every value, every template word. Then log2 N0 really is the price of a name for a model that knows
    none, as Definition 4.3 assumes. ``vocabulary="used"`` re-indexes to the words the N people and the templates
    use (this book's first construction): the output layer itself then says which name words exist, and the name
    term gets bits for free. Kept to show that difference.
    """

    def __init__(self, n_people: int, seed: int, simple: bool, world: BioSWorld | None = None,
                 vocabulary: str = "pool"):
        if vocabulary not in VOCABULARIES:
            raise ValueError(f"unknown vocabulary {vocabulary!r}; allowed: {list(VOCABULARIES)}")
        self.world = world or BioSWorld.load()
        rng = np.random.default_rng([seed, 1])
        self.people = self.world.sample_people(n_people, rng)
        self.n_people, self.simple = n_people, simple
        tok = self.world.tokenizer
        self.fixed = [self.world.fixed_templates(rng) for _ in self.people] if simple else None
        used = {tok.eot, *tok.encode("He he She she")}
        if simple:
            for i in range(n_people):
                used.update(self._raw(i, rng)[0])
        else:
            for templates in template_words():
                used.update(tok.encode(templates))
            for p in self.people:
                used.update(tok.encode(p.full_name))
                for v in self.world.values(p).values():
                    used.update(tok.encode(v))
        self.used_words = len(used)  # rows of the embedding the training data can touch
        kept = sorted(used) if vocabulary == "used" else list(range(len(tok)))  # the eot (id 0) stays first
        self.remap = np.full(len(tok), -1, dtype=np.int64)
        self.remap[kept] = np.arange(len(kept))
        self.vocab_size = len(kept)
        self.eot = 0

    def _raw(self, person: int, rng: np.random.Generator):
        p = self.people[person]
        if self.simple:
            templates, order = self.fixed[person]
            bio = self.world.render(p, rng, templates=templates, order=order)
        else:
            bio = self.world.render(p, rng)
        ids, offsets = self.world.tokenizer.tokenize(bio.text)
        return ids, offsets, bio

    def render(self, person: int, rng: np.random.Generator):
        """Token ids (``<eot>`` first) and token spans of ``name``, ``pronoun`` and each attribute's value."""
        ids, offsets, bio = self._raw(person, rng)
        spans = {k: tuple(x + 1 for x in token_span(offsets, s)) for k, s in bio.spans.items()}
        tokens = self.remap[np.asarray([0, *ids])]
        if (tokens < 0).any():
            raise ValueError(f"person {person}'s biography uses a token outside the corpus vocabulary")
        return tokens, spans

    def nonmembers(self, n: int, seed: int) -> list[np.ndarray]:
        """Biographies of ``n`` fresh people, not in the corpus: each field drawn uniformly from the values the
        corpus's people have (so every word is in the model's vocabulary and a non-member is told apart by what
        the model stored, not by an unknown token), the name triple new. bioS_simple non-members get one of the
        members' templates per attribute and a random order, as members do."""
        from memcap.data.bios import Person

        rng = np.random.default_rng([seed, 3])
        fields = ("first", "middle", "last", "female", "month", "day", "year", "birth_city", "university", "major",
                  "employer")
        pools = {f: sorted({getattr(q, f) for q in self.people}) for f in fields}
        template_pools = {a: sorted({t[a] for t, _ in self.fixed}) for a in ATTRIBUTES} if self.simple else None
        taken = {(q.first, q.middle, q.last) for q in self.people}
        out: list[np.ndarray] = []
        tok = self.world.tokenizer
        for _ in range(100 * n):
            if len(out) == n:
                break
            v = {f: pool[int(rng.integers(len(pool)))] for f, pool in pools.items()}
            if (v["first"], v["middle"], v["last"]) in taken:
                continue
            person = Person(**v, full_name=f"{self.world.first[v['first']]} {self.world.middle[v['middle']]} "
                                           f"{self.world.last[v['last']]}")
            templates = ({a: ts[int(rng.integers(len(ts)))] for a, ts in template_pools.items()}
                         if self.simple else None)
            bio = self.world.render(person, rng, templates=templates)
            ids = self.remap[np.asarray([0, *tok.encode(bio.text)])]
            if (ids >= 0).all():
                taken.add((v["first"], v["middle"], v["last"]))
                out.append(ids)
        if len(out) < n:
            raise ValueError(f"found only {len(out)} of n={n} fresh people for a corpus of {self.n_people}; "
                             f"ask for fewer")
        return out

    def mean_length(self) -> float:
        rng = np.random.default_rng(12345)
        people = rng.integers(self.n_people, size=256)
        return float(np.mean([len(self.render(int(i), rng)[0]) for i in people]))


def window_stream(corpus, batch_size: int, seq_len: int):
    """A function of the run's torch generator that yields (batch_size, seq_len) windows forever."""

    def batches(gen: torch.Generator):
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=gen)))
        need = batch_size * seq_len
        pending: list[np.ndarray] = []
        size = 0
        while True:
            if hasattr(corpus, "render_epoch"):  # bioD: a whole epoch at once, vectorized
                pending.append(corpus.render_epoch(rng).reshape(-1))
                size += pending[-1].size
                while size >= need:
                    flat = np.concatenate(pending)
                    yield torch.from_numpy(flat[:need].reshape(batch_size, seq_len).copy())
                    pending, size = [flat[need:]], len(flat) - need
                continue
            for person in rng.permutation(corpus.n_people).tolist():
                tokens, _ = corpus.render(person, rng)
                pending.append(tokens)
                size += len(tokens)
                while size >= need:
                    flat = np.concatenate(pending)
                    yield torch.from_numpy(flat[:need].reshape(batch_size, seq_len).copy())
                    pending, size = [flat[need:]], len(flat) - need

    return batches


@dataclass(frozen=True)
class KnowledgeRun:
    """One model trained on biographies of ``n_people`` for ``exposures`` exposures each."""

    model: GPTConfig
    train: TrainConfig
    kind: str  # "bioD", "bioS" or "bioS_simple"
    n_people: int
    exposures: int
    biod: BioD | None = None  # bioD's parameters (its N is n_people)
    data_seed: int = 0
    init_seed: int = 0
    measure_people: int = 0  # measure on the first this many people (a random sample); 0: on everyone
    vocabulary: str = "pool"  # bioS: the model's words, "pool" (the whole world's) or "used" (see BioSCorpus)
    junk_ratio: float = 0.0  # bioD: share of training windows from a junk world (0: none; see JunkMixture)
    junk_people: int = 0  # bioD: people of the junk world
    domain_token: bool = False  # bioD: a special first token on every useful paragraph (see BioDCorpus)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; allowed: {list(KINDS)}")
        if self.exposures < 1 or self.n_people < 1:
            raise ValueError(f"exposures and n_people must be >= 1, got exposures={self.exposures}, n_people={self.n_people}")
        if (self.kind == "bioD") != (self.biod is not None):
            raise ValueError("a bioD run needs its BioD parameters, and only a bioD run takes them")
        if self.measure_people < 0:
            raise ValueError(f"measure_people must be >= 0 (0: everyone), got measure_people={self.measure_people}")
        if self.biod is not None and self.biod.N != self.n_people:
            raise ValueError(f"biod.N={self.biod.N} differs from n_people={self.n_people}")
        if (self.junk_ratio or self.junk_people or self.domain_token) and self.kind != "bioD":
            raise ValueError(f"junk data and the domain token are bioD options, not for kind={self.kind!r}")
        if bool(self.junk_ratio) != bool(self.junk_people):
            raise ValueError(f"junk needs both a share and a world: got junk_ratio={self.junk_ratio!r}, "
                             f"junk_people={self.junk_people!r}")

    @property
    def cost(self) -> float:
        return self.model.n_params * self.train.max_steps

    @property
    def measured_people(self) -> int:
        """How many people the learning curve and the final metrics are measured on (the first ones drawn)."""
        return min(self.n_people, self.measure_people) if self.measure_people else self.n_people

    @property
    def label(self) -> str:
        return f"{self.kind} d={self.model.d_model} N={self.n_people} x{self.exposures}"

    def to_dict(self) -> dict:
        return {
            "engine": ENGINE_VERSION,
            "model": asdict(self.model),
            "train": self.train.to_dict(),
            "kind": self.kind,
            "n_people": self.n_people,
            "exposures": self.exposures,
            "biod": asdict(self.biod) if self.biod else None,
            "data_seed": self.data_seed,
            "init_seed": self.init_seed,
            "measure_people": self.measure_people,
            "vocabulary": self.vocabulary,
            # only when used, so every run without them keeps its key
            **({"junk_ratio": self.junk_ratio, "junk_people": self.junk_people} if self.junk_ratio else {}),
            **({"domain_token": True} if self.domain_token else {}),
        }

    def _useful_share(self) -> float:
        """The share of training windows from the useful corpus (1 without junk)."""
        if not self.junk_ratio:
            return 1.0
        return 1 - junk_windows(self.junk_ratio, self.train.batch_size) / self.train.batch_size

    def corpus(self):
        if self.kind == "bioD":
            return BioDCorpus(self.biod, self.data_seed, domain_token=self.domain_token)
        return BioSCorpus(self.n_people, self.data_seed, simple=self.kind == "bioS_simple", vocabulary=self.vocabulary)

    def evaluation(self, corpus=None) -> list:
        """The renderings the run is measured on: one (tokens, spans) per measured person, the same every time."""
        corpus = corpus or self.corpus()
        return [corpus.render(i, np.random.default_rng([self.data_seed, 2, i])) for i in range(self.measured_people)]

    def stack_key(self, max_params: int) -> None:  # the Run protocol: these runs train alone
        return None

    @staticmethod
    def execute_many(runs, device: str = "cpu", progress=False) -> list[tuple[dict, list[dict], dict]]:
        return [r.execute(device, progress) for r in runs]

    def execute(self, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
        corpus = self.corpus()
        if corpus.vocab_size != self.model.vocab_size:
            raise ValueError(f"the model's vocab_size={self.model.vocab_size} differs from the corpus's {corpus.vocab_size}")
        model = GPT(self.model, generator=torch.Generator().manual_seed(self.init_seed)).to(device)
        evaluation = self.evaluation(corpus)
        untrained = loss_bits_per_token(model, [t for t, _ in evaluation], pad=corpus.eot)  # before training
        if self.junk_ratio:
            stream = mixture_stream(JunkMixture(corpus, self.junk_people, self.junk_ratio, self.data_seed),
                                    self.train.batch_size, self.model.seq_len)
        else:
            stream = window_stream(corpus, self.train.batch_size, self.model.seq_len)
        result = train(
            model, stream, self.train, seed=self.init_seed,
            metric=lambda m: measure(m, self, corpus, evaluation)["knowledge_bits"], metric_name="knowledge bits",
            progress=progress, description=self.label,
        )
        metrics = measure(model, self, corpus, evaluation, recall=True)
        fresh = corpus.fresh_evaluation(self.measured_people, self.data_seed) if self.kind == "bioD" else None
        if fresh is not None:  # the same model on people it never saw, from the same world: the generalization
            baseline = measure(model, self, corpus, fresh)
            metrics.update(fresh_R=baseline["R"], fresh_p1=baseline["p1"], fresh_p2=baseline["p2"],
                           fresh_p3=baseline["p3"])
        metrics.update(steps=result.steps, seconds=result.seconds, tokens=result.tokens, device=device,
                       exposures_done=result.tokens * self._useful_share() / (corpus.mean_length() * self.n_people)
                       * self.model.seq_len / (self.model.seq_len - 1),
                       untrained_bits_per_token=untrained, engine_version=ENGINE_VERSION,
                       torch_version=torch.__version__, stacked_with=1)
        return metrics, result.curve, dict(model.state_dict())


def measure(model: GPT, run: KnowledgeRun, corpus, evaluation, recall: bool = False) -> dict:
    """Knowledge losses, R(F), R^max(F) and the Theorem 3.2 bound of a trained model (and recall accuracy)."""
    tokens = [t for t, _ in evaluation]
    spans = [s for _, s in evaluation]
    sums = span_loss_sums(model, tokens, spans, pad=corpus.eot)
    P = run.model.n_params
    N = run.n_people  # the mean losses below are over the measured people: with a sample, R is an estimate
    if run.kind == "bioD":
        b = run.biod
        losses = biod_losses(sums)
        R = capacity_ratio(b, losses.p1, losses.p2, losses.p3, P)
        out = dict(p1=losses.p1, p2=losses.p2, p3=losses.p3, R=R, R_max=knowledge_bits_approx(b) / P,
                   lower_bound_bits=stored_bits_lower_bound(b, losses.p1, losses.p2, losses.p3))
    else:
        world = corpus.world
        p1 = float(np.mean(sums["name"]))
        p2 = float(np.mean(sum(sums[k] for k in (*ATTRIBUTES, "pronoun"))))
        n0, s0 = world.n0, world.log2_s0()
        R = bios_capacity_ratio(N, n0, p1, p2, P, log2_s0=s0)
        out = dict(p1=p1, p2=p2, p3=None, R=R, R_max=bios_max_capacity_ratio(N, n0, P, s0),
                   lower_bound_bits=None,  # Theorem 3.2 is stated for bioD
                   value_bits={a: float(nats_to_bits(np.mean(sums[a]))) for a in ATTRIBUTES},
                   # what the losses imply for exact recall: the mean probability of the whole true value
                   implied_recall={a: float(np.mean(np.exp(-np.asarray(sums[a])))) for a in ATTRIBUTES},
                   used_words=corpus.used_words,
                   R_used_rows=R * P / (P - (corpus.vocab_size - corpus.used_words) * run.model.d_model))
    out.update(n_params=P, bits_per_param=R, knowledge_bits=R * P, vocab_size=corpus.vocab_size,
               measured_people=len(evaluation))
    if recall:
        hits = recall_accuracy(model, run, corpus)
        if isinstance(hits, dict):
            out["recall_by_attribute"] = hits
            hits = float(np.mean(list(hits.values())))
        out["recall_accuracy"] = hits
    return out


def recall_accuracy(model: GPT, run: KnowledgeRun, corpus) -> float | dict[str, float]:
    """Share of exact greedy completions, over the run's measured people. bioD: ``<eot> name marker_k`` → value k,
    over every k (one number). bioS: for each attribute, ``<eot> <full name> <its first phrasing>`` (e.g. "... was
    born on") → the value (a dict, attribute → share)."""
    m = run.measured_people
    if run.kind == "bioD":
        d = corpus.data
        hits = []
        for k in range(run.biod.K):
            prompts = np.stack([corpus.prompt(i, k) for i in range(m)])
            out = greedy_complete(model, prompts, d.value_len).numpy()
            truth = np.stack([d.value_tokens(i, k) for i in range(m)])
            hits.append((out == truth).all(axis=1))
        return float(np.mean(hits))
    from memcap.data.bios import PHRASINGS

    tok, world = corpus.world.tokenizer, corpus.world
    by_attribute = {}
    for a in ATTRIBUTES:
        groups: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = {}
        for p in corpus.people[:m]:
            prompt = corpus.remap[[0, *tok.encode(f"{p.full_name} {PHRASINGS[a][0]}")]]
            truth = corpus.remap[tok.encode(world.values(p)[a])]
            groups.setdefault((len(prompt), len(truth)), []).append((prompt, truth))
        hits = []
        for (_, n_tokens), pairs in groups.items():  # batch prompts and values of one length together
            out = greedy_complete(model, np.stack([q for q, _ in pairs]), n_tokens).numpy()
            hits.extend((out == np.stack([t for _, t in pairs])).all(axis=1).tolist())
        by_attribute[a] = float(np.mean(hits))
    return by_attribute
