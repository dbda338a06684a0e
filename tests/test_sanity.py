"""pipeline.sanity: documents whose structure was not found are flagged (issue 12)."""

from dataclasses import replace

from pipeline.extract import extract
from pipeline.sanity import flag_obligations, structure_flags
from tests.pipeline_support import SAMPLE_DOCS


def test_sanity_a_sample_contract_is_not_flagged():
    extraction = extract((SAMPLE_DOCS / "jv_exit_amendment.pdf").read_bytes())
    assert structure_flags(extraction) == ()


def test_sanity_pages_of_text_without_units_are_low_structure():
    extraction = extract((SAMPLE_DOCS / "jv_exit_amendment.pdf").read_bytes())
    flat = replace(extraction, clauses=tuple(replace(c, unit=False) for c in extraction.clauses))
    assert structure_flags(flat) == ("low_structure",)
    flagged = flag_obligations(flat, ("low_structure",))
    assert all("low_structure" in ob.flags for ob in flagged.obligations)
