"""PDF → Layout: bad input gets a clear, typed error; furniture and hyphenation are handled."""

import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pipeline.errors import CorruptPDF, EmptyFile, EncryptedPDF, NotAPDF, NoTextLayer
from pipeline.pdf import page_count, pdf_to_layout, render_page_png
from tests.pipeline_support import SAMPLE_DOCS


def _pdf(draw, **kw) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, **kw)
    draw(c)
    c.showPage()
    c.save()
    return buf.getvalue()


def _text_pdf(**kw) -> bytes:
    def draw(c):
        for i in range(20):
            c.drawString(
                72,
                760 - 14 * i,
                f"{i + 1}. The Supplier shall return all Council Data on termination.",
            )

    return _pdf(draw, **kw)


@pytest.mark.parametrize(
    "data, error",
    [
        (b"", EmptyFile),
        (b"<html><body>not a contract</body></html>", NotAPDF),
        (b"PK\x03\x04 a zip file named .pdf", NotAPDF),
    ],
)
def test_pdf_rejects_what_is_not_a_pdf(data, error):
    with pytest.raises(error) as exc:
        pdf_to_layout(data)
    assert exc.value.code and str(exc.value)


def test_pdf_truncated_file_is_corrupt():
    with pytest.raises(CorruptPDF):
        pdf_to_layout(_text_pdf()[:400])


def test_pdf_encrypted_file_is_named_so():
    with pytest.raises(EncryptedPDF):
        pdf_to_layout(_text_pdf(encrypt="secret"))


def test_pdf_scanned_file_has_no_text_layer():
    def draw(c):
        c.rect(50, 50, 400, 600, fill=1)  # an "image" of a page: no characters at all

    with pytest.raises(NoTextLayer) as exc:
        pdf_to_layout(_pdf(draw))
    assert "OCR" in str(exc.value)


def test_pdf_running_headers_and_footers_are_removed():
    layout = pdf_to_layout((SAMPLE_DOCS / "jv_services_agreement.pdf").read_bytes())
    assert layout.furniture, "the sample has running headers/footers"
    assert "Page 12 of" not in layout.text
    assert not any(line.text.strip().isdigit() for line in layout.lines)


def test_pdf_every_character_maps_back_to_its_page():
    layout = pdf_to_layout((SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes())
    start = layout.text.index("Exit")
    boxes = layout.boxes(start, start + 4)
    assert boxes and boxes[0].page == layout.page_at(start)
    x0, top, x1, bottom = boxes[0].bbox
    assert 0 <= x0 < x1 and 0 <= top < bottom


def test_pdf_renders_a_page_image():
    data = (SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes()
    png = render_page_png(data, 1, resolution=40)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert page_count(data) == 3


# --- issue 12: empty PDFs, limits, one-line text layers, memory ----------------------------


def test_pdf_zero_pages_is_empty_pdf_not_scanned():
    from pipeline.errors import EmptyPDF
    from tests.ingest_support import zero_page_pdf

    with pytest.raises(EmptyPDF) as exc:
        pdf_to_layout(zero_page_pdf())
    assert exc.value.code == "empty_pdf" and "OCR" not in str(exc.value)


def test_pdf_blank_pages_are_empty_pdf_not_scanned():
    from pipeline.errors import EmptyPDF
    from tests.ingest_support import blank_pdf

    with pytest.raises(EmptyPDF, match="blank"):
        pdf_to_layout(blank_pdf(3))


def test_pdf_page_limit_is_too_large():
    from pipeline.errors import TooLarge

    data = (SAMPLE_DOCS / "jv_exit_amendment.pdf").read_bytes()
    with pytest.raises(TooLarge, match="4 pages, more than the limit of 3") as exc:
        pdf_to_layout(data, max_pages=3)
    assert exc.value.code == "too_large"
    assert len(pdf_to_layout(data, max_pages=4).pages) == 4


def test_pdf_one_line_text_layer_is_resegmented_issue_12():
    """Regression (issue 12): a contract whose text layer is one line per page came out as
    one clause and no obligations, processed without a word."""
    from pipeline.extract import extract
    from tests.ingest_support import one_line_pdf

    normal = extract((SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes())
    flat = extract(one_line_pdf("calloff_order_form.pdf"))
    assert len(flat.layout.lines) > 10 * len(flat.layout.pages)
    assert len(flat.clauses) >= 0.8 * len(normal.clauses)
    assert len(flat.obligations) >= 0.5 * len(normal.obligations)
    # Every word keeps the box it has in the PDF.
    words = [w for line in flat.layout.lines for w in line.words]
    assert all(flat.layout.text[w.start:w.end] == w.text for w in words)


def test_pdf_parser_version_is_named():
    from pipeline.pdf import PARSER_VERSION

    assert PARSER_VERSION and isinstance(PARSER_VERSION, str)


def test_pdf_pages_without_text_lists_scanned_pages():
    from pipeline.pdf import pages_without_text
    from pipeline.types import Layout, PageInfo

    layout = Layout(text="", lines=(), pages=(
        PageInfo(1, 595, 842, 3000, 0), PageInfo(2, 595, 842, 0, 1),
        PageInfo(3, 595, 842, 5, 1), PageInfo(4, 595, 842, 0, 0)))
    assert pages_without_text(layout) == (2, 3)
