"""The exit timeline: working days on the England and Wales calendar, due dates counted from
exit events, vague deadlines apart, and the CSV and iCalendar files (pipeline.timeline,
pipeline.workdays, pipeline.timeline_files)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.exit_data import ContractData, Deadline, ObligationRow
from pipeline.timeline import (
    anchor_event,
    contract_timeline,
    load_timeline_rules,
    merge_timelines,
)
from pipeline.timeline_files import timeline_csv, timeline_ics
from pipeline.workdays import (
    DurationError,
    add_working_days,
    holiday_name,
    is_working_day,
    shift,
)
from pipeline.yaml_rules import RuleFileError

# --- working days ------------------------------------------------------------------------------


def test_workdays_easter_2027_bank_holidays_come_from_the_library():
    assert holiday_name(date(2027, 3, 26)) == "Good Friday"
    assert holiday_name(date(2027, 3, 29)) == "Easter Monday"
    assert not is_working_day(date(2027, 3, 26))
    assert not is_working_day(date(2027, 3, 27))  # a Saturday
    assert is_working_day(date(2027, 3, 30))


def test_workdays_five_working_days_across_easter():
    # Wed 24 March 2027 + 5 working days: Thu 25 (1), [Good Friday, weekend, Easter Monday],
    # Tue 30 (2), Wed 31 (3), Thu 1 April (4), Fri 2 April (5).
    assert add_working_days(date(2027, 3, 24), 5) == date(2027, 4, 2)
    # Calendar days know nothing of bank holidays.
    assert shift(date(2027, 3, 24), "P5D", business_days=False) == date(2027, 3, 29)


def test_workdays_backwards_across_christmas_and_substitute_days():
    # 25-28 December 2027: Christmas and Boxing Day fall on a weekend, the substitute days
    # (Mon 27, Tue 28) are bank holidays too.
    assert add_working_days(date(2027, 12, 29), -1) == date(2027, 12, 24)
    assert add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)


@pytest.mark.parametrize(
    ("duration", "business", "sign", "expected"),
    [
        ("P3M", False, 1, date(2027, 9, 30)),
        ("P1Y", False, 1, date(2028, 6, 30)),
        ("P2W", False, 1, date(2027, 7, 14)),
        ("P6M", False, -1, date(2026, 12, 30)),
        ("P10D", True, 1, date(2027, 7, 14)),
        ("P10D", True, -1, date(2027, 6, 16)),
    ],
)
def test_workdays_shift_by_contract_durations(duration, business, sign, expected):
    assert shift(date(2027, 6, 30), duration, business, sign) == expected


@pytest.mark.parametrize("bad", ["30 days", "P", "PT3H", "", "P3X"])
def test_workdays_refuses_what_is_not_a_duration(bad):
    with pytest.raises(DurationError, match="not a duration"):
        shift(date(2027, 1, 1), bad, False)


# --- due dates -----------------------------------------------------------------------------------


def _ob(ref, *, relation, duration=None, business=False, anchor=None, text="", obligor="Supplier",
        trigger=None, on_date=None, ob_id=None) -> ObligationRow:
    return ObligationRow(
        id=ob_id or f"id-{ref}", ref=ref, clause=None, categories=("exit",),
        modality="obligation", obligor=obligor, beneficiary="Council",
        action=f"do what {ref} says", trigger=trigger,
        deadline=Deadline(text=text or f"{relation} {duration} {anchor}", duration=duration,
                          business_days=business, relation=relation, anchor=anchor,
                          date=on_date),
        text=f"The {obligor} shall do what {ref} says.",
    )


def _contract(*obligations) -> ContractData:
    return ContractData(name="c.pdf", title=None, contract_type="supplier",
                        counterparty="Supplier Ltd", parties=(("Supplier Ltd", "Supplier"),),
                        clauses=(), obligations=tuple(obligations))


EVENTS = {
    "notice_served": date(2027, 1, 15),
    "termination_date": date(2027, 3, 24),
    "exit_date": date(2027, 6, 30),
}


def _due(timeline, ref):
    return next(e for e in timeline.scheduled if e.ref == ref)


def test_timeline_working_days_after_termination_cross_easter():
    contract = _contract(_ob("6.1", relation="within", duration="P5D", business=True,
                             anchor="the Termination Date",
                             text="within five (5) Working Days after the Termination Date"))
    entry = _due(contract_timeline(contract, EVENTS), "6.1")
    assert entry.event == "termination_date"
    assert entry.due == date(2027, 4, 2)  # not 29 March: Good Friday and Easter Monday
    assert entry.party == "Supplier"


def test_timeline_each_event_and_relation_gives_its_date_in_order():
    contract = _contract(
        _ob("a", relation="within", duration="P10D", business=True,
            anchor="service of the Termination Notice"),
        _ob("b", relation="before", duration="P3M", anchor="the Exit Date"),
        _ob("c", relation="by", anchor="the Exit Date"),
        _ob("d", relation="immediately", anchor=None, trigger="on termination"),
        _ob("e", relation="after", duration="P30D", anchor="expiry of this Agreement"),
        _ob("f", relation="within", duration="P1Y", anchor="the Exit Date"),
    )
    timeline = contract_timeline(contract, EVENTS)
    got = {e.ref: (e.event, e.due) for e in timeline.scheduled}
    assert got == {
        "a": ("notice_served", date(2027, 1, 29)),
        "b": ("exit_date", date(2027, 3, 30)),
        "c": ("exit_date", date(2027, 6, 30)),
        "d": ("termination_date", date(2027, 3, 24)),
        "e": ("termination_date", date(2027, 4, 23)),
        "f": ("exit_date", date(2028, 6, 30)),
    }
    assert [e.due for e in timeline.scheduled] == sorted(e.due for e in timeline.scheduled)
    assert _due(timeline, "e").note == "not before"


def test_timeline_vague_and_undated_deadlines_are_listed_apart():
    contract = _contract(
        _ob("p", relation="promptly", text="promptly after the Termination Date"),
        _ob("r", relation="within", duration=None, anchor="the Exit Date",
            text="within a reasonable period after the Exit Date"),
        _ob("x", relation="within", duration="P20D", anchor="the Exit Date"),
    )
    timeline = contract_timeline(contract, {"termination_date": date(2027, 3, 24)})
    assert [e.ref for e in timeline.vague] == ["p", "r"]
    assert [e.ref for e in timeline.undated] == ["x"]  # no exit date was given
    assert timeline.scheduled == ()


def test_timeline_notice_length_is_not_a_due_date_and_requests_are_not_events():
    contract = _contract(
        _ob("n", relation="at_least", duration="P6M", anchor="service of a Termination Notice"),
        _ob("q", relation="within", duration="P5D", business=True,
            anchor="a request made at any time during the Exit Period"),
    )
    assert contract_timeline(contract, EVENTS).scheduled == ()


def test_timeline_recurring_duty_until_the_exit_date():
    contract = _contract(_ob("m", relation="every", duration="P1M", anchor="the Termination Date"))
    entry = _due(contract_timeline(contract, EVENTS), "m")
    assert entry.occurrences == (date(2027, 4, 24), date(2027, 5, 24), date(2027, 6, 24))
    assert entry.note == "recurring"


def test_timeline_calendar_date_and_a_weekend_note():
    contract = _contract(
        _ob("d", relation="by", on_date="2026-03-31", text="by 31 March 2026"),
        _ob("w", relation="within", duration="P30D", anchor="the Termination Date"),
    )
    timeline = contract_timeline(contract, EVENTS)
    assert _due(timeline, "d").due == date(2026, 3, 31) and _due(timeline, "d").event is None
    assert _due(timeline, "w").due == date(2027, 4, 23)
    holiday = _contract(_ob("h", relation="within", duration="P2D", anchor="the Exit Date"))
    note = _due(contract_timeline(holiday, {"exit_date": date(2027, 3, 24)}), "h").note
    assert note == "falls on a bank holiday (Good Friday)"


def test_timeline_merge_keeps_date_order_across_contracts():
    one = contract_timeline(_contract(_ob("1", relation="by", anchor="Exit Date")), EVENTS)
    two = contract_timeline(_contract(_ob("2", relation="by", anchor="Termination Date")), EVENTS)
    assert [e.ref for e in merge_timelines([one, two], EVENTS).scheduled] == ["2", "1"]


@pytest.mark.parametrize(
    ("anchor", "event"),
    [
        ("receipt of the Termination Notice", "notice_served"),
        ("the end of the Exit Period", "exit_date"),
        ("expiry or termination of this Agreement", "termination_date"),
        ("the start of the Exit Period", None),
        ("the Effective Date", None),
        (None, None),
    ],
)
def test_timeline_anchor_events(anchor, event):
    assert anchor_event(anchor, load_timeline_rules()) == event


def test_timeline_rules_file_refuses_unknown_events_and_keys(tmp_path: Path):
    bad = tmp_path / "timeline.yaml"
    bad.write_text("version: 1\nevents:\n  - id: start_date\n    label: x\n    anchors: [a]\n"
                   "vague: {relations: [], words: []}\n")
    with pytest.raises(RuleFileError) as err:
        load_timeline_rules(bad)
    assert err.value.key == "events[0] (start_date).id" and "timeline.yaml" in str(err.value)
    event = "  - {id: exit_date, label: Exit, anchors: ['exit date']}\n"
    bad.write_text(f"version: 1\nevents:\n{event}vague: {{relations: [], words: []}}\nextra: 1\n")
    with pytest.raises(RuleFileError, match="extra: unknown key"):
        load_timeline_rules(bad)
    bad.write_text(f"version: 1\nevents:\n{event}{event}vague: {{relations: [], words: []}}\n")
    with pytest.raises(RuleFileError, match="duplicate event id 'exit_date'"):
        load_timeline_rules(bad)


# --- files -----------------------------------------------------------------------------------------


def test_timeline_csv_and_icalendar_round_trip():
    from icalendar import Calendar

    contract = _contract(
        _ob("6.1", relation="within", duration="P5D", business=True, anchor="Termination Date",
            ob_id="abc123"),
        _ob("m", relation="every", duration="P1M", anchor="the Termination Date"),
        _ob("p", relation="promptly", text="promptly"),
    )
    timeline = contract_timeline(contract, EVENTS)
    rows = list(csv.DictReader(io.StringIO(timeline_csv(timeline))))
    dated = [r for r in rows if r["due"]]
    assert dated[0]["due"] == "2027-04-02" and dated[0]["weekday"] == "Friday"
    assert dated[0]["working_days"] == "yes" and dated[0]["event_date"] == "2027-03-24"
    assert len(dated) == 4  # one row per occurrence of the monthly duty
    assert [r["event"] for r in rows if not r["due"]] == ["vague"]
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    calendar = Calendar.from_ical(timeline_ics(timeline, now))
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 4
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == date(2027, 4, 2)
    assert str(first["uid"]) == "abc123-20270402@obligations"
    assert str(first["summary"]).startswith("Supplier: 6.1")
    assert timeline_ics(timeline, now) == timeline_ics(timeline, now)  # stable for re-imports
