"""The time a duty states, normalised (``contract_deadline``): ``duty.deadline`` — an ISO-8601
duration, a business-day flag, a relation (within, before, at least …), the anchor event,
or a calendar date, an immediacy (``forthwith``) or a recurrence (``monthly``).

A duty's deadline is looked for from its modal verb to the end of its clause first (the time
of a duty follows its verb more often than not), then in the whole clause; never in another
sentence. Within a window: a period (``within thirty (30) days after the Termination
Date``), else a recurrence, else a date or an event (``by 31 March 2027``, ``on expiry``),
else an immediacy; a termination ``with immediate effect`` is immediate whatever cure period
follows. The words are ``deadlines.jsonl``; every deadline records the ids of the rules
that made it.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.components.timewords import anchor_after, iso_date, number_before, words_of
from pipeline.rules import decisions, load_rules
from pipeline.rules.schema import DeadlineUnit
from pipeline.types import Deadline

_EXTENSION_VERBS = ("extend", "renew", "continu")
_EXTENSION_BLOCKERS = {"within", "later", "before", "notice", "prior"}
_QUANTITY_OK = {
    "the",
    "receipt",
    "service",
    "any",
    "a",
    "an",
    "its",
    "each",
    "such",
    "notice",
    "written",
    "being",
    "completion",
    "delivery",
    "expiry",
    "expiration",
    "termination",
    "request",
    "their",
    "that",
    "this",
    "becoming",
}
_POSSESSIVE = {"'", "’", "'s", "’s"}


@Language.factory("contract_deadline", assigns=["span._.duty"])
def make_deadline(nlp: Language, name: str) -> Deadlines:
    return Deadlines()


class Deadlines:
    def __call__(self, doc: Doc) -> Doc:
        for span in doc.spans.get("duty", []):
            duty = span._.duty
            duty.deadline = find_deadline(doc[duty.modal[0] : span.end]) or find_deadline(span)
        return doc


def find_deadline(window: Span) -> Deadline | None:
    """The deadline the words of ``window`` state, or None."""
    doc = window.doc
    if words_of(doc, "effect_now", window):
        found = _immediacy(window)
    else:
        found = (
            _period(window) or _recurrence(window) or _date_or_event(window) or _immediacy(window)
        )
    return found


def _units() -> dict[str, DeadlineUnit]:
    return {r.id: r for r in load_rules("deadlines") if isinstance(r, DeadlineUnit)}


def _period(window: Span) -> Deadline | None:
    doc = window.doc
    for unit_span in words_of(doc, "unit", window):
        number = number_before(doc, unit_span.start, window.start)
        if number is None:
            continue
        start, amount = number
        end = unit_span.end
        possessive = (
            end < window.end and doc[end].text in _POSSESSIVE and not doc[end - 1].whitespace_
        )
        if possessive:
            end += 1
        if _extension_length(doc, start, window) or _quantity(doc, end, window):
            continue
        lead = _ending_at(doc, "lead", start, window)
        if lead is None and _ending_at(doc, "exclude", start, window) is not None:
            continue
        unit = _units()[unit_span.id_]
        ids = [unit.id] + ([lead.id_] if lead is not None else [])
        relation = _relation(lead)
        anchor, stop = None, end
        notice = _starting_at(doc, "notice", end, window) if possessive else None
        if notice is not None:
            relation, anchor, stop = _notice(doc, notice, relation, start, window, ids)
        elif (tail := _starting_at(doc, "tail", end, window)) is not None:
            tail_relation = _relation(tail)
            if tail_relation == "before" or relation is None:
                relation = tail_relation
            ids.append(tail.id_)
            anchor, anchor_end, _ = anchor_after(doc, tail.end, window)
            stop = anchor_end if anchor else end
        begin = lead.start if lead is not None else start
        return Deadline(
            text=" ".join(doc[begin:stop].text.split()),
            duration=f"P{amount * unit.multiplier}{unit.unit}",
            business_days=unit.business_days,
            relation=relation or "within",  # type: ignore[arg-type]
            anchor=anchor,
            rule=",".join(ids),
        )
    return None


def _notice(doc: Doc, notice: Span, relation, start: int, window: Span, ids: list[str]):
    """ "30 days' written notice" (at least), "… before the end of the Exit Period"."""
    relation = relation or _relation(notice)
    if (
        relation == "within"
        and "not less" in doc[max(window.start, start - 4) : start].text.lower()
    ):
        relation = "at_least"
    ids.append(notice.id_)
    stop = notice.end
    i = _skip_addressee(doc, notice.end, window)
    tail = _starting_at(doc, "tail", i, window)
    if tail is not None and _relation(tail) == "before":
        anchor, anchor_end, _ = anchor_after(doc, tail.end, window)
        if anchor:
            ids.append(tail.id_)
            return "before", anchor, anchor_end
    return relation, None, stop


def _skip_addressee(doc: Doc, i: int, window: Span) -> int:
    """Past "to the Supplier" / "to the other Party" / "in writing" after "notice"."""
    words = [t.lower_ for t in doc[i : min(window.end, i + 4)]]
    if words[:2] == ["to", "the"] and len(words) >= 3:
        return i + (4 if words[3:4] == ["party"] else 3)
    if words[:2] == ["in", "writing"]:
        return i + 2
    return i


def _relation(span: Span | None) -> str | None:
    if span is None:
        return None
    rule = next((r for r in load_rules("deadlines") if r.id == span.id_), None)
    return getattr(rule, "relation", None)


def _ending_at(doc: Doc, label: str, token: int, window: Span) -> Span | None:
    found = [s for s in words_of(doc, label, window) if s.end == token]
    return max(found, key=len) if found else None


def _starting_at(doc: Doc, label: str, token: int, window: Span) -> Span | None:
    found = [s for s in words_of(doc, label, window) if s.start == token]
    return max(found, key=len) if found else None


def _extension_length(doc: Doc, start: int, window: Span) -> bool:
    """ "extend the Term by up to three years", "renew for further periods of twelve
    months": the length of an extension, not a time limit."""
    begin = doc[start].idx - 60
    first = start
    while first > window.start and doc[first - 1].idx >= begin:
        first -= 1
    before = list(doc[first:start])
    verbs = [t for t in before if t.lower_.startswith(_EXTENSION_VERBS)]
    if not verbs:
        return False
    for t in before:
        if t.i <= verbs[0].i or t.lower_ not in ("by", "for"):
            continue
        rest = doc[t.i + 1 : start]
        if doc[start].idx - t.idx - len(t) > 46:
            continue
        if not any(w.lower_ in _EXTENSION_BLOCKERS or w.text in (".", ";") for w in rest):
            return True
    return False


