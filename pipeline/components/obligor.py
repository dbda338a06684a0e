"""Who must (or may) act (``contract_obligor``): fills ``duty.obligor`` with the rule that
decided it, tells passives (``shall be returned``) and finds their agent (``by the
Supplier``).

The subject of a modal verb is the last comma-separated piece before it that does not open
with a subordinator ("If the Supplier fails …, the Council may" → "the Council"). It names a
party by an alias (``either Party`` → ``Each Party``; ``Neither Party`` also makes the duty
a prohibition), by a role or name at its head, by two parties joined by "and" (both act),
or by a pronoun (the party named last before it). With no comma after an introductory
phrase ("On termination the Supplier shall"), the party right before the modal verb is the
subject. A subject that is no party and not passive (``This Agreement shall continue``)
binds no one: ``duty.bound`` is False.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.components.parties import alias_forbids, aliases_in, mentions, roles_in
from pipeline.rules import decisions, load_rules

_SPLIT = {",", ";", ":"}
_LEAD_WORDS = {"the", "each", "either", "both", "and"}
_PASSIVE_OPENERS = {"be", "been", "not", "only", "promptly", "also"}


@Language.factory("contract_obligor", assigns=["span._.duty"])
def make_obligor(nlp: Language, name: str) -> Obligors:
    return Obligors()


class Obligors:
    def __call__(self, doc: Doc) -> Doc:
        previous: dict[tuple[int, int], str | None] = {}
        for span in doc.spans.get("duty", []):
            duty = span._.duty
            last = previous.get(duty.sentence)
            resolve_duty(span, last)
            if duty.obligor:
                previous[duty.sentence] = duty.obligor
        return doc


def resolve_duty(span: Span, previous: str | None = None) -> None:
    """Fill in the duty's obligor, passive flag and whether it binds a party at all."""
    doc, duty = span.doc, span._.duty
    m_start, m_end = duty.modal
    subject = subject_of(doc[span.start : m_start])
    found = resolve_subject(subject, doc[duty.sentence[0] : m_start], previous)
    duty.obligor, duty.obligor_rule, forbids = found
    if forbids:
        duty.modality, duty.modality_rule = "prohibition", _id("NEITHER_FORBIDS")
    rest = doc[m_end : span.end]
    duty.passive = is_passive(rest)
    if duty.obligor is not None:
        return
    if not duty.passive:
        duty.bound = False  # "This Agreement shall continue …": not a party's duty
        return
    who = agent(rest)
    if who is None and any(n.label_ == "subject" for n in _negatives(subject)):
        duty.bound = False  # "This Agreement may be terminated in accordance with …"
        return
    if who is not None:
        duty.obligor, duty.obligor_rule = who, _id("PASSIVE_AGENT")
    else:
        duty.obligor_rule = _id("PASSIVE_NO_AGENT")
        duty.flags.append("obligor_unresolved")


def subject_of(before: Span) -> Span:
    """The subject of a modal verb, from the words before it in its clause."""
    doc = before.doc
    pieces: list[tuple[int, int]] = []
    start = before.start
    for i in range(before.start, before.end):
        if doc[i].text in _SPLIT:
            pieces.append((start, i))
            start = i + 1
    pieces.append((start, before.end))
    for a, b in reversed(pieces):
        words = [t for t in doc[a:b] if _is_word(t)]
        if not words:
            continue
        while len(words) > 1 and words[0].lower_ in _word_class("joiner"):
            words = words[1:]
        if words[0].lower_ in _word_class("subordinator"):
            continue
        return doc[words[0].i : b]
    return doc[before.end : before.end]


def resolve_subject(
    subject: Span, before: Span, previous: str | None = None
) -> tuple[str | None, str | None, bool]:
    """(obligor, rule id, whether the subject forbids: "Neither Party")."""
    for alias in aliases_in(subject):
        if alias_forbids(alias):
            return alias.label_, alias.id_, True
    for label in ("Each Party", "Both Parties"):
        found = next((a for a in aliases_in(subject) if a.label_ == label), None)
        if found is not None:
            return found.label_, found.id_, False
    heads = head_roles(subject)
    joined = any(t.lower_ == "and" for t in subject)
    if (len(set(heads)) >= 2 and joined) or (_joint_names(subject) and roles_in(subject)):
        return "Both Parties", _id("JOINT_SUBJECT"), False
    if heads:
        return heads[0], _id("SUBJECT_ROLE"), False
    words = [t for t in subject if _is_word(t)]
    if not words:
        return _after_intro(before)
    if words[0].lower_ in _word_class("pronoun") and len(words) <= 2:
        earlier = roles_in(before.doc[before.start : subject.start])
        if earlier:
            return earlier[-1], _id("PRONOUN"), False
        if previous:
            return previous, _id("PRONOUN"), False
        return None, _id("PRONOUN_UNRESOLVED"), False
    return None, None, False


