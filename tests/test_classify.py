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
