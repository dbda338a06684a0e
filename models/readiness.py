"""Exit readiness from the database: each contract's checklist, the exit timeline, the
handover marks and gaps, and the ``exit-readiness`` export record.

The CLI and the web app call these and nothing else, so both show the same states and dates.
Everything is computed from what the database holds now (reviewed obligations included,
rejected ones left out); nothing is stored but the handover marks.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models.models import Clause, Document, HandoverMark, Obligation, utcnow
from pipeline.checklist import Checklist, contract_checklist
from pipeline.checklist_rules import checklist_version
from pipeline.exit_data import ClauseRow, ContractData, ObligationRow, deadline_from_dict
from pipeline.exit_readiness import readiness_record
from pipeline.handover import HandoverComparison, compare_handover
from pipeline.timeline import Timeline, contract_timeline, merge_timelines

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "exit-readiness.v1.json"
ROLES = ("outgoing", "incoming")


class ReadinessError(Exception):
    """Exit readiness could not be computed."""

    code = "readiness_error"

    def __init__(self, message: str | None = None):
        super().__init__(message or (self.__doc__ or "").strip())


class DocumentNotFound(ReadinessError):
    """No document matches."""

    code = "document_not_found"


class AmbiguousDocument(ReadinessError):
    """More than one document matches; give more of the SHA-256 or the full file name."""

    code = "ambiguous_document"


class NotProcessed(ReadinessError):
    """The document has not been processed: it has no clauses to check."""

    code = "not_processed"


class BadHandoverRole(ReadinessError):
    """A document is marked ``outgoing`` or ``incoming``."""

    code = "bad_handover_role"


class InvalidReadinessRecord(ReadinessError):
    """An exit-readiness record does not match its JSON Schema (a bug)."""

    code = "invalid_readiness_record"


# --- documents --------------------------------------------------------------------------------


def find_document(*, session: Session, ref: str) -> Document:
    """The document ``ref`` names: its id, its SHA-256 (or a prefix of 6 or more
    characters) or its source file name."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 6:
        doc = session.get(Document, int(ref))
        if doc is None:
            raise DocumentNotFound(f"no document with id {ref}")
        return doc
    query = select(Document).where(
        or_(Document.source_file == ref, col(Document.sha256).startswith(ref.lower()))
        if len(ref) >= 6
        else Document.source_file == ref
    )
    found = list(session.exec(query.limit(2)))
    if not found:
        raise DocumentNotFound(f"no document matches {ref!r} (id, SHA-256 or file name)")
    if len(found) > 1:
        raise AmbiguousDocument(f"{ref!r} matches more than one document")
    return found[0]


def processed_documents(*, session: Session) -> list[Document]:
    query = select(Document).where(Document.status == "processed")
    return list(session.exec(query.order_by(Document.source_file)))


def contract_data(*, session: Session, document: Document) -> ContractData:
    """What the database holds for ``document``, as the pure functions read it."""
    if document.status != "processed":
        raise NotProcessed(f"{document.source_file} is {document.status}: nothing to check")
    clauses = list(
        session.exec(
            select(Clause).where(Clause.document_id == document.id).order_by(Clause.position)
        )
    )
    position_of = {c.id: c.position for c in clauses}
    obligations = session.exec(
        select(Obligation)
        .where(Obligation.document_id == document.id, Obligation.status != "rejected")
        .order_by(Obligation.position)
    )
    return ContractData(
        name=document.source_file,
        title=document.title,
        contract_type=document.contract_type,
        counterparty=document.counterparty,
        parties=tuple((p.get("name") or "", p.get("role") or "") for p in document.parties),
        clauses=tuple(_clause_row(c) for c in clauses),
        obligations=tuple(_obligation_row(o, position_of) for o in obligations),
        definitions=tuple((d.get("term") or "", d.get("text") or "") for d in document.definitions),
        document_id=document.id,
        sha256=document.sha256,
    )


def _clause_row(c: Clause) -> ClauseRow:
    return ClauseRow(
        position=c.position,
        ref=c.ref,
        heading=c.heading,
        text=c.text,
        unit=c.unit,
        parent=c.parent_position,
        categories=tuple(c.categories),
        kind=c.kind,
        page=c.page_start,
        id=c.id,
    )


def _obligation_row(o: Obligation, position_of: dict[int, int]) -> ObligationRow:
    return ObligationRow(
        id=o.id,
        ref=o.clause_ref,
        clause=position_of.get(o.clause_id) if o.clause_id else None,
        categories=tuple(o.categories),
        modality=o.modality,
        obligor=o.obligor,
        beneficiary=o.beneficiary,
        action=o.action,
        trigger=o.trigger,
        deadline=deadline_from_dict(
            {
                "text": o.deadline_text,
                "duration": o.deadline_duration,
                "business_days": o.deadline_business_days,
                "relation": o.deadline_relation,
                "anchor": o.deadline_anchor,
                "date": o.deadline_date,
            }
        ),
        text=o.text,
        page=o.page,
        status=o.status,
    )


# --- checklist and timeline ---------------------------------------------------------------------


def document_checklist(*, session: Session, document: Document) -> Checklist:
    """The checklist of ``document`` as the database holds it now. Kept in memory until the
    document's obligations change (a review, a re-extraction) or the rules do, so the estate
    page does not re-read every contract on every visit."""
    key = (*_state_of(session, document), checklist_version())
    cached = _CHECKLISTS.get(key)
    if cached is None:
        cached = contract_checklist(contract_data(session=session, document=document))
        if len(_CHECKLISTS) >= _CACHE_SIZE:
            _CHECKLISTS.pop(next(iter(_CHECKLISTS)))
        _CHECKLISTS[key] = cached
    return cached


