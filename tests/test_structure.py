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


# --- issue 10: layouts of real filings and UK model schedules --------------------------------


def refs(lines, **kw):
    return [c.ref for c in layout_to_clauses(layout_from_lines(lines, **kw)) if c.unit]


def test_structure_numbers_typeset_with_spaces():
    # TELKOM (CUAD): "6. 1. Duration:", "6. 2. 1. 30 (thirty) days after …"
    assert refs(
        [
            "6. DURATION AND TERMINATION",
            "6. 1. Duration: The licence shall endure indefinitely.",
            "6. 2. Termination: This Agreement shall terminate should any of the following occur:",
            "6. 2. 1. 30 (thirty) days after TELKOM gives notice; or",
            "6. 2. 2. Subject to the provisions of this Agreement, a breach.",
        ]
    ) == ["6.1", "6.2", "6.2.1", "6.2.2"]


def test_structure_articles_with_a_dash_and_lettered_numbers():
    # IMPCO (CUAD): "ARTICLE – 16", "16.5", "ARTICLE – 16A", "16A.1"
    clauses = layout_to_clauses(
        layout_from_lines(
            [
                "ARTICLE – 16",
                "TERM AND TERMINATION",
                "16.1 This Agreement shall continue in force until terminated.",
                "16.2 Either Party may terminate this Agreement by notice.",
                "ARTICLE – 16A",
                "USE OF KNOW-HOW AFTER TERMINATION",
                "16A.1 The Parties agree that the licence shall end on termination.",
            ]
        )
    )
    units = [c for c in clauses if c.unit]
    assert [c.ref for c in units] == ["16.1", "16.2", "16A.1"]
    heading_above = {c.ref: clauses[c.parent].heading for c in units}
    assert heading_above["16.2"] == "TERM AND TERMINATION"
    assert heading_above["16A.1"] == "USE OF KNOW-HOW AFTER TERMINATION"


def test_structure_model_schedule_titles_parts_and_an_annex_of_a_part():
    # CCS Security schedule: "CALL-OFF SCHEDULE C8: (OPTIONAL)", "PART B - ANNEX 1: …"
    assert refs(
        [
            "CALL-OFF SCHEDULE C8: (OPTIONAL)",
            "SECURITY",
            "PART A: SHORT FORM SECURITY REQUIREMENTS (applicable to Lot 1a)",
            "1. DEFINITIONS",
            "1.1 In this Schedule the words have these meanings.",
            "PART B: LONG FORM SECURITY REQUIREMENTS",
            "1. DEFINITIONS",
            "1.1 In this Schedule the words have these meanings.",
            "PART B - ANNEX 1: BASELINE SECURITY REQUIREMENTS",
            "1. DATA",
            "1.1 The Supplier shall securely erase any Government Data on request.",
            "JOINT SCHEDULE 3",
            "INSURANCE",
            "1. INSURANCES",
            "1.1 The Supplier shall maintain the Insurances.",
        ]
    ) == [
        "Schedule C8, Part A, paragraph 1.1",
        "Schedule C8, Part B, paragraph 1.1",
        "Schedule C8, Part B, Annex 1, paragraph 1.1",
        "Schedule 3, paragraph 1.1",
    ]


def test_structure_contents_with_page_words_are_skipped():
    # MANUFACTURERS SERVICES (CUAD): "SECTION 5.0 TERMINATION.......... Page 6"
    assert refs(
        [
            "SECTION 4.0 TERM.............................. Page 6",
            "SECTION 5.0 TERMINATION....................... Page 6",
            "SECTION 4.0 TERM",
            "This Agreement shall start on the Effective Date.",
            "SECTION 5.0 TERMINATION",
            "Either Party may terminate this Agreement for breach.",
        ]
    ) == ["Section 4.0", "Section 5.0"]


def test_structure_a_document_set_all_in_bold_has_headings_only_where_they_stand_apart():
    # MJ BIOTECH (CUAD): every line bold; headings are short title-case lines above a run
    lines = [
        "1. Any Participant will have the right to voluntarily withdraw from",
        "the Joint Venture at any time.",
        "Involuntary Withdrawal of a Participant",
        "2. Events resulting in the involuntary withdrawal of a Participant include death.",
        "3. The involuntary withdrawal of a Participant will result in the dissolution.",
    ]
    layout = layout_from_lines(lines, bold=set(range(len(lines))))
    layout = type(layout)(
        text=layout.text,
        lines=tuple(
            type(ln)(
                **{
                    **{f: getattr(ln, f) for f in ln.__slots__},
                    "gap_before": 20.0 if i == 2 else ln.gap_before,
                }
            )
            for i, ln in enumerate(layout.lines)
        ),
        pages=layout.pages,
    )
    clauses = {c.ref: c for c in layout_to_clauses(layout) if c.unit}
    assert clauses["1"].heading is None  # its own first words are not a heading
    assert clauses["2"].heading == "Involuntary Withdrawal of a Participant"
    assert clauses["3"].section == "Involuntary Withdrawal of a Participant"


def test_structure_a_number_run_into_its_first_word():
    # CCS Security: "3.3.1unless otherwise specified by the Buyer …"
    assert refs(
        [
            "3. ISMS",
            "3.1 The Supplier shall develop the ISMS.",
            "3.2 The ISMS shall:",
            "3.2.1unless otherwise specified by the Buyer, be certified;",
            "3.2.2 meet the Security Policy.",
        ]
    ) == ["3.1", "3.2", "3.2.1", "3.2.2"]


def test_structure_a_sub_clause_after_and_or_completes_its_stem():
    # Financial Distress 5.1.3 and TELKOM 16.2.2 / 9.7.2: the line before ends "and/or", the
    # sub-clause starts in lower case (it was read as a wrapped quantity)
    assert refs(
        [
            "5. TERMINATION RIGHTS",
            "5.1 CCS shall be entitled to terminate this Contract if:",
            "5.1.1 the Supplier fails to notify CCS of a Financial Distress Event;",
            "5.1.2 CCS and the Supplier fail to agree a Service Continuity Plan; and/or",
            "5.1.3 the Supplier fails to comply with the terms of the Plan.",
        ]
    ) == ["5.1", "5.1.1", "5.1.2", "5.1.3"]
