"""Does an extraction look like a contract read properly? Flags for the document as a whole.

A contract's text is cut into numbered clauses and paragraphs (units); a document with pages
of text and (almost) no units was not understood — a text layer in reading order the parser
could not follow, a contract without any numbering — and its obligations, if any, are
unreliable. Such a document is still stored, with the flag ``low_structure`` on it and on
its obligations, so that the summary, ``obligations status`` and the review app say so
instead of passing it off as read.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.types import Extraction

# Below this much text a contract may well be one short unit (a letter, a notice).
MIN_TEXT_CHARS = 2_000
# The 48 real contracts and samples measured (issue 12) have at most ~3,300 characters of
# text per unit; more than twice that means the structure was not found.
MAX_CHARS_PER_UNIT = 8_000


def structure_flags(extraction: Extraction) -> tuple[str, ...]:
    n_chars = len(extraction.layout.text)
    if n_chars < MIN_TEXT_CHARS:
        return ()
    units = sum(1 for clause in extraction.clauses if clause.unit)
    if units == 0 or n_chars / units > MAX_CHARS_PER_UNIT:
        return ("low_structure",)
    return ()


def flag_obligations(extraction: Extraction, flags: tuple[str, ...]) -> Extraction:
    """The document's flags on each of its obligations too (the review app shows those)."""
    if not flags:
        return extraction
    obligations = tuple(
        replace(ob, flags=(*ob.flags, *(f for f in flags if f not in ob.flags)))
        for ob in extraction.obligations
    )
    return replace(extraction, obligations=obligations)
