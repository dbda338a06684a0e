"""What a survival provision keeps alive: an exit, data or post-termination provision?

``Clause 34 (Exit Management) … shall survive`` names one by name; ``Clauses 1, 9, 15 and 16
shall survive`` by number, which is resolved against the contract's own clause tree: a
surviving clause counts when its heading (or a heading below it) reads as exit, when it or one
of its sub-clauses was classified exit or data return, or when the checklist found an exit
provision in it. CHECKLIST.md makes a *generic* survival weak; a survival that names only
provisions that are not exit ones keeps nothing of exit alive.
"""

from __future__ import annotations

import re

from pipeline.exit_data import ClauseRow, ContractData

_LABEL = r"(?:clauses?|sections?|articles?|schedules?|paragraphs?|annex(?:es)?|exhibits?)"
_NUMBER = r"(?:\d+(?:\.\d+)*|[ivxlc]+\b|[a-z]\b)(?:\([a-z0-9]+\))*"
_LIST = re.compile(
    rf"\b({_LABEL})\s+({_NUMBER}(?:\s*(?:,|and|or|to|through|-)\s*{_NUMBER})*)",
    re.IGNORECASE,
)
_TOKEN = re.compile(rf"\b{_NUMBER}|\bto\b|\bthrough\b|-", re.IGNORECASE)
_REF_LABEL = re.compile(r"^(?:section|clause|article)\s+", re.IGNORECASE)
EXIT_CATEGORIES = frozenset({"exit", "data_return"})
_SINGULAR = {"schedules": "schedule", "annexes": "annex", "exhibits": "exhibit"}


def survival_scope(
    text: str,
    unit_ref: str,
    contract: ContractData,
    exit_words: re.Pattern,
    generic_words: re.Pattern,
    exit_units: frozenset[str] = frozenset(),
) -> str:
    """What the survival sentence ``text`` (normalised) keeps alive: ``exit`` (an exit, data or
    post-termination provision, by name or by number), ``generic`` (only "provisions which by
    their nature survive") or ``specific`` (named provisions, none of them an exit one).

    ``exit_units`` are the units where the checklist found an exit provision; a surviving
    clause holding one of them counts as an exit one.
    """
    if exit_words.search(_without_survival_words(text)):
        return "exit"
    keys = referenced_keys(text) + _self_references(text, unit_ref)
    if _document_itself(text) and exit_units:
        return "exit"
    if any(_is_exit(key, contract.clauses, exit_words, exit_units) for key in keys):
        return "exit"
    if generic_words.search(text) or not (keys or _document_itself(text)):
        return "generic"
    return "specific"


def _self_references(text: str, unit_ref: str) -> list[str]:
    """``this clause`` / ``this Section`` without a number: the clause the sentence is in."""
    if not re.search(r"\bthis (?:clause|section|paragraph|article)\b(?!\s+\d)", text):
        return []
    top = _REF_LABEL.sub("", unit_ref.lower()).split(".")[0].split("(")[0]
    return [top] if top else []


def _document_itself(text: str) -> bool:
    return bool(re.search(r"\b(?:this|the) (?:schedule|annex|appendix|exhibit)\b(?!\s+\d)", text))


def _without_survival_words(text: str) -> str:
    """The sentence less the words every survival clause has ("termination or expiry")."""
    return re.sub(r"\b(?:any |the )?(?:termination|expiry|expiration)\b", " ", text)


def referenced_keys(text: str) -> list[str]:
    """``["33", "34", "schedule 8", "9.4", "9.5", …]`` for the clauses ``text`` names."""
    keys: list[str] = []
    for match in _LIST.finditer(text):
        label = match.group(1).lower()
        schedule = label.startswith(("schedule", "annex", "exhibit"))
        tokens = _TOKEN.findall(match.group(2))
        numbers: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i].lower()
            if token in ("to", "through", "-") and numbers and i + 1 < len(tokens):
                numbers.extend(_expand(numbers[-1], tokens[i + 1].lower())[1:])
                i += 2
                continue
            if token not in ("to", "through", "-"):
                numbers.append(token)
            i += 1
        prefix = _SINGULAR.get(label, label) if schedule else ""
        keys.extend(f"{prefix} {n}".strip() if schedule else n for n in numbers)
    return keys


def _expand(first: str, last: str) -> list[str]:
    """``9.4`` through ``9.8`` → 9.4 … 9.8 (same stem, numeric last part); else both ends."""
    a_stem, _, a_last = first.rpartition(".")
    b_stem, _, b_last = last.rpartition(".")
    if a_stem == b_stem and a_last.isdigit() and b_last.isdigit():
        low, high = int(a_last), int(b_last)
        if 0 <= high - low < 50:
            stem = f"{a_stem}." if a_stem else ""
            return [f"{stem}{n}" for n in range(low, high + 1)]
    return [first, last]


def _key_of(clause: ClauseRow) -> str:
    return _REF_LABEL.sub("", clause.ref.lower())


def _is_exit(
    key: str, clauses: tuple[ClauseRow, ...], exit_words: re.Pattern, exit_units: frozenset[str]
) -> bool:
    for clause in clauses:
        clause_key = _key_of(clause)
        if not (
            clause_key == key
            or clause_key.startswith(key + ".")
            or clause_key.startswith(key + "(")
            or clause_key.startswith(key + ",")
        ):
            continue
        if clause.ref in exit_units or EXIT_CATEGORIES & set(clause.categories):
            return True
        if clause.heading and exit_words.search(clause.heading.lower()):
            return True
    return False
