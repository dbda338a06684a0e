"""The review queue: which obligations, in what order, a page at a time.

One order for everyone (the web queue, the next / previous links of an obligation page and
``obligations review list``), total and stable: every sort ends with the obligation's id, so
two loads of the same data list the same rows in the same places and a page boundary never
hides or repeats a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models.fields import CATEGORIES
from models.models import Obligation

STATUSES = ("extracted", "approved", "corrected", "rejected")
# A status, or one of these views; None (``all``) is every obligation.
VIEWS = ("open", "flagged")
SORTS = ("page", "confidence", "updated")
NO_PARTY = "-"  # the obligor filter for "no party found"
PAGE_SIZE = 50


class InvalidFilter(ValueError):
    """A queue filter with a value it does not allow; the message names it and the choices."""


@dataclass(frozen=True)
class QueueFilter:
    document_id: int | None = None
    category: str | None = None
    #: a status, ``"open"`` (unreviewed or flagged), ``"flagged"`` (conflict or stale) or None
    status: str | None = "open"
    obligor: str | None = None  # a party role, or NO_PARTY for obligations with none
    sort: str = "page"  # page | confidence | updated

    def __post_init__(self) -> None:
        if self.category is not None and self.category not in CATEGORIES:
            raise InvalidFilter(f"unknown category {self.category!r}: one of "
                                f"{', '.join(CATEGORIES)}")
        if self.status is not None and self.status not in (*STATUSES, *VIEWS):
            raise InvalidFilter(f"unknown status {self.status!r}: one of "
                                f"{', '.join((*VIEWS, *STATUSES, 'all'))}")
        if self.sort not in SORTS:
            raise InvalidFilter(f"unknown sort {self.sort!r}: one of {', '.join(SORTS)}")
        if self.obligor is not None and not 0 < len(self.obligor) <= 200:
            raise InvalidFilter("the obligor filter must have 1 to 200 characters")
        if self.document_id is not None and not 0 < self.document_id < 2**63:
            raise InvalidFilter(f"there is no document {self.document_id}")


@dataclass(frozen=True)
class QueuePage:
    rows: list[Obligation]
    total: int  # obligations matching the filters
    page: int  # 1-based
    pages: int
    size: int

    @property
    def first(self) -> int:
        """The position (1-based) of the first row shown; 0 for an empty queue."""
        return (self.page - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _sort_key(sort: str):
    if sort == "confidence":
        return lambda o: (o.confidence, o.document_id, o.page or 0, o.position, o.id)
    if sort == "updated":
        return lambda o: (-o.updated_at.timestamp(), o.id)
    return lambda o: (o.document_id, o.page or 0, o.position, o.id)


def is_open(obligation: Obligation) -> bool:
    """Still needs a reviewer: never reviewed, or flagged by a re-extraction."""
    return obligation.status == "extracted" or bool(obligation.conflict) or obligation.stale


def list_queue(*, session: Session, filters: QueueFilter = QueueFilter()) -> list[Obligation]:
    """The obligations matching ``filters``, in review order.

    Categories are a JSON list and ``conflict`` a JSON value: filtered here rather than in
    SQL so that SQLite and PostgreSQL behave the same (a few thousand rows at most)."""
    query = select(Obligation)
    if filters.document_id is not None:
        query = query.where(Obligation.document_id == filters.document_id)
    if filters.status in STATUSES:
        query = query.where(Obligation.status == filters.status)
    if filters.obligor == NO_PARTY:
        query = query.where(Obligation.obligor.is_(None))  # type: ignore[union-attr]
    elif filters.obligor:
        query = query.where(Obligation.obligor == filters.obligor)
    rows = list(session.exec(query))
    if filters.status == "open":
        rows = [o for o in rows if is_open(o)]
    elif filters.status == "flagged":
        rows = [o for o in rows if o.conflict or o.stale]
    if filters.category:
        rows = [o for o in rows if filters.category in (o.categories or [])]
    return sorted(rows, key=_sort_key(filters.sort))


def queue_page(
    *, session: Session, filters: QueueFilter = QueueFilter(), page: int = 1,
    size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue; a page past the end is the last page."""
    rows = list_queue(session=session, filters=filters)
    pages = max((len(rows) + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    return QueuePage(rows[start:start + size], len(rows), page, pages, size)


def page_of(*, session: Session, filters: QueueFilter, obligation_id: str,
            size: int = PAGE_SIZE) -> int:
    """The queue page that shows ``obligation_id`` (1 when it is not in the queue)."""
    ids = [o.id for o in list_queue(session=session, filters=filters)]
    return ids.index(obligation_id) // size + 1 if obligation_id in ids else 1


@dataclass(frozen=True)
class Position:
    previous_id: str | None
    next_id: str | None
    index: int | None  # 1-based place of the obligation in the queue, None if it left it
    total: int


def position(*, session: Session, obligation: Obligation,
             filters: QueueFilter = QueueFilter()) -> Position:
    """Where ``obligation`` stands in the queue, and its neighbours, whether or not it still
    matches the filters (an approved one leaves the "open" queue; its successor is still the
    next)."""
    key = _sort_key(filters.sort)
    rows = list_queue(session=session, filters=filters)
    ids = [o.id for o in rows]
    others = [o for o in rows if o.id != obligation.id]
    here = key(obligation)
    before = [o for o in others if key(o) < here]
    after = [o for o in others if key(o) > here]
    return Position(
        before[-1].id if before else None,
        after[0].id if after else None,
        ids.index(obligation.id) + 1 if obligation.id in ids else None,
        len(rows),
    )


def neighbours(
    *, session: Session, obligation: Obligation, filters: QueueFilter = QueueFilter()
) -> tuple[str | None, str | None]:
    """The ids before and after ``obligation`` in the queue."""
    where = position(session=session, obligation=obligation, filters=filters)
    return where.previous_id, where.next_id


def obligors(*, session: Session) -> list[str]:
    rows = session.exec(select(Obligation.obligor).distinct())
    return sorted({r for r in rows if r})
