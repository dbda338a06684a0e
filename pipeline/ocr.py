"""Scanned contracts: OCR with OCRmyPDF and Tesseract, then the ordinary parser.

OCRmyPDF adds an invisible text layer to each page image and leaves the page itself as it
was (no deskew, no rotation, no re-compression: ``--output-type pdf --optimize 0``), so the
OCR'd PDF has the original's geometry: the boxes read from its text layer land on the page
image a reviewer is shown. The text then goes through ``pipeline.pdf.pdf_to_layout`` like any
other PDF.

Modes (``obligations ingest --ocr``):

- ``auto`` (default): a document without a text layer is OCR'd whole; a document with a
  text layer whose pages include scanned ones (images, no text: a signed page, a scanned
  schedule) has those pages OCR'd (``--skip-text`` leaves pages with text alone);
- ``always``: every page is OCR'd, its text layer replaced (``--force-ocr``), for PDFs whose
  text layer is garbage;
- ``never``: a PDF without a text layer fails ``no_text_layer``.

OCR'd text is less certain than a born-digital text layer: obligations read from OCR'd pages
carry the flag ``ocr`` and their confidence is multiplied by ``OCR_CONFIDENCE``.

The programs come from Debian (``apt-get install ocrmypdf tesseract-ocr tesseract-ocr-eng``);
they run as a subprocess, so a crash or a hang in them is a failure of this document only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from pipeline.errors import NoTextLayer, OCRFailed, OCRUnavailable
from pipeline.pdf import checked_page_count, page_count, pages_without_text, pdf_to_layout
from pipeline.types import Extraction, Layout

MODES = ("auto", "always", "never")
LANGUAGE = "eng"
# Tesseract's page segmentation: 4, one column of text of variable sizes. Its default (3,
# automatic) took clause numbers standing apart at the left margin ("2.", "2.1") for noise
# and dropped them; without its numbers a contract's structure is lost. Measured on the
# samples rendered to images (issue 12): jv_exit_amendment 14 clauses and 0 obligations
# with 3, 37 and 12 (as born-digital) with 4; a jv_services_agreement page 8 of 18
# obligations with 3, 18 of 18 with 4. Contracts are single-column.
PAGE_SEGMENTATION = 4
OCR_CONFIDENCE = 0.8
# What one page may take (rasterise + Tesseract) on a slow, busy machine: the budget the
# per-document time limit is extended by for each page to OCR.
SECONDS_PER_PAGE = 30
# OCRmyPDF's exit statuses worth naming (ocrmypdf.ExitCode).
_EXIT_REASONS = {
    2: "it could not read the PDF",
    3: "a program it needs is missing",
    5: "it could not write its output",
    6: "the PDF already has text",
    7: "Tesseract or Ghostscript failed",
    8: "the PDF is encrypted",
}


@dataclass(frozen=True)
class ReadResult:
    """A parsed document and where its text came from: ``text`` (its own text layer),
    ``ocr`` (OCR of the pages without text), ``ocr-all`` (OCR of every page)."""

    layout: Layout
    source: str = "text"
    ocr_pdf: bytes | None = None
    ocr_pages: tuple[int, ...] = ()


def ocr_available() -> bool:
    return bool(shutil.which("ocrmypdf") and shutil.which("tesseract"))


@cache
def engine_version() -> str:
    """``ocrmypdf 14.0.1, tesseract 5.3.0 (eng)``: recorded beside every OCR'd copy."""
    def first_line(*cmd: str) -> str:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        text = (out.stdout or out.stderr).strip().splitlines()
        return text[0] if text else "?"

    tesseract = first_line("tesseract", "--version").removeprefix("tesseract ").strip()
    return f"ocrmypdf {first_line('ocrmypdf', '--version')}, tesseract {tesseract} ({LANGUAGE})"


