"""The plain data that flows between the pipeline's stages.

Every span carries the page it stands on, its bounding boxes and its character range, counted
from the start of the document text (``Layout.text``), so that anything extracted can be shown
to a reviewer exactly where it came from. Coordinates are PDF points with the origin at the top
left of the page, as pdfplumber gives them: ``(x0, top, x1, bottom)``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

BBox = tuple[float, float, float, float]

Category = Literal["exit", "data_return", "termination"]
CATEGORIES: tuple[Category, ...] = ("exit", "data_return", "termination")
Modality = Literal["obligation", "prohibition", "permission"]
MODALITIES: tuple[Modality, ...] = ("obligation", "prohibition", "permission")
Relation = Literal[
    "within", "before", "after", "at_least", "by", "every", "immediately", "promptly"
]
RELATIONS: tuple[Relation, ...] = (
    "within",
    "before",
    "after",
    "at_least",
    "by",
    "every",
    "immediately",
    "promptly",
)


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on one page."""

    page: int  # 1-based
    bbox: BBox


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: int
    end: int
    page: int
    bbox: BBox
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """One visual line of body text (page furniture removed), or one table row.

    A table row's text is its cells joined by `` | ``; ``cells`` holds each cell's character
    range so that later stages can read the columns.
    """

    text: str
    start: int
    end: int
    page: int
    bbox: BBox
    words: tuple[Word, ...]
    bold: bool = False
    size: float = 0.0
    table: int | None = None  # index into Layout.tables when this line is a table row
    row: int | None = None
    cells: tuple[tuple[int, int], ...] = ()
    gap_before: float = 0.0  # vertical white space above the line, in points

    @property
    def x0(self) -> float:
        return self.bbox[0]


@dataclass(frozen=True, slots=True)
class Table:
    page: int
    bbox: BBox
    header: tuple[str, ...]
    n_rows: int


@dataclass(frozen=True, slots=True)
class PageInfo:
    number: int
    width: float
    height: float
    n_chars: int
    n_images: int


@dataclass(frozen=True, slots=True)
class Layout:
    """The text of a whole document with a map from every character back to the page."""

    text: str
    lines: tuple[Line, ...]
    pages: tuple[PageInfo, ...]
    tables: tuple[Table, ...] = ()
    furniture: tuple[str, ...] = ()  # running headers/footers that were removed (normalised)
    title: str | None = None  # from the PDF's metadata

    def boxes(self, start: int, end: int) -> tuple[Box, ...]:
        """Boxes covering the characters ``start:end``: one box per line, words merged."""
        out: list[Box] = []
        for line in self.lines_between(start, end):
            hit = [w.bbox for w in line.words if w.end > start and w.start < end]
            if hit:
                out.append(Box(line.page, _union(hit)))
        return tuple(out)

    def lines_between(self, start: int, end: int) -> list[Line]:
        i = max(bisect.bisect_right(self.lines, start, key=_line_start) - 1, 0)
        out = []
        while i < len(self.lines) and self.lines[i].start < end:
            if self.lines[i].end > start:
                out.append(self.lines[i])
            i += 1
        return out

    def page_at(self, offset: int) -> int:
        if not self.lines:
            return 1
        i = max(bisect.bisect_right(self.lines, offset, key=_line_start) - 1, 0)
        return self.lines[i].page


def _line_start(line: Line) -> int:
    return line.start


def _union(boxes: list[BBox]) -> BBox:
    return (
        round(min(b[0] for b in boxes), 2),
        round(min(b[1] for b in boxes), 2),
        round(max(b[2] for b in boxes), 2),
        round(max(b[3] for b in boxes), 2),
    )


# --- structure ----------------------------------------------------------------------------

ClauseKind = Literal["schedule", "part", "article", "clause", "paragraph", "limb", "unnumbered"]


@dataclass(frozen=True, slots=True)
class ClauseNode:
    """A node of the numbered clause tree.

    ``segments`` are the character ranges of the node's own text (after its number and
    heading, without its children's text); usually one, more where text follows a run of
    limbs at the node's own indent. ``span_end`` is where the node and its descendants end.
    A *unit* is a numbered clause or paragraph with body text of its own: what classification
    labels and what obligations are counted under (sample_docs/gold/GUIDELINES.md §2).
    """

    index: int
    ref: str
    label: str  # the numbering as printed: "23.4", "(b)", "Section 9.3", "SCHEDULE 8"
    kind: ClauseKind
    depth: int
    parent: int | None
    heading: str | None
    start: int
    segments: tuple[tuple[int, int], ...]
    span_end: int
    page_start: int
    page_end: int
    unit: bool = False
    container: str | None = None  # "Schedule 8", "Schedule 8, Part B" for paragraphs inside
    # The heading on a line of its own above a run of clauses ("Voluntary Withdrawal" above
    # 28-30): context for each clause of the run that has no heading of its own.
    section: str | None = None

    @property
    def is_limb(self) -> bool:
        return self.kind == "limb"

    @property
    def body_start(self) -> int:
        return self.segments[0][0] if self.segments else self.start

    def own_text(self, text: str) -> str:
        return " ".join(text[a:b] for a, b in self.segments)


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    role: str
    start: int | None = None


@dataclass(frozen=True, slots=True)
class Definition:
    term: str
    text: str
    start: int
    end: int
    page: int


@dataclass(frozen=True, slots=True)
class Parties:
    parties: tuple[Party, ...]
    definitions: tuple[Definition, ...]
    contract_type: Literal["jv", "supplier"]
    counterparty: str | None
    customer_role: str | None
    evidence: tuple[str, ...] = ()

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.role for p in self.parties))


# --- classification ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Classification:
    """The categories of one classification unit, with the rule ids that produced each."""

    clause: int  # Clause.index
    categories: tuple[Category, ...]
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


# --- obligations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deadline:
    text: str
    duration: str | None
    business_days: bool
    relation: Relation
    anchor: str | None
    date: str | None = None
    rule: str = ""

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "duration": self.duration,
            "business_days": self.business_days,
            "relation": self.relation,
            "anchor": self.anchor,
            "date": self.date,
        }


@dataclass(frozen=True, slots=True)
class CrossRef:
    text: str
    target: str
    resolved: bool


@dataclass(frozen=True, slots=True)
class ExtractedObligation:
    ref: str  # the finest ref holding it: "23.4(b)"
    unit: int  # Clause.index of the classification unit
    clause: int  # Clause.index of the node holding the text (the unit or one of its limbs)
    categories: tuple[Category, ...]
    modality: Modality
    obligor: str | None
    beneficiary: str | None
    action: str
    trigger: str | None
    deadline: Deadline | None
    text: str
    start: int
    end: int
    page: int
    boxes: tuple[Box, ...]
    confidence: float
    rules: dict[str, tuple[str, ...]]
    flags: tuple[str, ...] = ()
    cross_refs: tuple[CrossRef, ...] = ()
    terms: tuple[str, ...] = ()  # defined terms the text uses


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything the pipeline found in one document."""

    layout: Layout
    clauses: tuple[ClauseNode, ...]
    parties: Parties
    classifications: tuple[Classification, ...]
    obligations: tuple[ExtractedObligation, ...]
    extractor_version: str
