"""Parties, roles, contract type and counterparty from the documents themselves."""

import pytest

from tests.pipeline_support import sample


@pytest.mark.parametrize(
    "document, roles, contract_type, counterparty",
    [
        (
            "jv_services_agreement",
            {"Council", "Company", "Guarantor"},
            "jv",
            "Birchester Meridian Services Limited",
        ),
        (
            "saas_subscription_agreement",
            {"Customer", "Cloudlight"},
            "supplier",
            "Cloudlight Software Ltd",
        ),
        (
            "data_processing_agreement",
            {"Controller", "Processor"},
            "supplier",
            "Larkspur Data Services Ltd",
        ),
        ("us_master_services_agreement", {"Provider", "Customer"}, "supplier", "Quillon Analytics"),
        ("jv_exit_amendment", {"Council", "Company"}, "jv", "Birchester Meridian Services Limited"),
    ],
)
def test_parties_from_the_front_page(document, roles, contract_type, counterparty):
    parties = sample(document).parties
    assert set(parties.roles) == roles
    assert parties.contract_type == contract_type
    assert parties.counterparty == counterparty


def test_parties_definitions_collected():
    definitions = {d.term for d in sample("jv_services_agreement").parties.definitions}
    assert {"Exit Plan", "Exit Period", "Termination Date"} <= definitions


def test_parties_override_from_the_caller():
    from pipeline.extract import extract
    from tests.pipeline_support import SAMPLE_DOCS

    e = extract(
        (SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes(),
        contract_type="jv",
        counterparty="Acme Ltd",
    )
    assert (e.parties.contract_type, e.parties.counterparty) == ("jv", "Acme Ltd")


def test_parties_found_as_frequent_subjects_when_the_front_page_is_unusual():
    # CUAD (Inktomi/Microsoft): parties defined in a run-on preamble we do not parse
    from tests.pipeline_support import run

    lines = (
        ["1. SERVICES"]
        + [
            f"1.{i} Microsoft shall pay the fees and Inktomi shall host the software."
            for i in range(1, 6)
        ]
        + [
            "2. TERMINATION",
            "2.1 Microsoft may terminate this Agreement at any time without cause upon thirty (30) days prior written notice.",
        ]
    )
    e = run(lines, roles=())
    assert {"Microsoft", "Inktomi"} <= set(e.parties.roles)
    (o,) = [o for o in e.obligations if o.ref == "2.1"]
    assert (o.obligor, o.modality) == ("Microsoft", "permission")
