"""The event or condition that starts a duty (``contract_trigger``): ``duty.trigger`` and the
rule that found it.

The ``trigger_ruler`` marks where a trigger may begin (``triggers.jsonl``: "on termination",
"upon receipt of", "if the Supplier fails"); the trigger runs from there to the next comma,
colon or semicolon, or to the modal verb. The first clause of a sentence looks before its
modal verb first ("On termination of this Agreement, the Supplier shall …"), then in its
clause; a later clause looks in its own words only.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.components.parties import subjects_of_modals
from pipeline.rules import load_rules

_ENDS = {",", ";", ":"}
_MODALS = {"shall", "must", "may", "will"}
_MAX_CHARS = 150
_SHOWN = 160


@Language.factory("contract_trigger", assigns=["span._.duty"])
def make_trigger(nlp: Language, name: str) -> Triggers:
    return Triggers()


class Triggers:
    def __call__(self, doc: Doc) -> Doc:
        for span in doc.spans.get("duty", []):
            duty = span._.duty
            found: tuple[str | None, str | None] = (None, None)
            if duty.first:
                found = find_trigger(doc[duty.sentence[0] : duty.modal[0]])
            if found[0] is None:
                found = find_trigger(span)
            duty.trigger, duty.trigger_rule = found
        return doc


def find_trigger(window: Span) -> tuple[str | None, str | None]:
    """(trigger text, rule id) of the earliest trigger in ``window``, or (None, None)."""
    doc = window.doc
    first_word = next((t.i for t in window if not t.is_space), window.start)
    cues = [
        s
        for s in doc.spans.get("trigger_words", [])
        if window.start <= s.start
        and s.end <= window.end
        and (s.label_ != "lead_only" or s.start == first_word)
    ]
    if not cues:
        return None, None
    order = _order()
    cue = min(cues, key=lambda s: (s.start, order.get(s.id_, 0)))
    # The subject of the duty's own modal verb ends a trigger read up to it ("Following a
    # Change of Law the Supplier shall"); a modal inside the condition does not.
    subjects = {s for s, modal in subjects_of_modals(doc).items() if modal >= window.end}
    end = next(
        (
            t.i
            for t in doc[cue.start : window.end]
            if t.text in _ENDS or (t.i > cue.start and (t.lower_ in _MODALS or t.i in subjects))
        ),
        None,
    )
    if end is not None and end <= cue.end and cue.label_ == "lead_only":
        return None, None  # "Where" and nothing else: no event was named
    if end is not None:
        text = doc[cue.start : end].text
    else:
        text = doc[cue.start : window.end].text[:_MAX_CHARS]
    text = text.strip().rstrip(".").strip()
    text = " ".join(text.split())
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 3].rsplit(" ", 1)[0] + "…"
    return (text or None), cue.id_


@lru_cache(maxsize=1)
def _order() -> dict[str, int]:
    return {r.id: k for k, r in enumerate(load_rules("triggers"))}
