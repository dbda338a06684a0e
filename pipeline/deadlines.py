"""Text → the deadline it states, normalised: ISO-8601 duration, business-day flag, relation,
anchor event, or an absolute date, an immediacy ("forthwith") or a recurrence ("monthly").

The vocabulary (units, the words that lead into or follow a period, immediacy and recurrence
phrases, the words that make a period something other than a deadline) lives in
``rules/deadlines.jsonl``; each deadline records the id of the rule that produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from pipeline.rules import load_rules
from pipeline.types import Deadline

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUM_WORD = "|".join(sorted((w for w in _NUMBER_WORDS if len(w) > 2), key=len, reverse=True))
_NUMBER = rf"(?:\d{{1,4}}|(?:{_NUM_WORD})(?:[\s-]+(?:and\s+)?(?:{_NUM_WORD}))*|an?)"
_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
]
_MONTH = "|".join(m.capitalize() for m in _MONTHS)
_DATE_PATTERNS = (
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?(?P<m>{_MONTH}),?\s+(?P<y>\d{{4}})\b"),
    re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"),
    re.compile(r"\b(?P<d>\d{1,2})/(?P<mn>\d{1,2})/(?P<y>\d{4})\b"),
)
# A deadline's anchor ends at punctuation or where the sentence moves on.
_ANCHOR_STOP = re.compile(
    r"[,;:()\[\]]|\.(?:\s|$)|\s(?:shall|will|may|must|in accordance|provided|unless|save|"
    r"subject to|whichever|which|that|in which|including|setting out|in order|so that|"
    r"together with|and the|and shall|and will|and any|in respect|pursuant|or such|"
    r"to the extent|where|if|as set out|as specified|for the purposes)\b"
)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an|any|such|its|their|this|that)\s+", re.I)
# "by" an event needs a head word that names a time, so that "by the Supplier" is not a deadline.
_EVENT_HEAD = re.compile(
    r"\b(date|day|expiry|expiration|termination|end|commencement|exit|deadline|period|term|"
    r"completion|handover|cut-?over|go-?live|transfer|start|renewal|anniversary|effective)\b",
    re.I,
)


@dataclass(frozen=True)
class _Vocabulary:
    duration: re.Pattern
    units: dict[str, dict]
    leads: list[tuple[re.Pattern, dict]]
    tails: list[tuple[re.Pattern, dict]]
    notice: re.Pattern
    notice_rule: dict
    exclude: re.Pattern
    immediacy: list[tuple[re.Pattern, dict]]
    recurrence: list[tuple[re.Pattern, dict]]
    by: re.Pattern
    by_rule: dict


def _alternation(phrases: list[str]) -> str:
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


@cache
def _vocabulary() -> _Vocabulary:
    rules = load_rules("deadlines")
    by_kind: dict[str, list[dict]] = {}
    for rule in rules:
        by_kind.setdefault(rule["kind"], []).append(rule)
    units = {p: r for r in by_kind["unit"] for p in r["phrases"]}
    unit_alt = _alternation(list(units))
    duration = re.compile(
        rf"\b(?P<num>{_NUMBER})(?:\s*\((?P<paren>\d{{1,4}})\))?[\s-]*"
        rf"(?P<unit>{unit_alt})\b(?P<poss>['’]s?|s['’])?",
        re.I,
    )

    def compiled(kind: str, suffix: str = "") -> list[tuple[re.Pattern, dict]]:
        return [
            (re.compile(rf"(?:{_alternation(r['phrases'])}){suffix}", re.I), r)
            for r in by_kind.get(kind, [])
        ]

    notice_rule = by_kind["notice"][0]
    by_rule = by_kind["by"][0]
    return _Vocabulary(
        duration=duration,
        units={k.lower(): v for k, v in units.items()},
        leads=[(re.compile(rf"\b(?:{_alternation(r['phrases'])})\s*$", re.I), r)
               for r in by_kind["lead"]],
        tails=[(re.compile(rf"^\s*(?:{_alternation(r['phrases'])})\b", re.I), r)
               for r in by_kind["tail"]],
        notice=re.compile(rf"^\s*(?:{_alternation(notice_rule['phrases'])})\b", re.I),
        notice_rule=notice_rule,
        exclude=re.compile(
            rf"\b(?:{_alternation(by_kind['exclude'][0]['phrases'])})\s*$", re.I
        ),
        immediacy=compiled("immediacy", r"\b"),
        recurrence=compiled("recurrence", r"\b"),
        by=re.compile(rf"\b(?:{_alternation(by_rule['phrases'])})\s+", re.I),
        by_rule=by_rule,
    )


def find_deadline(text: str) -> Deadline | None:
    """The deadline ``text`` states, or None. Periods come first, then dates and events,
    then immediacy, then recurrences."""
    if _EFFECT_NOW.search(text):  # "terminate with immediate effect if … within 30 days"
        found = _immediacy(text)
    else:
        found = _period(text) or _recurrence(text) or _date_or_event(text) or _immediacy(text)
    if found is None:
        return None
    # The words as a reader sees them: one space where the PDF broke a line.
    return replace(
        found,
        text=" ".join(found.text.split()),
        anchor=" ".join(found.anchor.split()) if found.anchor else None,
    )


# A termination "with immediate effect" takes effect at once: a cure period in the same
# sentence is a condition of the right, not its deadline.
_EFFECT_NOW = re.compile(r"\bwith\s+immediate\s+effect\b|\bforthwith\b", re.I)
# "extend the Term by up to three years", "renew for further periods of twelve months":
# the length of an extension, not a time limit.
_EXTENSION_LENGTH = re.compile(
    r"\b(?:extend|renew|continue)\w*\b[^.;]{0,60}?\b(?:by|for)\b"
    r"(?![^.;]*\b(?:within|later|before|notice|prior)\b)[^.;]{0,45}$",
    re.I,
)
# "up to forty (40) days of knowledge transfer": an amount of something, not a time limit.
_QUANTITY_OF = re.compile(
    r"\s+of\s+(?!the\b|receipt|service|any\b|an?\b|its\b|each\b|such\b|notice|written|being|"
    r"completion|delivery|expiry|expiration|termination|request|their\b|that\b|this\b|becoming|"
    r"[A-Z])[a-z]"
)
_EVERY_N = re.compile(
    r"\bevery\s+(?P<num>[a-z]+|\d+)(?:\s+\((?P<paren>\d+)\))?\s+(?P<unit>day|week|month|year)s?\b",
    re.I,
)


def parse_number(words: str) -> int | None:
    """``thirty`` → 30, ``one hundred and twenty`` → 120, ``30`` → 30."""
    words = words.strip().lower()
    if words.isdigit():
        return int(words)
    total, current = 0, 0
    for token in re.split(r"[\s-]+", words):
        if token == "and":
            continue
        if token not in _NUMBER_WORDS:
            return None
        value = _NUMBER_WORDS[token]
        if value == 100:
            current = max(current, 1) * 100
        else:
            current += value
    return total + current or None


def _period(text: str) -> Deadline | None:
    vocab = _vocabulary()
    for m in vocab.duration.finditer(text):
        n = int(m.group("paren")) if m.group("paren") else parse_number(m.group("num"))
        if not n:
            continue
        unit = vocab.units[re.sub(r"\s+", " ", m.group("unit").lower())]
        before = text[max(0, m.start() - 60) : m.start()]
        if _EXTENSION_LENGTH.search(before) or _QUANTITY_OF.match(text[m.end() :]):
            continue
        lead = next(((p, r) for p, r in vocab.leads if p.search(before)), None)
        if lead is None and vocab.exclude.search(before):
            continue
        start = m.start() - (len(before) - lead[0].search(before).start()) if lead else m.start()
        after = text[m.end() :]
        relation = lead[1]["relation"] if lead else None
        rule_ids = [unit["id"]] + ([lead[1]["id"]] if lead else [])
        end = m.end()
        anchor = None
        if m.group("poss") and (notice := vocab.notice.match(after)):
            relation = relation or vocab.notice_rule["relation"]
            if relation == "within":
                relation = "at_least" if "not less" in before.lower() else relation
            rule_ids.append(vocab.notice_rule["id"])
            end = m.end() + notice.end()
            # "at least 30 days' written notice before the end of the Exit Period"
            rest = text[end:]
            before_rule = next(
                (r for p, r in vocab.tails if r["relation"] == "before" and p.match(
                    re.sub(r"^\s*(?:to\s+the\s+\w+(?:\s+Party)?|in\s+writing)?", "", rest))),
                None,
            )
            if before_rule is not None:
                stripped = re.sub(r"^\s*(?:to\s+the\s+\w+(?:\s+Party)?|in\s+writing)?", "", rest)
                tail_match = next(p.match(stripped) for p, r in vocab.tails if r is before_rule)
                skip = len(rest) - len(stripped) + tail_match.end()
                anchor, anchor_end = _anchor(text, end + skip)
                if anchor:
                    relation, end = "before", anchor_end
                    rule_ids.append(before_rule["id"])
        elif tail := next(((p.match(after), r) for p, r in vocab.tails if p.match(after)), None):
            tail_match, tail_rule = tail
            if tail_rule["relation"] == "before" or relation is None:
                relation = tail_rule["relation"]
            rule_ids.append(tail_rule["id"])
            anchor, end = _anchor(text, m.end() + tail_match.end())
            end = end if anchor else m.end()
        if relation is None:
            relation = "within"
        amount = n * unit.get("multiplier", 1)
        return Deadline(
            text=text[start:end].strip(),
            duration=f"P{amount}{unit['unit']}",
            business_days=bool(unit["business_days"]),
            relation=relation,
            anchor=anchor,
            rule=",".join(rule_ids),
        )
    return None


def _anchor(text: str, start: int) -> tuple[str | None, int]:
    """The event a period counts from or to, starting at ``start``: (anchor, end offset)."""
    while start < len(text) and text[start].isspace():
        start += 1
    rest = text[start:]
    stop = _ANCHOR_STOP.search(rest)
    words = list(re.finditer(r"\S+", rest[: stop.start()] if stop else rest))[:10]
    if not words:
        return None, start
    raw = text[start : start + words[-1].end()].rstrip(" .")
    anchor = _LEADING_ARTICLE.sub("", " ".join(raw.split()))
    return (anchor or None), start + len(raw)


def _date_or_event(text: str) -> Deadline | None:
    vocab = _vocabulary()
    for cue in vocab.by.finditer(text):
        after = text[cue.end() :]
        for pattern in _DATE_PATTERNS:
            if dm := pattern.match(after):
                iso = _iso_date(dm)
                if iso:
                    return Deadline(
                        text=text[cue.start() : cue.end() + dm.end()],
                        duration=None,
                        business_days=False,
                        relation="by",
                        anchor=None,
                        date=iso,
                        rule=vocab.by_rule["id"] + ".date",
                    )
        anchor, end = _anchor(text, cue.end())
        if anchor and _EVENT_HEAD.search(anchor) and (
            anchor[:1].isupper() or _EVENT_START.match(anchor)
        ):
            return Deadline(
                text=text[cue.start() : end],
                duration=None,
                business_days=False,
                relation="by",
                anchor=anchor,
                rule=vocab.by_rule["id"] + ".event",
            )
    return None


_EVENT_START = re.compile(r"(expiry|expiration|termination|the end|end|completion)\b", re.I)


def _iso_date(m: re.Match) -> str | None:
    try:
        month = int(m.group("mn")) if "mn" in m.groupdict() else _MONTHS.index(
            m.group("m").lower()
        ) + 1
        return date(int(m.group("y")), month, int(m.group("d"))).isoformat()
    except ValueError:
        return None


def _immediacy(text: str) -> Deadline | None:
    for pattern, rule in _vocabulary().immediacy:
        if m := pattern.search(text):
            anchor = None
            end = m.end()
            if follow := re.match(r"\s+(?:on|upon|following|after)\s+", text[m.end() :]):
                anchor, anchor_end = _anchor(text, m.end() + follow.end())
                end = anchor_end if anchor else end
            return Deadline(
                text=text[m.start() : end],
                duration=None,
                business_days=False,
                relation=rule["relation"],
                anchor=anchor,
                rule=rule["id"],
            )
    return None


def _recurrence(text: str) -> Deadline | None:
    if m := _EVERY_N.search(text):
        n = int(m.group("paren")) if m.group("paren") else parse_number(m.group("num"))
        if n:
            return Deadline(
                text=m.group(0),
                duration=f"P{n}{m.group('unit')[0].upper()}",
                business_days=False,
                relation="every",
                anchor=None,
                rule="dl.every.n",
            )
    for pattern, rule in _vocabulary().recurrence:
        if m := pattern.search(text):
            return Deadline(
                text=m.group(0),
                duration=rule["duration"],
                business_days=False,
                relation="every",
                anchor=None,
                rule=rule["id"],
            )
    return None
