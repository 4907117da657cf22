"""memcap: measure how much language models memorize. The book's chapters import this package.

The package is layered; a module imports only from its own layer or the ones below it (``tests/test_layers.py``):

    book/       the book's machinery: chapters and their presets, papermill, the HTML book, batch runs, classroom, CLI
    engine/     what is trained and how: training/, the run kinds (runs/), studies of stored runs (studies/); versioned
    measures/   code lengths, memorized bits, knowledge bounds, membership attacks, quantization, peaks, claims
    data/       what models are trained on: uniform sequences, Markov sources, bioD and bioS biographies, the token
                streams runs read, real text
    model.py    the GPT every chapter trains
    infra/      what knows nothing of models: atomic files and sha256, locks, the run store, devices, progress,
                clusters, and sweeps over the Run protocol (``infra/protocol.py``); imports nothing else from memcap
    theory/     information theory in bits (entropy, mutual information, codes); numpy only
    papers.py   the papers' published figures, which the chapters compare against
"""

__version__ = "0.2.0"
