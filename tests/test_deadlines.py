"""Deadline normalisation: the phrasings of issue 3 and the guideline examples."""

import pytest

from pipeline.deadlines import find_deadline, parse_number


@pytest.mark.parametrize(
    "text, duration, business_days, relation, anchor",
    [
        ("within thirty (30) days", "P30D", False, "within", None),
        ("within 3 months", "P3M", False, "within", None),
        ("within ten (10) Working Days", "P10D", True, "within", None),
        ("for one year after", None, None, None, None),
        ("no later than six months before expiry", "P6M", False, "before", "expiry"),
        (
            "within 20 Business Days of the Termination Date",
            "P20D",
            True,
            "within",
            "Termination Date",
        ),
        ("by giving at least 90 days' written notice", "P90D", False, "at_least", None),
        (
            "at least thirty (30) days’ written notice before the end of the Exit Period",
            "P30D",
            False,
            "before",
            "end of the Exit Period",
        ),
        ("shall immediately cease", None, False, "immediately", None),
        ("shall forthwith return", None, False, "immediately", None),
        ("shall promptly notify", None, False, "promptly", None),
        ("monthly", "P1M", False, "every", None),
        ("every three months", "P3M", False, "every", None),
        ("meet at least once every two (2) weeks", "P2W", False, "every", None),
        (
            "Upon the expiration or termination of this Agreement",
            None,
            False,
            "by",
            "expiration or termination of this Agreement",
        ),
    ],
)
def test_deadlines_normalise(text, duration, business_days, relation, anchor):
    d = find_deadline(text)
    if relation is None:
        assert d is None or d.relation != "within"
        return
    assert d is not None, text
    assert (d.duration, d.business_days, d.relation) == (duration, business_days, relation)
    assert d.anchor == anchor
    assert d.rule  # every deadline names the rules that produced it


def test_deadlines_absolute_date():
    d = find_deadline("deliver the final report by 31 March 2027")
    assert (d.relation, d.date, d.duration) == ("by", "2027-03-31", None)


@pytest.mark.parametrize(
    "text",
    [
        "The Council may extend the Term by up to two (2) further periods of twelve (12) months",
        "Provider shall provide up to forty (40) days of knowledge transfer",
    ],
)
def test_deadlines_extension_lengths_and_quantities_are_not_deadlines(text):
    assert find_deadline(text) is None


def test_deadlines_cure_period_under_immediate_termination():
    d = find_deadline(
        "may terminate with immediate effect if the Supplier fails to remedy it within 30 days"
    )
    assert d.relation == "immediately"


@pytest.mark.parametrize(
    "words, n", [("thirty", 30), ("one hundred and twenty", 120), ("30", 30), ("twenty-one", 21)]
)
def test_deadlines_parse_number(words, n):
    assert parse_number(words) == n
