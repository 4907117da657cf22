"""Every chapter's settings, typed: one dataclass per chapter, one instance per scale, a reason on every field.

Scales: ``smoke`` (CI: seconds to minutes, too short for most findings), ``default`` (the book, on two CPU cores),
``paper`` (the papers' set-ups, for a GPU). A field's reason is its ``why`` metadata; :func:`settings_table` shows a
preset as a table of setting, value and reason, which is what a chapter prints. The rooms:

    settings.py         the framework: setting(), PresetBase, settings_table
    capacity_sweep.py   shared: uniform-sequence capacity runs (chapters 2, 4, 5, 6), CAPACITY_SWEEPS
    knowledge_setup.py  shared: bioD/bioS knowledge runs (chapters 3, 4, 5, 7), KNOWLEDGE_SETUPS
    memorization.py ... attacks.py   one chapter's preset class and its values per scale

Runs that several chapters share come from the shared presets, not from one chapter reaching into another's; a
chapter that reuses a stored run rebuilds it through the same method, so the store keys match. Claims' thresholds
(``max_*``, ``min_*``) are fixed before a chapter's runs; how each was set is in book/thresholds.md.

    >>> PRESETS["03_knowledge"]["smoke"].setup is KNOWLEDGE_SETUPS["smoke"]
    True
"""

from memcap.book.presets import architecture, attacks, capacity, knowledge, membership, memorization, precision, text
from memcap.book.presets.capacity_sweep import CAPACITY_SWEEPS, CapacitySweep, Config, Layers, Shape, geometric
from memcap.book.presets.knowledge_setup import KNOWLEDGE_SETUPS, KnowledgeSetup, Width
from memcap.book.presets.settings import PresetBase, SettingsTable, setting, settings_table

PRESETS: dict[str, dict[str, PresetBase]] = {
    "01_memorization": memorization.BY_SCALE,
    "02_capacity": capacity.BY_SCALE,
    "03_knowledge": knowledge.BY_SCALE,
    "04_precision": precision.BY_SCALE,
    "05_membership": membership.BY_SCALE,
    "06_text": text.BY_SCALE,
    "07_architecture": architecture.BY_SCALE,
    "08_attacks": attacks.BY_SCALE,
}
CLAIMS = {  # chapter -> its claims, each declared once beside the settings that hold its threshold
    "01_memorization": (),  # counts and exact distributions: nothing that a trained network could get wrong
    "02_capacity": capacity.CLAIMS,
    "03_knowledge": knowledge.CLAIMS,
    "04_precision": precision.CLAIMS,
    "05_membership": membership.CLAIMS,
    "06_text": text.CLAIMS,
    "07_architecture": architecture.CLAIMS,
    "08_attacks": attacks.CLAIMS,
}

__all__ = ["CAPACITY_SWEEPS", "CLAIMS", "KNOWLEDGE_SETUPS", "PRESETS", "CapacitySweep", "Config", "KnowledgeSetup",
           "Layers",
           "PresetBase", "SettingsTable", "Shape", "Width", "geometric", "setting", "settings_table"]
