"""Hostile and odd PDFs for the ingest tests, made on the spot (nothing downloaded).

Each builder returns bytes; none needs more than a few seconds or ~100 MB to build.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "sample_docs"


def _objects_to_pdf(objects: list[bytes]) -> bytes:
    """A PDF with a correct cross-reference table from numbered object bodies (1-based)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def zero_page_pdf() -> bytes:
    return _objects_to_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    ])


def blank_pdf(pages: int = 2) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.showPage()
    c.save()
    return buf.getvalue()


def bomb_pdf(inflated_mb: int = 1536) -> bytes:
    """One page whose content stream is ~1.5 MB compressed and ``inflated_mb`` inflated
    (spaces: valid content that pdfminer must inflate whole before reading a character)."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (16 * 2**20)
    parts = [compressor.compress(chunk) for _ in range(inflated_mb // 16)]
    stream = b"".join(parts) + compressor.flush()
    return _objects_to_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
        + b"\nendstream",
    ])


def one_line_pdf(sample: str = "calloff_order_form.pdf") -> bytes:
    """The sample's text with each page written as one line (running off the page), as some
    converters write a text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from pipeline.pdf import pdf_to_layout

    layout = pdf_to_layout((SAMPLE_DOCS / sample).read_bytes())
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in layout.pages:
        c.setFont("Helvetica", 6)
        c.drawString(20, 700, " ".join(ln.text for ln in layout.lines if ln.page == page.number))
        c.showPage()
    c.save()
    return buf.getvalue()


def repeated_pdf(sample: str, times: int) -> bytes:
    """The sample's pages ``times`` over, in one PDF (a long document, quickly made)."""
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument((SAMPLE_DOCS / sample).read_bytes())
    out = pdfium.PdfDocument.new()
    for _ in range(times):
        out.import_pages(source)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def image_only_pdf(data: bytes, *, dpi: int = 300) -> bytes:
    """Each page of ``data`` rendered to a greyscale image, in a PDF with no text at all
    (what a scanner produces), at the original page size."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in pdf]
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:],
                   resolution=float(dpi))
    return buf.getvalue()
