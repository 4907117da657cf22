"""The engine's version: part of every stored run's key, so a store never serves a run the current code would not
produce.

What a stored run holds comes from the modules listed in :data:`ENGINE_MODULES` (training, measurement, the data,
the order and grouping in which a sweep trains runs, the store; and the data files that bioS is
made of). Whenever their code changes, what a stored run means may change with it, so the version goes up and
every run is trained again under new keys. A test enforces it: :func:`fingerprint` hashes those modules' syntax
trees (comments, docstrings and formatting do not count) with the data files, and the test fails unless the
fingerprint is the one :data:`ENGINE_HISTORY` records for :data:`ENGINE_VERSION`. After changing the engine, add
a new line to the history (never edit an old one):

    python -m memcap.engine.version      # prints the current fingerprint

    >>> ENGINE_VERSION == max(ENGINE_HISTORY)
    True
"""

from __future__ import annotations

import ast
import hashlib
from importlib import resources
from pathlib import Path

ENGINE_MODULES = (
    "model",
    "engine.training.config", "engine.training.loop", "engine.training.stacked",  # how a model is trained
    "engine.runs.capacity", "engine.runs.shadow", "engine.runs.knowledge", "engine.runs.text",  # what a run is, trains and measures
    "engine.runs.text_shadow", "engine.runs.bios_shadow",
    "engine.runs.cost", "infra.sweep",  # the order and the stacked groups runs train in
    "engine.studies.saturation", "engine.studies.rounding",  # derived runs and the rounding study's stored shares
    "infra.store", "infra.manifest",  # what a stored run holds and when it counts as present
    "data.uniform", "data.biod", "data.bios", "data.streams",
    "data.text.corpora", "data.text.tokenizers", "data.text.chunks", "data.text.folio", "data.text.splits",
    "measures.evaluate", "measures.capacity", "measures.memorization", "measures.knowledge", "measures.membership",
    "theory.information",
)

