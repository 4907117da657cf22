"""Trains one run of each engine path a chapter trains (uniform sequences, synthetic biographies, real text on a small
fake corpus) for two steps and prints each run's calibration error (:func:`memcap.measures.baselines.calibration`:
the untrained model's bits per token against log2 V, less 1) as JSON. tests/test_broken_engine.py runs it with and
without the ``nats`` break, in a folder of its own (argv[1]), to check every chapter's ``calibrated`` claim where the
break does not run the chapter itself."""

import json
import os
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for the fake corpus

from test_text import SPLIT_FILES, fake_corpus  # noqa: E402
from test_textruns import SPEC  # noqa: E402

from memcap.data import text  # noqa: E402
from memcap.engine.runs import CapacityRun, KnowledgeRun  # noqa: E402
from memcap.engine.runs.text import TextRun  # noqa: E402
from memcap.engine.training.config import TrainConfig  # noqa: E402
from memcap.measures.baselines import calibration  # noqa: E402
from memcap.model import GPTConfig  # noqa: E402

folder = Path(sys.argv[1])
fake, cache = fake_corpus(folder, SPLIT_FILES)
text.corpora.SHAKESPEARE = fake
os.environ[text.CACHE_ENV] = str(cache)
train = TrainConfig(max_steps=2, batch_size=4, warmup_steps=1, eval_every=2, min_decay_steps=1)
runs = {
    "uniform": CapacityRun(model=GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=8, n_head=1), train=train,
                           n_sequences=8),
    "bioS": KnowledgeRun(model=GPTConfig(vocab_size=3030, seq_len=96, n_layer=1, d_model=8, n_head=1), train=train,
                         kind="bioS", n_people=4, exposures=1, vocabulary="pool"),
    "text": TextRun(model=GPTConfig(vocab_size=300, seq_len=16, n_layer=1, d_model=8, n_head=1), train=train,
                    text=SPEC, n_sequences=8),
}
rows = []
for name, run in runs.items():
    metrics = run.execute()[0]
    rows.append(dict(run=name, vocab_size=run.model.vocab_size,
                     untrained_bits_per_token=metrics["untrained_bits_per_token"]))
errors = calibration(pd.DataFrame(rows)).set_index("run").calibration_error
print(json.dumps({k: float(v) for k, v in errors.items()}))
