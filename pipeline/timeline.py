"""The exit timeline: given the dates of exit events (notice of termination served, the
termination or expiry date, the exit date), the concrete due date of every obligation whose
deadline is counted from one of them, in date order with the party who must act.

Pure: ``contract_timeline(contract, events)`` reads ``ContractData``; which event an anchor
means is data (``rules/timeline.yaml``); working days follow the England and Wales calendar
(``pipeline.workdays``). Obligations whose deadline is vague ("promptly", "within a
reasonable time") are listed apart, and so are those whose event has no date yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from pipeline.exit_data import ContractData, ObligationRow
from pipeline.passages import normalise
from pipeline.workdays import DurationError, holiday_name, is_working_day, shift
from pipeline.yaml_rules import RULES_DIR, Strict, compiled, load_rule_file, unique_ids

TIMELINE_FILE = RULES_DIR / "timeline.yaml"
EventId = Literal["notice_served", "termination_date", "exit_date"]
EVENT_IDS: tuple[str, ...] = ("notice_served", "termination_date", "exit_date")
MAX_OCCURRENCES = 60  # a monthly duty over five years
Pattern = Annotated[str, AfterValidator(compiled)]


class EventRule(Strict):
    id: EventId
    label: str
    anchors: Annotated[list[Pattern], Field(min_length=1)]


class VagueRule(Strict):
    relations: list[str]
    words: list[Pattern]


class TimelineRules(Strict):
    version: Literal[1]
    events: Annotated[list[EventRule], Field(min_length=1)]
    not_events: list[Pattern] = []
    vague: VagueRule

    @field_validator("events")
    @classmethod
    def _unique(cls, events: list[EventRule]) -> list[EventRule]:
        return unique_ids(events, "event")

    def label(self, event_id: str) -> str:
        return next((e.label for e in self.events if e.id == event_id), event_id)


def load_timeline_rules(path: Path | None = None) -> TimelineRules:
    return load_rule_file(Path(path), TimelineRules) if path else _shipped()


@cache
def _shipped() -> TimelineRules:
    return load_rule_file(TIMELINE_FILE, TimelineRules)


@dataclass(frozen=True, slots=True)
class Entry:
    """One obligation on the timeline."""

    document: str
    obligation_id: str | None
    ref: str
    party: str | None
    action: str
    text: str
    categories: tuple[str, ...]
    deadline_text: str | None
    relation: str | None
    duration: str | None
    business_days: bool
    event: str | None  # notice_served | termination_date | exit_date | None (a calendar date)
    due: date | None  # the last day to act (for "after": the first day it may be done)
    occurrences: tuple[date, ...] = ()  # every due date of a recurring duty
    note: str = ""  # "not before", "falls on a bank holiday: Easter Monday", …
    clause_id: int | None = None


@dataclass(frozen=True, slots=True)
class Timeline:
    events: dict[str, date]
    scheduled: tuple[Entry, ...]  # dated, in date order
    undated: tuple[Entry, ...]  # counted from an event whose date was not given
    vague: tuple[Entry, ...]  # "promptly", "reasonable": no date can be given


def contract_timeline(
    contract: ContractData, events: dict[str, date], rules: TimelineRules | None = None
) -> Timeline:
    rules = rules or load_timeline_rules()
    vague_words = re.compile("|".join(f"(?:{w})" for w in rules.vague.words) or "(?!)", re.I)
    scheduled, undated, vague = [], [], []
    for ob in contract.obligations:
        deadline = ob.deadline
        if deadline is None:
            continue
        if deadline.relation in rules.vague.relations or vague_words.search(
            deadline.text or ""
        ):
            vague.append(_entry(contract, ob, None, None))
            continue
        if deadline.date:
            due = date.fromisoformat(deadline.date)
            scheduled.append(_entry(contract, ob, None, due, note=_day_note(due)))
            continue
        event = anchor_event(deadline.anchor or ob.trigger, rules)
        if event is None:
            continue
        if event not in events:
            undated.append(_entry(contract, ob, event, None))
            continue
        entry = _dated(contract, ob, event, events)
        if entry is not None:
            scheduled.append(entry)
    scheduled.sort(key=lambda e: (e.due, e.document, e.ref))
    return Timeline(dict(events), tuple(scheduled), tuple(undated), tuple(vague))


def anchor_event(anchor: str | None, rules: TimelineRules) -> str | None:
    """The event an anchor ("the Termination Date", "receipt of the notice") is counted from."""
    if not anchor:
        return None
    text = normalise(anchor)
    if any(re.search(p, text, re.IGNORECASE) for p in rules.not_events):
        return None
    for event in rules.events:
        if any(re.search(p, text, re.IGNORECASE) for p in event.anchors):
            return event.id
    return None


def _dated(contract: ContractData, ob: ObligationRow, event: str, events: dict) -> Entry | None:
    deadline = ob.deadline
    if deadline is None:
        return None
    start: date = events[event]
    relation = deadline.relation
    try:
        if relation == "every" and deadline.duration:
            days = _occurrences(start, deadline.duration, deadline.business_days, events)
            return _entry(contract, ob, event, days[0], occurrences=tuple(days), note="recurring")
        if relation in ("immediately", "by") and not deadline.duration:
            return _entry(contract, ob, event, start, note=_day_note(start))
        if not deadline.duration or (relation == "at_least" and event == "notice_served"):
            return None  # "at least 3 months' notice" is the notice's length, not a due date
        sign = -1 if relation in ("before", "at_least") else 1
        due = shift(start, deadline.duration, deadline.business_days, sign)
    except DurationError:
        return None  # a duration a reviewer typed by hand that is not ISO-8601
    note = "not before" if relation == "after" else ""
    return _entry(contract, ob, event, due, note=_join(note, _day_note(due)))


def _occurrences(start: date, duration: str, business_days: bool, events: dict) -> list[date]:
    """A recurring duty from ``start`` until the exit (or termination) date, when known."""
    end = events.get("exit_date") or events.get("termination_date")
    days, day = [], start
    for _ in range(MAX_OCCURRENCES):
        day = shift(day, duration, business_days)
        if end and day > end:
            break
        days.append(day)
        if not end and len(days) >= 12:
            break
    return days or [shift(start, duration, business_days)]


def _day_note(day: date) -> str:
    if is_working_day(day):
        return ""
    name = holiday_name(day)
    return f"falls on a bank holiday ({name})" if name else f"falls on a {day:%A}"


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _entry(
    contract: ContractData,
    ob: ObligationRow,
    event: str | None,
    due: date | None,
    occurrences: tuple[date, ...] = (),
    note: str = "",
) -> Entry:
    d = ob.deadline
    clause_id = next((c.id for c in contract.clauses if c.position == ob.clause), None)
    return Entry(
        document=contract.name,
        obligation_id=ob.id,
        ref=ob.ref,
        party=ob.obligor,
        action=ob.action,
        text=ob.text,
        categories=ob.categories,
        deadline_text=d.text if d else None,
        relation=d.relation if d else None,
        duration=d.duration if d else None,
        business_days=bool(d and d.business_days),
        event=event,
        due=due,
        occurrences=occurrences,
        note=note,
        clause_id=clause_id,
    )


def merge_timelines(timelines: list[Timeline], events: dict[str, date]) -> Timeline:
    """Several contracts' timelines as one, in date order."""
    scheduled = sorted(
        (e for t in timelines for e in t.scheduled), key=lambda e: (e.due, e.document, e.ref)
    )
    return Timeline(
        dict(events),
        tuple(scheduled),
        tuple(e for t in timelines for e in t.undated),
        tuple(e for t in timelines for e in t.vague),
    )
