"""``Layout`` ⇄ bytes, for the layout cache (``models.models.LayoutCache``).

A document is parsed once per parser version; after that a rule change re-runs the rules over
the stored layout (``pipeline.extract.layout_to_extraction``) without opening the PDF.

The format is JSON (never pickle: the cache is shared through the database by every machine,
and unpickling what another machine wrote would run whatever it says), arrays rather than
objects so that it stays small, compressed with zlib. ``FORMAT`` is inside the payload: a
reader refuses a payload of another format instead of misreading it.
"""

from __future__ import annotations

import json
import zlib

from pipeline.types import Layout, Line, PageInfo, Table, Word

FORMAT = 1
LINES_PER_WRITE = 500


class LayoutFormatError(ValueError):
    """The stored layout is not in a format this code reads."""


def layout_to_bytes(layout: Layout, *, level: int = 1) -> bytes:
    """The layout as compressed JSON. Written line by line into the compressor, so that the
    JSON of a long document never stands whole in memory (a 678-page contract: ~30 MB of
    JSON, ~7 MB compressed). Level 1: every first ingest pays for the encoding, and level 6
    took three times as long for 15% less."""
    compressor = zlib.compressobj(level)
    out: list[bytes] = []

    def write(text: str) -> None:
        out.append(compressor.compress(text.encode("utf-8")))

    head = {
        "format": FORMAT,
        "text": layout.text,
        "title": layout.title,
        "furniture": list(layout.furniture),
        "pages": [[p.number, p.width, p.height, p.n_chars, p.n_images] for p in layout.pages],
        "tables": [[t.page, list(t.bbox), list(t.header), t.n_rows] for t in layout.tables],
    }
    write(_dumps(head)[:-1] + ',"lines":[')
    for start in range(0, len(layout.lines), LINES_PER_WRITE):
        batch = [_line_to_list(line) for line in layout.lines[start:start + LINES_PER_WRITE]]
        write(("," if start else "") + _dumps(batch)[1:-1])
    write("]}")
    out.append(compressor.flush())
    return b"".join(out)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def layout_from_bytes(data: bytes) -> Layout:
    try:
        payload = json.loads(zlib.decompress(data))
    except (zlib.error, ValueError) as exc:
        raise LayoutFormatError(f"not a stored layout ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else None
        raise LayoutFormatError(f"stored layout format {found!r}, this code reads {FORMAT}")
    return Layout(
        text=payload["text"],
        lines=tuple(_line_from_list(item) for item in payload["lines"]),
        pages=tuple(PageInfo(*p) for p in payload["pages"]),
        tables=tuple(Table(t[0], tuple(t[1]), tuple(t[2]), t[3]) for t in payload["tables"]),
        furniture=tuple(payload["furniture"]),
        title=payload["title"],
    )


def _line_to_list(line: Line) -> list:
    words: list = []
    for w in line.words:  # flat, nine values a word: far fewer objects to write and read
        words += (w.text, w.start, w.end, w.page, *w.bbox, int(w.bold))
    return [
        line.text, line.start, line.end, line.page, list(line.bbox), words,
        int(line.bold), line.size, line.table, line.row, [list(c) for c in line.cells],
        line.gap_before,
    ]


def _line_from_list(item: list) -> Line:
    text, start, end, page, bbox, words, bold, size, table, row, cells, gap = item
    return Line(
        text=text, start=start, end=end, page=page, bbox=tuple(bbox),
        words=tuple(
            Word(words[i], words[i + 1], words[i + 2], words[i + 3],
                 (words[i + 4], words[i + 5], words[i + 6], words[i + 7]), bool(words[i + 8]))
            for i in range(0, len(words), 9)
        ),
        bold=bool(bold), size=size, table=table, row=row,
        cells=tuple(tuple(c) for c in cells), gap_before=gap,
    )
