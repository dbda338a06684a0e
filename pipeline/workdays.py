"""Working days on the England and Wales calendar, and contract durations added to dates.

Bank holidays come from the maintained ``holidays`` library (``GB``, subdivision ``ENG``,
which covers England and Wales), never from a hand-written list, so a substitute day or a
one-off holiday (a coronation, a jubilee) is counted when the library knows it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


class DurationError(ValueError):
    """Not an ISO-8601 duration of years, months, weeks or days (``P30D``, ``P3M``)."""

    code = "bad_duration"


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> dict[date, str]:
    import holidays

    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def holiday_name(day: date) -> str | None:
    return bank_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and holiday_name(day) is None


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (before it when ``days`` is negative);
    ``start`` itself is never counted, as in "within 10 Working Days after the Exit Date"."""
    step = 1 if days >= 0 else -1
    day, left = start, abs(days)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def parse_duration(duration: str) -> tuple[int, int, int, int]:
    """``P1Y2M3W4D`` → (years, months, weeks, days)."""
    match = _DURATION.match(duration or "")
    if not match or not any(match.groups()):
        raise DurationError(f"{duration!r} is not a duration such as P30D, P10D, P3M, P1Y or P2W")
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    return years, months, weeks, days


def shift(start: date, duration: str, business_days: bool, sign: int = 1) -> date:
    """``start`` moved by ``duration``: working days when ``business_days`` (only a duration in
    days can be), else calendar days, weeks, months and years."""
    years, months, weeks, days = parse_duration(duration)
    if business_days and not (years or months or weeks):
        return add_working_days(start, sign * days)
    return start + sign * relativedelta(years=years, months=months, weeks=weeks, days=days)
