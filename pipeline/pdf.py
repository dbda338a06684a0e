"""PDF bytes → ``Layout``: the document's body text with every character traceable to its page.

The only module that opens PDFs. It reads words with their fonts and boxes (pdfplumber),
reads ruled tables as rows of cells, removes running headers and footers, joins words
hyphenated across line ends, and numbers every character from the start of the document.

Memory stays bounded: pages are read one at a time and closed (pdfplumber keeps every
page's objects otherwise), a page is kept only as its words (compact, slotted), and those
are let go line by line as the ``Layout`` is built. A page limit and the worker's memory cap
turn a pathological file into ``TooLarge`` instead of a machine out of memory.

``PARSER_VERSION`` names what this module produces: it keys the layout cache
(``pipeline.layout_codec``), so bump it whenever the ``Layout`` for some PDF changes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psexceptions import PSEOF
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import (
    CorruptPDF,
    EmptyFile,
    EmptyPDF,
    EncryptedPDF,
    NotAPDF,
    NoTextLayer,
    TooLarge,
)
from pipeline.pdf_lines import body_lines, canonical_text, find_furniture, number_lines
from pipeline.resegment import split_long_line
from pipeline.types import BBox, Layout, PageInfo

# Bump when the Layout of some PDF changes (it keys the layout cache). History:
# 1 the parser until issue 12; 2 over-long lines (a text layer on one line) re-segmented;
# 3 furniture found by position and recurrence anywhere on the page, page numbers by sequence;
# 4 look-alike code points read as the characters they stand for (";" printed as U+037E).
PARSER_VERSION = "4"
# Fewer characters than this per page on average: no text layer (a scan, or blank pages).
MIN_CHARS_PER_PAGE = 20

# Words whose tops differ by less than this (points) stand on the same line.
LINE_TOLERANCE = 2.5


def pdf_to_layout(data: bytes, *, max_pages: int | None = None) -> Layout:
    """Read a PDF's body text into a ``Layout``; raise a ``PipelineError`` for bad input:
    ``TooLarge`` beyond ``max_pages`` or when the worker's memory cap is reached,
    ``EmptyPDF`` for no pages or nothing on them, ``NoTextLayer`` for pages of images."""
    _check_is_pdf(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PdfminerException as exc:
        raise _open_error(exc) from None
    try:
        with pdf:
            title = _metadata_title(pdf.metadata)
            _check_page_count(len(pdf.pages), max_pages)
            numbers: dict[float, float] = {}
            raw_pages = [_read_page(page, numbers) for page in _pages(pdf)]
    except PdfminerException as exc:
        raise _open_error(exc) from None
    except MemoryError:
        # The worker's memory cap (flows.pool), reached mostly by a content stream that
        # inflates to gigabytes (a decompression bomb).
        raise TooLarge(_TOO_MUCH_MEMORY) from None
    except (PSEOF, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise CorruptPDF(
            f"The PDF is damaged and cannot be read ({type(exc).__name__}: {exc})."
        ) from None

    infos = tuple(p.info for p in raw_pages)
    _check_has_text(raw_pages)
    furniture = find_furniture(raw_pages)
    lines, tables = body_lines(raw_pages, furniture)
    del raw_pages  # the body lines hold what is left; number_lines lets them go one by one
    return number_lines(lines, tables, infos, furniture, title)


def _check_page_count(n_pages: int, max_pages: int | None) -> None:
    if n_pages == 0:
        raise EmptyPDF("The PDF has no pages.")
    if max_pages is not None and n_pages > max_pages:
        raise TooLarge(f"The PDF has {n_pages} pages, more than the limit of {max_pages}.")


def _check_has_text(pages: list[_RawPage]) -> None:
    n_chars = sum(p.info.n_chars for p in pages)
    if n_chars >= MIN_CHARS_PER_PAGE * max(len(pages), 1):
        return
    images = sum(1 for p in pages if p.info.n_images)
    marked = sum(1 for p in pages if p.info.n_images or p.n_drawings or p.info.n_chars)
    if not marked:
        raise EmptyPDF(f"The PDF's {len(pages)} page(s) are blank: no text, images or drawing.")
    raise NoTextLayer(
        f"The PDF has no text layer ({n_chars} characters on {len(pages)} pages, images on "
        f"{images}): it looks scanned and needs OCR (obligations ingest --ocr auto)."
    )


def pages_without_text(layout: Layout) -> tuple[int, ...]:
    """Pages that show images but (almost) no text: scanned pages inside a document that
    has a text layer elsewhere (a signed page, a scanned schedule). 1-based."""
    return tuple(p.number for p in layout.pages if p.n_images and p.n_chars < MIN_CHARS_PER_PAGE)


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


def checked_page_count(data: bytes, *, max_pages: int | None = None) -> int:
    """Open the PDF (a typed error for what is not one, or a damaged one) and apply the
    page limit, without reading any page."""
    _check_is_pdf(data)
    n_pages = page_count(data)
    _check_page_count(n_pages, max_pages)
    return n_pages


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


_TOO_MUCH_MEMORY = (
    "The PDF needs more memory than the limit allows while reading its pages "
    "(a page whose content inflates to gigabytes?)."
)


def _open_error(exc: PdfminerException) -> Exception:
    inner = exc.args[0] if exc.args else exc
    if isinstance(inner, MemoryError):
        return TooLarge(_TOO_MUCH_MEMORY)
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


@dataclass(slots=True)
class _RawWord:
    # Six fields, as many as a final Word: objects of the same size share the allocator's
    # pools, so a raw word let go in _number makes room for the Word that replaces it
    # (measured: a 678-page contract peaked ~20 MB lower).
    text: str
    bbox: BBox  # rounded to 0.01 pt at read; the final Word shares the tuple
    bold: bool
    size: float
    fontname: str = ""
    page: int = 0


@dataclass(slots=True)
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


@dataclass(slots=True)
class _RawTable:
    bbox: BBox
    header: tuple[str, ...]
    rows: list[_RawLine]


@dataclass(slots=True)
class _RawPage:
    info: PageInfo
    lines: list[_RawLine]  # reading order; table rows stand where their table stands
    tables: list[_RawTable]
    n_drawings: int = 0  # rectangles, lines and curves: marks that are not text or images


def _read_page(page, numbers: dict[float, float]) -> _RawPage:
    """One page's words and tables. ``numbers`` interns the rounded coordinates: a long
    document repeats the same few thousand values, and a float object per word corner was
    a quarter of a layout's memory."""

    def num(value) -> float:
        value = round(float(value), 2)
        return numbers.setdefault(value, value)

    number = page.page_number
    words = [
        _RawWord(
            text=canonical_text(w["text"]),
            # Rounded as the Layout stores them: the final Word shares this very tuple.
            bbox=(num(w["x0"]), num(w["top"]), num(w["x1"]), num(w["bottom"])),
            bold=_is_bold(w.get("fontname", "")),
            size=num(w.get("size") or 0.0),
            fontname=w.get("fontname", ""),
            page=number,
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
    edges = page.edges
    tables = _read_tables(page, words, number) if len(edges) >= 8 else []
    in_table = {id(w) for t in tables for row in t.rows for w in row.words}
    lines = _group_lines([w for w in words if id(w) not in in_table], number)
    lines = [part for line in lines for part in _split_if_long(line, info)]
    # Table rows take their place among the lines by their top edge.
    for t_index, table in enumerate(tables):
        for row in table.rows:
            row.table = t_index
    ordered = sorted(lines + [r for t in tables for r in t.rows], key=lambda ln: ln.top)
    drawings = len(edges) + len(page.curves) if not words and not info.n_images else 0
    return _RawPage(info=info, lines=ordered, tables=tables, n_drawings=drawings)


def _split_if_long(line: _RawLine, info: PageInfo) -> list[_RawLine]:
    """A text layer written as one long line (some converters and OCR tools do) would read as
    a single paragraph with no numbering at line starts; cut it where sentences and numbered
    clauses begin (``pipeline.resegment``). Words keep their own boxes."""
    width = line.words[-1].bbox[2] - line.words[0].bbox[0]
    groups = split_long_line([w.text for w in line.words], width, info.width)
    if len(groups) == 1:
        return [line]
    return [_RawLine(words=line.words[a:b], page=line.page) for a, b in groups]


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
