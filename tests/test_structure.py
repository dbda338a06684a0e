"""The clause tree: refs printed as a lawyer cites them, on our samples and on layouts that
real PDFs (CUAD) taught us about."""

import pytest

from pipeline.structure import layout_to_clauses
from tests.pipeline_support import layout_from_lines, sample


@pytest.mark.parametrize(
    "document, refs",
    [
        (
            "jv_services_agreement",
            [
                "23.2.1",
                "28.1(b)",
                "31.1.1",
                "Schedule 8, paragraph 3.2",
                "Schedule 8, paragraph 6.2.3(c)(i)",
                "Schedule 7, Part B, paragraph 1.1",
            ],
        ),
        (
            "us_master_services_agreement",
            [
                "Section 9.6",
                "Section 9.6(e)",
                "Exhibit A, paragraph 5",
                "Exhibit B, Part A, paragraph 1(a)",
            ],
        ),
        ("network_services_contract", ["Schedule 5, Part A, paragraph 2", "Annex 1, paragraph 3"]),
        ("records_management_services", ["Clause 4"]),
    ],
)
def test_structure_refs_as_printed(document, refs):
    found = {c.ref for c in sample(document).clauses}
    for ref in refs:
        assert ref in found, ref


def test_structure_schedule_title_on_the_line_after_its_number():
    schedule8 = next(c for c in sample("jv_services_agreement").clauses if c.ref == "Schedule 8")
    assert schedule8.heading == "EXIT MANAGEMENT"


def test_structure_sub_clauses_starting_lower_case_complete_their_stem():
    layout = layout_from_lines(
        [
            "1. TERMINATION",
            "1.1 The Council may terminate this Agreement if:",
            "1.1.1 an Insolvency Event occurs; or",
            "1.1.2 a Change of Control occurs.",
        ]
    )
    refs = [c.ref for c in layout_to_clauses(layout) if c.unit]
    assert refs == ["1.1", "1.1.1", "1.1.2"]


def test_structure_wrapped_reference_is_not_a_clause_start():
    layout = layout_from_lines(
        [
            "1. EXIT",
            "1.1 The Supplier shall comply with Clause",
            "2.3 when it returns the data.",
        ]
    )
    assert [c.ref for c in layout_to_clauses(layout)] == ["1", "1.1"]


def test_structure_sec_filing_label_is_not_an_exhibit():
    # CUAD: "EXHIBIT 10.14" above the title of a filed agreement
    layout = layout_from_lines(
        [
            "EXHIBIT 10.14",
            "SOFTWARE HOSTING AGREEMENT",
            "1. TERM",
            "1.1 This Agreement starts today.",
        ],
        bold={0},
    )
    refs = [c.ref for c in layout_to_clauses(layout)]
    assert "1.1" in refs and not any(r.startswith("Exhibit") for r in refs)


def test_structure_schedule_of_lettered_paragraphs_has_units():
    # CUAD (Cardlytics): a schedule written as "(A) … (B) …" with no numbered paragraphs
    layout = layout_from_lines(
        [
            "1. TERM",
            "1.1 This Agreement starts today.",
            "SCHEDULE A",
            "(A) Bank may terminate Maintenance Services for convenience at any time.",
            "(B) Maintenance Services shall be provided for twelve months.",
        ],
        bold={2},
    )
    units = [c.ref for c in layout_to_clauses(layout) if c.unit]
    assert "Schedule A(A)" in units and "Schedule A(B)" in units
