"""From a PDF's raw lines to the ``Layout``'s lines: running headers and footers removed,
words hyphenated across line ends joined, every character numbered from the start of the
document. Part of ``pipeline.pdf`` (the only module that opens PDFs); what this module does
is part of ``PARSER_VERSION`` there."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING

from pipeline.types import BBox, Layout, Line, PageInfo, Table, Word

if TYPE_CHECKING:
    from pipeline.pdf import _RawLine, _RawPage

# Page furniture lives in these top and bottom bands of a page (fraction of its height), and
# among the first or last few lines of the page.
FURNITURE_BAND = 0.15
FURNITURE_EDGE_LINES = 3
# A line in a band, or among a page's first or last lines, that recurs (digits ignored) on at
# least this share of pages is furniture.
FURNITURE_SHARE = 0.5
# A short line recurring anywhere on at least this share of pages is furniture too: filings
# printed from HTML put several original pages on one ("Page 10 / Dated 05/05/98 / IBM
# Confidential" in mid-page), and their footers end the text, wherever the page ends.
FURNITURE_ANYWHERE_SHARE = 0.2
FURNITURE_ANYWHERE_MIN = 4
FURNITURE_MAX_WORDS = 12
# Lone page numbers at a page's first or last line count when they run with the pages: the
# same offset from the page's own number on at least this share of pages.
PAGE_NUMBER_SHARE = 0.3
# Prefixes that keep their hyphen when a word breaks after them at a line end.
# fmt: off
COMPOUND_PREFIXES = {
    "non", "self", "cross", "third", "well", "co", "post", "pre", "ex", "multi", "end",
    "sub", "anti", "semi", "long", "short", "high", "low", "full", "part", "off", "on",
}
# fmt: on


def _look_alikes() -> dict[int, str]:
    """Code points Unicode holds to be the same character as another (canonical singletons:
    U+037E GREEK QUESTION MARK is ";", U+2126 OHM SIGN is "Ω"), and the typographic
    ligatures some fonts print ("ﬁ" in "ﬁfteen"). Some PDF producers write them; the rules
    look for ";", "fifteen"."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x10000):  # the BMP: beyond it only CJK compatibility ideographs
        if 0xD800 <= cp <= 0xDFFF:
            continue
        char = chr(cp)
        canonical = unicodedata.normalize("NFC", char)
        if canonical != char and len(canonical) == 1:
            table[cp] = canonical
    for cp in range(0xFB00, 0xFB07):  # ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ
        table[cp] = unicodedata.normalize("NFKC", chr(cp))
    return table


_LOOK_ALIKES = _look_alikes()