# version -> the fingerprints of the engine's code under it; append a line for every change, with the reason. A
# change that moves code without changing any number keeps its version: its fingerprint is added to the version's
# tuple, with the evidence that every stored run's metrics came out the same.
ENGINE_HISTORY = {
    # 1: capacity-v1 / knowledge-v1 keys, two training loops (before the fingerprint existed)
    2: (
        "4b3b5a23102e3bd8",  # one training loop for K >= 1 models; baselines in every run's metrics; bioS pool vocabulary
        "6fa9a9c91db7cdba",  # the layered layout (code moved, no number changed): all 32 smoke runs retrained bitwise equal
        "19071b0bfbdf48cc",  # train_models reports progress to a callable (nothing trained differs): smoke runs bitwise equal
        "603dbfb84c84d0c0",  # MLP/4, mixture of experts, layer removal added (existing paths unchanged): smoke runs bitwise equal
        "3bfb61a213e271bd",  # bioD junk data and domain token added (keys of runs without them unchanged): smoke bitwise equal
        "102967a98811b913",  # the junk share computed in one place (a refactor): smoke runs bitwise equal
        "8815c43e55a52bab",  # text runs (engine.textruns, data.text) added, measures.membership now covered: all 55
                             # smoke runs of chapters 1-5 and 7 bitwise equal (weights, metrics, curves)
        "d0c28320c9ae9624",  # text runs' curve_sequences (no text run stored yet): the 55 smoke runs bitwise equal
        "7cb52afd234bb6da",  # review: one first-occurrence mask for both dedups, splits built once a text run; the
                             # 55 smoke runs bitwise equal, the default text splits' counts unchanged
        "11826bcd0bde65f5",  # near-duplicate copies (Folio spelling) and GPT-2's vocabulary added, keys of runs without
                             # them unchanged: the 55 smoke runs and chapter 6's 18 bitwise equal
        "b5467108508ca6e8",  # review: near_duplicates' vote window was misplaced for vote arrays shorter than it; the 4
                             # default near runs' training sets are identical, the 2 smoke near runs' are not (5 of 16
                             # copies moved: smoke stores of 11826bcd must drop them); the other 25 chapter-6 smoke
                             # runs bitwise equal; a text run draws its copies once
        "f1f226a2ead78dea",  # capacity_by_precision added to measures.capacity (no other definition changed, as
                             # syntax trees): all 127 smoke runs of chapters 1-7 equal to b5467108's (weights
                             # bitwise; metrics and curves but for their wall-clock seconds)
        "0f7f9314d527c075",  # data.text's fetch removes its download folder in every case (try/finally; the syntax
                             # trees differ in fetch and one import only, and no run calls fetch): no run changes
        "eb829632de776c2b",  # the second floor plan: code moved into engine/training, engine/runs, engine/studies,
                             # infra/, data/streams and data/text/; the stop rule renamed "stall" (stored spelling
                             # kept); the sweep, cost, store, manifest and studies now counted: all 126 smoke runs
                             # of chapters 1-7 retrained under the same keys, weights byte-identical, metrics and
                             # curves equal but for their wall-clock seconds
        "020f8ce78f8f61d4",  # the membership law's profile intervals and paired_ratio added (measures), layer
                             # removal gives NaN shares for a model that stores nothing (studies); no run calls
                             # them: warm default re-runs of chapters 2-7 on a store of eb829632 trained nothing
        "cd1cd11ef844cb03",  # chapter 6's new deal of the corpus (files and near-duplicate blocks dropped first,
                             # every work dealt in proportion, a validation split that references also code): its
                             # runs have new keys; the earlier deal, kept as dealing="blocks", keeps its keys and
                             # gives byte-identical splits (checked on the smoke and default corpora)
        "f820669cfba1ea97",  # the new deal's splits in a random order of blocks (deal_version 2 in its runs' keys:
                             # new keys again); alpha as the models' mean bits per parameter (measures): computed
                             # from stored runs, no run's stored result changes
        "e062df0fa8506661",  # review: an unused naive Bayes helper removed (measures), edition shares looked up per
                             # work (data/text): no run's result changes
        "d838ee551e4d3c89",  # junk people of the useful world (junk_world, in a junk run's key, so no stored junk
                             # run is read as one), R_values and the world choice's bits (measures): no stored
                             # run's result changes
        "06dee8f97015954e",  # shadow runs (engine.runs.shadow) added, a kind of their own in their keys: no
                             # other run's key or result changes
        "a2706d42b168ec69",  # fit_capacity_exponent may return a NaN fit for capacities at or below 0 (measures;
                             # it raised before): runs call none of it, no stored run's key or result changes
        "525652aca3c1852d",  # measures.membership: law_x (the law's axis, NaN without a capacity) added and fit_law
                             # names non-finite input; runs call neither: no stored run's key or result changes
        "d0e2cb6d7423c6c0",  # fit_law(nonfinite="nan"): a NaN fit for NaN input; runs do not call it: no stored
                             # run's key or result changes
    ),
    3: (
        "79221711d829a963",  # stacked training without vmap: each member's forward written with batched matrix
                             # products (sdpa attention, as a run alone) and AdamW's moments by lerp; every member's
                             # logits equal its own model's to 1e-5 and its gradients the vmapped step's to 2e-8, but
                             # summation orders differ, so stacked runs' results change in rounding: new keys for all
        "007f4423b03156e8",  # one keyword for an undefined result, undefined="raise"|"nan" (fit_capacity_exponent's
                             # nonpositive, fit_law's nonfinite, as the rank correlations'): runs call neither, no
                             # stored run's key or result changes
        "ab3aee14ff28f8bd",  # knowledge runs may train stacked (stack_key, execute_many; a sweep stacks them only
                             # when asked, and no chapter asks yet): a run trained alone is bitwise the same (a smoke
                             # bioD run and a junk run with the domain token: weights, metrics, curves)
        "aa1ef033e3ec270b",  # stacked groups train in this process on CUDA, or on a CPU with max_workers=0 (sweep),
                             # and the stacked AdamW's step counts meet the parameters' device: all 38 smoke runs of
                             # chapter 2 (30 stacked) retrained bitwise equal (weights; metrics, curves but seconds)
        "2f3d41f177edc089",  # TrainConfig's optimizer (AdamW unless set: NAdam, Adafactor, Rprop) and eps, in a key
                             # only where they differ from AdamW's defaults (ADDED_FIELDS): the 83 smoke runs of
                             # chapters 2, 4 and 5 (24 bf16, 33 stacked, 11 bioS) retrained bitwise equal
        "0189c973190474b3",  # review: eps always in the stack keys (one grouping rule), max_workers checked before
                             # anything else: the 38 smoke runs of chapter 2 (30 stacked) retrained bitwise equal
        "1862cb1722d55efd",  # text shadow runs (engine.runs.text_shadow) added, a kind of their own in their keys;
                             # no other engine module's code changed: no stored run's key or result changes
        "c68dc92eab09e0d0",  # biography shadow runs (engine.runs.bios_shadow) added, a kind of their own in their
                             # keys; no other engine module's code changed: no stored run's key or result changes
        "11bd9c9fcee8934a",  # measures.membership.metric_laws added (no existing function changed): chapter 5's
                             # 26 smoke runs of seed 42 trained with the code before and after have bitwise-equal
                             # weights and the same metrics but for their seconds
        "e13f42c4c5215086",  # that helper renamed fit_laws, its input checked (no other function changed): the
                             # same 26 runs trained again, bitwise-equal weights, metrics equal but for seconds
    ),
}
ENGINE_VERSION = max(ENGINE_HISTORY)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def fingerprint() -> str:
    """16 hex digits of sha256 over the engine modules' syntax trees (without docstrings) and the data files."""
    h = hashlib.sha256()
    package = Path(__file__).parents[1]
    for name in ENGINE_MODULES:
        tree = _strip_docstrings(ast.parse((package / f"{name.replace('.', '/')}.py").read_text()))
        h.update(name.encode() + b"\0" + ast.dump(tree).encode() + b"\0")
    data = resources.files("memcap.data") / "bios"
    for f in sorted(data.iterdir(), key=lambda p: p.name):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


if __name__ == "__main__":
    print(fingerprint())
