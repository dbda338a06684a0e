"""Where the contract's parties are named (``contract_parties``): ``doc.spans["party"]``,
each span labelled with the party's role.

A party is named by its role (``Supplier``), its name (``Cloudlight Software Ltd``) or its
role in capitals. A role word followed by another capitalised word (``Council Data``,
``Supplier Personnel``) or preceded by one (``Replacement Supplier``) names something else,
unless the word before is a determiner (``Each Supplier``; ``grammar.jsonl``). Aliases
(``either Party``, ``the Parties``) come from the ``party_ruler`` (``doc.spans["party_alias"]``).
Without a contract around the text (``nlp("…")`` in a notebook), the generic role words of
``parties.jsonl`` stand in for the parties.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

import pipeline.extensions  # noqa: F401
from pipeline.rules import load_rules
from pipeline.rules.schema import PartyAlias, PartyWords

_MATCHES = "contract_parties.matches"  # doc.user_data key: every raw match, strict or not


@Language.factory("contract_parties", assigns=["doc.spans"])
def make_parties(nlp: Language, name: str) -> PartyMentions:
    return PartyMentions()


class PartyMentions:
    def __call__(self, doc: Doc) -> Doc:
        raw = _raw_mentions(doc)
        doc.user_data[_MATCHES] = raw
        doc.spans["party"] = [
            Span(doc, start, end, label=role)
            for start, end, role in raw
            if _strict(doc, start, end)
        ]
        return doc


def mentions(span: Span, loose: bool = False) -> list[tuple[int, str]]:
    """(token index, role) of every party named inside ``span``, in order. ``loose``: also
    where another capitalised word stands before the role (a table cell)."""
    return [(start, role) for start, _, role in mention_spans(span, loose)]


def mention_spans(span: Span, loose: bool = False) -> list[tuple[int, int, str]]:
    """(start token, end token, role) of every party named inside ``span``, in order."""
    doc = span.doc
    raw = doc.user_data.get(_MATCHES)
    if raw is None:
        raw = _raw_mentions(doc)
    return sorted(
        (start, end, role)
        for start, end, role in raw
        if span.start <= start and end <= span.end and (loose or _strict(doc, start, end))
    )


def roles_in(span: Span, loose: bool = False) -> list[str]:
    return [role for _, role in mentions(span, loose)]


def aliases_in(span: Span) -> list[Span]:
    """The party aliases (``either Party``) inside ``span``, each labelled with its role."""
    return [a for a in span.doc.spans.get("party_alias", []) if span.start <= a.start < span.end]


def subjects_of_modals(doc: Doc) -> dict[int, int]:
    """Where a party named right before a modal verb starts ("… after the Termination Date
    **the Supplier** shall"), mapped to where that modal verb starts: an event or a
    condition read up to the modal verb ends there."""
    modal_starts = {m.start for m in doc.spans.get("modal", [])}
    named = [(s, e) for s, e, _ in doc.user_data.get(_MATCHES) or _raw_mentions(doc)]
    named += [(a.start, a.end) for a in doc.spans.get("party_alias", [])]
    out = {}
    for start, end in named:
        if end in modal_starts:
            out[start - 1 if start > 0 and doc[start - 1].lower_ == "the" else start] = end
    return out


def alias_forbids(alias: Span) -> bool:
    """Whether an alias makes its duty a prohibition ("Neither Party shall")."""
    return _alias_modality().get(alias.id_) == "prohibition"


@lru_cache(maxsize=1)
def _alias_modality() -> dict[str, str | None]:
    return {r.id: r.modality for r in load_rules("parties") if isinstance(r, PartyAlias)}


def _raw_mentions(doc: Doc) -> list[tuple[int, int, str]]:
    unit = doc._.unit
    parties = unit.parties.parties if unit is not None and unit.parties else None
    if parties:
        names = tuple((p.role, p.name) for p in parties)
    else:  # no contract around the text: the usual role words stand for the parties
        names = tuple((word, word) for word in _role_words())
    matcher = _matcher(doc.vocab, names)
    found = [(s, e, doc.vocab.strings[m]) for m, s, e in matcher(doc)]
    # A longer name wins over a role inside it ("Supplier" in "Cloudlight Supplier Ltd").
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    out: list[tuple[int, int, str]] = []
    for start, end, role in found:
        if out and start < out[-1][1]:
            continue
        if _bounded(doc, start, end):
            out.append((start, end, role))
    return out


@lru_cache(maxsize=64)
def _matcher(vocab: Vocab, names: tuple[tuple[str, str], ...]) -> PhraseMatcher:
    from pipeline.nlp import get_nlp

    nlp = get_nlp()
    matcher = PhraseMatcher(vocab, attr="ORTH")
    for role, name in names:
        variants = {v for v in (role, name, role.upper()) if v}
        matcher.add(role, [nlp.make_doc(v) for v in variants])
    return matcher


def _bounded(doc: Doc, start: int, end: int) -> bool:
    """Not part of a hyphenated word, and not followed by another capitalised word."""
    if start > 0 and doc[start - 1].text in ("-", "–") and not doc[start - 1].whitespace_:
        return False
    if end < len(doc):
        after = doc[end]
        if after.text in ("-", "–") and not doc[end - 1].whitespace_:
            return False
        if doc[end - 1].whitespace_ and after.text[:1].isupper() and after.text[1:2].islower():
            return False
    return True


def _strict(doc: Doc, start: int, end: int) -> bool:
    if start == 0 or doc[start].is_sent_start:
        return True  # the word before belongs to another sentence or to the heading
    before = doc[start - 1]
    word = before.text
    if not word[:1].isupper() or not word.replace("-", "").replace("’", "").isalnum():
        return True
    return word.lower() in _determiners()


@lru_cache(maxsize=1)
def _role_words() -> tuple[str, ...]:
    return tuple(
        w
        for r in load_rules("parties")
        if isinstance(r, PartyWords) and r.kind == "role_words"
        for w in r.phrases
    )


@lru_cache(maxsize=1)
def _determiners() -> frozenset[str]:
    return frozenset(w for r in load_rules("grammar") if r.kind == "determiner" for w in r.phrases)
