"""Handover gaps (pipeline.handover): the outgoing provider's exit duties against an incoming
supplier's take-over duties, topic by topic."""

from __future__ import annotations

import pytest
from pipeline_support import sample

from pipeline.exit_data import ClauseRow, ContractData, contract_from_extraction
from pipeline.handover import compare_handover, load_handover_rules
from pipeline.yaml_rules import RuleFileError


def _contract(name: str, role: str, *clauses: tuple[str, str, tuple]) -> ContractData:
    rows = tuple(
        ClauseRow(position=i, ref=ref, heading=None, text=text, unit=True, parent=None,
                  categories=cats)
        for i, (ref, text, cats) in enumerate(clauses)
    )
    return ContractData(
        name=name, title=None, contract_type="supplier", counterparty=f"{role} Ltd",
        parties=(("Birchester City Council", "Council"), (f"{role} Ltd", role)),
        clauses=rows, obligations=(),
    )


OUTGOING = _contract(
    "jv.pdf", "Company",
    ("6.1", "The Company shall, within 20 Working Days after the Termination Date, deliver all "
            "Council Data to the Council as CSV files.", ("data_return",)),
    ("7.4", "The Company shall procure the novation of each sub-contract to the Replacement "
            "Supplier on the Exit Date.", ("exit",)),
    ("8.1", "The Council shall pay the Company within 30 days.", ("exit",)),
    ("9.1", "The Company shall keep its offices tidy during the Term.", ()),
)
INCOMING = _contract(
    "new.pdf", "Supplier",
    ("4.2", "The Supplier shall load the Council Data received from the Outgoing Provider into "
            "its service management tool before the Commencement Date.", ()),
    ("4.3", "The Supplier shall take over the TUPE transfer of the Transferring Former Supplier "
            "Employees from the Outgoing Provider.", ()),
    ("12.1", "The Supplier shall return all Council Data to the Council on the Exit Date.",
     ("data_return",)),  # its own exit: not a take-over
)


def test_handover_lines_up_topics_and_reports_gaps_both_ways():
    comparison = compare_handover([OUTGOING], INCOMING)
    topics = {t.topic: t for t in comparison.topics}
    data = topics["data"]
    assert [d.unit_ref for d in data.outgoing] == ["6.1"]
    assert data.outgoing[0].formats == ("CSV",)
    assert data.outgoing[0].deadline == "within 20 Working Days after the Termination Date"
    assert [d.unit_ref for d in data.incoming] == ["4.2"]  # not 12.1: its own exit
    assert data.gap is None
    assert topics["contracts"].gap == "no_taker"  # novation: nobody takes it on
    assert topics["staff"].gap == "no_giver"  # TUPE taken on, never handed over
    assert {t.topic for t in comparison.gaps} == {"contracts", "staff"}
    # Only the outgoing provider's duties count: the Council's payment is not handed over.
    assert all(d.party == "Company" for t in comparison.topics for d in t.outgoing)


def test_handover_sample_jv_against_the_managed_it_contract():
    jv = contract_from_extraction("jv_services_agreement.pdf", sample("jv_services_agreement"))
    new = contract_from_extraction(
        "managed_it_services_contract.pdf", sample("managed_it_services_contract")
    )
    comparison = compare_handover([jv], new)
    topics = {t.topic: t for t in comparison.topics}
    # The JV hands over Council Data and the new supplier loads what it receives (clause 4.2).
    assert topics["data"].outgoing and "4.2" in {d.unit_ref for d in topics["data"].incoming}
    # Nothing in the new contract takes on the JV's sub-contracts, assets or credentials.
    assert topics["contracts"].gap == "no_taker"
    assert topics["assets"].gap == "no_taker"
    assert topics["access"].gap == "no_taker"
    # The JV's staff information meets the new supplier's TUPE duties (Schedule 5 Part A).
    assert topics["staff"].gap is None


def test_handover_rules_refuse_a_duplicate_topic(tmp_path):
    path = tmp_path / "handover.yaml"
    topic = "  - {id: data, label: Data, outgoing: [data], incoming: [data]}\n"
    path.write_text(f"version: 1\noutgoing_context: []\nincoming_context: []\ntopics:\n{topic}{topic}")
    with pytest.raises(RuleFileError, match="duplicate topic id 'data'"):
        load_handover_rules(path)
