"""The exit checklist (pipeline.checklist): its rule file, how a provision is found and
judged present / weak / missing, and the item accuracy it holds on the sample gold."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_support import SAMPLE_DOCS, sample

from pipeline.checklist import contract_checklist
from pipeline.checklist_rules import CHECKLIST_FILE, load_checklist_rules
from pipeline.evaluate_checklist import load_checklist_gold, score_checklists
from pipeline.exit_data import (
    ClauseRow,
    ContractData,
    Deadline,
    ObligationRow,
    contract_from_extraction,
)
from pipeline.survival import referenced_keys
from pipeline.yaml_rules import RuleFileError

GOLD = SAMPLE_DOCS / "gold"
# Item accuracy on the nine samples when this was written; a change that lowers it fails here.
SAMPLE_ACCURACY = 0.93


# --- the rule file ----------------------------------------------------------------------------------


def test_checklist_rules_ship_every_checklist_md_item():
    rules = load_checklist_rules()
    documented = [
        line.split("`")[1]
        for line in (GOLD / "CHECKLIST.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    assert [i.id for i in rules.items] == documented
    assert len(documented) == 17


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = CHECKLIST_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "checklist.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("    essentials: [party, time]\n", "    essentials: [party, time]\n    colour: red\n",
         "items[0] (exit_plan).colour", "unknown key"),
        ("    essentials: [party, time]\n", "    essentials: [party, deadline]\n",
         "items[0] (exit_plan).essentials[1]", "Input should be"),
        ("    essentials: [party, time]\n", "    essentials: party\n",
         "items[0] (exit_plan).essentials", "valid list"),
        ("- id: exit_period\n", "- id: exit_plan\n", "items", "duplicate item id 'exit_plan'"),
        ("- id: ck.exit_period.defined", "- id: ck.exit_period.after_end",
         "items[1] (exit_period).rules", "duplicate rule id 'ck.exit_period.after_end'"),
        ("'\\bcessation\\b',", "'\\bcessation(\\b',", "terms.end[4]", "not a valid regular expression"),
        ("version: 1\n", "version: 1\nversion: 2\n", "version", "duplicate key (line"),
        ("          - terms: [transition_in]\n", "          - terms: [transition_out]\n",
         "(top level)", "unknown term 'transition_out'"),
    ],
)
def test_checklist_rules_refuse_a_bad_file_with_file_key_and_reason(tmp_path, old, new, key, reason):
    with pytest.raises(RuleFileError) as err:
        load_checklist_rules(_broken(tmp_path, old, new))
    assert err.value.path.endswith("checklist.yaml")
    assert err.value.key == key
    assert reason in err.value.reason
    assert str(err.value).startswith(f"checklist.yaml: {key}: ")


def test_checklist_rules_refuse_what_is_not_yaml(tmp_path):
    path = tmp_path / "checklist.yaml"
    path.write_text("version: 1\nitems: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="not valid YAML"):
        load_checklist_rules(path)


# --- finding provisions ------------------------------------------------------------------------------


def _contract(*clauses: tuple[str, str], obligations=(), heading=None) -> ContractData:
    rows = tuple(
        ClauseRow(position=i, ref=ref, heading=heading, text=text, unit=True, parent=None)
        for i, (ref, text) in enumerate(clauses)
    )
    return ContractData(
        name="t.pdf", title=None, contract_type="supplier", counterparty="Acme Ltd",
        parties=(("Birchester City Council", "Council"), ("Acme Ltd", "Supplier")),
        clauses=rows, obligations=tuple(obligations),
    )


def _state(contract: ContractData, item: str) -> str:
    return contract_checklist(contract).item(item).state


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("The Supplier shall deliver a draft Exit Plan to the Council within three (3) months "
         "of the Effective Date.", "present"),
        ("The Supplier shall deliver a draft Exit Plan to the Council.", "weak"),
        ("The Exit Plan shall be agreed in accordance with Schedule 8.", "weak"),
        ("The Supplier shall comply with the Business Continuity Plan.", "missing"),
    ],
)
def test_checklist_exit_plan_states(text, state):
    assert _state(_contract(("24.1", text)), "exit_plan") == state


def test_checklist_weak_when_no_party_acts_and_present_once_a_reviewer_names_one():
    text = "The Supplier shall return all Council Data in CSV format after the Termination Date."
    assert _state(_contract(("6.1", text)), "data_return_format") == "present"  # "in CSV"
    passive = "All Council Data shall be returned on termination."
    contract = _contract(("6.1", passive))
    result = contract_checklist(contract).item("data_return_format")
    assert result.state == "weak" and result.findings[0].unstated == ("party", "format")
    reviewed = ObligationRow(
        id="ob1", ref="6.1", clause=0, categories=("data_return",), modality="obligation",
        obligor="Supplier", beneficiary="Council", action="return all Council Data",
        trigger="on termination", deadline=None, text=passive,
    )
    result = contract_checklist(_contract(("6.1", passive), obligations=[reviewed]))
    assert result.item("data_return_format").findings[0].unstated == ("format",)
    assert result.item("data_return_format").findings[0].obligations == ("ob1",)


def test_checklist_a_deadline_on_the_obligation_states_the_time():
    text = "The Supplier shall securely delete all Council Data once the Exit Plan is complete."
    assert _state(_contract(("6.6", text)), "data_deletion") == "weak"
    dated = ObligationRow(
        id="ob2", ref="6.6", clause=0, categories=("data_return",), modality="obligation",
        obligor="Supplier", beneficiary="Council", action="securely delete all Council Data",
        trigger=None, text=text,
        deadline=Deadline(text="as the Exit Plan says", duration="P30D", business_days=False,
                          relation="within", anchor="Exit Date"),
    )
    assert _state(_contract(("6.6", text), obligations=[dated]), "data_deletion") == "present"


def test_checklist_limbs_are_read_with_their_stem():
    stem = ClauseRow(position=0, ref="31.1", heading="Insolvency", unit=True, parent=None,
                     text="The Council may terminate this Agreement with immediate effect if:")
    limb = ClauseRow(position=1, ref="31.1(a)", heading=None, unit=False, parent=0,
                     kind="limb", text="the Supplier suffers an Insolvency Event; or")
    contract = ContractData(name="t.pdf", title=None, contract_type="supplier", counterparty=None,
                            parties=(), clauses=(stem, limb), obligations=())
    result = contract_checklist(contract).item("termination_insolvency")
    assert result.state == "present" and result.refs == ("31.1",)
    assert result.findings[0].ref == "31.1(a)"


def test_checklist_definitions_are_never_provisions():
    text = "“Exit Plan” means the plan delivered by the Supplier within 3 months of the Effective Date."
    assert _state(_contract(("1.1", text)), "exit_plan") == "missing"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Clauses 1, 6 and 12 shall survive the termination or expiry of this Contract.", "present"),
        ("Any provision which by its nature is intended to survive shall survive termination.",
         "weak"),
        ("Clause 1 shall survive the termination or expiry of this Contract.", "missing"),
        ("Schedule 8 (Exit Management) shall survive termination.", "present"),
    ],
)
def test_checklist_survival_present_weak_or_nothing(text, state):
    contract = _contract(
        ("1", "In this Contract the words have the meanings given in Schedule 1."),
        ("6", "The Supplier shall return all Council Data in CSV format on the Exit Date."),
        ("12.3", text),
    )
    assert _state(contract, "survival") == state


def test_checklist_survival_resolves_lists_and_ranges():
    keys = referenced_keys("sections 3.4, 8.1 through 8.3 and article xi and schedules 5 and 6")
    assert keys == ["3.4", "8.1", "8.2", "8.3", "xi", "schedule 5", "schedule 6"]


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("At the Council's option, the Supplier shall return or destroy all Council Data.",
         "present"),
        ("The Supplier shall return or destroy all Council Data at the Council's request.", "weak"),
        ("The Supplier shall return all Council Data and then delete all copies of it.", "missing"),
        ("At the Supplier's option, the Council shall return or destroy the Supplier's "
         "Confidential Information.", "missing"),
    ],
)
def test_checklist_return_or_delete_choice_needs_the_customer_to_decide(text, state):
    assert _state(_contract(("15.4", text)), "return_or_delete_choice") == state


def test_checklist_termination_items():
    contract = _contract(
        ("24.1", "The Council may terminate this Contract for convenience by giving the "
                 "Supplier not less than ninety (90) days' written notice."),
        ("24.2", "The Council may terminate this Contract with immediate effect if the Supplier "
                 "commits a material breach which is not remedied within 30 days."),
        ("24.3", "This Contract may be terminated on 30 days' notice."),
    )
    checklist = contract_checklist(contract)
    assert checklist.item("termination_convenience").state == "present"
    assert checklist.item("termination_default").state == "present"
    assert checklist.item("termination_insolvency").state == "missing"
    assert checklist.item("termination_change_of_control").state == "missing"
    weak = contract_checklist(_contract(("24.3", contract.clauses[2].text)))
    assert weak.item("termination_convenience").state == "weak"  # nobody named


# --- the figure on the samples -------------------------------------------------------------------------


def test_checklist_holds_its_item_accuracy_on_the_sample_gold():
    rules = load_checklist_rules()
    gold, without = load_checklist_gold(GOLD, [i.id for i in rules.items], "samples")
    assert without == [] and len(gold) == 9
    predicted = [
        contract_checklist(contract_from_extraction(g.document, sample(Path(g.document).stem)))
        for g in gold
    ]
    result = score_checklists(gold, predicted)
    assert result["total"] == 9 * 17
    assert result["accuracy"] >= SAMPLE_ACCURACY, result["mistakes"]
    # The JV agreement is the estate's model exit: every item present.
    jv = next(c for c in predicted if c.document == "jv_services_agreement.pdf")
    assert jv.counts() == {"present": 17, "weak": 0, "missing": 0}
