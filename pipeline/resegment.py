"""Where to cut a text line that is far too long to be a line of a page.

Some PDFs carry their whole text layer, or a page of it, as one line (converters that write
one text object per page, some OCR layers). Read as it is, the contract is one paragraph: no
clause number stands at a line start, so the structure finds one clause and no obligations.
This fallback cuts such a line into sentence-sized pieces: before a clause number or a
heading that follows the end of a sentence, and after sentences once a piece is long enough.
Pure: word texts in, ``(start, end)`` word ranges out; the caller keeps every word's box.
"""

from __future__ import annotations

import re

# A line longer than the page is wide (with some slack for tight kerning), or with more
# characters than any printed line holds, is not a line of the page.
WIDTH_SLACK = 1.05
MAX_LINE_CHARS = 400
# Pieces are cut after a sentence end once they are at least this long.
PIECE_CHARS = 120

_CLAUSE_NUMBER = re.compile(
    r"^(?:\d{1,3}(?:\.\d{1,3})*\.?|\([a-z]{1,2}\)|\([ivxl]{1,6}\)|\(\d{1,2}\)|[A-Z]\.)$"
)
_NUMBER_CUE = re.compile(r"^(?:clause|section|article|schedule|part|annex|appendix)$", re.I)
_SENTENCE_END = re.compile(r"[.;:]['\"\u2019\u201d)]?$")


def is_too_long(texts: list[str], width: float, page_width: float) -> bool:
    n_chars = sum(len(t) for t in texts) + len(texts) - 1
    return n_chars > MAX_LINE_CHARS or width > page_width * WIDTH_SLACK


def split_long_line(texts: list[str], width: float, page_width: float) -> list[tuple[int, int]]:
    """Word ranges to cut a line into; ``[(0, len(texts))]`` when it reads as a line."""
    if len(texts) < 2 or not is_too_long(texts, width, page_width):
        return [(0, len(texts))]
    cuts = [0]
    length = 0
    for i in range(1, len(texts)):
        length += len(texts[i - 1]) + 1
        if _starts_unit(texts, i) or (length >= PIECE_CHARS and _ends_sentence(texts, i)):
            cuts.append(i)
            length = 0
    cuts.append(len(texts))
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _ends_sentence(texts: list[str], i: int) -> bool:
    """Word ``i`` starts a new sentence: the previous word ends one and this one is
    capitalised or a number."""
    return bool(_SENTENCE_END.search(texts[i - 1])) and (
        texts[i][:1].isupper() or texts[i][:1].isdigit() or texts[i][:1] == "("
    )


def _starts_unit(texts: list[str], i: int) -> bool:
    """Word ``i`` is a clause number or a numbering cue ("Schedule 2") after a sentence end,
    or a clause number after a heading in capitals ("DEFINITIONS 1.1 In this…")."""
    word = texts[i]
    numbered = bool(_CLAUSE_NUMBER.match(word)) or (
        bool(_NUMBER_CUE.match(word)) and i + 1 < len(texts) and texts[i + 1][:1].isdigit()
    )
    if not numbered:
        return False
    before = texts[i - 1]
    if _NUMBER_CUE.match(before):
        return False  # "see Clause 12.3": a cross-reference, not a clause start
    return bool(_SENTENCE_END.search(before)) or (before.isupper() and len(before) > 2)