def _quantity(doc: Doc, end: int, window: Span) -> bool:
    """ "forty (40) days of knowledge transfer": an amount of something."""
    if end + 1 >= window.end or doc[end].lower_ != "of":
        return False
    word = doc[end + 1].text
    return word[:1].islower() and word.isalpha() and word not in _QUANTITY_OK


def _recurrence(window: Span) -> Deadline | None:
    doc = window.doc
    for token in window:
        if token.lower_ != "every":
            continue
        unit = next(
            (
                u
                for u in words_of(doc, "unit", window)
                if u.start > token.i + 1 and u.start <= token.i + 5
            ),
            None,
        )
        if unit is None:
            continue
        number = number_before(doc, unit.start, token.i + 1)
        if number is None or number[0] != token.i + 1:
            continue
        rule = _units()[unit.id_]
        return Deadline(
            text=doc[token.i : unit.end].text,
            duration=f"P{number[1] * rule.multiplier}{rule.unit}",
            business_days=False,
            relation="every",
            anchor=None,
            rule=decisions()["EVERY_N"].id,
        )
    for span in words_of(doc, "recurrence", window):
        rule = next(r for r in load_rules("deadlines") if r.id == span.id_)
        return Deadline(
            text=span.text,
            duration=rule.duration,
            business_days=False,
            relation="every",
            anchor=None,
            rule=rule.id,
        )
    return None


def _date_or_event(window: Span) -> Deadline | None:
    doc = window.doc
    for cue in _leftmost_longest(words_of(doc, "by", window)):
        if not doc[cue.end - 1].whitespace_ or cue.end >= window.end:
            continue
        date_span = _starting_at(doc, "date", cue.end, window)
        if date_span is not None and (iso := iso_date(date_span)):
            return Deadline(
                text=doc[cue.start : date_span.end].text,
                duration=None,
                business_days=False,
                relation="by",
                anchor=None,
                date=iso,
                rule=decisions()["BY_DATE"].id,
            )
        anchor, end, first = anchor_after(doc, cue.end, window)
        if anchor and _names_event(doc, first, end, window, anchor):
            return Deadline(
                text=" ".join(doc[cue.start : end].text.split()),
                duration=None,
                business_days=False,
                relation="by",
                anchor=anchor,
                rule=decisions()["BY_EVENT"].id,
            )
    return None


def _leftmost_longest(spans: list[Span]) -> list[Span]:
    """Cues read left to right, the longest at each place, none inside another ("at the
    end of" is one cue, not also "at")."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -len(s))):
        if not out or span.start >= out[-1].end:
            out.append(span)
    return out


def _names_event(doc: Doc, first: int, end: int, window: Span, anchor: str) -> bool:
    """An anchor that names a time: an event word in it, and a capital (a defined term) or
    an event word opening it ("on expiry", not "by the supplier")."""
    if not any(first <= s.start and s.end <= end for s in words_of(doc, "event_head", window)):
        return False
    return anchor[:1].isupper() or any(
        s.start == first for s in words_of(doc, "event_start", window)
    )


def _immediacy(window: Span) -> Deadline | None:
    doc = window.doc
    spans = words_of(doc, "immediacy", window)
    if not spans:
        return None
    span = min(spans, key=lambda s: (s.start, -len(s)))
    rule = next(r for r in load_rules("deadlines") if r.id == span.id_)
    anchor, end = None, span.end
    if end < window.end and doc[end].lower_ in ("on", "upon", "following", "after"):
        anchor, anchor_end, _ = anchor_after(doc, end + 1, window)
        end = anchor_end if anchor else end
    return Deadline(
        text=" ".join(doc[span.start : end].text.split()),
        duration=None,
        business_days=False,
        relation=rule.relation,
        anchor=anchor,
        rule=rule.id,
    )
