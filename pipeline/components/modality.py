"""Modal verbs and the clauses they govern (``contract_modality``): ``doc.spans["duty"]``.

The ``modal_ruler`` finds the modal phrases of ``modality.jsonl`` (longest first at each
position: "shall not be entitled to" over "shall"). Here each sentence is split into
independent modal clauses: a later modal verb opens a new clause when a new subject stands
between it and the previous one (``…, and the Council shall …``); ``…, and shall …`` goes
on with the same subject. Each clause becomes a span with ``span._.duty`` (a ``Duty``:
modality and the modal rule, filled in further by the obligor, deadline and trigger
components).
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.candidates import Duty
from pipeline.rules import load_rules

_CUT_WORDS = {"and", "but", "or", "whereupon", "unless"}
_CUT_PUNCT = {",", ";"}
# A subject opens with one of these (or their longer forms: "its", "their") or a capital.
_SUBJECT_OPENERS = ("the", "each", "either", "neither", "both", "any", "all", "such", "it", "they")
_CONDITIONS = {"if", "where", "unless", "when"}
_MAX_SUBJECT_WORDS = 8


@Language.factory("contract_modality", assigns=["doc.spans"])
def make_modality(nlp: Language, name: str) -> ModalClauses:
    return ModalClauses()


class ModalClauses:
    def __call__(self, doc: Doc) -> Doc:
        modals = [m for m in doc.spans.get("modal", []) if not _false_modal(doc, m)]
        doc.spans["modal"] = modals
        duties: list[Span] = []
        if doc._.unit is not None and not doc._.categories:
            doc.spans["duty"] = duties  # a unit in none of our categories yields nothing
            return doc
        for sentence in doc.spans.get("sentence", []):
            if sentence._.sentence_kind == "heading":
                continue
            inside = [m for m in modals if sentence.start <= m.start and m.end <= sentence.end]
            duties += modal_clauses(sentence, inside)
        doc.spans["duty"] = duties
        return doc


def modals_in(span: Span) -> list[Span]:
    return [
        m for m in span.doc.spans.get("modal", []) if span.start <= m.start and m.end <= span.end
    ]


def modal_clauses(sentence: Span, modals: list[Span]) -> list[Span]:
    """One span per independent modal clause of ``sentence``, each with its ``Duty``."""
    doc = sentence.doc
    groups: list[list] = []  # [modal, start, end]
    for modal in modals:
        if groups:
            prev = groups[-1][0]
            cut = _clause_cut(doc, prev.end, modal.start)
            if cut is None:
                continue
            groups[-1][2] = cut
            groups.append([modal, cut, sentence.end])
        else:
            groups.append([modal, sentence.start, sentence.end])
    out = []
    for k, (modal, start, end) in enumerate(groups):
        span = doc[start:end]
        span._.duty = Duty(
            sentence=(sentence.start, sentence.end),
            start=start,
            end=end,
            modal=(modal.start, modal.end),
            modality=modal.label_,
            modality_rule=modal.id_,
            first=k == 0,
        )
        out.append(span)
    return out


def _clause_cut(doc: Doc, start: int, end: int) -> int | None:
    """Where a new clause with its own subject starts between two modal verbs (the cut
    token: the leftmost comma, semicolon or conjunction after which a subject runs to the
    second modal verb), or None when the second modal verb shares the first's subject."""
    for i in range(start, end):
        if doc[i].text not in _CUT_PUNCT and doc[i].lower_ not in _CUT_WORDS:
            continue
        subject = doc[_after_condition(doc, i + 1, end) : end]
        if _opens_clause(subject):
            return i
    return None


def _after_condition(doc: Doc, i: int, end: int) -> int:
    """Past a condition between the cut and the subject: "…, and if X, the Council shall"."""
    if i < end and doc[i].lower_ in _CONDITIONS:
        comma = next((j for j in range(i, end) if doc[j].text == ","), None)
        if comma is not None:
            return comma + 1
    return i


def _opens_clause(subject: Span) -> bool:
    words = [t for t in subject if not t.is_punct and not t.is_space]
    if not words or len(words) > _MAX_SUBJECT_WORDS or len(subject.text) > 60:
        return False
    if any(t.text in (",", ";") for t in subject):
        return False
    first = words[0]
    if first.lower_ in _subordinators():
        return False
    return first.lower_.startswith(_SUBJECT_OPENERS) or first.text[:1].isupper()


def _false_modal(doc: Doc, modal: Span) -> bool:
    """ "May 2027", "12 May": the month; "at will", "goodwill": not a modal verb."""
    first = doc[modal.start]
    if first.text == "May" and (
        (modal.start + 1 < len(doc) and doc[modal.start + 1].like_num)
        or (modal.start > 0 and doc[modal.start - 1].like_num)
    ):
        return True
    return (
        first.lower_ == "will"
        and modal.start > 0
        and doc[modal.start - 1].lower_ in ("at", "goodwill")
    )


@lru_cache(maxsize=1)
def _subordinators() -> frozenset[str]:
    return frozenset(
        w for r in load_rules("grammar") if r.kind == "subordinator" for w in r.phrases
    )
