"""Rights stated without a party as the subject of a modal verb (``implied.jsonl``):

- a grant that outlives the contract ("the licences granted to the Customer … shall
  continue"): a right of the party it was granted to;
- a condition on which a party acts ("This Agreement renews … unless either Party gives at
  least 90 days' notice"; "notice … is given by either Party"): a right not to renew or to
  end, with its notice period.

Tried only on termination sentences that gave no other obligation.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from pipeline.components.deadline import find_deadline
from pipeline.components.parties import aliases_in, mention_spans, mentions
from pipeline.components.stems import clean_action
from pipeline.components.trigger import find_trigger
from pipeline.rules import decisions

_GRANT_REACH = 30  # tokens from the grant to "shall continue"
_NOTICE_REACH = 30  # tokens from a condition to the word "notice"


def implied_right(sentence: Span) -> tuple[Span, dict] | None:
    """(the sentence, the obligation's fields) for an implied right, or None."""
    return _continuing_grant(sentence) or _notice_condition(sentence)


def _words(doc: Doc, kind: str, span: Span) -> list[Span]:
    return [
        s
        for s in doc.spans.get("implied", [])
        if s.label_ == kind and span.start <= s.start and s.end <= span.end
    ]


def _party_at(doc: Doc, i: int, span: Span) -> tuple[str, str, int] | None:
    """(obligor, how, end token) of a party named at token ``i``: an alias, "a/one party",
    or a role (after an optional "the")."""
    for alias in aliases_in(doc[i : min(span.end, i + 5)]):
        if alias.start == i:
            how = (
                "NOTICE_CONDITION_BOTH"
                if alias.label_ == "Both Parties"
                else "NOTICE_CONDITION_EACH"
            )
            return alias.label_, how, alias.end
    if i + 1 < span.end and doc[i].lower_ in ("a", "one") and doc[i + 1].lemma_ == "party":
        return "Each Party", "NOTICE_CONDITION_EACH", i + 2
    start = i + 1 if i < span.end and doc[i].lower_ == "the" else i
    for pos, end, role in mention_spans(doc[start : min(span.end, start + 6)]):
        if pos == start:
            return role, "NOTICE_CONDITION_ROLE", end
    return None


def _continuing_grant(sentence: Span) -> tuple[Span, dict] | None:
    doc = sentence.doc
    for grant in _words(doc, "grant", sentence):
        holder = next(
            (role for pos, role in mentions(doc[grant.end : min(sentence.end, grant.end + 4)])),
            None,
        )
        verbs = [
            v
            for v in _words(doc, "grant_verb", sentence)
            if grant.end < v.start <= grant.end + _GRANT_REACH
        ]
        if holder is None or not verbs:
            continue
        action = doc[grant.start : sentence.end]
        return sentence, {
            "modality": "permission",
            "obligor": holder,
            "action_span": action,
            "action": clean_action(action.text),
            "trigger": find_trigger(sentence)[0],
            "deadline": find_deadline(sentence),
            "rules": {
                "modality": (decisions()["CONTINUING_GRANT"].id,),
                "obligor": (decisions()["GRANT_HOLDER"].id,),
            },
            "flags": ("implied_right",),
            "confidence": decisions()["CONTINUING_GRANT"].confidence or 0.6,
        }
    return None


def _notice_condition(sentence: Span) -> tuple[Span, dict] | None:
    doc = sentence.doc
    for cue in _words(doc, "condition", sentence) + _words(doc, "by", sentence):
        party = _party_at(doc, cue.end, sentence)
        if party is None:
            continue
        obligor, how, end = party
        verb_start = end
        if cue.label_ == "condition":
            verb = next(
                (v for v in _words(doc, "condition_verb", sentence) if v.start == end), None
            )
            if verb is None or not any(
                cue.start <= n.start <= cue.start + _NOTICE_REACH
                for n in _words(doc, "notice_words", sentence)
            ):
                continue
            verb_start = verb.end - 1
        else:
            verb_start = cue.start  # "notice of non-renewal is given by either Party …"
        deadline = find_deadline(doc[cue.start : sentence.end])
        action = doc[verb_start : sentence.end]
        return sentence, {
            "modality": "permission",
            "obligor": obligor,
            "action_span": action,
            "action": clean_action(action.text),
            "trigger": None,
            "deadline": deadline,
            "rules": {
                "modality": (decisions()["NOTICE_CONDITION"].id,),
                "obligor": (decisions()[how].id,),
                "deadline": (deadline.rule,) if deadline else (),
            },
            "flags": ("implied_right",),
            "confidence": decisions()["NOTICE_CONDITION"].confidence or 0.6,
        }
    return None
