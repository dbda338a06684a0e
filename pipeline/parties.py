"""``Layout`` + clause tree → the parties (name and the role the contract gives each), the
defined terms, the contract type (JV or supplier) and the counterparty.

Parties come from the front matter: a name followed by a role in quotes, as in
``Cloudlight Software Ltd … ("the Supplier")`` or ``IMPCO Technologies Inc. (hereinafter
referred to as 'IMPCO')``. Definitions come from ``"Exit Date" means …`` anywhere, and from
inline ``(the "Exit Period")``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pipeline.rules import decisions, load_rules
from pipeline.rules.schema import PartyWords
from pipeline.types import ClauseNode, Definition, Layout, Parties, Party

_Q_OPEN = "“\"‘'`"
_Q_CLOSE = "”\"’'`"
# ("the Supplier") / (the "Provider") / (hereinafter referred to as 'IMPCO') / ("Kubient")
_ROLE = re.compile(
    rf"\(\s*(?:hereinafter\s+(?:referred\s+to\s+as\s+|called\s+|the\s+)?|each\s+(?:a|an)\s+|"
    rf"together\s+|individually\s+)?(?:the\s+)?[{_Q_OPEN}]\s*(?:the\s+)?"
    rf"(?P<term>[A-Z][\w&.\- ]{{0,40}}?)\s*[{_Q_CLOSE}]",
)
_DEFINITION = re.compile(
    rf"[{_Q_OPEN}]\s*(?P<term>[A-Z0-9][^{_Q_CLOSE}\n]{{0,60}}?)\s*[{_Q_CLOSE}]\s*"
    r"(?P<verb>means|shall mean|mean|has the meaning|shall have the meaning|have the meaning|"
    r"includes|shall include|refers to|is defined)\b"
)
_INLINE_DEFINITION = re.compile(
    rf"\(\s*(?:the\s+|each\s+(?:a|an)\s+|an?\s+)?[{_Q_OPEN}]\s*(?P<term>[A-Z][^{_Q_CLOSE}\n]{{0,50}}?)"
    rf"\s*[{_Q_CLOSE}]\s*\)"
)
_NAME_CUT = re.compile(
    r",|\s(?:a|an)\s+(?:company|corporation|limited|local|public|private|body|statutory|"
    r"[A-Z][a-z]+\s+(?:corporation|company|limited))\b|\swhose\s|\sof\s+\d|\s\(company|"
    r"\sincorporated\s|\swith\s+(?:its\s+)?(?:offices|principal|registered)|\shaving\s|\sacting\s|"
    r"\s(?:registered|located)\s",
    re.I,
)
_NAME_START = re.compile(
    r"(?:\(\d\)|\b[Bb]etween:?|\bBETWEEN:?|\bAND\b|\band\b|\bby\s+and\s+between\b|;|:|\)\.?\s*\n)\s*"
)
_NOT_PARTY_TERMS = {
    "agreement",
    "contract",
    "effective date",
    "party",
    "parties",
    "services",
    "service",
    "commencement date",
    "deed",
    "order",
    "call-off contract",
    "framework agreement",
    "order form",
    "term",
    "terms",
    "schedule",
    "exhibit",
    "the agreement",
}
_ORG_HINT = re.compile(
    r"\b(Council|Ltd|Limited|plc|PLC|Inc|LLC|LLP|Corp|Corporation|Company|GmbH|S\.A\.|"
    r"Authority|Trust|Partnership|Holdings|Services|Group|University|Borough|County)\b\.?"
)


def find_parties(layout: Layout, clauses: tuple[ClauseNode, ...]) -> Parties:
    text = layout.text
    front_end = _front_end(clauses, len(text))
    front = text[:front_end]
    parties = _parties(front)
    vocab = _vocabulary()
    evidence: list[str] = []
    if not parties:
        parties = _fallback_parties(text, vocab)
        if parties:
            evidence.append(decisions()["PARTIES_ROLE_WORDS"].id)
    else:
        evidence.append(decisions()["PARTIES_FRONT_MATTER"].id)
    definitions_found = find_definitions(layout)
    discovered = _frequent_subjects(text, parties, definitions_found)
    if discovered:
        parties = parties + discovered
        evidence.append(decisions()["PARTIES_FREQUENT_SUBJECTS"].id)
    customer = _customer_role(parties, vocab)
    counterparty = next((p.name for p in parties if p.role != customer), None)
    contract_type: Literal["jv", "supplier"] = "jv" if _is_jv(layout, front, vocab) else "supplier"
    evidence.append(decisions()[f"CONTRACT_TYPE_{contract_type.upper()}"].id)
    # A party's role is defined by the front page: say so, rather than quoting the preamble.
    by_role = {p.role.lower(): p for p in parties}
    definitions = tuple(
        Definition(
            term=d.term,
            text=f"“{d.term}” is {by_role[d.term.lower()].name}, a party to this contract.",
            start=d.start,
            end=d.end,
            page=d.page,
        )
        if d.term.lower() in by_role and by_role[d.term.lower()].name != d.term
        else d
        for d in definitions_found
    )
    return Parties(
        parties=tuple(parties),
        definitions=definitions,
        contract_type=contract_type,
        counterparty=counterparty,
        customer_role=customer,
        evidence=tuple(evidence),
    )


def find_definitions(layout: Layout) -> tuple[Definition, ...]:
    """Defined terms with their definitions, the first definition of each term winning."""
    text = layout.text
    found: dict[str, Definition] = {}
    matches = list(_DEFINITION.finditer(text))
    for i, m in enumerate(matches):
        term = " ".join(m.group("term").split())
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        end = min(end, m.start() + 900, _paragraph_end(text, m.end()))
        if term.lower() not in found:
            found[term.lower()] = Definition(
                term=term,
                text=" ".join(text[m.start() : end].split()),
                start=m.start(),
                end=end,
                page=layout.page_at(m.start()),
            )
    for m in _INLINE_DEFINITION.finditer(text):
        term = " ".join(m.group("term").split())
        if term.lower() in found or term.lower() in _NOT_PARTY_TERMS or len(term) < 2:
            continue
        start = max(text.rfind(". ", 0, m.start()) + 2, text.rfind("\n", 0, m.start() - 200), 0)
        end = text.find(". ", m.end())
        end = len(text) if end < 0 else end + 1
        found[term.lower()] = Definition(
            term=term,
            text=" ".join(text[start : min(end, start + 500)].split()),
            start=m.start(),
            end=m.end(),
            page=layout.page_at(m.start()),
        )
    return tuple(sorted(found.values(), key=lambda d: d.start))


def terms_used(text: str, definitions: tuple[Definition, ...]) -> tuple[str, ...]:
    """The defined terms that occur in ``text`` (case-sensitive, whole words)."""
    return tuple(
        term
        for term, pattern in _term_patterns(tuple(d.term for d in definitions))
        if term in text and pattern.search(text)  # the substring test spares most regexes
    )


@lru_cache(maxsize=32)
def _term_patterns(terms: tuple[str, ...]) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple(
        (t, re.compile(rf"(?<![\w-]){re.escape(t)}(?![\w-])")) for t in terms if len(t) > 1
    )


# --- helpers ----------------------------------------------------------------------------------


def _vocabulary() -> dict[str, list[str]]:
    return {r.kind: r.phrases for r in load_rules("parties") if isinstance(r, PartyWords)}


def _front_end(clauses: tuple[ClauseNode, ...], default: int) -> int:
    for c in clauses:
        if c.kind in ("clause", "article", "paragraph"):
            return c.start
    return min(default, 6000)


def _paragraph_end(text: str, start: int) -> int:
    # A definition runs to the end of its paragraph: a line ending a sentence.
    m = re.search(r"[.;]\n", text[start:])
    return start + m.end() if m else len(text)


def _parties(front: str) -> list[Party]:
    parties: list[Party] = []
    seen_roles: set[str] = set()
    for m in _ROLE.finditer(front):
        role = " ".join(m.group("term").split()).strip(" .")
        if role.isupper() and len(role) > 4:  # ("SPARKLING") is written "Sparkling" later on
            role = role.title()
        if role.lower() in _NOT_PARTY_TERMS or role in seen_roles:
            continue
        name = _name_before(front, m.start())
        if not name or any(p.name == name for p in parties):
            continue
        seen_roles.add(role)
        parties.append(Party(name=name, role=role, start=m.start()))
    return parties


def _name_before(front: str, end: int) -> str | None:
    window = front[max(0, end - 900) : end]
    numbered = list(re.finditer(r"\(\d\)\s", window))  # "(2) NAME LTD, a company …"
    if numbered:
        chunk = window[numbered[-1].end() :]
    else:
        window = window[-400:]
        starts = list(_NAME_START.finditer(window))
        chunk = window[starts[-1].end() :] if starts else window
    # The chunk may hold "Kubient Inc., with offices … NY 10001": the name is its first part.
    chunk = " ".join(chunk.split())
    cut = _NAME_CUT.search(chunk)
    name = chunk[: cut.start()] if cut else chunk
    name = name.strip(" ,.;:-–")
    if name.split()[:1] and name.split()[0].isupper() and len(name.split()[0]) > 1:
        lower = re.search(r"\s[a-z]", name)  # "BIRCHESTER CITY COUNCIL of the Council House"
        if lower:
            name = name[: lower.start()].strip(" ,")
    name = re.sub(r"^(?:THIS\s+\w+.*?\s(?:BETWEEN|between)\s+)", "", name)
    if not name or len(name) > 120:
        return None
    if not (_ORG_HINT.search(name) or name.isupper() or _title_case(name)):
        return None
    if name.isupper():  # "CLOUDLIGHT SOFTWARE LTD" → "Cloudlight Software Ltd"
        name = " ".join(
            w if w in ("PLC", "LLP", "LLC", "UK", "NHS", "IT") else w.capitalize()
            for w in name.split()
        )
    if name.endswith((" Inc", " Corp", " Co")):
        name += "."
    return name


def _title_case(name: str) -> bool:
    words = name.split()
    small = {"of", "and", "&", "the", "for"}
    return 0 < len(words) <= 8 and all(w[:1].isupper() or w.lower() in small for w in words)


def _fallback_parties(text: str, vocab: dict[str, list[str]]) -> list[Party]:
    counts = []
    for role in vocab["role_words"]:
        n = len(re.findall(rf"\bthe {re.escape(role)}\b(?!\s+[A-Z])", text))
        if n >= 3:
            counts.append((n, role))
    return [Party(name=role, role=role) for _, role in sorted(counts, reverse=True)[:3]]


# "Microsoft may terminate", "SFJ shall deliver": a name that is the subject of many modal
# verbs is a party, even where the front page does not define it the way we recognise.
_SUBJECT = re.compile(
    r"(?:^|[.;:]\s+|,\s+|\band\s+|\bthen\s+|\n)(?:(?:\d+(?:\.\d+)*\.?|\(?[a-zA-Z0-9]{1,3}\))\s+)?"
    r"(?i:(?:the|each|any|either|every)\s+)?"
    r"(?P<name>[A-Z][\w&.'’-]*(?:\s+(?:of\s+)?[A-Z][\w&.'’-]*){0,2})"
    r"\s+(?:shall|will|may|must|agrees|undertakes|hereby)\b"
)
_NOT_A_PARTY = {
    "this",
    "the",
    "such",
    "each",
    "either",
    "neither",
    "any",
    "all",
    "no",
    "it",
    "they",
    "he",
    "she",
    "we",
    "you",
    "agreement",
    "contract",
    "party",
    "parties",
    "term",
    "notice",
    "services",
    "service",
    "section",
    "clause",
    "schedule",
    "article",
    "exhibit",
    "annex",
    "appendix",
    "nothing",
    "none",
    "if",
    "where",
    "when",
    "upon",
    "in",
    "on",
    "for",
    "termination",
    "payment",
    "payments",
    "fees",
    "charges",
    "license",
    "licence",
    "licenses",
    "company's",
}


def _frequent_subjects(
    text: str, parties: list[Party], definitions: tuple[Definition, ...], minimum: int = 4
) -> list[Party]:
    known = {p.role.lower() for p in parties} | {p.name.lower() for p in parties}
    defined = {d.term.lower() for d in definitions}
    counts: dict[str, int] = {}
    for m in _SUBJECT.finditer(text):
        name = " ".join(m.group("name").split()).rstrip(".")
        key = name.lower()
        first = key.split()[0]
        if first in _NOT_A_PARTY or key in known or len(name) < 2:
            continue
        counts[name] = counts.get(name, 0) + 1
    # A defined term ("Exit Plan", "Inktomi") must be the subject far more often to count:
    # parties are, defined things rarely are.
    ranked = sorted(
        (
            (n, name)
            for name, n in counts.items()
            if n >= (minimum * 2 if name.lower() in defined else minimum)
        ),
        reverse=True,
    )
    return [Party(name=name, role=name) for _, name in ranked[:4]]


def _customer_role(parties: list[Party], vocab: dict[str, list[str]]) -> str | None:
    customers = {w.lower() for w in vocab["customer_roles"]}
    for p in parties:
        if "council" in p.name.lower() or p.role.lower() in customers:
            return p.role
    return None


def _is_jv(layout: Layout, front: str, vocab: dict[str, list[str]]) -> bool:
    # The title block, not the recitals: a supplier contract may recite the council's
    # leaving its joint venture.
    title_end = re.search(r"\bPARTIES\b|\(1\)|\bBETWEEN\b|\bbetween\b", front)
    head = " ".join(
        filter(None, [layout.title or "", front[: title_end.start() if title_end else 600]])
    ).lower()
    return any(p in head for p in vocab["jv_cues"])
