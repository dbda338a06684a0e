"""What the components find, before it becomes an ``ExtractedObligation``.

``Duty``: one modal verb with the part of its sentence it governs (``doc.spans["duty"]``),
filled in by one component per field (modality, obligor, deadline, trigger).
``Candidate``: an obligation the assembly component proposes (``doc.spans["obligation"]``),
with every field and the rule ids that decided it; ``pipeline.obligations.write_obligation``
turns it into the pipeline's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.types import Category, Deadline

CandidateSource = Literal["sentence", "limb", "inline_limb", "implied", "table_row"]


@dataclass(slots=True)
class Duty:
    """One modal clause of a sentence: tokens ``start:end`` of the doc."""

    sentence: tuple[int, int]  # the sentence's token range
    start: int
    end: int
    modal: tuple[int, int]  # the modal phrase's token range
    modality: str
    modality_rule: str
    first: bool = True  # the sentence's first modal clause
    obligor: str | None = None
    obligor_rule: str | None = None
    passive: bool = False
    bound: bool = True  # False: the subject is not a party and nothing is passive
    deadline: Deadline | None = None
    trigger: str | None = None
    trigger_rule: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed obligation: characters ``start:end`` of the document (of the text, for a
    text analysed without a contract around it)."""

    ref: str
    node: int  # ClauseNode.index of the node holding the text
    start: int
    end: int
    text: str
    modality: str
    obligor: str | None
    beneficiary: str | None
    action: str
    trigger: str | None
    deadline: Deadline | None
    rules: dict[str, tuple[str, ...]]
    flags: tuple[str, ...]
    confidence: float
    source: CandidateSource = "sentence"
    boxes_range: tuple[int, int] | None = None  # document range to draw (a table row)
    xrefs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (words, the refs they may cite)
    categories: tuple[Category, ...] = ()  # what the sentence is about (empty: its unit's)