def head_roles(subject: Span) -> list[str]:
    """Parties at the head of a subject ("The Supplier and its Sub-contractors", "Bank of
    America"); none in "all rights granted to the Customer". A party counts when it starts
    within the subject's first two words after its articles, or is joined to one by
    "and" / "or"."""
    found = mentions(subject)
    if not found:
        return []
    doc = subject.doc
    i = subject.start
    while i < subject.end and doc[i].lower_ in _LEAD_WORDS:
        i += 1
    limit = i + 1 if i + 1 < subject.end else i
    heads = [(pos, role) for pos, role in found if pos <= limit]
    if not heads:
        return []
    first, role = heads[0]
    out = [role]
    for pos, other in found:
        if pos > first and other not in out and _joined(doc[first:pos]):
            out.append(other)
    return out


def _joined(between: Span) -> bool:
    """Only words from one party to the next, the last of them "and"/"or" (+ "the")."""
    words = [t.lower_ for t in between]
    if any(not (t.is_alpha or t.text in ("’s", "'s", "-")) for t in between):
        return False
    while words and words[-1] == "the":
        words.pop()
    return bool(words) and words[-1] in ("and", "or")


def _joint_names(subject: Span) -> bool:
    """ "BE and Operator": two capitalised names joined by "and", nothing else."""
    words = [t for t in subject if not t.is_space]
    if len(words) < 3:
        return False
    ands = [k for k, t in enumerate(words) if t.lower_ == "and"]
    if len(ands) != 1 or ands[0] in (0, len(words) - 1):
        return False
    return all(
        t.lower_ in ("and", "the") or t.text[:1].isupper() or t.text in (".", "&", "-")
        for t in words
    )


def _after_intro(before: Span) -> tuple[str | None, str | None, bool]:
    doc = before.doc
    tail = doc[max(before.start, before.end - 8) : before.end]
    found = mentions(tail)
    if not found:
        return None, None, False
    pos, role = found[-1]
    rest = [t for t in doc[pos : before.end] if _is_word(t)]
    if len(rest) <= len(role.split()) + 1:
        return role, _id("SUBJECT_AFTER_INTRO"), False
    return None, None, False


def is_passive(rest: Span) -> bool:
    """ "shall be returned", "shall not be disclosed" (not "shall be entitled to")."""
    words = [t.lower_ for t in rest if _is_word(t) and t.idx - rest.start_char < 80]
    if not words or words[0] not in _PASSIVE_OPENERS or "be" not in words:
        return False
    i = words.index("be")
    for word in words[i + 1 : i + 4]:
        if word.endswith("ed") or word in _word_class("participle"):
            return word not in _word_class("not_passive")
    return False


def agent(rest: Span) -> str | None:
    """The party after "by" in a passive: "shall be returned by the Supplier"."""
    doc = rest.doc
    for token in rest:
        if token.lower_ != "by":
            continue
        near = doc[token.i : min(rest.end, token.i + 6)]
        if any(a.label_ == "Each Party" for a in aliases_in(near)):
            return "Each Party"
        roles = roles_in(doc[token.i : min(rest.end, token.i + 8)])
        if roles:
            return roles[0]
    return None


def _negatives(span: Span) -> list[Span]:
    return [n for n in span.doc.spans.get("negative", []) if span.start <= n.start < span.end]


def _is_word(token) -> bool:
    return not (token.is_punct or token.is_space)


def _id(key: str) -> str:
    return decisions()[key].id


@lru_cache(maxsize=8)
def _word_class(kind: str) -> frozenset[str]:
    return frozenset(w for r in load_rules("grammar") if r.kind == kind for w in r.phrases)
