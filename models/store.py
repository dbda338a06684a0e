"""Database functions for ingest: a document, its clauses and its obligations stored.

Every function takes a keyword-only ``session`` and leaves the transaction to the caller
(``models.db.session_scope``), so that one document is stored in one transaction: either all
of its rows change or none do.

``store_prepared`` applies the re-extraction rule (DESIGN.md §2, issue 4):

- same SHA-256 and same extractor version already processed: nothing happens;
- otherwise the document's fields are updated, its clauses replaced (or kept, when the tree
  is unchanged) and every obligation candidate reconciled with what the database holds
  (``models.reconcile``: reviewed obligations are never overwritten).

Runs are recorded by ``models.runs``; counts for summaries come from ``models.counts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from models.models import Clause, Document, Obligation, utcnow
from models.reconcile import Reconciliation, reconcile_obligations
from models.rows import PreparedExtraction, prepare_extraction
from pipeline.types import Extraction

# pipeline.extract (spaCy, pdfplumber) is imported where it is used, so that read-only
# commands such as ``obligations status`` start quickly.


def get_document_by_sha256(*, session: Session, sha256: str) -> Document | None:
    return session.exec(select(Document).where(Document.sha256 == sha256)).first()


def processed_documents(*, session: Session, extractor_version: str) -> dict[str, int]:
    """The documents that need no work, SHA-256 → id: processed by this extractor version."""
    rows = session.exec(
        select(Document.sha256, Document.id).where(
            Document.status == "processed", Document.extractor_version == extractor_version
        )
    )
    return dict(rows.all())


def processed_sha256s(*, session: Session, extractor_version: str) -> set[str]:
    return set(processed_documents(session=session, extractor_version=extractor_version))


def is_current(document: Document | None, extractor_version: str) -> bool:
    return (
        document is not None
        and document.status == "processed"
        and document.extractor_version == extractor_version
    )


# --- storing -------------------------------------------------------------------------------


@dataclass
class Stored:
    document: Document
    changes: Reconciliation


def store_extraction(
    *,
    session: Session,
    extraction: Extraction,
    sha256: str,
    source_file: str,
    path: str,
    run_id: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> Document:
    """Store one document's extraction under the re-extraction rule (module docstring).
    The caller owns the transaction; nothing is committed here."""
    return reconcile_extraction(
        session=session, extraction=extraction, sha256=sha256, source_file=source_file,
        path=path, run_id=run_id, overrides=overrides,
    ).document


def reconcile_extraction(
    *,
    session: Session,
    extraction: Extraction,
    sha256: str,
    source_file: str,
    path: str,
    run_id: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> Stored:
    """``store_extraction``, also saying what changed (for run summaries and tests)."""
    return store_prepared(
        session=session,
        prepared=prepare_extraction(extraction, sha256=sha256, source_file=source_file),
        sha256=sha256, source_file=source_file, path=path, run_id=run_id, overrides=overrides,
    )


def store_prepared(
    *,
    session: Session,
    prepared: PreparedExtraction,
    sha256: str,
    source_file: str,
    path: str,
    run_id: int | None = None,
    overrides: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Stored:
    """Store a prepared extraction under the re-extraction rule (module docstring).
    ``extra``: further document fields (``flags``, ``ocr``, ``parser_version``)."""
    document = get_document_by_sha256(session=session, sha256=sha256)
    if is_current(document, prepared.extractor_version):
        return Stored(document, Reconciliation(skipped=True))

    now = utcnow()
    fields = prepared.document
    if document is None:
        document = Document(sha256=sha256, source_file=source_file, path=path)
    # Every export record repeats these document fields: when one changes, the document's
    # obligations have changed for the registry too, and the next increment must carry them.
    exported = ("title", "contract_type", "counterparty")
    metadata_changed = document.id is not None and (
        document.source_file != source_file
        or any(getattr(document, k) != fields.get(k) for k in exported if k in fields)
    )
    document.sqlmodel_update(
        dict(
            fields,
            **(extra or {}),
            source_file=source_file,
            path=path,
            overrides=dict(overrides or {}),
            status="processed",
            error_code=None,
            error_message=None,
            extractor_version=prepared.extractor_version,
            run_id=run_id,
            processed_at=now,
        )
    )
    session.add(document)
    session.flush()

    clause_by_position, clause_by_ref, old_clause_refs = _store_clauses(
        session, document, prepared.clauses
    )
    result = reconcile_obligations(
        session=session,
        document=document,
        candidates=[dict(row) for row in prepared.obligations],
        clause_by_position=clause_by_position,
        clause_by_ref=clause_by_ref,
        old_clause_refs=old_clause_refs,
        extractor_version=prepared.extractor_version,
        now=now,
    )
    session.flush()
    if old_clause_refs:
        session.execute(delete(Clause).where(col(Clause.id).in_(list(old_clause_refs))))
    if metadata_changed:
        session.execute(
            update(Obligation)
            .where(Obligation.document_id == document.id, Obligation.updated_at < now)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return Stored(document, result)


def _store_clauses(
    session: Session, document: Document, rows: list[dict[str, Any]]
) -> tuple[dict[int, int], dict[str, int], dict[int, str]]:
    """The document's new clause rows (or the stored ones, when identical): clause ids by
    position and by ref, and the replaced clauses' refs by id (deleted by the caller once
    the obligations are re-pointed)."""
    old_clauses = list(session.exec(
        select(Clause).where(Clause.document_id == document.id).order_by(Clause.position)
    ))
    if _same_clauses(old_clauses, rows):
        # A rule change that leaves the clause tree as it was: keep the rows (and their ids,
        # which links and obligations point to) instead of replacing them all.
        new_clauses, old_clause_refs = old_clauses, {}
    else:
        old_clause_refs = {c.id: c.ref for c in old_clauses}
        new_clauses = [Clause(document_id=document.id, **row) for row in rows]
        session.add_all(new_clauses)
        session.flush()
    clause_by_position = {c.position: c.id for c in new_clauses}
    clause_by_ref: dict[str, int] = {}
    for c in new_clauses:
        clause_by_ref.setdefault(c.ref, c.id)

    return clause_by_position, clause_by_ref, old_clause_refs


def _same_clauses(stored: list[Clause], rows: list[dict[str, Any]]) -> bool:
    """The stored clauses say exactly what the new rows say (the extractor version that
    produced them aside)."""
    if len(stored) != len(rows) or not stored:
        return False
    return all(
        getattr(clause, name) == value
        for clause, row in zip(stored, rows, strict=True)
        for name, value in row.items()
        if name != "extractor_version"
    )


def record_failure(
    *,
    session: Session,
    sha256: str,
    source_file: str,
    path: str,
    error_code: str,
    error_message: str,
    run_id: int | None,
    extractor_version: str | None = None,
) -> Document:
    """Mark the document failed with a reason. Rows of an earlier successful extraction (and
    their review) are kept; the next ingest tries again."""
    document = get_document_by_sha256(session=session, sha256=sha256)
    if document is None:
        document = Document(
            sha256=sha256, source_file=source_file, path=path, extractor_version=extractor_version
        )
    document.sqlmodel_update(
        dict(
            source_file=source_file,
            path=path,
            status="failed",
            error_code=error_code,
            error_message=error_message,
            run_id=run_id,
        )
    )
    session.add(document)
    session.flush()
    return document


