"""The exit timeline as files people import: CSV (one row per due date) and iCalendar (one
all-day event per due date). Pure: ``Timeline`` in, text or bytes out."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from pipeline.timeline import Entry, Timeline

EVENT_LABELS = {
    "notice_served": "notice served",
    "termination_date": "termination date",
    "exit_date": "exit date",
    None: "calendar date",
}

# --- the timeline --------------------------------------------------------------------------


TIMELINE_COLUMNS = (
    "due", "weekday", "document", "clause_ref", "party", "action", "deadline", "event",
    "event_date", "relation", "duration", "working_days", "note", "obligation_id",
)


def timeline_csv(timeline: Timeline) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TIMELINE_COLUMNS)
    for e in timeline.scheduled:
        for day in e.occurrences or (e.due,):
            writer.writerow(_timeline_row(e, day, timeline.events))
    for e in (*timeline.undated, *timeline.vague):
        writer.writerow(_timeline_row(e, None, timeline.events))
    return buffer.getvalue()


def _timeline_row(e: Entry, day: date | None, events: dict[str, date]) -> list:
    event_date = events.get(e.event) if e.event else None
    return [
        day.isoformat() if day else "",
        f"{day:%A}" if day else "",
        e.document,
        e.ref,
        e.party or "",
        e.action,
        e.deadline_text or "",
        EVENT_LABELS.get(e.event, e.event) if day or e.event else "vague",
        event_date.isoformat() if event_date else "",
        e.relation or "",
        e.duration or "",
        "yes" if e.business_days else "no",
        e.note,
        e.obligation_id or "",
    ]


def timeline_ics(timeline: Timeline, now: datetime) -> bytes:
    """One all-day event per due date (each occurrence of a recurring duty), stable UIDs so a
    calendar that imports the file again updates rather than duplicates."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//obligations//exit timeline//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Exit timeline")
    for e in timeline.scheduled:
        for day in e.occurrences or (e.due,):
            event = Event()
            key = e.obligation_id or f"{e.document}-{e.ref}"
            event.add("uid", f"{key}-{day:%Y%m%d}@obligations")
            event.add("dtstamp", now)
            event.add("dtstart", day)
            event.add("summary", f"{e.party or 'Unassigned'}: {e.ref} {e.action}"[:200])
            event.add(
                "description",
                f"{e.document}, {e.ref}\n{e.text}\nDeadline: {e.deadline_text or '—'}"
                + (f"\n{e.note}" if e.note else ""),
            )
            event.add("categories", list(e.categories) or ["exit"])
            cal.add_component(event)
    return cal.to_ical()
