"""The exit timeline drawn as a chart: obligations on a date axis, one lane per party.

Geometry only (where each mark and label goes, in SVG user units); the dates come from
``pipeline.timeline``. The template draws it as inline SVG, styled by class, so the page
needs no script and passes the app's Content-Security-Policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.timeline import Entry, Timeline

WIDTH = 1100
LEFT = 150  # room for the party names
RIGHT = 30
TOP = 46  # room for the event labels
LANE = 34
MARK_RADIUS = 5


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    entry: Entry
    day: date
    anchor: str  # an id for the table row it links to


@dataclass(frozen=True)
class Lane:
    party: str
    y: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class EventLine:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lanes: tuple[Lane, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]
    events: tuple[EventLine, ...]
    plot_left: int
    plot_right: int
    axis_y: float


EVENT_LABELS = {
    "notice_served": "Notice served",
    "termination_date": "Termination",
    "exit_date": "Exit date",
}


def timeline_chart(timeline: Timeline) -> Chart | None:
    """None when nothing is dated."""
    points = [(e, d) for e in timeline.scheduled for d in (e.occurrences or (e.due,)) if d]
    if not points:
        return None
    days = [d for _, d in points] + list(timeline.events.values())
    start, end = min(days) - timedelta(days=7), max(days) + timedelta(days=7)
    span = max((end - start).days, 1)
    plot_right = WIDTH - RIGHT

    def x_of(day: date) -> float:
        return round(LEFT + (day - start).days / span * (plot_right - LEFT), 1)

    parties = sorted({e.party or "Unassigned" for e, _ in points}, key=_party_order)
    lanes = tuple(Lane(p, TOP + LANE * i + LANE / 2) for i, p in enumerate(parties))
    lane_y = {lane.party: lane.y for lane in lanes}
    marks = tuple(
        Mark(x_of(d), lane_y[e.party or "Unassigned"], e, d, f"due-{i}")
        for i, (e, d) in enumerate(points)
    )
    axis_y = TOP + LANE * len(lanes) + 6
    return Chart(
        width=WIDTH,
        height=int(axis_y + 30),
        lanes=lanes,
        marks=marks,
        ticks=tuple(Tick(x_of(d), label) for d, label in _month_ticks(start, end)),
        events=tuple(
            EventLine(x_of(d), EVENT_LABELS.get(k, k)) for k, d in sorted(timeline.events.items())
        ),
        plot_left=LEFT,
        plot_right=plot_right,
        axis_y=axis_y,
    )


def _party_order(party: str) -> tuple[int, str]:
    # The provider's lane first, the council's next, "Unassigned" last: how lawyers read it.
    return (2 if party == "Unassigned" else 0 if party.lower() not in ("council", "customer",
            "buyer", "authority", "controller") else 1, party)


def _month_ticks(start: date, end: date) -> list[tuple[date, str]]:
    months = (end.year - start.year) * 12 + end.month - start.month
    step = 1 if months <= 14 else 3 if months <= 40 else 6 if months <= 80 else 12
    day = date(start.year, start.month, 1)
    out = []
    while day <= end:
        if day >= start and (day.month - 1) % step == 0:
            out.append((day, f"{day:%b %Y}" if day.month == 1 or not out else f"{day:%b}"))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out
