"""Chapter 1's settings (what it means to memorize): the exact toy problem and the coded sequences, per scale. It
trains no GPT.

    >>> BY_SCALE["smoke"].n_max
    6
"""

from __future__ import annotations

from dataclasses import dataclass

from memcap.book.presets.settings import PresetBase, setting


@dataclass(frozen=True)
class MemorizationPreset(PresetBase):
    n_max: int = setting("largest dataset of the exact toy problem (2^n_max datasets are enumerated)")
    coded_sequences: int = setting("sequences coded by the n-gram and reference models")
    markov_vocab: int = setting("symbols of the Markov source (the Kolmogorov part)")
    markov_length: int = setting("tokens per Markov sequence")
    train_sequences: int = setting("sequences the memorizing n-gram model is fitted on")

    def runs(self, seed: int = 0) -> dict[str, list]:
        """Chapter 1 trains no GPT."""
        return {}



BY_SCALE = {
    "smoke": MemorizationPreset(n_max=6, coded_sequences=20, markov_vocab=8, markov_length=24, train_sequences=40),
    "default": MemorizationPreset(n_max=12, coded_sequences=200, markov_vocab=16, markov_length=48,
                                  train_sequences=400),
    "paper": MemorizationPreset(n_max=16, coded_sequences=1000, markov_vocab=32, markov_length=64,
                                train_sequences=4000),
}
