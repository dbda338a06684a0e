"""Clause categories from the rule files, with the rule ids as evidence."""

import pytest

from pipeline.analyse import analyse_clause
from pipeline.rules import load_rules
from pipeline.types import Classification
from tests.pipeline_support import run


def classify(text: str, heading: str = "", context: str = "") -> Classification:
    doc = analyse_clause(text, heading or None, (context,) if context else ())
    return Classification(0, doc._.categories, doc._.category_evidence or {})


@pytest.mark.parametrize(
    "text, heading, context, expected",
    [
        (
            "The Council may terminate this Agreement by giving six months' written notice.",
            "",
            "",
            {"termination"},
        ),
        ("The Supplier shall deliver a draft Exit Plan to the Council.", "", "", {"exit"}),
        (
            "Within 20 Working Days after the Termination Date the Supplier shall return all Council Data to the Council.",
            "",
            "",
            {"data_return"},
        ),
        (
            "The Supplier shall provide the Deletion Certificate within five days.",
            "",
            "EXIT MANAGEMENT",
            {"data_return"},
        ),
        (
            "The Supplier shall hand over all Council Data to the Replacement Supplier on termination.",
            "",
            "",
            {"exit", "data_return"},
        ),
        ("The Supplier shall invoice the Council monthly in arrears.", "", "", set()),
        ("The Supplier shall encrypt all Council Data at rest.", "Security", "", set()),
    ],
)
def test_classify_categories(text, heading, context, expected):
    assert set(classify(text, heading, context).categories) == expected


def test_classify_termination_as_an_anchor_in_an_exit_schedule_is_not_termination():
    c = classify(
        "The Exit Period begins on service of a Termination Notice and ends six months after the Expiry Date.",
        context="EXIT MANAGEMENT",
    )
    assert c.categories == ("exit",)
    assert "cat.term.anchor_only" in c.evidence.get("exit", ()) or "termination" not in c.categories


def test_classify_evidence_names_rule_ids():
    c = classify("The Council may terminate this Agreement for convenience.")
    assert c.evidence["termination"] and all(
        r.startswith("cat.") for r in c.evidence["termination"]
    )
    known = {r.id for r in load_rules("categories")}
    assert set(c.evidence["termination"]) <= known


def test_classify_definitions_are_never_classified():
    e = run(
        [
            "1. DEFINITIONS AND INTERPRETATION",
            '1.1 In this Agreement: "Exit Plan" means the plan for exit; "Termination Date" means the date of termination; "Council Data" means data.',
        ]
    )
    assert all(not c.categories for c in e.classifications)


def test_classify_a_definition_numbered_on_its_own_is_never_classified():
    # TELKOM (CUAD) 2.3.6: one definition per numbered paragraph, under no DEFINITIONS heading
    for text in (
        '2. 3. 6. "DOCUMENTATION" means the standard manuals delivered in machine readable '
        "format, returned or destroyed on termination of this Agreement.",
        "(b) “Exit Plan” shall have the meaning given in Schedule 8 (Exit Management).",
    ):
        assert classify(text).categories == ()
    assert classify(
        "1.5 The Supplier shall return all Council Data on termination, in the format the "
        '"Exit Plan" means to set out.'
    ).categories


def test_classify_export_controls_and_retaining_a_contractor_are_not_data_return():
    assert not classify(
        "Each party shall comply with all applicable export control laws and regulations.",
        "Export Controls",
    ).categories
    assert not classify(
        "The Company retains the Contractor to perform the tasks specified herein.", "Retention"
    ).categories
    assert classify(
        "The Supplier shall provide a complete export of the Customer Data in CSV format.",
        "Data Export",
    ).categories == ("data_return",)


def test_classify_a_joint_venturer_bought_out_on_default_is_exit():
    # IMPCO (CUAD) 15.2: the JV's exit is a share buy-out or sell-out on default
    text = (
        "If any event of default occurs with respect to a party, the non-defaulting Party shall "
        "be entitled to purchase all of the shares of the JVC owned by the defaulting party."
    )
    assert "exit" in classify(text).categories
    # a transfer restriction during the joint venture is not an exit
    assert "exit" not in classify(
        "No party shall transfer any of its shares in the JVC to a third party without the "
        "prior written consent of the other parties."
    ).categories


def test_classify_a_pay_scheme_heading_is_not_the_contract_term():
    # cat.exclude.incentive_plans masks "TERM" in SHORT TERM INCENTIVE PLAN; the text still counts
    assert (
        classify(
            "The Executive's target award will be up to 112% of base salary.",
            heading="SHORT TERM INCENTIVE PLAN (STIP)",
        ).categories
        == ()
    )
    assert (
        "termination"
        in classify(
            "If the Executive's employment is terminated before the bonus is paid, the Company may "
            "terminate this Agreement by giving three months' notice.",
            heading="SHORT TERM INCENTIVE PLAN (STIP)",
        ).categories
    )


def test_classify_each_obligation_carries_its_own_sentence_categories():
    doc = analyse_clause(
        "The Supplier shall return all Council Data to the Council within 10 Working Days. "
        "The Supplier shall deliver the Exit Plan within 20 Working Days. "
        "The Supplier shall pay the Council's costs of any audit within 30 days.",
        context=("SUPPLIER OBLIGATIONS",),
    )
    found = {s._.candidate.action[:20]: s._.candidate.categories for s in doc.spans["obligation"]}
    assert found == {
        "return all Council D": ("data_return",),
        "deliver the Exit Pla": ("exit",),
    }  # the audit costs duty is about none of our categories and is not shown


def test_classify_a_list_under_a_stem_takes_the_stems_categories():
    doc = analyse_clause(
        "On the Exit Date the Supplier shall deliver to the Council: (a) a complete copy of the "
        "Council Data; and (b) the source code of the Software.",
        context=("SUPPLIER OBLIGATIONS",),
    )
    categories = {c for s in doc.spans["obligation"] for c in s._.candidate.categories}
    assert categories and all(s._.candidate.categories for s in doc.spans["obligation"])


def test_classify_confidence_follows_how_plainly_the_clause_is_about_its_category():
    def only(text, context=()):
        (span,) = analyse_clause(text, context=context).spans["obligation"]
        return span._.candidate

    plain = only(
        "On termination the Supplier shall return all Council Data to the Council and "
        "delete all copies, and shall certify the deletion within 10 Working Days.",
        context=("RETURN AND DELETION OF COUNCIL DATA",),
    )
    barely = only("The Supplier shall return the Loaned Equipment at the end of the Term.")
    assert barely.confidence < plain.confidence
    assert barely.rules["confidence"] in (("conf.topic.weak",), ("conf.topic.moderate",))
    assert "confidence" not in plain.rules
