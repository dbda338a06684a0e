"""pipeline.layout_codec: a stored layout reads back exactly (issue 12)."""

import json
import zlib

import pytest

from pipeline.layout_codec import LayoutFormatError, layout_from_bytes, layout_to_bytes
from pipeline.pdf import pdf_to_layout
from tests.pipeline_support import SAMPLE_DOCS


@pytest.mark.parametrize("name", ["calloff_order_form.pdf", "jv_services_agreement.pdf"])
def test_layout_codec_round_trip_is_exact(name):
    layout = pdf_to_layout((SAMPLE_DOCS / name).read_bytes())
    data = layout_to_bytes(layout)
    assert layout_from_bytes(data) == layout
    assert len(data) < len(layout.text) * 5  # compact: a few bytes per character


def test_layout_codec_refuses_other_formats():
    with pytest.raises(LayoutFormatError):
        layout_from_bytes(b"not zlib at all")
    with pytest.raises(LayoutFormatError, match="format 99"):
        layout_from_bytes(zlib.compress(json.dumps({"format": 99}).encode()))


def test_layout_codec_round_trip_keeps_extraction():
    from pipeline.extract import layout_to_extraction

    layout = pdf_to_layout((SAMPLE_DOCS / "jv_exit_amendment.pdf").read_bytes())
    before = layout_to_extraction(layout)
    after = layout_to_extraction(layout_from_bytes(layout_to_bytes(layout)))
    assert after.obligations == before.obligations and after.clauses == before.clauses
