"""What a stem passes on to its limbs, and how an obligation's words are tidied.

A stem is the sentence that introduces limbs (``The Supplier shall: (a) …; (b) …``, or the
parent's ``31.1 The Council may terminate … if:`` for numbered sub-clauses): its first modal
verb gives the modality, its subject the obligor, and its deadline and trigger are inherited
by limbs that state none of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span

from pipeline.components.deadline import find_deadline
from pipeline.components.modality import modals_in
from pipeline.components.obligor import agent, is_passive, resolve_subject, subject_of
from pipeline.components.parties import roles_in
from pipeline.components.trigger import find_trigger
from pipeline.rules import decisions
from pipeline.types import Deadline

_INSERTED = re.compile(r",[^,]{3,120},\s*(?=[a-z])")
_TRAILING_JOIN = re.compile(r"(?:;|,)?\s*(?:and|or)$")
_MAX_ACTION = 400


@dataclass(frozen=True)
class Stem:
    modality: str | None = None
    modality_rule: str | None = None
    obligor: str | None = None
    obligor_rule: str | None = None
    deadline: Deadline | None = None
    trigger: str | None = None
    trigger_rule: str | None = None
    flags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # what the stem is about: its limbs are too


NO_STEM = Stem()


def categories_in(span: Span) -> tuple[str, ...]:
    """The categories of the sentences ``span`` overlaps."""
    found: set[str] = set()
    for sentence in span.doc.spans.get("sentence", []):
        if sentence.start < span.end and span.start < sentence.end:
            found.update(sentence._.categories)
    return tuple(c for c in ("exit", "data_return", "termination") if c in found)


def stem_of(span: Span) -> Stem:
    """The modality, obligor, deadline and trigger a sentence passes on (its first modal)."""
    modals = modals_in(span)
    if not modals:
        return NO_STEM
    doc, modal = span.doc, modals[0]
    before = doc[span.start : modal.start]
    obligor, obligor_rule, forbids = resolve_subject(subject_of(before), before)
    modality, modality_rule = modal.label_, modal.id_
    if forbids:
        modality, modality_rule = "prohibition", decisions()["NEITHER_FORBIDS"].id
    flags: tuple[str, ...] = ()
    if obligor is None:
        rest = doc[modal.end : span.end]
        if not is_passive(rest):
            return NO_STEM  # "The Termination Payment shall be the sum of:" states, not binds
        obligor = agent(rest)
        if obligor is not None:
            obligor_rule = decisions()["PASSIVE_AGENT"].id
        else:
            flags = ("obligor_unresolved",)
    trigger, trigger_rule = find_trigger(span)
    return Stem(
        modality,
        modality_rule,
        obligor,
        obligor_rule,
        find_deadline(span),
        trigger,
        trigger_rule,
        flags,
        categories_in(span),
    )


def clean_action(text: str) -> str:
    """An action as a reviewer reads it: one line, no inserted phrase before the verb
    ("shall, within 20 Working Days after the Termination Date, return …" → "return …"; the
    deadline and trigger fields carry what was cut), no dangling "and" / "or"."""
    text = " ".join(text.split())
    if text.startswith(",") and (m := _INSERTED.match(text)):
        text = text[m.end() :]
    text = text.strip(" ;,:")
    text = _TRAILING_JOIN.sub("", text).strip(" ;,")
    if len(text) > _MAX_ACTION:
        text = text[: _MAX_ACTION - 3].rsplit(" ", 1)[0] + "…"
    return text


def beneficiary_in(span: Span, obligor: str | None) -> str | None:
    """The first party named in the action other than the obligor."""
    return next((role for role in roles_in(span) if role != obligor), None)


def topic_factor(scores: dict[str, float], categories: tuple[str, ...]) -> tuple[float, str | None]:
    """How far the clause's words say it is about the obligation's categories, as a factor on
    the confidence and the decision that set it (``TOPIC_MODERATE``, ``TOPIC_WEAK``): the
    smallest threshold the best score is below wins."""
    best = max((scores.get(c, 0.0) for c in categories), default=0.0)
    topic = [d for d in decisions().values() if d.below is not None and best < d.below]
    if not scores or not topic:
        return 1.0, None
    decision = min(topic, key=lambda d: d.below or 0.0)
    return decision.confidence or 1.0, decision.id


def confidence_of(obligor: str | None, obligor_rule: str | None) -> float:
    """The confidence an obligation starts from: that of the decision that found its party
    (``decisions.jsonl``); a party named by an alias counts as a subject."""
    by_id = {d.id: d for d in decisions().values()}
    decision = by_id.get(obligor_rule or "")
    if decision is not None and decision.confidence is not None:
        return decision.confidence
    key = "SUBJECT_ROLE" if obligor else "PASSIVE_NO_AGENT"
    return decisions()[key].confidence or 0.0
