"""Obligation extraction on a few lines at a time (GUIDELINES.md §4)."""

from tests.pipeline_support import run


def obligations(lines, **kw):
    return run(lines, **kw).obligations


def test_obligations_stem_with_limbs_gives_one_per_limb_inheriting_the_stem():
    obs = obligations(
        [
            "1. EXIT MANAGEMENT",
            "1.1 On the expiry or termination of this Agreement, the Supplier shall:",
            "(a) deliver the Exit Plan to the Council within ten (10) Working Days; and",
            "(b) return all Council Data to the Council.",
        ]
    )
    assert [o.ref for o in obs] == ["1.1(a)", "1.1(b)"]
    assert {o.obligor for o in obs} == {"Supplier"}
    assert {o.modality for o in obs} == {"obligation"}
    assert obs[0].deadline.duration == "P10D" and obs[0].deadline.business_days
    assert "obl.limb.inherit" in obs[1].rules["obligor"]


def test_obligations_passive_takes_its_agent():
    (o,) = obligations(
        [
            "1. RETURN OF DATA",
            "1.1 All Council Data shall be returned to the Council by the Supplier within 20 Working Days after the Termination Date.",
        ]
    )
    assert (o.obligor, o.modality) == ("Supplier", "obligation")
    assert "obl.passive.agent" in o.rules["obligor"]
    assert o.beneficiary == "Council"


def test_obligations_passive_without_agent_is_flagged_not_guessed():
    (o,) = obligations(
        [
            "1. RETURN OF DATA",
            "1.1 All Council Data shall be returned to the Council in CSV format on termination.",
        ]
    )
    assert o.obligor is None
    assert "obligor_unresolved" in o.flags


def test_obligations_neither_party_is_a_prohibition_on_each_party():
    (o,) = obligations(
        [
            "1. TERMINATION",
            "1.1 Neither Party shall be entitled to terminate this Agreement for convenience.",
        ]
    )
    assert (o.obligor, o.modality) == ("Each Party", "prohibition")


def test_obligations_statement_of_the_agreement_is_not_an_obligation():
    assert (
        obligations(
            [
                "1. TERM AND TERMINATION",
                "1.1 This Agreement shall continue for five years unless terminated earlier.",
            ]
        )
        == ()
    )


def test_obligations_two_parties_two_modals_give_two():
    obs = obligations(
        [
            "1. TERMINATION",
            "1.1 On termination the Supplier shall return all Council Data, and the Council shall pay the Supplier all undisputed Charges.",
        ]
    )
    assert [o.obligor for o in obs] == ["Supplier", "Council"]


def test_obligations_pronoun_resolves_to_the_party_named_before():
    obs = obligations(
        [
            "1. TERMINATION",
            "1.1 If the Supplier receives a Termination Notice, it shall deliver the Exit Plan within five (5) days.",
        ]
    )
    assert obs[0].obligor == "Supplier"


def test_obligations_inline_lettered_limbs():
    obs = obligations(
        [
            "1. DELETION OF DATA",
            "1.1 After termination the Supplier shall (a) notify the Council within five (5) days, (b) keep the retained data confidential, and (c) delete the data promptly.",
        ]
    )
    assert [o.ref for o in obs] == ["1.1(a)", "1.1(b)", "1.1(c)"]
    assert obs[2].deadline.relation == "promptly"


def test_obligations_right_not_to_renew_stated_as_a_condition():
    (o,) = obligations(
        [
            "1. TERM",
            "1.1 This Agreement shall renew automatically for further periods of one year unless either Party gives at least ninety (90) days' written notice of termination before the end of the then current term.",
        ]
    )
    assert (o.modality, o.obligor) == ("permission", "Each Party")
    assert o.deadline.duration == "P90D"
    assert "implied_right" in o.flags


def test_obligations_right_not_to_renew_when_notice_is_given_by_a_party():
    # AZUL (CUAD): "… unless a Notice of non-renewal is given by either Party to the other
    # Party [*****] prior to the expiry of the Initial Term" (the hyphen broke the pattern)
    (o,) = obligations(
        [
            "1. TERM",
            "1.1 Upon expiry of the Initial Term, this Agreement shall renew unless a Notice of "
            "non-renewal is given by either Party to the other Party ninety (90) days prior to "
            "the expiry of the Initial Term.",
        ]
    )
    assert (o.modality, o.obligor) == ("permission", "Each Party")
    assert o.action.startswith("Notice of non-renewal is given by either Party")
    assert "implied_right" in o.flags


