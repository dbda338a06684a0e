"""The layout cache and the OCR'd copies of scanned PDFs (``LayoutCache``, ``OcrPdf``).

Both are keyed by the original PDF's SHA-256 (and the parser version, for layouts), so every
machine sharing the database shares them, and renaming or moving a file changes nothing.
Writes are idempotent: two runs storing the same layout at once both succeed.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.models import LayoutCache, OcrPdf

# Where a cached layout may come from, per OCR mode, in order of preference: ``auto`` reads
# a document's own text layer when it has one, else its OCR'd pages.
SOURCES = {"never": ("text",), "auto": ("text", "ocr"), "always": ("ocr-all",)}


def cached_layout(
    *, session: Session, sha256: str, parser_version: str, ocr_mode: str = "auto",
    sources: tuple[str, ...] | None = None,
) -> LayoutCache | None:
    """The layout to use under ``ocr_mode`` (or from the first of ``sources`` stored)."""
    sources = sources or SOURCES[ocr_mode]
    rows = {
        row.source: row
        for row in session.exec(
            select(LayoutCache).where(
                LayoutCache.sha256 == sha256,
                LayoutCache.parser_version == parser_version,
                col(LayoutCache.source).in_(sources),
            )
        )
    }
    return next((rows[s] for s in sources if s in rows), None)


def save_layout(
    *, session: Session, sha256: str, parser_version: str, source: str, data: bytes, pages: int
) -> None:
    if session.get(LayoutCache, (sha256, parser_version, source)) is None:
        session.add(LayoutCache(sha256=sha256, parser_version=parser_version, source=source,
                                data=data, pages=pages))


def ocr_copy(*, session: Session, sha256: str, ocr_mode: str = "auto") -> OcrPdf | None:
    """The OCR'd copy a new parser version can re-read instead of running OCR again."""
    sources = [s for s in SOURCES[ocr_mode] if s != "text"]
    if not sources:
        return None
    return session.exec(
        select(OcrPdf).where(OcrPdf.sha256 == sha256, col(OcrPdf.source).in_(sources))
    ).first()


def save_ocr_copy(
    *, session: Session, sha256: str, source: str, data: bytes, ocr_sha256: str,
    pages: list[int], engine: str,
) -> None:
    if session.get(OcrPdf, (sha256, source)) is None:
        session.add(OcrPdf(sha256=sha256, source=source, data=data, ocr_sha256=ocr_sha256,
                           pages=list(pages), engine=engine))


def ocr_pages(*, session: Session, sha256: str, source: str) -> tuple[int, ...]:
    """The pages OCR'd for a document's copy of that source (without loading the copy)."""
    pages = session.exec(
        select(OcrPdf.pages).where(OcrPdf.sha256 == sha256, OcrPdf.source == source)
    ).first()
    return tuple(pages or ())
