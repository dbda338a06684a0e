"""The yardstick: the rules against the hand-written gold (sample_docs/gold) and against
CUAD's expert spans. The floors are the figures reached; a rule change that loses recall or
precision fails here (raise a floor when the figures improve)."""

from __future__ import annotations

import pytest

from pipeline.evaluate import (
    anchors_agree,
    deadlines_agree,
    labels_from_extraction,
    load_gold,
    score,
    score_cuad,
    span_found,
)
from tests.conftest import CUAD, GOLD
from tests.pipeline_support import sample

# Figures reached on all nine sample documents (obligations evaluate --set samples). They guard
# against regressions, not for generalising: when a change raises the real-contract figures
# (--set dev) and lowers one of these, the floor is lowered in the same commit, never below
# clause F1 0.92 / obligation F1 0.88. Lowered in issue 10: headings read as a reader reads
# them (exit clause F1) and categories per sentence rather than per clause
# (data_return, exit obligation F1; the samples' gold gives each limb its clause's categories).
# Deadline 0.926 -> 0.925 (issue 10, parties named by their position): "the Receiving Party
# shall promptly return …" (Section 6.4 of the US MSA) is now found; its gold anchors
# "promptly" to the trigger ("Upon the expiration or termination"), the pipeline does not.
CLAUSE_F1_FLOOR = {"exit": 0.946, "data_return": 0.955, "termination": 0.961}
OBLIGATION_F1_FLOOR = {"exit": 0.925, "data_return": 0.905, "termination": 0.941, "all": 0.968}
FIELD_FLOOR = {"obligor": 0.996, "modality": 0.994, "deadline": 0.925}
# CUAD recall is measured on obligations shown in our categories. Lowered in issue 10, where
# a duty must be about exit, data return or termination in its own sentence to be shown: the
# volume per contract fell by a third to a half (termination 26.8 -> 16.5, exit 7.8 -> 4.5,
# data return 8.3 -> 3.6) for one span per category missed. Post-Termination Services raised
# to 0.925 (75/81) when the grounds and parties by position of issue 10 found one more;
# Notice Period To Terminate Renewal to 1.0 when "a Notice of non-renewal is given by either
# Party" was read (the hyphen broke the pattern).
CUAD_RECALL_FLOOR = {
    "Post-Termination Services": 0.925,
    "Notice Period To Terminate Renewal": 1.0,
    "Termination For Convenience": 0.974,
}


@pytest.fixture(scope="module")
def gold_result():
    gold = load_gold(GOLD)
    predicted = [
        labels_from_extraction(g.document, sample(g.document.removesuffix(".pdf"))) for g in gold
    ]
    return score(gold, predicted)


@pytest.mark.parametrize("category", sorted(CLAUSE_F1_FLOOR))
def test_evaluate_clause_f1_does_not_drop(gold_result, category):
    assert gold_result["clauses"][category]["f1"] >= CLAUSE_F1_FLOOR[category]


@pytest.mark.parametrize("category", sorted(OBLIGATION_F1_FLOOR))
def test_evaluate_obligation_f1_does_not_drop(gold_result, category):
    assert gold_result["obligations"][category]["f1"] >= OBLIGATION_F1_FLOOR[category]


@pytest.mark.parametrize("name", sorted(FIELD_FLOOR))
def test_evaluate_field_accuracy_does_not_drop(gold_result, name):
    assert gold_result["fields"][name] >= FIELD_FLOOR[name]


def test_evaluate_issue_thresholds(gold_result):
    # issue 3 asked for clause F1 >= 0.95 and obligation F1 >= 0.90 on the samples; since real
    # contracts decide (issue 10), the floors below which no sample figure may fall are
    # clause F1 0.92 and obligation F1 0.88; obligor / modality / deadline accuracy >= 0.90
    assert all(v["f1"] >= 0.92 for v in gold_result["clauses"].values())
    assert all(v["f1"] >= 0.88 for v in gold_result["obligations"].values())
    assert all(v >= 0.90 for v in gold_result["fields"].values())


# --- the scoring rules themselves (GUIDELINES.md §5) ----------------------------------------


def test_evaluate_matching_by_ref_and_quote():
    from pipeline.evaluate import DocLabels

    gold = DocLabels(
        "a.pdf",
        {"1.1": frozenset({"exit"})},
        (
            {
                "ref": "1.1",
                "quote": "deliver the Exit Plan",
                "categories": frozenset({"exit"}),
                "modality": "obligation",
                "obligor": "Supplier",
                "deadline": None,
            },
        ),
    )
    predicted = DocLabels(
        "a.pdf",
        {"1.1": frozenset({"exit"}), "1.2": frozenset({"exit"})},
        (
            {
                "ref": "1.1",
                "text": "The Supplier shall deliver  the exit plan.",
                "categories": frozenset({"exit"}),
                "modality": "obligation",
                "obligor": "Council",
                "deadline": None,
            },
        ),
    )
    result = score([gold], [predicted])
    assert result["clauses"]["exit"]["tp"] == 1 and result["clauses"]["exit"]["fp"] == 1
    assert result["obligations"]["exit"]["tp"] == 1
    assert result["fields"] == {"obligor": 0.0, "modality": 1.0, "deadline": 1.0}


def test_evaluate_deadlines_compare_anchor_words():
    g = {
        "duration": "P20D",
        "business_days": True,
        "relation": "within",
        "anchor": "Termination Date",
    }
    p = dict(g, anchor="the Termination Date of this Agreement")
    assert deadlines_agree(g, p)
    assert not deadlines_agree(g, dict(g, duration="P30D"))
    assert not anchors_agree("Exit Date", "receipt of the notice")


def test_evaluate_cuad_span_rule():
    assert span_found(
        "Either party may terminate on ninety days notice",
        ["Either party may terminate this Agreement on ninety days notice."],
    )
    assert not span_found(
        "Either party may terminate on ninety days notice", ["The Supplier shall pay invoices."]
    )


# --- CUAD -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_cuad_every_contract_ingests_and_recall_holds():
    if not (CUAD / "labels.jsonl").is_file():
        pytest.skip(f"the CUAD subset is not on this machine (looked in {CUAD})")
    from cli.evaluate import evaluate_cuad

    result = evaluate_cuad(CUAD, workers=None)
    assert result["contracts"] == 38 and not result["failed"], result["failed"]
    for category, floor in CUAD_RECALL_FLOOR.items():
        assert result["recall"][category] >= floor, (category, result["recall"])
    # recall is cheap: keep the volume a reviewer faces in view
    assert all(v <= 60 for v in result["mean_obligations_per_contract"].values())


def test_evaluate_cuad_scoring_counts_spans():
    labels = [
        {
            "file": "x.pdf",
            "cuad_category": "Termination For Convenience",
            "our_categories": ["termination"],
            "spans": ["may terminate at any time", "unrelated words here"],
        }
    ]
    result = score_cuad(
        labels,
        {
            "x.pdf": [
                {"text": "Either party may terminate at any time.", "categories": ["termination"]}
            ]
        },
    )
    assert result["spans"]["Termination For Convenience"] == {"found": 1, "total": 2}


def test_evaluate_loads_every_gold_file():
    docs = load_gold(GOLD)
    assert len(docs) == 9 and all(d.units and d.obligations for d in docs)
