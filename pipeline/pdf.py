"""PDF bytes → ``Layout``: the document's body text with every character traceable to its page.

The only module that opens PDFs. It reads words with their fonts and boxes (pdfplumber),
reads ruled tables as rows of cells, removes running headers and footers, joins words
hyphenated across line ends, and numbers every character from the start of the document.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psexceptions import PSEOF
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import CorruptPDF, EmptyFile, EncryptedPDF, NotAPDF, NoTextLayer
from pipeline.types import BBox, Layout, Line, PageInfo, Table, Word

# Page furniture lives in these top and bottom bands of a page (fraction of its height), and
# among the first or last few lines of the page.
FURNITURE_BAND = 0.15
FURNITURE_EDGE_LINES = 3
# A line in a band that recurs (digits ignored) on at least this share of pages is furniture.
FURNITURE_SHARE = 0.5
# Words whose tops differ by less than this (points) stand on the same line.
LINE_TOLERANCE = 2.5
# Prefixes that keep their hyphen when a word breaks after them at a line end.
COMPOUND_PREFIXES = {
    "non", "self", "cross", "third", "well", "co", "post", "pre", "ex", "multi", "end",
    "sub", "anti", "semi", "long", "short", "high", "low", "full", "part", "off", "on",
}
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|p\.|pg\.?|sheet)\s*|[a-z]{1,2}\s?[-–]\s?)?(?:#|[ivxlc]+)(?:\s*(?:of|/)\s*#)?[\W_]*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")


def pdf_to_layout(data: bytes) -> Layout:
    """Read a PDF's body text into a ``Layout``; raise a ``PipelineError`` for bad input."""
    _check_is_pdf(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PdfminerException as exc:
        raise _open_error(exc) from None
    try:
        with pdf:
            title = _metadata_title(pdf.metadata)
            raw_pages = [_read_page(page) for page in _pages(pdf)]
    except PdfminerException as exc:
        raise _open_error(exc) from None
    except (PSEOF, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise CorruptPDF(
            f"The PDF is damaged and cannot be read ({type(exc).__name__}: {exc})."
        ) from None

    infos = tuple(p.info for p in raw_pages)
    if sum(i.n_chars for i in infos) < 20 * max(len(infos), 1):
        images = sum(1 for i in infos if i.n_images)
        raise NoTextLayer(
            f"The PDF has no text layer ({sum(i.n_chars for i in infos)} characters on "
            f"{len(infos)} pages, images on {images}): it looks scanned and needs OCR first."
        )
    furniture = _find_furniture(raw_pages)
    lines, tables = _body_lines(raw_pages, furniture)
    return _number(lines, tables, infos, furniture, title)


def render_page_png(data: bytes, page: int, *, resolution: int = 110) -> bytes:
    """The page (1-based) rendered as a PNG, for showing a source beside its extraction."""
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if not 1 <= page <= len(pdf.pages):
                raise ValueError(f"page {page} is outside 1..{len(pdf.pages)}")
            image = pdf.pages[page - 1].to_image(resolution=resolution)
            out = io.BytesIO()
            image.original.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except PdfminerException as exc:
        raise _open_error(exc) from None


def page_count(data: bytes) -> int:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except PdfminerException as exc:
        raise _open_error(exc) from None


# --- opening -------------------------------------------------------------------------------


def _check_is_pdf(data: bytes) -> None:
    if not data:
        raise EmptyFile()
    head = data[:1024]
    if b"%PDF-" in head:
        return
    stripped = head.lstrip()
    if stripped[:1] == b"<":
        kind = "HTML or XML"
    elif head[:2] == b"PK":
        kind = "a ZIP archive (a Word or OpenDocument file?)"
    elif head[:4] == b"\xd0\xcf\x11\xe0":
        kind = "an old Microsoft Office file"
    elif head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff":
        kind = "an image"
    else:
        try:
            head.decode("utf-8")
            kind = "plain text"
        except UnicodeDecodeError:
            kind = f"unknown binary data starting {head[:8].hex(' ')}"
    raise NotAPDF(f"The file is not a PDF: it has no %PDF header and looks like {kind}.")


def _open_error(exc: PdfminerException) -> Exception:
    inner = exc.args[0] if exc.args else exc
    if isinstance(inner, PDFPasswordIncorrect) or "password" in type(inner).__name__.lower():
        return EncryptedPDF()
    if isinstance(inner, PSEOF):
        return CorruptPDF("The PDF is damaged and cannot be read: it ends too early (truncated?).")
    return CorruptPDF(f"The PDF is damaged and cannot be read ({type(inner).__name__}: {inner}).")


def _metadata_title(metadata: dict) -> str | None:
    title = metadata.get("Title") if metadata else None
    if isinstance(title, bytes):
        title = title.decode("utf-8", "ignore")
    title = (title or "").strip()
    return title or None


def _pages(pdf):
    # Close each page after reading it: pdfplumber keeps every page's objects otherwise
    # (484 pages peaked at ~3.9 GB without this).
    for page in pdf.pages:
        try:
            yield page
        finally:
            page.close()


# --- one page ------------------------------------------------------------------------------


@dataclass
class _RawWord:
    text: str
    bbox: BBox
    bold: bool
    size: float


@dataclass
class _RawLine:
    words: list[_RawWord]
    page: int
    table: int | None = None
    row: int | None = None
    cell_breaks: list[int] = field(default_factory=list)  # word indexes where a new cell starts

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def top(self) -> float:
        return min(w.bbox[1] for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bbox[3] for w in self.words)


@dataclass
class _RawTable:
    bbox: BBox
    header: tuple[str, ...]
    rows: list[_RawLine]


@dataclass
class _RawPage:
    info: PageInfo
    lines: list[_RawLine]  # reading order; table rows stand where their table stands
    tables: list[_RawTable]


def _read_page(page) -> _RawPage:
    number = page.page_number
    words = [
        _RawWord(
            text=w["text"],
            bbox=(w["x0"], w["top"], w["x1"], w["bottom"]),
            bold=_is_bold(w.get("fontname", "")),
            size=float(w.get("size") or 0.0),
        )
        for w in page.extract_words(extra_attrs=["fontname", "size"])
        if w["text"].strip()
    ]
    info = PageInfo(
        number=number,
        width=float(page.width),
        height=float(page.height),
        n_chars=sum(len(w.text) for w in words),
        n_images=len(page.images),
    )
    tables = _read_tables(page, words, number) if len(page.edges) >= 8 else []
    in_table = {id(w) for t in tables for row in t.rows for w in row.words}
    lines = _group_lines([w for w in words if id(w) not in in_table], number)
    # Table rows take their place among the lines by their top edge.
    for t_index, table in enumerate(tables):
        for row in table.rows:
            row.table = t_index
    ordered = sorted(lines + [r for t in tables for r in t.rows], key=lambda ln: ln.top)
    return _RawPage(info=info, lines=ordered, tables=tables)


def _is_bold(fontname: str) -> bool:
    name = fontname.split("+")[-1].lower()
    return any(k in name for k in ("bold", "black", "heavy", "semibold", ",b")) or name.endswith(
        "-bd"
    )


def _group_lines(words: list[_RawWord], page: int) -> list[_RawLine]:
    lines: list[_RawLine] = []
    for word in sorted(words, key=lambda w: (w.bbox[1], w.bbox[0])):
        if lines and abs(word.bbox[1] - lines[-1].words[0].bbox[1]) <= LINE_TOLERANCE:
            lines[-1].words.append(word)
        else:
            lines.append(_RawLine(words=[word], page=page))
    for line in lines:
        line.words.sort(key=lambda w: w.bbox[0])
    return lines


def _read_tables(page, words: list[_RawWord], number: int) -> list[_RawTable]:
    tables = []
    for found in page.find_tables():
        rows = [r for r in found.rows if any(c is not None for c in r.cells)]
        n_cols = max((len(r.cells) for r in rows), default=0)
        if len(rows) < 2 or n_cols < 2:
            continue
        raw_rows = []
        for row in rows:
            line = _RawLine(words=[], page=number)
            for cell in row.cells:
                if cell is None:
                    continue
                inside = [w for w in words if _centre_in(w.bbox, cell)]
                if not inside:
                    continue
                line.cell_breaks.append(len(line.words))
                line.words.extend(_reading_order(inside))
            if line.words:
                raw_rows.append(line)
        if len(raw_rows) < 2:
            continue
        header = tuple(_cell_texts(raw_rows[0]))
        tables.append(_RawTable(bbox=tuple(found.bbox), header=header, rows=raw_rows))
    return tables


def _centre_in(bbox: BBox, cell: BBox) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return cell[0] <= cx <= cell[2] and cell[1] <= cy <= cell[3]


def _reading_order(words: list[_RawWord]) -> list[_RawWord]:
    return [w for line in _group_lines(words, 0) for w in line.words]


def _cell_texts(line: _RawLine) -> list[str]:
    bounds = line.cell_breaks + [len(line.words)]
    return [
        " ".join(w.text for w in line.words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)
    ]


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


def _find_furniture(pages: list[_RawPage]) -> set[str]:
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


def _body_lines(
    pages: list[_RawPage], furniture: set[str]
) -> tuple[list[tuple[_RawLine, float]], list[Table]]:
    body: list[tuple[_RawLine, float]] = []
    tables: list[Table] = []
    table_base = 0
    for page in pages:
        kept = [
            line
            for i, line in enumerate(page.lines)
            if not _is_furniture(line, page, furniture, i)
        ]
        previous_bottom = None
        for line in kept:
            gap = 999.0 if previous_bottom is None else line.top - previous_bottom
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


def _number(
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
    for i, (raw, gap) in enumerate(lines):
        words: list[Word] = []
        cells: list[tuple[int, int]] = []
        breaks = set(raw.cell_breaks)
        line_start = pos
        cell_start = pos
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
            words.append(Word(w.text, pos, pos + len(w.text), raw.page, _round(w.bbox), w.bold))
            pieces.append(w.text)
            pos += len(w.text)
        if raw.cell_breaks:
            cells.append((cell_start, pos))
        text = "".join(pieces)
        n_chars = sum(len(w.text) for w in raw.words) or 1
        out.append(
            Line(
                text=text,
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
        )
        parts.append(text)
        sep = "" if i in joins else "\n"
        parts.append(sep)
        pos += len(sep)
    return Layout(
        text="".join(parts),
        lines=tuple(out),
        pages=infos,
        tables=tuple(tables),
        furniture=tuple(sorted(furniture)),
        title=title,
    )


def _round(b: BBox) -> BBox:
    return (round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2))
