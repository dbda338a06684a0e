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


def test_sanity_review_flags_name_where_to_check_the_pdf():
    from pipeline.sanity import review_flags
    from tests.pipeline_support import run

    lines = ["1. SERVICES", "1.1 The Supplier shall provide the Services."]
    lines += ["4. CHARGES", "4.1 The Council shall pay the Charges."]  # 1 -> 4: read into 1.1
    assert "numbering_gap:1.1→4.1" in review_flags(run(lines))
    lines = ["1. SERVICES", "1.1 The Supplier shall provide the Services."]
    lines += [
        "2. TERMINATION",
        '2.1 "Default" means a breach; "Notice" means a notice; "Term" means the term.',
    ]
    lines += ["3. GENERAL", "3.1 See clause 2.1 for the Services."]
    flags = review_flags(run(lines))
    # the heading is about termination and nothing under it was classified (definitions are
    # never); a reference to 2.1 is not a lost clause
    assert flags == ("heading_unclassified:2",)


def test_sanity_a_sample_contract_has_no_review_flags():
    from pipeline.sanity import review_flags

    for name in ("jv_services_agreement", "managed_it_services_contract"):
        extraction = extract((SAMPLE_DOCS / f"{name}.pdf").read_bytes())
        assert review_flags(extraction) == (), name  # a definitions clause may run for pages


def test_sanity_flag_summary_counts_places_per_kind():
    from pipeline.sanity import flag_summary

    flags = ["long_unit:1.1", "long_unit:9", "long_unit:+3 more", "numbering_gap:1→4", "ocr"]
    assert flag_summary(flags) == "long_unit ×5, numbering_gap, ocr"