def canonical_text(text: str) -> str:
    """A word's text with look-alike code points read as the characters they stand for."""
    return text.translate(_LOOK_ALIKES) if not text.isascii() else text
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|p\.|pg\.?|sheet)\s*|[a-z]{1,2}\s?[-–]\s?)?(?:#|[ivxlc]+)(?:\s*(?:of|/)\s*#)?[\W_]*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")
# Lines that structure the document are never furniture, however often they recur.
_STRUCTURAL = re.compile(
    r"^[\W_]*(?:article|section|clause|schedule|annex|appendix|exhibit|attachment|part|"
    r"call-off schedule|joint schedule)\b",
    re.I,
)
_MODAL = re.compile(r"\b(?:shall|will|must|may)\b", re.I)
_CONTINUES = re.compile(r"(?:[;,:]|\b(?:and|or|the|of|to|in))$", re.I)


# --- page furniture ------------------------------------------------------------------------


def _furniture_key(text: str) -> str:
    return " ".join(_DIGITS.sub("#", text.lower()).split())


def _band(line: _RawLine, info: PageInfo, position: int, n_lines: int) -> str | None:
    if FURNITURE_EDGE_LINES <= position < n_lines - FURNITURE_EDGE_LINES:
        return None
    if line.bottom <= info.height * FURNITURE_BAND:
        return "top"
    if line.top >= info.height * (1 - FURNITURE_BAND):
        return "bottom"
    return "first lines" if position < FURNITURE_EDGE_LINES else "last lines"


def find_furniture(pages: list[_RawPage]) -> set[str]:
    """Running headers and footers: lines recurring among the first or last lines of the
    pages (or in their top or bottom band), and short lines recurring anywhere on the page."""
    if len(pages) < 2:
        return set()
    at_edges: Counter[tuple[str, str]] = Counter()
    anywhere: Counter[str] = Counter()
    for page in pages:
        n = len(page.lines)
        at_edges.update(
            {
                (band, _furniture_key(line.text))
                for i, line in enumerate(page.lines)
                if line.table is None
                and (band := _band(line, page.info, i, n))
                and (band in ("top", "bottom") or _may_recur(line))
            }
        )
        anywhere.update({_furniture_key(line.text) for line in page.lines if _may_recur(line)})
    edge_threshold = max(2, FURNITURE_SHARE * len(pages))
    anywhere_threshold = max(FURNITURE_ANYWHERE_MIN, FURNITURE_ANYWHERE_SHARE * len(pages))
    return {key for (_band_name, key), n in at_edges.items() if n >= edge_threshold} | {
        key for key, n in anywhere.items() if n >= anywhere_threshold
    }


def _may_recur(line: _RawLine) -> bool:
    """A line that may be furniture wherever it stands: short, outside tables, no duty in it,
    not a heading that structures the document, and not a bare number."""
    text = line.text.strip()
    first = next((c for c in text if c.isalnum()), "")
    return (
        line.table is None
        and 0 < len(text.split()) <= FURNITURE_MAX_WORDS
        and not _MODAL.search(text)
        and not _STRUCTURAL.match(text)
        and any(c.isalpha() for c in text)
        # a wrapped clause's last words ("the Council; and") are not a footer
        and not first.islower()
        and not _CONTINUES.search(text)
    )


def page_number_lines(pages: list[_RawPage]) -> set[tuple[int, int]]:
    """(page, line position) of lone page numbers: a page's first or last line that is a
    number ("12", "- 12 -", "Page 12 of 40") running with the pages, wherever on the page
    it stands (a filing's page ends where its text does)."""
    found: list[tuple[int, int, int]] = []  # (offset from the page's number, page, position)
    for page in pages:
        n = len(page.lines)
        for i in {0, n - 1} if n else ():
            line = page.lines[i]
            text = line.text.strip()
            value = _page_number_value(text)
            if line.table is None and value is not None:
                found.append((value - page.info.number, page.info.number, i))
    offsets = Counter(offset for offset, _, _ in found)
    threshold = max(2, PAGE_NUMBER_SHARE * len(pages))
    running = {offset for offset, n in offsets.items() if n >= threshold}
    return {(number, i) for offset, number, i in found if offset in running}


def _page_number_value(text: str) -> int | None:
    if len(text) > 24 or not _PAGE_NUMBER.match(_furniture_key(text)):
        return None
    digits = _DIGITS.findall(text)
    return int(digits[0]) if digits else None


def _is_furniture(
    line: _RawLine, page: _RawPage, furniture: set[str], position: int, numbers: set
) -> bool:
    if line.table is not None:
        return False
    if (page.info.number, position) in numbers:
        return True
    key = _furniture_key(line.text)
    in_band = _band(line, page.info, position, len(page.lines)) in ("top", "bottom")
    if key in furniture and (in_band or _may_recur(line)):
        return True
    # A lone page number at the very top or bottom of the page ("- 3 -", "Page 3 of 12").
    at_edge = position == 0 or position == len(page.lines) - 1
    return in_band and at_edge and bool(_PAGE_NUMBER.match(key)) and len(key) <= 24


# --- body lines, hyphenation and character offsets ----------------------------------------


def body_lines(
    pages: list[_RawPage], furniture: set[str]
) -> tuple[list[tuple[_RawLine, float]], list[Table]]:
    body: list[tuple[_RawLine, float]] = []
    tables: list[Table] = []
    table_base = 0
    numbers = page_number_lines(pages)
    for page in pages:
        kept = [
            line
            for i, line in enumerate(page.lines)
            if not _is_furniture(line, page, furniture, i, numbers)
        ]
        previous_bottom = None
        for line in kept:
            gap = 999.0 if previous_bottom is None else line.top - previous_bottom
            # Parts of one re-segmented line share its top: no white space between them.
            gap = max(gap, 0.0)
            previous_bottom = line.bottom
            if line.table is not None:
                line.row = page.tables[line.table].rows.index(line)
                line.table += table_base
            body.append((line, gap))
        for t in page.tables:
            tables.append(
                Table(page=page.info.number, bbox=t.bbox, header=t.header, n_rows=len(t.rows))
            )
        table_base += len(page.tables)
    return body, tables


def _vocabulary(lines: list[tuple[_RawLine, float]]) -> set[str]:
    return {w.text.lower().strip(".,;:()") for line, _ in lines for w in line.words}


def _dehyphenate(lines: list[tuple[_RawLine, float]]) -> set[int]:
    """Join words broken across line ends; return the indexes of lines that join the next."""
    vocabulary = _vocabulary(lines)
    joins = set()
    for i in range(len(lines) - 1):
        line, nxt = lines[i][0], lines[i + 1][0]
        if line.table is not None or nxt.table is not None or not line.words or not nxt.words:
            continue
        last, first = line.words[-1], nxt.words[0]
        if not (
            len(last.text) >= 3
            and last.text.endswith("-")
            and last.text[-2].isalpha()
            and first.text[:1].islower()
        ):
            continue
        prefix = last.text[:-1]
        suffix = re.match(r"[\w'-]+", first.text)
        suffix_text = suffix.group(0) if suffix else first.text
        joined = (prefix + suffix_text).lower()
        hyphened = f"{prefix}-{suffix_text}".lower()
        keep = hyphened in vocabulary or (
            joined not in vocabulary and prefix.lower().split("-")[-1] in COMPOUND_PREFIXES
        )
        if not keep:
            last.text = prefix
        joins.add(i)
    return joins


def number_lines(
    lines: list[tuple[_RawLine, float]],
    tables: list[Table],
    infos: tuple[PageInfo, ...],
    furniture: set[str],
    title: str | None,
) -> Layout:
    joins = _dehyphenate(lines)
    parts: list[str] = []
    out: list[Line] = []
    pos = 0
    for i in range(len(lines)):
        raw, gap = lines[i]
        lines[i] = None  # type: ignore[call-overload]  # let the raw words go as we go
        line = _line(raw, gap, pos)
        out.append(line)
        parts.append(line.text)
        sep = "" if i in joins else "\n"
        parts.append(sep)
        pos = line.end + len(sep)
    return Layout(
        text="".join(parts),
        lines=tuple(out),
        pages=infos,
        tables=tuple(tables),
        furniture=tuple(sorted(furniture)),
        title=title,
    )


def _line(raw: _RawLine, gap: float, pos: int) -> Line:
    """One body line, its words numbered from ``pos``; table cells joined by " | "."""
    words: list[Word] = []
    cells: list[tuple[int, int]] = []
    breaks = set(raw.cell_breaks)
    line_start = cell_start = pos
    pieces: list[str] = []
    for j, w in enumerate(raw.words):
        if j:
            sep = " | " if j in breaks else " "
            if j in breaks:
                cells.append((cell_start, pos))
            pieces.append(sep)
            pos += len(sep)
            if j in breaks:
                cell_start = pos
        words.append(Word(w.text, pos, pos + len(w.text), raw.page, w.bbox, w.bold))
        pieces.append(w.text)
        pos += len(w.text)
    if raw.cell_breaks:
        cells.append((cell_start, pos))
    n_chars = sum(len(w.text) for w in raw.words) or 1
    return Line(
        text="".join(pieces),
        start=line_start,
        end=pos,
        page=raw.page,
        bbox=_round(
            (
                min(w.bbox[0] for w in raw.words),
                min(w.bbox[1] for w in raw.words),
                max(w.bbox[2] for w in raw.words),
                max(w.bbox[3] for w in raw.words),
            )
        ),
        words=tuple(words),
        bold=sum(len(w.text) for w in raw.words if w.bold) / n_chars >= 0.6,
        size=round(statistics.median(w.size for w in raw.words), 2),
        table=raw.table,
        row=raw.row,
        cells=tuple(cells),
        gap_before=round(gap, 2),
    )


def _round(b: BBox) -> BBox:
    return (round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2))
