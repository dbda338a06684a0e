"""Does an extraction look like a contract read properly? Flags for the document as a whole.

A contract's text is cut into numbered clauses and paragraphs (units); a document with pages
of text and (almost) no units was not understood — a text layer in reading order the parser
could not follow, a contract without any numbering — and its obligations, if any, are
unreliable. Such a document is still stored, with the flag ``low_structure`` on it and on
its obligations, so that the summary, ``obligations status`` and the review app say so
instead of passing it off as read.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.types import Extraction

# Below this much text a contract may well be one short unit (a letter, a notice).
MIN_TEXT_CHARS = 2_000
# The 48 real contracts and samples measured (issue 12) have at most ~3,300 characters of
# text per unit; more than twice that means the structure was not found.
MAX_CHARS_PER_UNIT = 8_000


def structure_flags(extraction: Extraction) -> tuple[str, ...]:
    n_chars = len(extraction.layout.text)
    if n_chars < MIN_TEXT_CHARS:
        return ()
    units = sum(1 for clause in extraction.clauses if clause.unit)
    if units == 0 or n_chars / units > MAX_CHARS_PER_UNIT:
        return ("low_structure",)
    return ()


def flag_obligations(extraction: Extraction, flags: tuple[str, ...]) -> Extraction:
    """The document's flags on each of its obligations too (the review app shows those)."""
    if not flags:
        return extraction
    obligations = tuple(
        replace(ob, flags=(*ob.flags, *(f for f in flags if f not in ob.flags)))
        for ob in extraction.obligations
    )
    return replace(extraction, obligations=obligations)


# --- what a reviewer should look at twice (issue 10) ---------------------------------------

# A unit running over more pages than this was probably not cut where the contract is.
MAX_UNIT_PAGES = 2
# Numbering that jumps by more than this (1 → 4) lost the clauses in between.
MAX_NUMBER_STEP = 2
# A unit with this many "X means …" is a definitions clause: pages of it are right.
DEFINITIONS_MEANS = 5
# At most this many refs are named per kind of flag; the rest are counted.
MAX_REFS_NAMED = 3
_CATEGORY_HEADING = re.compile(
    r"\b(?:terminat\w*|exit|expiry|handover|hand-over|transition(?![- ]in\b)\w*|disengage\w*|"
    r"(?:return|deletion|destruction|migration) of (?:\w+ )?data)\b",
    re.I,
)


def review_flags(extraction: Extraction) -> tuple[str, ...]:
    """Flags naming where the structure or the classification looks wrong, so that a reviewer
    checks those clauses against the PDF: ``long_unit:5.4`` (a unit over more than two
    pages), ``numbering_gap:1→4`` (a jump in the clause numbers), ``heading_unclassified:12``
    (a heading about termination, exit or data return with no clause of ours under it)."""
    clauses = extraction.clauses
    text = extraction.layout.text
    long_units = [
        c.ref
        for c in clauses
        if c.unit
        and c.page_end - c.page_start + 1 > MAX_UNIT_PAGES
        and c.own_text(text).count(" means ") < DEFINITIONS_MEANS  # definitions run long
    ]
    return (
        *_named("long_unit", long_units),
        *_named("numbering_gap", _numbering_gaps(clauses) + _absorbed_numbers(extraction)),
        *_named("heading_unclassified", _unclassified_headings(extraction)),
    )


def _named(kind: str, refs: list[str]) -> list[str]:
    out = [f"{kind}:{ref}" for ref in refs[:MAX_REFS_NAMED]]
    if len(refs) > MAX_REFS_NAMED:
        out.append(f"{kind}:+{len(refs) - MAX_REFS_NAMED} more")
    return out


def _numbering_gaps(clauses) -> list[str]:
    last: dict[tuple[int | None, int], tuple[str, int]] = {}  # (parent, depth) → (label, n)
    gaps = []
    for c in clauses:
        if c.kind != "clause" or not c.label:
            continue
        digits = re.match(r"\d+", c.label.split(".")[-1] or c.label.rstrip(".").split(".")[-1])
        if digits is None:
            continue
        n = int(digits.group())
        key = (c.parent, c.depth)
        if key in last and n - last[key][1] > MAX_NUMBER_STEP:
            gaps.append(f"{last[key][0]}→{c.ref}")
        last[key] = (c.ref, n)
    return gaps


# A clause number starting a line or a sentence inside a unit ("4. CHARGES", "7.2 The
# Supplier"): the parser refused it (it did not follow), so the clause was read into the unit.
_CLAUSE_START = re.compile(r"(?:\n|(?<=[.;:] ))(\d{1,2}\.(?:\d{1,2}\.?)*)\s+[A-Z]")


def _absorbed_numbers(extraction: Extraction) -> list[str]:
    """Units holding a later clause's number: a number lower than the unit's own is a cross
    reference wrapped onto a new line ("under Section\n7.4 Customer …"), not a lost clause."""
    text = extraction.layout.text
    out = []
    for c in extraction.clauses:
        own_number = tuple(int(n) for n in re.findall(r"\d+", c.label or ""))
        if not c.unit or not own_number:
            continue
        for m in _CLAUSE_START.finditer(c.own_text(text)):
            number = tuple(int(n) for n in re.findall(r"\d+", m.group(1)))
            if number > own_number:
                out.append(f"{c.ref}→{m.group(1).rstrip('.')}")
                break
    return out


def _unclassified_headings(extraction: Extraction) -> list[str]:
    clauses = extraction.clauses
    classified = {c.clause for c in extraction.classifications if c.categories}
    covered: set[int] = set()
    for index in classified:  # every ancestor of a classified unit has a clause of ours
        node: int | None = index
        while node is not None and node not in covered:
            covered.add(node)
            node = clauses[node].parent
    return [
        c.ref
        for c in clauses
        if c.heading and _CATEGORY_HEADING.search(c.heading) and c.index not in covered
    ]


def flag_summary(flags: list[str] | tuple[str, ...]) -> str:
    """Flags in a table cell: each kind once, with how many places it names
    ("long_unit ×4, numbering_gap ×2, ocr")."""
    counts: dict[str, int] = {}
    for flag in flags:
        kind, _, where = flag.partition(":")
        places = int(where[1:].split()[0]) if where.startswith("+") else (1 if where else 0)
        counts[kind] = counts.get(kind, 0) + places
    return ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in counts.items())
