"""What the database holds, counted: clauses and obligations per document and category (run
summaries, ``obligations status``, the Documents page), documents, and rows per table."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.models import Clause, Document, Obligation, ReviewEvent, Run
from pipeline.types import CATEGORIES


@dataclass
class CategoryCounts:
    clauses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    obligations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    n_clauses: int = 0
    n_categorised: int = 0  # clauses in at least one category
    n_obligations: int = 0


def summary_counts(
    *, session: Session, document_ids: list[int] | None = None
) -> dict[int, CategoryCounts]:
    """Clauses and obligations per category, per document. JSON lists are counted in
    Python so the same code runs on SQLite and PostgreSQL."""
    out: dict[int, CategoryCounts] = {}

    def scoped(stmt, column):
        return stmt.where(col(column).in_(document_ids)) if document_ids is not None else stmt

    for doc_id, categories in session.exec(
        scoped(select(Clause.document_id, Clause.categories), Clause.document_id)
    ):
        counts = out.setdefault(doc_id, CategoryCounts())
        counts.n_clauses += 1
        counts.n_categorised += bool(categories)
        for cat in categories or []:
            counts.clauses[cat] = counts.clauses.get(cat, 0) + 1
    for doc_id, categories in session.exec(
        scoped(
            select(Obligation.document_id, Obligation.categories).where(
                Obligation.status != "rejected"
            ),
            Obligation.document_id,
        )
    ):
        counts = out.setdefault(doc_id, CategoryCounts())
        counts.n_obligations += 1
        for cat in categories or []:
            counts.obligations[cat] = counts.obligations.get(cat, 0) + 1
    return out


def total_counts(counts: dict[int, CategoryCounts]) -> CategoryCounts:
    total = CategoryCounts()
    for c in counts.values():
        total.n_clauses += c.n_clauses
        total.n_categorised += c.n_categorised
        total.n_obligations += c.n_obligations
        for cat, n in c.clauses.items():
            total.clauses[cat] = total.clauses.get(cat, 0) + n
        for cat, n in c.obligations.items():
            total.obligations[cat] = total.obligations.get(cat, 0) + n
    return total


def list_documents(*, session: Session) -> list[Document]:
    return list(session.exec(select(Document).order_by(Document.source_file, Document.id)))


def row_counts(*, session: Session) -> dict[str, int]:
    """Rows per table: what a re-run must leave unchanged."""
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Document, Clause, Obligation, ReviewEvent, Run)
    }
