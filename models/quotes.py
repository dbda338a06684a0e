"""Where a reviewer's quote stands: which sentence or limb of its clause it is, and the boxes
of its words on the page.

Pure functions over text and a ``pipeline.types.Layout``; ``models.review.add_obligation``
uses them. How a clause divides into sentences and limbs is ``models.review.quotable_units``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.types import Box, Layout

_LIMB_MARK = re.compile(r"^\(\s*(?:[a-z]{1,2}|[ivx]{1,5}|\d{1,3})\s*\)\s*", re.I)
# What may end a limb besides its words: "; and", "; or", ", and", a full stop.
_LIMB_TAIL = re.compile(r"[\s;,.:]*(?:\b(?:and|or|and/or)\b)?[\s;,.:]*$", re.I)
_WORDS = re.compile(r"\w+")


def _key(text: str) -> tuple[str, ...]:
    """A quote's words, as compared: lower case, without a limb's number or closing
    conjunction, punctuation and line breaks ignored."""
    text = _LIMB_MARK.sub("", " ".join(text.split()))
    text = _LIMB_TAIL.sub("", text)
    return tuple(w.lower() for w in _WORDS.findall(text))


def match_unit(quote: str, units: Iterable[str]) -> str | None:
    """The unit (sentence or limb) the quote is, whole, else None; white space collapsed."""
    wanted = _key(quote)
    if not wanted:
        return None
    for unit in units:
        if _key(unit) == wanted:
            return " ".join(unit.split())
    return None


def locate(layout: Layout, quote: str, pages: range) -> list[Box]:
    """The boxes (one per line) of the quote's words in the document, taking the occurrence
    on ``pages`` (the clause's); empty when the words are not found there."""
    words = quote.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    for match in pattern.finditer(layout.text):
        if layout.page_at(match.start()) in pages:
            return list(layout.boxes(match.start(), match.end()))
    return []
