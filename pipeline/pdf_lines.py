"""From a PDF's raw lines to the ``Layout``'s lines: running headers and footers removed,
words hyphenated across line ends joined, every character numbered from the start of the
document. Part of ``pipeline.pdf`` (the only module that opens PDFs); what this module does
is part of ``PARSER_VERSION`` there."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import TYPE_CHECKING

from pipeline.types import BBox, Layout, Line, PageInfo, Table, Word

if TYPE_CHECKING:
    from pipeline.pdf import _RawLine, _RawPage

# Page furniture lives in these top and bottom bands of a page (fraction of its height), and
# among the first or last few lines of the page.
FURNITURE_BAND = 0.15
FURNITURE_EDGE_LINES = 3
# A line in a band that recurs (digits ignored) on at least this share of pages is furniture.
FURNITURE_SHARE = 0.5
# Prefixes that keep their hyphen when a word breaks after them at a line end.
COMPOUND_PREFIXES = {
    "non",
    "self",
    "cross",
    "third",
    "well",
    "co",
    "post",
    "pre",
    "ex",
    "multi",
    "end",
    "sub",
    "anti",
    "semi",
    "long",
    "short",
    "high",
    "low",
    "full",
    "part",
    "off",
    "on",
}
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|p\.|pg\.?|sheet)\s*|[a-z]{1,2}\s?[-–]\s?)?(?:#|[ivxlc]+)(?:\s*(?:of|/)\s*#)?[\W_]*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")


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
    return None


def find_furniture(pages: list[_RawPage]) -> set[str]:
    """Running headers and footers: recurring lines in the top or bottom band of the page."""
    seen: Counter[tuple[str, str]] = Counter()
    for page in pages:
        n = len(page.lines)
        keys = {
            (band, _furniture_key(line.text))
            for i, line in enumerate(page.lines)
            if line.table is None and (band := _band(line, page.info, i, n))
        }
        seen.update(keys)
    threshold = max(2, FURNITURE_SHARE * len(pages)) if len(pages) >= 2 else float("inf")
    return {key for (_band_name, key), n in seen.items() if n >= threshold}


def _is_furniture(line: _RawLine, page: _RawPage, furniture: set[str], position: int) -> bool:
    if line.table is not None:
        return False
    band = _band(line, page.info, position, len(page.lines))
    if band is None:
        return False
    key = _furniture_key(line.text)
    if key in furniture:
        return True
    # A lone page number at the very top or bottom of the page ("- 3 -", "Page 3 of 12").
    at_edge = position == 0 or position == len(page.lines) - 1
    return at_edge and bool(_PAGE_NUMBER.match(key)) and len(key) <= 24


# --- body lines, hyphenation and character offsets ----------------------------------------


def body_lines(
    pages: list[_RawPage], furniture: set[str]
) -> tuple[list[tuple[_RawLine, float]], list[Table]]:
    body: list[tuple[_RawLine, float]] = []
    tables: list[Table] = []
    table_base = 0
    for page in pages:
        kept = [
            line for i, line in enumerate(page.lines) if not _is_furniture(line, page, furniture, i)
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
