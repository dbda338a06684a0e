"""Deadlines in a text of their own (a reviewer's corrected wording, a table cell): the
deadline component's reading, for callers that have a string rather than a ``Doc``."""

from __future__ import annotations

from pipeline.components.deadline import find_deadline as _in_span
from pipeline.components.timewords import parse_number
from pipeline.types import Deadline

__all__ = ["find_deadline", "parse_number"]


def find_deadline(text: str) -> Deadline | None:
    """The deadline ``text`` states, normalised, or None."""
    from pipeline.analyse import analyse_text

    if not text.strip():
        return None
    doc = analyse_text(text)
    return _in_span(doc[:])
