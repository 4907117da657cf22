"""Run specifications and their execution, one module per kind: :class:`CapacityRun` (uniform sequences),
:class:`KnowledgeRun` (biographies), :class:`TextRun` (real text), and
:class:`~memcap.engine.runs.shadow.ShadowRun` (capacity runs on halves of one pool, for membership inference's shadow
models). Text families are :class:`~memcap.engine.runs.text_shadow.TextShadowRun`, biography families
:class:`~memcap.engine.runs.bios_shadow.BioSShadowRun`. Each implements the Run protocol
(``to_dict``, ``label``, ``cost``, ``stack_key``, ``execute``, ``execute_many``); ``cost`` is defined once, in
:mod:`memcap.engine.runs.cost`."""

from memcap.engine.runs.base import load_model
from memcap.engine.runs.capacity import CapacityRun, grid
from memcap.engine.runs.knowledge import KnowledgeRun
from memcap.engine.runs.shadow import ShadowRun
from memcap.engine.runs.text import TextRun
