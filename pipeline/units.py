"""Clause tree → one text per classification unit, with its context, for ``nlp.pipe``.

A unit's text is its heading, then (when the unit completes its parent's stem, ``31.1 … if:``
/ ``31.1.1 an Insolvency Event occurs``) that stem, then its own text and the text of its
limbs, in document order, each part a ``Piece`` that remembers where it came from, so that
everything found in the unit's ``Doc`` maps back to document offsets, pages and boxes. Line
breaks become spaces (same length): a phrase may wrap a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.types import ClauseNode, Layout, Parties

PieceKind = Literal["heading", "stem", "text", "cell"]


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of the unit's text: ``start``/``end`` in the unit's text, ``source`` the
    document offset of ``start`` (None for a heading, which is read, not quoted)."""

    start: int
    end: int
    source: int | None
    node: int  # ClauseNode.index
    kind: PieceKind


@dataclass(frozen=True, slots=True)
class UnitNode:
    """The unit or one of its limbs: the pieces of its own text, and its limbs."""

    index: int
    ref: str
    parent: int | None  # ClauseNode.index of the node above, within the unit
    pieces: tuple[int, ...]
    limbs: tuple[int, ...]  # ClauseNode.index of its limbs, in order
    completed_by_children: bool = False  # "31.1 … if:" whose numbered sub-clauses follow


@dataclass(frozen=True, slots=True)
class UnitContext:
    """What a unit's ``Doc`` knows of the contract around it (``doc._.unit``)."""

    index: int
    ref: str
    heading: str | None
    context: tuple[str, ...]  # headings of the clause, part and schedule above, nearest first
    parent_heading: str | None
    pieces: tuple[Piece, ...]
    nodes: dict[int, UnitNode]
    tables: tuple[tuple[int, int], ...] = ()  # document ranges of table rows in the unit
    completes_stem: bool = False  # the unit finishes its parent's stem ("… if:")
    parties: Parties | None = None
    container: str | None = None  # "Schedule 8": where "paragraph 3.2" refers to

    def source_offset(self, offset: int) -> int | None:
        """The document offset of unit-text offset ``offset`` (None inside a heading)."""
        for piece in self.pieces:
            if piece.start <= offset <= piece.end:
                return None if piece.source is None else piece.source + offset - piece.start
        return None

    def piece_at(self, offset: int) -> Piece | None:
        for piece in self.pieces:
            if piece.start <= offset < piece.end:
                return piece
        return None


def flat(text: str) -> str:
    """Line breaks and tabs as spaces: same length, so offsets hold."""
    return text.replace("\n", " ").replace("\t", " ").replace("\r", " ")


def unit_texts(
    layout: Layout, clauses: tuple[ClauseNode, ...], parties: Parties
) -> list[tuple[str, UnitContext]]:
    """(text, context) for every classification unit, in document order."""
    return [_unit_text(layout, clauses, unit, parties) for unit in clauses if unit.unit]


def _unit_text(
    layout: Layout, clauses: tuple[ClauseNode, ...], unit: ClauseNode, parties: Parties
) -> tuple[str, UnitContext]:
    text = layout.text
    parts: list[str] = []
    pieces: list[Piece] = []

    def add(chunk: str, source: int | None, node: int, kind: PieceKind) -> int:
        start = sum(len(p) + 1 for p in parts)
        parts.append(flat(chunk))
        pieces.append(Piece(start, start + len(chunk), source, node, kind))
        return len(pieces) - 1

    heading = reading_heading(clauses, unit)
    if heading:
        add(heading, None, unit.index, "heading")
    stem = completed_stem(text, clauses, unit)
    if stem is not None:
        add(text[stem[0] : stem[1]], stem[0], clauses[unit.parent or 0].index, "stem")
    nodes: dict[int, UnitNode] = {}
    _collect(layout, clauses, unit, None, add, nodes)
    context = UnitContext(
        index=unit.index,
        ref=unit.ref,
        heading=heading,
        context=tuple(h for h in context_headings(clauses, unit)),
        parent_heading=clauses[unit.parent].heading if unit.parent is not None else None,
        pieces=tuple(pieces),
        nodes=nodes,
        tables=duty_table_rows(layout, unit),
        completes_stem=stem is not None,
        parties=parties,
        container=unit.container,
    )
    return " ".join(parts), context