def test_obligations_cross_references_resolve_to_clauses_in_the_document():
    obs = obligations(
        [
            "1. EXIT",
            "1.1 The Supplier shall deliver an Exit Plan on expiry of this Agreement.",
            "1.2 The Supplier shall perform the Exit Plan in accordance with Clause 1.1 and Clause 99.",
        ]
    )
    refs = {r.target: r.resolved for r in obs[-1].cross_refs}
    assert refs == {"1.1": True, "99": False}


def test_obligations_carry_page_boxes_and_rule_ids():
    (o,) = obligations(
        [
            "1. TERMINATION",
            "1.1 The Council may terminate this Agreement by giving three months' notice.",
        ]
    )
    assert o.page == 1 and o.boxes
    assert set(o.rules) >= {"modality", "obligor", "categories"}
    assert 0 < o.confidence <= 1


def test_obligations_two_named_parties_agreeing_act_jointly():
    # CUAD (Bloom Energy): "BE and Operator agree to use commercially reasonable efforts"
    obs = obligations(
        ["1. TERMINATION", "1.1 On early termination of this Agreement, BE and Supplier agree to use reasonable efforts to transfer the permits."]
    )
    assert [o.obligor for o in obs] == ["Both Parties"]


def test_obligations_licence_that_outlives_the_contract_is_a_right_of_its_holder():
    # CUAD (Aimmune): "the licenses granted to Aimmune … shall continue in full force"
    (o,) = obligations(
        ["1. EFFECT OF EXPIRY", "1.1 Upon expiration of this Agreement, the licences granted to the Supplier under this Agreement shall continue in full force and effect on a fully-paid basis."]
    )
    assert (o.modality, o.obligor) == ("permission", "Supplier")
    assert "implied_right" in o.flags


# --- issue 10: conditions listed as limbs, the consequence after them -----------------------


def test_obligations_grounds_listed_as_limbs_take_the_consequence_after_them():
    # WPP (CUAD): "If the Executive: (a) …; (b) …; (c) …, the Company may … terminate"
    obs = obligations(
        [
            "1. TERMINATION",
            "1.1 If the Supplier:",
            "(a) commits a material breach of this Agreement;",
            "(b) becomes insolvent; or",
            "(c) undergoes a change of control,",
            "the Council may by written notice terminate this Agreement with immediate effect.",
        ]
    )
    assert [o.ref for o in obs] == ["1.1(a)", "1.1(b)", "1.1(c)"]
    assert {(o.modality, o.obligor) for o in obs} == {("permission", "Council")}
    assert {o.deadline.relation for o in obs} == {"immediately"}
    assert obs[2].text.rstrip(",").endswith("undergoes a change of control")
    assert all("obl.limb.consequence" in o.rules["obligor"] for o in obs)


def test_obligations_a_list_of_duties_is_not_a_list_of_grounds():
    # "On termination: (a) the Customer shall pay …; (b) …, shall not be affected": each limb
    # states its own duty; none is a ground of a consequence after them.
    obs = obligations(
        [
            "1. TERMINATION",
            "1.1 On termination of this Agreement:",
            "(a) the Council shall pay all undisputed sums due; and",
            "(b) any rights of the Parties that have accrued up to the Termination Date, "
            "including the right to claim damages, shall not be affected.",
        ]
    )
    assert [o.ref for o in obs][:1] == ["1.1(a)"]
    assert all("obl.limb.consequence" not in o.rules.get("obligor", ()) for o in obs)
    assert obs[0].obligor == "Council"


def test_obligations_a_party_named_by_its_position_is_either_party():
    obs = obligations(
        [
            "1. TERMINATION",
            "1.1 If either Party commits a material breach, the non-defaulting Party may terminate "
            "this Agreement. The party not in default shall be entitled to recover its costs "
            "of termination.",
        ]
    )
    assert [(o.modality, o.obligor) for o in obs] == [
        ("permission", "Each Party"),
        ("permission", "Each Party"),
    ]
    assert all("obl.party_by_situation" in o.rules["obligor"] for o in obs)
