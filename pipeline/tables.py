"""Tables of duties: a table whose header names an activity and a responsible party (and
perhaps a deadline) gives one obligation per row, quoted from the activity cell
(sample_docs/gold/GUIDELINES.md §4). Other tables are read as text, cell by cell
(``pipeline.units``)."""

from __future__ import annotations

import re

from pipeline.candidates import Candidate
from pipeline.components.crossrefs import xrefs_in
from pipeline.components.deadline import find_deadline
from pipeline.components.parties import aliases_in, roles_in
from pipeline.components.stems import beneficiary_in
from pipeline.rules import decisions
from pipeline.types import ClauseNode, Layout, Line, Parties
from pipeline.units import UnitContext

# Header words of the columns of a table of duties.
_ACTIVITY = re.compile(
    r"activit|milestone|task|deliverable|obligation|action|description|step", re.I
)
_PARTY = re.compile(r"responsib|party|owner|by whom|lead|who", re.I)
_DEADLINE = re.compile(r"deadline|timing|date|due|timescale|when|by when|time", re.I)


def duty_columns(header: tuple[str, ...]) -> tuple[int, int, int | None] | None:
    """(activity, party, deadline) column indices, or None for a table that is not one of
    duties (service levels, prices)."""
    activity = party = deadline = None
    for i, h in enumerate(header):
        h = h or ""
        if party is None and _PARTY.search(h):
            party = i
        elif deadline is None and _DEADLINE.search(h):
            deadline = i
        elif activity is None and _ACTIVITY.search(h):
            activity = i
    if activity is None or party is None:
        return None
    return activity, party, deadline


def table_candidates(
    layout: Layout, clauses: tuple[ClauseNode, ...], unit: ClauseNode, context: UnitContext
) -> list[Candidate]:
    """One candidate per row of each table of duties held by the unit itself (not by a
    numbered sub-clause of it)."""
    out = []
    rows = set(context.tables)
    for line in layout.lines_between(unit.start, unit.span_end):
        if (line.start, line.end) not in rows or not line.cells:
            continue
        owner = _deepest_holder(clauses, unit, line.start)
        if owner is not None and not owner.is_limb and owner.index != unit.index:
            continue
        candidate = _row(layout, line, unit, context.parties)
        if candidate is not None:
            out.append(candidate)
    return out


def _row(layout: Layout, line: Line, unit: ClauseNode, parties: Parties | None) -> Candidate | None:
    text = layout.text
    header = layout.tables[line.table].header if line.table is not None else ()
    cols = duty_columns(header)
    cells = [text[a:b].strip() for a, b in line.cells]
    if cols is None or tuple(cells) == tuple(h.strip() for h in header) or len(cells) <= cols[0]:
        return None
    activity = cells[cols[0]]
    if not activity or len(activity.split()) < 2:
        return None
    party_cell = cells[cols[1]] if cols[1] < len(cells) else ""
    deadline_cell = cells[cols[2]] if cols[2] is not None and cols[2] < len(cells) else ""
    obligor, how = _party(party_cell, parties)
    deadline = find_deadline(_doc(deadline_cell, parties)[:]) if deadline_cell else None
    words = _doc(activity, parties, unit.container)[:]
    row = decisions()["TABLE_ROW"]
    a, b = line.cells[cols[0]]
    return Candidate(
        ref=unit.ref,
        node=unit.index,
        start=a,
        end=b,
        text=" ".join(activity.split()),
        modality="obligation",
        obligor=obligor,
        beneficiary=beneficiary_in(words, obligor),
        action=" ".join(activity.split()),
        trigger=None,
        deadline=deadline,
        rules={
            "modality": (row.id,),
            "obligor": (decisions()[how].id,),
            "deadline": (deadline.rule, row.id) if deadline else (),
        },
        flags=("table_row",) + (("obligor_unresolved",) if obligor is None else ()),
        confidence=(row.confidence or 0.8)
        if obligor
        else (decisions()["TABLE_UNRESOLVED"].confidence or 0.5),
        source="table_row",
        boxes_range=(line.start, line.end),
        xrefs=xrefs_in(words),
    )


def _party(cell: str, parties: Parties | None) -> tuple[str | None, str]:
    if not cell:
        return None, "TABLE_UNRESOLVED"
    doc = _doc(cell, parties)
    aliases = aliases_in(doc[:])
    if aliases:
        return aliases[0].label_, "TABLE_PARTY"
    roles = roles_in(doc[:], loose=True)
    if len(set(roles)) >= 2:
        return "Both Parties", "TABLE_JOINT"
    if roles:
        return roles[0], "TABLE_PARTY"
    for role in parties.roles if parties else ():
        if role.lower() in cell.lower():
            return role, "TABLE_PARTY"
    return None, "TABLE_UNRESOLVED"


def _doc(text: str, parties: Parties | None, container: str | None = None):
    from pipeline.analyse import analyse_text

    return analyse_text(text, parties, container)


def _deepest_holder(
    clauses: tuple[ClauseNode, ...], unit: ClauseNode, offset: int
) -> ClauseNode | None:
    best = None
    for c in clauses[unit.index :]:
        if c.start > offset:
            break
        if c.start <= offset < c.span_end:
            best = c
    return best
