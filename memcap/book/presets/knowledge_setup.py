"""The shared knowledge set-up (chapter 3 trains its runs; chapter 4 quantizes them, chapter 5 attacks bioS runs at
the same budget, chapter 7 varies their models): the bioD world, models and training, and the bioS demonstration,
per scale. Steps follow from exposures: ceil(exposures · N · tokens a person / (batch · window)).

Every chapter that reuses a stored run rebuilds it through :meth:`KnowledgeSetup.biod_run` or
:meth:`KnowledgeSetup.bios_run`, so the store keys match.

    >>> run = KNOWLEDGE_SETUPS["smoke"].biod_run(8, 100)
    >>> run.label
    'bioD d=8 N=100 x100'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

from memcap.data.bios_size import bios_size
from memcap.book.presets.settings import PresetBase, setting
from memcap.data.biod import BioD
from memcap.data.streams import junk_windows
from memcap.engine.runs import KnowledgeRun
from memcap.engine.training import TrainConfig
from memcap.model import GPTConfig


class Width(NamedTuple):
    """A knowledge model's width and its learning rate."""

    width: int
    lr: float



@dataclass(frozen=True)
class KnowledgeSetup(PresetBase):
    """bioD(N, K, C, D, L, T) with its models and training, and the bioS demonstration."""

    K: int = setting("attributes per person")
    C: int = setting("chunks per value")
    D: int = setting("distinct chunks per attribute (the diversity set)")
    L: int = setting("tokens per chunk")
    T: int = setting("alphabet size; T^L >= D^2 keeps the diversity term positive")
    name_len: int = setting("a name is this many alphabet symbols: N0 = T^name_len candidate names")
    n_people: int = setting("N: people in the bioD world")
    seq_len: int = setting("training window in tokens (one paragraph: every window starts at a paragraph)")
    n_layer: int = setting("layers of every knowledge model")
    head_dim: int = setting("dimensions per attention head")
    positions: str = setting("position embedding: learned on CPU presets, the paper's rotary at paper scale")
    widths: tuple[Width, ...] = setting("model widths, each with its learning rate")
    batch_size: int = setting("windows per step at the higher exposure count")
    low_exposure_batch_size: int = setting("windows per step at the lower one (more, smaller steps, as the paper's)")
    warmup_frac: float = setting("warm-up as a share of the steps; then cosine decay")
    betas: tuple[float, float] = setting("AdamW betas")
    weight_decay: float = setting("AdamW weight decay at the higher exposure count (0 on CPU presets)")
    low_exposure_weight_decay: float = setting("AdamW weight decay at the lower exposure count")
    curve_points: int = setting("measurements of knowledge bits per run (its learning curve)")
    exposures: tuple[int, ...] = setting("times each person's paragraph is seen: the steps follow from it")
    bios_people: int = setting("people in the bioS demonstration (the word vocabulary makes the output layer the cost)")
    bios_seq_len: int = setting("bioS training window in tokens")
    bios_batch_size: int = setting("bioS windows per step")
    bios_width: int = setting("width of the bioS models")
    bios_lr: float = setting("learning rate of the bioS models")
    bios_exposures: int = setting("exposures of each bioS biography")

    def spec(self, n_people: int | None = None) -> BioD:
        """The bioD world's parameters (``n_people`` people instead of the setup's)."""
        return BioD(N=n_people or self.n_people, K=self.K, C=self.C, D=self.D, L=self.L, T=self.T,
                    N0=self.T ** self.name_len)

    def exposure_settings(self, exposures: int) -> dict:
        """bioD training settings by exposure count: the lower one trains with more, smaller steps, as the paper's;
        weight decay where the preset sets one. An exposure count not in the preset's gets the higher one's."""
        if exposures != min(self.exposures) or len(self.exposures) == 1:
            return dict(weight_decay=self.weight_decay) if self.weight_decay else {}
        out = dict(batch_size=self.low_exposure_batch_size)
        return {**out, "weight_decay": self.low_exposure_weight_decay} if self.low_exposure_weight_decay else out

    def lr(self, width: int) -> float:
        for w in self.widths:
            if w.width == width:
                return w.lr
        raise ValueError(f"width={width} is not in the preset's widths {[w.width for w in self.widths]}")

    def biod_run(self, width: int, exposures: int, n_people: int | None = None, data_seed: int = 0,
                 init_seed: int = 0, mlp: str = "standard", n_layer: int | None = None,
                 **train_changes) -> KnowledgeRun:
        """The bioD run of one width and exposure count (with :meth:`exposure_settings`, unless overridden); ``mlp``
        and ``n_layer`` change the model's MLP (see :data:`memcap.model.MLPS`) and depth."""
        b = self.spec(n_people)
        changes = {**self.exposure_settings(exposures), **train_changes}
        run = self._run("bioD", width, self.lr(width), exposures, b.N, b.paragraph_len, b, data_seed, init_seed,
                        changes, vocab_size=b.vocab_size, seq_len=self.seq_len)
        if mlp != "standard" or (n_layer is not None and n_layer != self.n_layer):
            run = replace(run, model=run.model.with_(mlp=mlp, n_layer=n_layer or self.n_layer))
        return run

    def junk_run(self, width: int, exposures: int, junk_people: int, junk_ratio: float, batch_size: int,
                 domain_token: bool = False, data_seed: int = 0, init_seed: int = 0) -> KnowledgeRun:
        """A bioD run whose windows are a share ``junk_ratio`` junk (another world of ``junk_people`` people) and
        the rest this world's people, ``batch_size`` windows per step (see
        :class:`~memcap.data.streams.JunkMixture`). Steps count the useful windows: ``exposures`` of each person,
        as many steps as a run without junk at ``batch_size - junk windows`` windows a step, the same schedule. With
        ``domain_token`` every useful paragraph starts with a token of its own (the vocabulary grows by one)."""
        useful = batch_size - junk_windows(junk_ratio, batch_size)
        run = self.biod_run(width, exposures, data_seed=data_seed, init_seed=init_seed, batch_size=useful)
        model = run.model.with_(vocab_size=run.model.vocab_size + 1) if domain_token else run.model
        return replace(run, model=model, train=replace(run.train, batch_size=batch_size), junk_ratio=junk_ratio,
                       junk_people=junk_people, domain_token=domain_token)

    def bios_run(self, kind: str, exposures: int | None = None, n_people: int | None = None, data_seed: int = 0,
                 init_seed: int = 0, width: int | None = None, measure_people: int = 0, vocabulary: str = "pool",
                 **train_changes) -> KnowledgeRun:
        """The bioS (``kind="bioS"`` or ``"bioS_simple"``) run (width ``bios_width`` unless ``width`` is given;
        measured on ``measure_people`` of the people, 0 or at least N meaning all)."""
        if kind not in ("bioS", "bioS_simple"):
            raise ValueError(f"kind must be 'bioS' or 'bioS_simple', got kind={kind!r}")
        N = n_people or self.bios_people
        size = bios_size(N, data_seed, simple=kind == "bioS_simple", vocabulary=vocabulary)
        train_changes.setdefault("batch_size", self.bios_batch_size)
        run = self._run(kind, width or self.bios_width, self.bios_lr, exposures or self.bios_exposures, N,
                        size.mean_length, None, data_seed, init_seed, train_changes,
                        vocab_size=size.vocab_size, seq_len=self.bios_seq_len)
        # all of them: the same run
        return replace(run, measure_people=measure_people if measure_people < N else 0, vocabulary=vocabulary)

    def _run(self, kind, width, lr, exposures, N, mean_len, b, data_seed, init_seed, train_changes, vocab_size,
             seq_len) -> KnowledgeRun:
        cfg = GPTConfig(vocab_size=vocab_size, seq_len=seq_len, n_layer=self.n_layer, d_model=width,
                        n_head=max(1, width // self.head_dim), positions=self.positions)
        batch = train_changes.pop("batch_size", self.batch_size)
        steps = math.ceil(exposures * N * mean_len / (batch * seq_len))
        settings = dict(max_steps=steps, batch_size=batch, lr=lr, schedule="cosine",
                        warmup_steps=max(1, int(self.warmup_frac * steps)), betas=tuple(self.betas),
                        eval_every=max(1, steps // self.curve_points))
        return KnowledgeRun(model=cfg, train=TrainConfig(**{**settings, **train_changes}), kind=kind, n_people=N,
                            exposures=exposures, biod=b, data_seed=data_seed, init_seed=init_seed)


KNOWLEDGE_SETUPS = {
    "smoke": KnowledgeSetup(
        K=2, C=1, D=8, L=2, T=8, name_len=3, n_people=100, seq_len=10, n_layer=1, head_dim=8, positions="learned",
        widths=(Width(8, 3e-2), Width(16, 3e-2), Width(24, 3e-2)), batch_size=32, low_exposure_batch_size=8,
        warmup_frac=0.02, betas=(0.9, 0.98), weight_decay=0.0, low_exposure_weight_decay=0.0, curve_points=5,
        exposures=(300, 30),  # 300: the widest model reaches R^max (chapter 3's claim); 100 left it at 0.53-0.88
        bios_people=20, bios_seq_len=96, bios_batch_size=8,
        bios_width=16, bios_lr=1e-2, bios_exposures=5,
    ),
    "default": KnowledgeSetup(
        K=4, C=1, D=64, L=2, T=64, name_len=3, n_people=2000, seq_len=16, n_layer=2, head_dim=8, positions="learned",
        widths=tuple(Width(w, 2e-2) for w in (16, 24, 32, 40, 48)), batch_size=256, low_exposure_batch_size=32,
        warmup_frac=0.02, betas=(0.9, 0.98), weight_decay=0.0, low_exposure_weight_decay=0.0, curve_points=20,
        exposures=(1000, 100), bios_people=300,
        bios_seq_len=128, bios_batch_size=16, bios_width=64, bios_lr=1e-2, bios_exposures=100,
    ),
    "paper": KnowledgeSetup(  # Allen-Zhu & Li's bioD scale (K, C, D, L, T of their Figure 2 family), GPT2-l-h widths
        K=4, C=2, D=1000, L=4, T=128, name_len=4, n_people=100_000, seq_len=512, n_layer=4, head_dim=64,
        positions="rotary", widths=tuple(Width(w, 1e-3) for w in (128, 256, 384, 512)), batch_size=96,
        low_exposure_batch_size=24, warmup_frac=0.01, betas=(0.9, 0.98), weight_decay=0.02,
        low_exposure_weight_decay=0.01, curve_points=50, exposures=(1000, 100),
        bios_people=100_000, bios_seq_len=512, bios_batch_size=96, bios_width=512, bios_lr=1e-3, bios_exposures=1000,
    ),
}

