"""Knowledge-capacity runs: a GPT trained on biographies for a stated number of exposures, then measured.

An **exposure** is one appearance of a person's biography in the training stream. Biographies (each starting
with ``<eot>``) are rendered afresh at every exposure (``bioD``, ``bioS``) or once per person (``bioS_simple``),
joined, and cut into windows of ``seq_len`` tokens; every person appears once per epoch, in a fresh order. The
step count follows from the exposures: steps = ceil(exposures · N · mean biography length / (batch · seq_len)).
Training uses the ordinary next-token loss on every token; measurement uses the knowledge tokens only
(Remark 3.1) on one rendering of each person's biography, with the losses summed over each field's tokens.

Parameters: P is every parameter, :attr:`GPTConfig.n_params`. bioD uses every embedding row. A bioS model has
the whole world's vocabulary (see :class:`~memcap.data.streams.BioSCorpus`), so rows of name words that none of
its N people has are parameters too: as output rows they are trained to give those names low probability, which is
what the name term counts. Allen-Zhu & Li count only the rows the data uses; ``R_used_rows`` is R per that count,
shown beside.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from memcap.data.biod import BioD
from memcap.data.streams import (JUNK_WORLDS, BioDCorpus, BioSCorpus, JunkMixture, junk_windows, mixture_stream,
                                  window_stream)
from memcap.engine.runs.base import TrainsAlone
from memcap.engine.training.config import TrainConfig
from memcap.engine.training.loop import train_models
from memcap.engine.version import ENGINE_VERSION
from memcap.measures.evaluate import loss_bits_per_token
from memcap.measures.knowledge import measure_knowledge
from memcap.model import GPT, GPTConfig

KINDS = ("bioD", "bioS", "bioS_simple")


@dataclass(frozen=True)
class KnowledgeRun(TrainsAlone):
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
    junk_world: str = "shared"  # bioD with junk: "shared" (other people of the useful world) or "own" (JunkMixture)

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
        if self.junk_world not in JUNK_WORLDS:
            raise ValueError(f"unknown junk_world {self.junk_world!r}; allowed: {list(JUNK_WORLDS)}")
        if self.junk_people and self.junk_world == "shared" and self.junk_people > self.biod.N0 - self.biod.N:
            raise ValueError(f"junk_people={self.junk_people} junk people of the useful world need names of their own, "
                             f"but only N0 - N = {self.biod.N0 - self.biod.N} are left")
        if bool(self.junk_ratio) != bool(self.junk_people):
            raise ValueError(f"junk needs both a share and a world: got junk_ratio={self.junk_ratio!r}, "
                             f"junk_people={self.junk_people!r}")

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
            **({"junk_ratio": self.junk_ratio, "junk_people": self.junk_people, "junk_world": self.junk_world}
               if self.junk_ratio else {}),
            **({"domain_token": True} if self.domain_token else {}),
        }

    @property
    def useful_share(self) -> float:
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

    def stack_key(self, max_params: int) -> Hashable | None:
        """Runs with one key may train stacked (:mod:`memcap.engine.training.stacked`): fp32 runs of at most
        ``max_params`` parameters with one model shape, batch size, betas, eps and clipping; None (train alone) for
        any other, for a mixture of experts (the stacked step has no router) and for an optimizer other than AdamW."""
        t = self.train
        if self.model.n_params <= max_params and t.precision == "fp32" and not self.model.n_experts \
                and t.optimizer == "adamw":
            return ("knowledge", self.model, t.batch_size, t.betas, t.eps, t.grad_clip)
        return None

    @staticmethod
    def execute_many(runs: Sequence[KnowledgeRun], device: str = "cpu", progress: bool = False) -> list:
        """Train runs of one :meth:`stack_key` together, each on its own stream, and measure each as
        :meth:`execute` does: (metrics, learning curve, weights) per run. One run trains alone."""
        prepared = [r._prepare(device) for r in runs]
        results = train_models(
            [p["model"] for p in prepared], [p["stream"] for p in prepared], [r.train for r in runs],
            [r.init_seed for r in runs], metrics=[p["metric"] for p in prepared], progress=progress,
            metric_name="knowledge bits",
            description=runs[0].label + (f" (+{len(runs) - 1} stacked)" if len(runs) > 1 else ""))
        return [r._finish(p, res, device, len(runs)) for r, p, res in zip(runs, prepared, results)]

    def execute(self, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
        """Train and measure this run alone: (metrics, learning curve, weights)."""
        return self.execute_many([self], device, progress)[0]

    def _prepare(self, device: str) -> dict:
        """The run's corpus, untrained model (and its code length before training), measured renderings, training
        stream and the metric its stall rule follows."""
        corpus = self.corpus()
        if corpus.vocab_size != self.model.vocab_size:
            raise ValueError(f"the model's vocab_size={self.model.vocab_size} differs from the corpus's "
                             f"{corpus.vocab_size}")
        model = GPT(self.model, generator=torch.Generator().manual_seed(self.init_seed)).to(device)
        evaluation = self.evaluation(corpus)
        untrained = loss_bits_per_token(model, [t for t, _ in evaluation], pad=corpus.eot)  # before training
        if self.junk_ratio:
            stream = mixture_stream(JunkMixture(corpus, self.junk_people, self.junk_ratio, self.data_seed,
                                                self.junk_world),
                                    self.train.batch_size, self.model.seq_len)
        else:
            stream = window_stream(corpus, self.train.batch_size, self.model.seq_len)
        return dict(corpus=corpus, model=model, evaluation=evaluation, untrained=untrained, stream=stream,
                    metric=lambda m: self.measure(m, corpus, evaluation)["knowledge_bits"])

    def _finish(self, prepared: dict, result, device: str, stacked_with: int) -> tuple[dict, list[dict], dict]:
        corpus, model = prepared["corpus"], prepared["model"]
        metrics = self.measure(model, corpus, prepared["evaluation"], recall=True)
        fresh = corpus.fresh_evaluation(self.measured_people, self.data_seed) if self.kind == "bioD" else None
        if fresh is not None:  # the same model on people it never saw, from the same world: the generalization
            baseline = self.measure(model, corpus, fresh)
            metrics.update(fresh_R=baseline["R"], fresh_p1=baseline["p1"], fresh_p2=baseline["p2"],
                           fresh_p3=baseline["p3"])
        metrics.update(steps=result.steps, seconds=result.seconds, tokens=result.tokens, device=device,
                       exposures_done=result.tokens * self.useful_share / (corpus.mean_length() * self.n_people)
                       * self.model.seq_len / (self.model.seq_len - 1),
                       untrained_bits_per_token=prepared["untrained"], engine_version=ENGINE_VERSION,
                       torch_version=torch.__version__, stacked_with=stacked_with)
        return metrics, result.curve, dict(model.state_dict())

    def measure(self, model: GPT, corpus, evaluation: list, recall: bool = False) -> dict:
        """:func:`~memcap.measures.knowledge.measure_knowledge` of a model of this run (P: this run's parameters),
        with the recall accuracy of the measured people when ``recall``."""
        return measure_knowledge(model, corpus, evaluation, self.model.n_params, self.n_people,
                                 recall_people=self.measured_people if recall else 0)