_CHECKLISTS: dict[tuple, Checklist] = {}
_CACHE_SIZE = 512


def _state_of(session: Session, document: Document) -> tuple:
    """What the checklist depends on: the document's content and its obligations' last change."""
    row = session.exec(
        select(func.count(), func.max(Obligation.updated_at), func.max(Obligation.version))
        .select_from(Obligation)
        .where(Obligation.document_id == document.id)
    ).one()
    stale = session.exec(
        select(func.count()).select_from(Obligation).where(
            Obligation.document_id == document.id, Obligation.status == "rejected"
        )
    ).one()
    database = session.get_bind().url.render_as_string(hide_password=True)
    return (database, document.id, document.sha256, document.extractor_version,
            document.processed_at, *row, stale)


def estate_checklists(*, session: Session) -> list[tuple[Document, Checklist]]:
    """Every processed document with its checklist, by file name."""
    return [(d, document_checklist(session=session, document=d)) for d in
            processed_documents(session=session)]


def documents_timeline(
    *, session: Session, documents: list[Document], events: dict[str, date]
) -> Timeline:
    return merge_timelines(
        [
            contract_timeline(contract_data(session=session, document=d), events)
            for d in documents
        ],
        events,
    )


# --- handover -------------------------------------------------------------------------------------


def mark_handover(*, session: Session, document: Document, role: str, user: str) -> HandoverMark:
    """Mark ``document`` as the ``outgoing`` or an ``incoming`` contract (replacing any mark)."""
    if role not in ROLES:
        raise BadHandoverRole(f"{role!r}: a document is marked outgoing or incoming")
    if document.status != "processed":
        raise NotProcessed(f"{document.source_file} is {document.status}: it cannot be compared")
    mark = session.get(HandoverMark, document.id)
    if mark is None:
        mark = HandoverMark(document_id=document.id, role=role, marked_by=user)
    else:
        mark.role, mark.marked_by, mark.marked_at = role, user, utcnow()
    session.add(mark)
    session.flush()
    return mark


def clear_handover(*, session: Session, document: Document) -> bool:
    """Remove ``document``'s mark; False when it had none."""
    mark = session.get(HandoverMark, document.id)
    if mark is None:
        return False
    session.delete(mark)
    session.flush()
    return True


def handover_marks(*, session: Session) -> list[tuple[HandoverMark, Document]]:
    query = select(HandoverMark, Document).join(Document, HandoverMark.document_id == Document.id)
    return list(session.exec(query.order_by(HandoverMark.role.desc(), Document.source_file)))


def handover_role(*, session: Session, document: Document) -> str | None:
    mark = session.get(HandoverMark, document.id)
    return mark.role if mark else None


def handover_gaps(
    *,
    session: Session,
    outgoing: list[Document] | None = None,
    incoming: list[Document] | None = None,
) -> list[HandoverComparison]:
    """The outgoing contracts (all of them together) against each incoming one; by default
    the documents marked so. Empty when either side has none."""
    if outgoing is None or incoming is None:
        marks = handover_marks(session=session)
        if outgoing is None:
            outgoing = [d for m, d in marks if m.role == "outgoing"]
        if incoming is None:
            incoming = [d for m, d in marks if m.role == "incoming"]
    if not outgoing or not incoming:
        return []
    out_data = [contract_data(session=session, document=d) for d in outgoing]
    return [
        compare_handover(out_data, contract_data(session=session, document=d)) for d in incoming
    ]


def count_obligations(*, session: Session, document: Document) -> int:
    query = select(func.count()).select_from(Obligation).where(
        Obligation.document_id == document.id, Obligation.status != "rejected"
    )
    return session.exec(query).one()


# --- the exit-readiness export --------------------------------------------------------------------


def exit_readiness(
    *,
    session: Session,
    document: Document,
    events: dict[str, date] | None = None,
    now: datetime | None = None,
) -> dict:
    """The ``exit-readiness`` record of ``document`` (schemas/exit-readiness.v1.json),
    checked against its schema before it is returned."""
    data = contract_data(session=session, document=document)
    role = handover_role(session=session, document=document)
    comparisons: list[HandoverComparison] = []
    if role == "outgoing":
        comparisons = handover_gaps(session=session, outgoing=None, incoming=None)
    elif role == "incoming":
        comparisons = handover_gaps(session=session, incoming=[document])
    record = readiness_record(
        document=document_summary(document, role),
        checklist=contract_checklist(data),
        timeline=contract_timeline(data, events or {}),
        comparisons=comparisons,
        sha256_of={d.source_file: d.sha256 for d in processed_documents(session=session)},
        now=now or utcnow(),
    )
    validate_record(record)
    return record


def document_summary(document: Document, role: str | None) -> dict:
    return {
        "sha256": document.sha256,
        "source_file": document.source_file,
        "title": document.title,
        "contract_type": document.contract_type,
        "counterparty": document.counterparty,
        "handover_role": role,
    }


@lru_cache(maxsize=1)
def readiness_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_record(record: dict) -> None:
    from jsonschema import Draft202012Validator

    errors = sorted(
        Draft202012Validator(readiness_schema()).iter_errors(record), key=lambda e: e.path
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(record)"
        raise InvalidReadinessRecord(f"exit-readiness record, {where}: {first.message}")
