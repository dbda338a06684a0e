"""Page images for the review screen, rendered once and cached on disk.

The cache is keyed by the document's SHA-256, the page number and the resolution, never by a
path anyone typed: the PDF is read from the document store by the hash the database holds
and checked against it before it is rendered, so a file swapped in the store is refused.
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from models.models import Document

RESOLUTION = 110
CACHE_ENV = "OBLIGATIONS_CACHE_DIR"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PageImageError(Exception):
    """A page image that cannot be produced; the message says why."""


class SourceUnavailable(PageImageError):
    """The document's PDF is missing or no longer the file that was ingested."""


class NoSuchPage(PageImageError):
    pass


@dataclass(frozen=True)
class PageSize:
    """A page's size in PDF points (what the stored bboxes are in)."""

    width: float
    height: float


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "obligations" / "pages"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise PageImageError("not a PNG image")
    return struct.unpack(">II", png[16:24])


class PageImages:
    def __init__(self, directory: Path | None = None, resolution: int = RESOLUTION):
        self.directory = Path(directory) if directory else default_cache_dir()
        self.resolution = resolution
        self._layouts: dict = {}  # sha256 -> Layout, oldest first

    def _path(self, sha256: str, page: int) -> Path:
        if not _SHA256.match(sha256 or ""):
            raise SourceUnavailable(f"invalid document hash {sha256!r}")
        return self.directory / sha256[:2] / f"{sha256}-p{page}-r{self.resolution}.png"

    def png(self, document: Document, page: int) -> bytes:
        if page < 1 or (document.pages and page > document.pages):
            raise NoSuchPage(f"page {page} is not in the document ({document.pages} pages)")
        cached = self._path(document.sha256, page)
        if cached.exists():
            return cached.read_bytes()
        png = self._render(document, page)
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(png)
        os.replace(tmp, cached)  # atomic: a concurrent reader sees all of it or nothing
        return png

    def size(self, document: Document, page: int) -> PageSize:
        width, height = png_size(self.png(document, page))
        scale = 72 / self.resolution
        return PageSize(round(width * scale, 2), round(height * scale, 2))

    def layout(self, document: Document):
        """The document's text with the position of every word (``pipeline.pdf``), read from
        the same checked file as the images; the last few are kept in memory."""
        from pipeline.errors import PipelineError
        from pipeline.pdf import pdf_to_layout

        cached = self._layouts.get(document.sha256)
        if cached is None:
            try:
                cached = pdf_to_layout(self._source(document))
            except PipelineError as exc:
                raise SourceUnavailable(str(exc)) from None
            while len(self._layouts) >= 4:
                self._layouts.pop(next(iter(self._layouts)))
            self._layouts[document.sha256] = cached
        return cached

    def _source(self, document: Document) -> bytes:
        """The PDF from the document store (models.docstore), by hash, checked there: never
        from the path where the file was first found (issue 13)."""
        from models.docstore import DocumentStoreError, get_store

        try:
            return get_store().get(document.sha256)
        except DocumentStoreError as exc:
            raise SourceUnavailable(f"the PDF of {document.source_file}: {exc}") from None

    def _render(self, document: Document, page: int) -> bytes:
        from pipeline.pdf import render_page_png

        data = self._source(document)
        try:
            return render_page_png(data, page, resolution=self.resolution)
        except ValueError as exc:
            raise NoSuchPage(str(exc)) from None
