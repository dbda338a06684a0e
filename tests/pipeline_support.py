"""Small builders for pipeline tests: a ``Layout`` from plain text lines, and the pipeline
run over it, so that rules can be tested on a few lines without a PDF."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipeline.analyse import clauses_to_obligations
from pipeline.parties import find_parties
from pipeline.structure import layout_to_clauses
from pipeline.types import Extraction, Layout, Line, PageInfo, Parties, Party, Word

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "sample_docs"


def layout_from_lines(lines: list[str], *, bold: set[int] = frozenset()) -> Layout:
    """One page, one Line per string, words at made-up positions 12 points apart."""
    text_parts, out = [], []
    offset = 0
    for i, line in enumerate(lines):
        words, x = [], 72.0
        pos = offset
        for token in line.split(" "):
            if token:
                words.append(
                    Word(
                        token,
                        pos,
                        pos + len(token),
                        1,
                        (x, 72 + 12 * i, x + 5 * len(token), 82 + 12 * i),
                        i in bold,
                    )
                )
            x += 5 * len(token) + 3
            pos += len(token) + 1
        out.append(
            Line(
                text=line,
                start=offset,
                end=offset + len(line),
                page=1,
                bbox=(72, 72 + 12 * i, 500, 82 + 12 * i),
                words=tuple(words),
                bold=i in bold,
                size=10,
                gap_before=12.0 if i and (line[:1].isdigit() or line.isupper()) else 2.0,
            )
        )
        text_parts.append(line)
        offset += len(line) + 1
    return Layout(
        text="\n".join(text_parts), lines=tuple(out), pages=(PageInfo(1, 595, 842, offset, 0),)
    )


def run(lines: list[str], roles: tuple[str, ...] = ("Council", "Supplier"), **kw) -> Extraction:
    layout = layout_from_lines(lines, **kw)
    clauses = layout_to_clauses(layout)
    parties = find_parties(layout, clauses)
    if not parties.parties:
        parties = Parties(
            parties=tuple(Party(name=r, role=r) for r in roles),
            definitions=parties.definitions,
            contract_type="supplier",
            counterparty=None,
            customer_role=roles[0],
        )
    classifications, obligations = clauses_to_obligations(layout, clauses, parties)
    return Extraction(layout, clauses, parties, classifications, obligations, "test")


@cache
def sample(name: str) -> Extraction:
    """The full extraction of a sample PDF (cached for the test session)."""
    from pipeline.extract import extract

    return extract((SAMPLE_DOCS / f"{name}.pdf").read_bytes())
