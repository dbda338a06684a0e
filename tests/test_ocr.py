"""Scanned contracts through OCR (issue 12): OCRmyPDF + Tesseract from Debian, installed by
.ci/run. Before issue 12 a scan failed ``no_text_layer`` with no way to read it."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from difflib import SequenceMatcher

import pytest

from pipeline.errors import NoTextLayer, OCRUnavailable
from pipeline.extract import extract, layout_to_extraction
from pipeline.ids import normalise_text
from pipeline.ocr import OCR_CONFIDENCE, mark_ocr, read_pdf
from tests.ingest_support import SAMPLE_DOCS, image_only_pdf

needs_ocr = pytest.mark.skipif(
    not (shutil.which("ocrmypdf") and shutil.which("tesseract")),
    reason="OCRmyPDF/Tesseract not installed (apt-get install ocrmypdf tesseract-ocr "
    "tesseract-ocr-eng; .ci/run does)",
)


def page_as_scan(data: bytes, page: int) -> bytes:
    """``data`` with page ``page`` (1-based) replaced by an image of itself: no text."""
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(data)
    alone = pdfium.PdfDocument.new()
    alone.import_pages(source, [page - 1])
    buf = io.BytesIO()
    alone.save(buf)
    scan = pdfium.PdfDocument(image_only_pdf(buf.getvalue()))
    out = pdfium.PdfDocument.new()
    if page > 1:
        out.import_pages(source, list(range(page - 1)))
    out.import_pages(scan)
    if page < len(source):
        out.import_pages(source, list(range(page, len(source))))
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def covered(needle: str, haystack: str) -> float:
    """How much of ``needle`` stands, in order, in ``haystack`` (OCR may add or drop a
    character here and there, and join a heading to its sentence)."""
    a, b = normalise_text(needle), normalise_text(haystack)
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / max(len(a), 1)


def overlap(a, b) -> float:
    """Intersection over the smaller box."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller


@needs_ocr
@pytest.mark.parametrize("name, page", [
    ("data_processing_agreement.pdf", 5),  # prose: 16 obligations
    ("jv_services_agreement.pdf", 36),  # headings and lettered limbs: 18 obligations
])
def test_ocr_scanned_page_yields_its_obligations_issue_12(name, page):
    """A page of a sample contract rendered to an image (no text layer) inside the born-digital
    rest: OCR reads it, and at least 80% of the page's obligations come out, where the page
    shows them."""
    data = (SAMPLE_DOCS / name).read_bytes()
    born = [ob for ob in extract(data).obligations if ob.page == page]
    assert len(born) >= 10

    read = read_pdf(page_as_scan(data, page), mode="auto")
    assert (read.source, read.ocr_pages) == ("ocr", (page,))
    ocr_doc = mark_ocr(layout_to_extraction(read.layout), read.ocr_pages)
    found = [ob for ob in ocr_doc.obligations if ob.page == page]

    matched = []
    for ob in born:
        best = max(found, key=lambda cand: covered(ob.text, cand.text), default=None)
        if best is not None and covered(ob.text, best.text) >= 0.9:
            matched.append((ob, best))
    assert len(matched) >= 0.8 * len(born), [ob.text for ob in born]
    # The OCR'd copy keeps the page geometry, so the boxes land where the text is printed.
    assert read.layout.pages[page - 1].width == pytest.approx(595.28, abs=1)
    for ob, hit in matched:
        assert overlap(ob.boxes[0].bbox, hit.boxes[0].bbox) > 0.5, (ob.text, hit.text)
    assert all("ocr" in ob.flags for ob in found)
    others = [ob for ob in ocr_doc.obligations if ob.page != page]
    assert others and not any("ocr" in ob.flags for ob in others)


@needs_ocr
def test_ocr_modes_never_and_always():
    scan = image_only_pdf((SAMPLE_DOCS / "jv_exit_amendment.pdf").read_bytes())
    with pytest.raises(NoTextLayer, match="--ocr auto"):
        read_pdf(scan, mode="never")
    born = (SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes()
    assert read_pdf(born, mode="auto").source == "text"
    forced = read_pdf(born, mode="always")
    assert forced.source == "ocr-all" and forced.ocr_pages == (1, 2, 3)
    assert "Exit Plan" in forced.layout.text


def test_ocr_without_the_programs_says_what_to_install(monkeypatch):
    monkeypatch.setattr("pipeline.ocr.shutil.which", lambda name: None)
    scan = image_only_pdf((SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes(), dpi=50)
    with pytest.raises(OCRUnavailable, match="apt-get install ocrmypdf") as exc:
        read_pdf(scan, mode="auto")
    assert exc.value.code == "ocr_unavailable"
    # A document with a text layer is still read.
    born = (SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes()
    assert read_pdf(born, mode="auto").source == "text"


def test_ocr_marks_obligations_of_ocr_pages_only():
    extraction = extract((SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes())
    marked = mark_ocr(extraction, (2,))
    for before, after in zip(extraction.obligations, marked.obligations, strict=True):
        if before.page == 2:
            assert "ocr" in after.flags
            assert after.confidence == pytest.approx(before.confidence * OCR_CONFIDENCE, abs=1e-4)
        else:
            assert after == before
    assert replace(marked, obligations=extraction.obligations) == extraction


@needs_ocr
@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_ocr_ingest_stores_the_ocr_copy_and_flags_the_document(tmp_path, db_url):
    from sqlmodel import select

    from flows.ingest import run_ingest
    from models import Document, Obligation, get_engine, session_scope
    from models.models import LayoutCache, OcrPdf

    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(
        image_only_pdf((SAMPLE_DOCS / "jv_exit_amendment.pdf").read_bytes()))
    never = run_ingest([folder], db_url=db_url, workers=1, ocr="never")
    assert never.documents[0].error_code == "no_text_layer"

    summary = run_ingest([folder], db_url=db_url, workers=1)
    (outcome,) = summary.documents
    assert outcome.status == "processed" and outcome.obligations > 0
    assert "ocr" in outcome.flags
    with session_scope(get_engine(db_url)) as session:
        doc = session.exec(select(Document)).one()
        copy = session.exec(select(OcrPdf)).one()
        cache = session.exec(select(LayoutCache)).one()
        obs = session.exec(select(Obligation)).all()
    assert doc.ocr and "ocr" in doc.flags and doc.pages == 4
    assert copy.sha256 == doc.sha256 and copy.pages == [1, 2, 3, 4]
    assert copy.data[:5] == b"%PDF-" and "tesseract" in copy.engine
    assert cache.source == "ocr"
    assert all("ocr" in ob.flags and ob.confidence <= OCR_CONFIDENCE for ob in obs)