def read_pdf(data: bytes, *, mode: str = "auto", max_pages: int | None = None,
             jobs: int = 1, notify=None) -> ReadResult:
    """The document's layout, through OCR where ``mode`` says so. ``notify`` (if given) is
    told ``{"extend": seconds}`` before OCR starts, so that a time limit can make room."""
    if mode not in MODES:
        raise ValueError(f"unknown OCR mode {mode!r}: one of {', '.join(MODES)}")
    if mode == "always":
        n_pages = checked_page_count(data, max_pages=max_pages)
        return _ocr_then_parse(data, force=True, pages=tuple(range(1, n_pages + 1)),
                               max_pages=max_pages, jobs=jobs, notify=notify)
    try:
        layout = pdf_to_layout(data, max_pages=max_pages)
    except NoTextLayer:
        if mode == "never":
            raise
        n_pages = page_count(data)
        return _ocr_then_parse(data, force=False, pages=tuple(range(1, n_pages + 1)),
                               max_pages=max_pages, jobs=jobs, notify=notify)
    scanned = pages_without_text(layout) if mode == "auto" else ()
    if not scanned or not ocr_available():
        # Without the OCR programs a document that has text is still read; only one that
        # has none fails (below, ocr_unavailable).
        return ReadResult(layout)
    return _ocr_then_parse(data, force=False, pages=scanned, max_pages=max_pages, jobs=jobs,
                           notify=notify)


def _ocr_then_parse(data: bytes, *, force: bool, pages: tuple[int, ...],
                    max_pages: int | None, jobs: int, notify) -> ReadResult:
    if notify is not None:
        notify({"extend": SECONDS_PER_PAGE * len(pages)})
    budget = SECONDS_PER_PAGE * len(pages) + 60
    ocr_pdf = ocr_pdf_bytes(data, force=force, jobs=jobs, timeout=budget)
    try:
        layout = pdf_to_layout(ocr_pdf, max_pages=max_pages)
    except NoTextLayer:
        raise NoTextLayer(
            f"The PDF has no text layer and OCR found no text on its {len(pages)} page(s) "
            "(pictures without writing, or a scan too faint to read)."
        ) from None
    return ReadResult(layout, "ocr-all" if force else "ocr", ocr_pdf, pages)


def ocr_pdf_bytes(data: bytes, *, force: bool = False, jobs: int = 1,
                  timeout: float | None = None) -> bytes:
    """Run OCRmyPDF over ``data``; the OCR'd PDF. Raises ``OCRUnavailable``/``OCRFailed``."""
    if not ocr_available():
        raise OCRUnavailable(
            "The PDF needs OCR, but OCRmyPDF and Tesseract are not installed "
            "(Debian: apt-get install ocrmypdf tesseract-ocr tesseract-ocr-eng)."
        )
    with tempfile.TemporaryDirectory(prefix="obligations-ocr-") as tmp:
        source, target = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        source.write_bytes(data)
        command = [
            "ocrmypdf", "--output-type", "pdf", "--optimize", "0", "--quiet",
            "--language", LANGUAGE, "--jobs", str(max(1, jobs)),
            "--tesseract-pagesegmode", str(PAGE_SEGMENTATION),
            "--force-ocr" if force else "--skip-text", str(source), str(target),
        ]
        # One Tesseract thread per page job: the worker pool already spreads documents over
        # the cores, and OpenMP threads would only compete with it.
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  env=env, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise OCRFailed(f"OCR took longer than {timeout:.0f} s and was stopped.") from None
        if done.returncode != 0 or not target.exists():
            reason = _EXIT_REASONS.get(done.returncode, f"exit status {done.returncode}")
            detail = (done.stderr or "").strip().splitlines()[-1:] or [""]
            raise OCRFailed(f"OCR failed: {reason}. {detail[0]}".strip())
        return target.read_bytes()


def mark_ocr(extraction: Extraction, pages: tuple[int, ...]) -> Extraction:
    """Obligations read from OCR'd pages: flag ``ocr``, confidence × ``OCR_CONFIDENCE``."""
    ocr_pages = set(pages)
    obligations = tuple(
        replace(ob, confidence=round(ob.confidence * OCR_CONFIDENCE, 4),
                flags=(*ob.flags, "ocr"))
        if any(box.page in ocr_pages for box in ob.boxes) or ob.page in ocr_pages
        else ob
        for ob in extraction.obligations
    )
    return replace(extraction, obligations=obligations)
