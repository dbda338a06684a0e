"""The small grammar of time in contracts, over tokens: numbers written in words or digits
(``thirty (30)``), the anchor event a period counts from or to, and calendar dates. Used by
the deadline component; the words themselves come from ``deadlines.jsonl`` through the
``deadline_ruler`` (``doc.spans["deadline_words"]``, labelled by kind)."""

from __future__ import annotations

import re
from datetime import date

from spacy.tokens import Doc, Span

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DIGITS = re.compile(r"\d{1,4}")
_ANCHOR_PUNCT = {",", ";", ":", "(", ")", "[", "]"}
_ARTICLES = {"the", "a", "an", "any", "such", "its", "their", "this", "that"}
_ANCHOR_WORDS = 10
_BY_LABEL = "timewords.by_label"


def parse_number(words: str) -> int | None:
    """``thirty`` → 30, ``one hundred and twenty`` → 120, ``30`` → 30."""
    words = words.strip().lower()
    if words.isdigit():
        return int(words)
    current = 0
    for token in re.split(r"[\s-]+", words):
        if token == "and":
            continue
        if token in ("a", "an"):
            current += 1
            continue
        if token not in NUMBER_WORDS:
            return None
        value = NUMBER_WORDS[token]
        current = max(current, 1) * 100 if value == 100 else current + value
    return current or None


def words_of(doc: Doc, label: str, window: Span) -> list[Span]:
    """The deadline words of one kind inside ``window``."""
    index = doc.user_data.get(_BY_LABEL)
    if index is None:  # built once per doc: spans in a SpanGroup are made anew on each read
        index = {}
        for span in doc.spans.get("deadline_words", []):
            index.setdefault(span.label_, []).append(span)
        doc.user_data[_BY_LABEL] = index
    return [s for s in index.get(label, ()) if window.start <= s.start and s.end <= window.end]


def number_before(doc: Doc, end: int, floor: int) -> tuple[int, int] | None:
    """(start token, value) of the number ending just before token ``end``: ``30``,
    ``thirty``, ``thirty (30)``, ``one hundred and twenty``, ``a``; the bracketed figure
    wins where both are written."""
    j = end - 1
    if j >= floor and doc[j].text == "-":
        j -= 1
    paren = None
    if (
        j - 2 >= floor
        and doc[j].text == ")"
        and doc[j - 2].text == "("
        and _DIGITS.fullmatch(doc[j - 1].text)
    ):
        paren = int(doc[j - 1].text)
        j -= 3
    if j < floor:
        return (j + 1, paren) if paren else None
    if _DIGITS.fullmatch(doc[j].text):
        return j, paren or int(doc[j].text)
    start = j
    while start >= floor and (
        doc[start].lower_ in NUMBER_WORDS
        or (
            doc[start].lower_ in ("-", "and")
            and start > floor
            and doc[start - 1].lower_ in NUMBER_WORDS
        )
    ):
        start -= 1
    start += 1
    if start <= j:
        value = paren or parse_number(doc[start : j + 1].text)
        return (start, value) if value else None
    if doc[j].lower_ in ("a", "an"):
        return j, paren or 1
    return (j + 1, paren) if paren else None


def anchor_after(doc: Doc, start: int, window: Span) -> tuple[str | None, int, int]:
    """The event a period counts from or to, from token ``start``: (anchor without its
    article, end token, first token of the anchor). It ends at punctuation, at a stop
    phrase (``anchor_stop``) or after ten words."""
    from pipeline.components.parties import subjects_of_modals

    stops = {s.start for s in words_of(doc, "anchor_stop", window)} | set(subjects_of_modals(doc))
    end, words = start, 0
    while end < window.end:
        token = doc[end]
        if token.text in _ANCHOR_PUNCT or (end in stops and end > start):
            break
        if token.text == "." and (token.whitespace_ or end + 1 >= window.end):
            break
        if end == start or doc[end - 1].whitespace_:  # a new word begins
            if words == _ANCHOR_WORDS:
                break
            words += 1
        end += 1
    while end > start and doc[end - 1].text in (".", " "):
        end -= 1
    if end == start:
        return None, start, start
    first = start + 1 if doc[start].lower_ in _ARTICLES and end > start + 1 else start
    text = " ".join(doc[first:end].text.split())
    return (text or None), end, first


def iso_date(span: Span) -> str | None:
    """The ISO date of a matched calendar date: ``31 March 2027``, ``March 31, 2027``,
    ``31/03/2027``."""
    text = span.text
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        tokens = [t.text for t in span]
        month_tokens = [t for t in tokens if t.lower() in MONTHS]
        numbers = [int(re.sub(r"\D", "", t)) for t in tokens if re.match(r"\d", t)]
        if not month_tokens or len(numbers) != 2:
            return None
        month = MONTHS.index(month_tokens[0].lower()) + 1
        day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