def _collect(layout: Layout, clauses, node: ClauseNode, parent: int | None, add, nodes) -> None:
    """The node's own pieces and, recursively, its limbs'."""
    text = layout.text
    limbs = [
        c
        for c in clauses[node.index + 1 :]
        if c.start < node.span_end and c.parent == node.index and c.is_limb
    ]
    own: list[int] = []
    limb_iter = iter(limbs)
    next_limb = next(limb_iter, None)
    for a, b in node.segments:
        while next_limb is not None and next_limb.start < a:
            _collect(layout, clauses, next_limb, node.index, add, nodes)
            next_limb = next(limb_iter, None)
        for pa, pb, cell in _runs(layout, a, b):
            if text[pa:pb].strip():
                own.append(add(text[pa:pb], pa, node.index, "cell" if cell else "text"))
    while next_limb is not None:
        _collect(layout, clauses, next_limb, node.index, add, nodes)
        next_limb = next(limb_iter, None)
    nodes[node.index] = UnitNode(
        index=node.index,
        ref=node.ref,
        parent=parent,
        pieces=tuple(own),
        limbs=tuple(c.index for c in limbs),
        completed_by_children=_completed_by_children(text, clauses, node),
    )


def completed_stem(
    text: str, clauses: tuple[ClauseNode, ...], unit: ClauseNode
) -> tuple[int, int] | None:
    """The range of the parent's stem when ``unit`` is a numbered sub-clause completing it
    (``6.2 … in the following formats:`` / ``6.2.2 in their native format …``)."""
    if unit.parent is None:
        return None
    parent = clauses[unit.parent]
    if parent.kind not in ("clause", "paragraph") or not parent.segments:
        return None
    a, b = parent.segments[0]
    if text[a:b].rstrip().endswith(":") and unit.own_text(text).lstrip()[:1].islower():
        return a, b
    return None


def _completed_by_children(text: str, clauses: tuple[ClauseNode, ...], node: ClauseNode) -> bool:
    own = text[slice(*node.segments[-1])].rstrip() if node.segments else ""
    if not own.endswith(":"):
        return False
    return any(
        c.parent == node.index and not c.is_limb for c in clauses[node.index + 1 : node.index + 4]
    )


def reading_heading(clauses: tuple[ClauseNode, ...], unit: ClauseNode) -> str | None:
    """The heading a reader takes a clause to stand under: its own; else the heading of the
    run of clauses it belongs to; else that of the clause it is a sub-clause of ("16.2"
    under "16. TERM AND TERMINATION"). A schedule's or part's title is further context."""
    if unit.heading or unit.section:
        return unit.heading or unit.section
    if unit.parent is not None:
        parent = clauses[unit.parent]
        if parent.kind in ("clause", "paragraph", "article"):
            return parent.heading
    return None


def context_headings(clauses: tuple[ClauseNode, ...], unit: ClauseNode) -> list[str]:
    """Headings of the nodes above ``unit``, nearest first (empty ones included): the
    heading of the run of clauses it stands in first, where it has one."""
    out = [unit.section] if unit.section else []
    node = unit
    while node.parent is not None:
        node = clauses[node.parent]
        out.append(node.heading or "")
    return out


def _runs(layout: Layout, a: int, b: int) -> list[tuple[int, int, bool]]:
    """The document ranges of a segment as pieces: running text as one, each cell of a
    table row as one of its own (a sentence never runs from one cell into the next)."""
    out: list[tuple[int, int, bool]] = []
    start = a
    for line in layout.lines_between(a, b):
        if line.table is None or not line.cells:
            continue
        if start < line.start:
            out.append((start, min(line.start, b), False))
        out += [(max(ca, a), min(cb, b), True) for ca, cb in line.cells if ca < b and cb > a]
        start = line.end
    if start < b:
        out.append((start, b, False))
    return [(x, y, cell) for x, y, cell in out if x < y]


def duty_table_rows(layout: Layout, unit: ClauseNode) -> tuple[tuple[int, int], ...]:
    """Document ranges of the rows of tables of duties in the unit (read by
    ``pipeline.tables``, not as sentences)."""
    from pipeline.tables import duty_columns

    return tuple(
        (ln.start, ln.end)
        for ln in layout.lines_between(unit.start, unit.span_end)
        if ln.table is not None and duty_columns(layout.tables[ln.table].header) is not None
    )
