"""From an extraction to the rows that store it: pure functions, run in the worker process
that extracted the document, so that what crosses to the storing process is a few plain dicts
(``PreparedExtraction``), not the layout with every word."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pipeline.types import Extraction

# --- from an extraction to rows ------------------------------------------------------------


def _clause_rows(extraction: Extraction) -> list[dict[str, Any]]:
    layout = extraction.layout
    by_clause = {c.clause: c for c in extraction.classifications}
    rows = []
    for clause in extraction.clauses:
        classification = by_clause.get(clause.index)
        rows.append(
            dict(
                position=clause.index,
                ref=clause.ref,
                label=clause.label,
                kind=clause.kind,
                depth=clause.depth,
                parent_position=clause.parent,
                heading=clause.heading,
                text=clause.own_text(layout.text),
                unit=clause.unit,
                categories=list(classification.categories) if classification else [],
                evidence=(
                    {k: list(v) for k, v in classification.evidence.items()}
                    if classification
                    else {}
                ),
                page_start=clause.page_start,
                page_end=clause.page_end,
                bboxes=[
                    {"page": b.page, "bbox": list(b.bbox)}
                    for b in layout.boxes(clause.start, clause.span_end)
                ],
                extractor_version=extraction.extractor_version,
            )
        )
    return rows


def _heading_of(extraction: Extraction, index: int) -> str | None:
    """The unit's own heading, else the nearest ancestor's ("23.4" under "23 Exit")."""
    clauses = extraction.clauses
    seen: set[int] = set()
    node: int | None = index
    while node is not None and node not in seen and 0 <= node < len(clauses):
        seen.add(node)
        if clauses[node].heading:
            return clauses[node].heading
        node = clauses[node].parent
    return None


def _obligation_rows(extraction: Extraction, sha256: str) -> list[dict[str, Any]]:
    from pipeline.ids import normalise_text, obligation_key

    occurrences: Counter[tuple[str, str]] = Counter()
    rows = []
    for position, ob in enumerate(extraction.obligations):
        # Keyed on the normalised text, as obligation_key is: two sentences differing only in
        # punctuation would otherwise get the same id.
        key = (ob.ref, normalise_text(ob.text))
        occurrence = occurrences[key]
        occurrences[key] += 1
        deadline = ob.deadline.as_dict() if ob.deadline else {}
        rows.append(
            dict(
                id=obligation_key(sha256, ob.ref, ob.text, occurrence),
                clause_position=ob.clause,
                clause_ref=ob.ref,
                clause_heading=_heading_of(extraction, ob.unit),
                categories=list(ob.categories),
                modality=ob.modality,
                obligor=ob.obligor,
                beneficiary=ob.beneficiary,
                action=ob.action,
                trigger=ob.trigger,
                deadline_text=deadline.get("text"),
                deadline_duration=deadline.get("duration"),
                deadline_business_days=deadline.get("business_days"),
                deadline_relation=deadline.get("relation"),
                deadline_anchor=deadline.get("anchor"),
                deadline_date=deadline.get("date"),
                text=ob.text,
                page=ob.page,
                bboxes=[{"page": b.page, "bbox": list(b.bbox)} for b in ob.boxes],
                confidence=ob.confidence,
                rules={k: list(v) for k, v in ob.rules.items()},
                flags=list(ob.flags),
                cross_refs=[
                    {"text": r.text, "target": r.target, "resolved": r.resolved}
                    for r in ob.cross_refs
                ],
                terms=list(ob.terms),
                position=position,
                extractor_version=extraction.extractor_version,
            )
        )
    return rows


def _document_fields(extraction: Extraction, source_file: str) -> dict[str, Any]:
    layout, parties = extraction.layout, extraction.parties
    return dict(
        title=layout.title or source_file.rsplit(".", 1)[0],
        contract_type=parties.contract_type,
        counterparty=parties.counterparty,
        parties=[{"name": p.name, "role": p.role} for p in parties.parties],
        definitions=[{"term": d.term, "text": d.text, "page": d.page} for d in parties.definitions],
        pages=len(layout.pages),
    )


@dataclass(frozen=True)
class PreparedExtraction:
    """An extraction as the rows it becomes: plain dicts, small to send from the worker
    process that extracted it to the process that stores it (the layout, with every word,
    stays behind)."""

    extractor_version: str
    document: dict[str, Any]
    clauses: list[dict[str, Any]]
    obligations: list[dict[str, Any]]


def prepare_extraction(
    extraction: Extraction, *, sha256: str, source_file: str
) -> PreparedExtraction:
    return PreparedExtraction(
        extractor_version=extraction.extractor_version,
        document=_document_fields(extraction, source_file),
        clauses=_clause_rows(extraction),
        obligations=_obligation_rows(extraction, sha256),
    )
