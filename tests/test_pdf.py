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
    assert all(flat.layout.text[w.start : w.end] == w.text for w in words)


def test_pdf_parser_version_is_named():
    from pipeline.pdf import PARSER_VERSION

    assert PARSER_VERSION and isinstance(PARSER_VERSION, str)


def test_pdf_pages_without_text_lists_scanned_pages():
    from pipeline.pdf import pages_without_text
    from pipeline.types import Layout, PageInfo

    layout = Layout(
        text="",
        lines=(),
        pages=(
            PageInfo(1, 595, 842, 3000, 0),
            PageInfo(2, 595, 842, 0, 1),
            PageInfo(3, 595, 842, 5, 1),
            PageInfo(4, 595, 842, 0, 0),
        ),
    )
    assert pages_without_text(layout) == (2, 3)


# --- furniture where filings put it (issue 10) ---------------------------------------------


def _raw_pages(pages: list[list[str]], top: float = 300.0):
    """Pages of raw lines, 14 points apart from ``top`` on an A4 page (mid-page, as in a
    filing printed from HTML, where a page's text ends wherever it ends)."""
    from pipeline.pdf import _RawLine, _RawPage, _RawWord
    from pipeline.types import PageInfo

    out = []
    for number, lines in enumerate(pages, start=1):
        raw = []
        for i, text in enumerate(lines):
            y = top + 14 * i
            words = [_RawWord(w, (72.0, y, 100.0, y + 10), False, 10.0) for w in text.split()]
            raw.append(_RawLine(words, number))
        out.append(_RawPage(PageInfo(number, 595, 842, 0, 0), raw, []))
    return out


def _body(pages):
    from pipeline.pdf_lines import body_lines, find_furniture

    raw = _raw_pages(pages)
    lines, _ = body_lines(raw, find_furniture(raw))
    return [line.text for line, _ in lines]


def test_pdf_footers_in_mid_page_are_removed_when_they_recur():
    # a filing printed from HTML: several original pages on one PDF page, each with its footer
    page = [
        "1.1 The Supplier shall deliver the Exit Plan.",
        "Page 3",
        "Dated 05/05/98",
        "IBM Confidential",
        "1.2 The Council may approve it.",
        "the Council; and",
    ]
    body = _body([page] * 6)
    assert "IBM Confidential" not in body and "Dated 05/05/98" not in body
    assert body.count("1.1 The Supplier shall deliver the Exit Plan.") == 6
    assert body.count("the Council; and") == 6  # a wrapped clause's end is not a footer
    assert "Page 3" not in body


def test_pdf_page_numbers_running_with_the_pages_are_removed_wherever_the_page_ends():
    pages = [[f"{n}.1 The Council may terminate on notice.", f"{n}"] for n in range(1, 7)]
    body = _body(pages)
    assert body == [f"{n}.1 The Council may terminate on notice." for n in range(1, 7)]


def test_pdf_a_number_that_does_not_run_with_the_pages_is_text():
    pages = [["The Council may terminate:", "12."], ["TERMINATION", "The Supplier shall."]]
    assert _body(pages) == [
        "The Council may terminate:",
        "12.",
        "TERMINATION",
        "The Supplier shall.",
    ]


def test_pdf_recurring_structural_headings_are_kept():
    pages = [["ARTICLE – 5", f"5.{n} The Company shall keep records."] for n in range(1, 7)]
    assert _body(pages).count("ARTICLE – 5") == 6


def test_pdf_look_alike_code_points_are_read_as_what_they_stand_for():
    # Six of the twelve real development contracts print ";" as U+037E GREEK QUESTION MARK:
    # limbs ending in it were not read as limbs ("(b)" after "…; " opened nothing).
    from pipeline.pdf_lines import canonical_text

    assert canonical_text("to do so\u037e") == "to do so;"
    assert canonical_text("\ufb01fteen (15) days") == "fifteen (15) days"
    assert canonical_text("\u2126") == "\u03a9"
    assert canonical_text("Council’s “Data” – é") == "Council’s “Data” – é"  # kept as printed
