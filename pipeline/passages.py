"""A contract cut into passages: what the checklist and the handover comparison read.

A passage is one sentence of a clause's own text, one row of a table, or one list limb read
together with its stem (``The Council may terminate … if:`` + ``(b) the Supplier suffers an
insolvency event``), so that a ground of termination and the right it gives are seen
together. Every passage keeps the classification unit it stands in (the ref a lawyer cites,
GUIDELINES.md §2), the headings above it, its unit's categories and the stored obligations
whose text it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.exit_data import ClauseRow, ContractData, ObligationRow

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-"})
_WS = re.compile(r"\s+")
# "3.3.1provide": a clause number run into its first word, as some PDFs print it.
_NUMBER_RUN_IN = re.compile(r"(\b\d+(?:\.\d+)+)(?=[A-Za-z])")
# A sentence ends at . ! ? before a capital, a digit or an inline limb label "(c) ".
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')]*\s+(?=[\"'(]*[A-Z0-9]|\([a-z]{1,3}\)\s)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:no|nos|sec|art|co|ltd|inc|corp|plc|e\.g|i\.e|u\.s|u\.k|mr|mrs|ms|dr|st|cl|para|"
    r"paras|pp|p|vs|etc|n\.a|l\.p|approx|ref)|\b[A-Z])\.$",
    re.IGNORECASE,
)
# A parent whose text ends like this is a stem: its limbs complete its sentence.
_STEM_END = re.compile(
    r"(?:[:\-]|\b(?:if|that|to|shall|will|and|or|where|whether|which|including|event|"
    r"following|of|by|under))\s*$",
    re.IGNORECASE,
)
STEM_CHARS = 1500  # how much of a stem is read with each limb (long US sentences)
TAIL_CHARS = 300  # how much of the sentence after the limbs


@dataclass(frozen=True, slots=True)
class Passage:
    unit_ref: str  # the classification unit: what gold files and reviewers cite
    ref: str  # the finest ref: "23.4(b)"
    position: int  # the clause node's position in the document
    clause_id: int | None
    unit_id: int | None
    raw: str  # as printed (stem … limb), for people
    text: str  # normalised, for the rules
    context: str  # normalised headings of the clause, its parents and its schedule
    categories: frozenset[str]
    obligations: tuple[ObligationRow, ...]


def normalise(text: str) -> str:
    text = _NUMBER_RUN_IN.sub(r"\1 ", text.translate(_QUOTES))
    return _WS.sub(" ", text).strip().lower()


def split_sentences(text: str) -> list[str]:
    """Sentences of a clause's own text; a table's rows (cells joined by `` | ``) one each."""
    if " | " in text:
        return [row.strip() for row in text.splitlines() if row.strip()]
    out: list[str] = []
    for piece in _SENTENCE_END.split(_WS.sub(" ", text).strip()):
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        elif piece:
            out.append(piece)
    return out


def contract_to_passages(contract: ContractData) -> list[Passage]:
    by_position = {c.position: c for c in contract.clauses}
    by_clause: dict[int, list[ObligationRow]] = {}
    for ob in contract.obligations:
        if ob.clause is not None:
            by_clause.setdefault(ob.clause, []).append(ob)
    passages: list[Passage] = []
    for clause in contract.clauses:
        unit = _unit_of(clause, by_position)
        if unit is None or not clause.text.strip():
            continue
        stem, tail = _stem(clause, by_position)
        context = normalise(" / ".join(_headings(clause, by_position)))
        categories = frozenset(unit.categories) | frozenset(clause.categories)
        obligations = by_clause.get(clause.position, [])
        for i, sentence in enumerate(split_sentences(clause.text)):
            # The stem completes the first sentence only; later ones stand on their own.
            raw = f"{stem} {sentence} {tail}".strip() if stem and i == 0 else sentence
            text = normalise(raw)
            passages.append(
                Passage(
                    unit_ref=unit.ref,
                    ref=clause.ref,
                    position=clause.position,
                    clause_id=clause.id,
                    unit_id=unit.id,
                    raw=_WS.sub(" ", raw),
                    text=text,
                    context=context,
                    categories=categories
                    | {c for o in obligations if _holds(text, o) for c in o.categories},
                    obligations=tuple(o for o in obligations if _holds(text, o)),
                )
            )
    return passages


def _unit_of(clause: ClauseRow, by_position: dict[int, ClauseRow]) -> ClauseRow | None:
    """The unit holding ``clause``: itself, or the nearest unit above it."""
    node: ClauseRow | None = clause
    seen: set[int] = set()
    while node is not None and node.position not in seen:
        if node.unit:
            return node
        seen.add(node.position)
        node = by_position.get(node.parent) if node.parent is not None else None
    return None


def _stem(clause: ClauseRow, by_position: dict[int, ClauseRow]) -> tuple[str, str]:
    """The stem sentences above a limb (or a sub-clause completing its parent's sentence),
    and the parent's tail: the sentence after its limbs ("If either party: (a) …; (b) …, the
    other party may terminate"), which completes the limb's meaning too."""
    parts: list[str] = []
    tail = ""
    parent = by_position.get(clause.parent) if clause.parent is not None else None
    seen: set[int] = set()
    while parent is not None and parent.position not in seen:
        seen.add(parent.position)
        text = parent.text.strip()
        if ":" in text:  # "… for cause as follows:" even when text follows the limbs
            after = text[text.rindex(":") + 1 :].strip()
            if not parts and after:
                tail = split_sentences(after)[0][:TAIL_CHARS]
            text = text[: text.rindex(":") + 1]
        elif not _STEM_END.search(text):
            break
        if not text:
            break
        parts.insert(0, split_sentences(text)[-1][-STEM_CHARS:])
        parent = by_position.get(parent.parent) if parent.parent is not None else None
    return " ".join(parts), tail if parts else ""


def _headings(clause: ClauseRow, by_position: dict[int, ClauseRow]) -> list[str]:
    out: list[str] = []
    node: ClauseRow | None = clause
    seen: set[int] = set()
    while node is not None and node.position not in seen:
        seen.add(node.position)
        if node.heading:
            out.append(node.heading)
        if node.kind in ("schedule", "part", "article") and node.ref not in out:
            out.append(node.ref)
        node = by_position.get(node.parent) if node.parent is not None else None
    return out


def _holds(passage_text: str, obligation: ObligationRow) -> bool:
    """Whether the passage holds the obligation's sentence (or the sentence holds it)."""
    sentence = normalise(obligation.text)
    if not sentence:
        return False
    head = sentence[:60]
    return head in passage_text or passage_text[-60:] in sentence
