"""The review of obligations: correct, approve, reject, reopen, add a missed one, the queue.

Every change goes through here, is written as ``ReviewEvent`` rows (one per changed field, one
per decision) and bumps ``updated_at`` and ``reviewed_by``/``reviewed_at``. Each write raises
the obligation's ``version`` (SQLAlchemy's optimistic lock); a caller that says which version it
saw (``expected_version``) gets a ``Conflict`` carrying the other reviewer's changes instead of
silently overwriting them. Functions take a keyword-only ``session`` and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from models.models import Clause, Document, Obligation, ObligationUpdate, ReviewEvent, utcnow

STATUSES = ("extracted", "approved", "corrected", "rejected")
CATEGORIES = ("exit", "data_return", "termination")
MODALITIES = ("obligation", "prohibition", "permission")
RELATIONS = ("within", "before", "after", "at_least", "by", "every", "immediately", "promptly")
EDITABLE_FIELDS = tuple(ObligationUpdate.model_fields)
# ISO-8601 durations as the pipeline writes them: P30D, P3M, P1Y6M, PT48H, P2W.
_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


class ReviewError(Exception):
    """A review request that cannot be carried out."""


class NotFound(ReviewError):
    def __init__(self, what: str, key: Any):
        super().__init__(f"no {what} {key!r}")


class InvalidUpdate(ReviewError):
    """A correction with a value outside what the field allows; the message names it."""


@dataclass
class Conflict(ReviewError):
    """Someone else changed the obligation after you loaded it; nothing of yours was saved."""

    obligation_id: str
    expected_version: int
    current_version: int
    #: the other reviewers' changes since ``expected_version``, oldest first:
    #: ``{"user", "at", "action", "field", "old", "new", "comment"}``
    changes: list[dict] = field(default_factory=list)
    #: the obligation's editable fields and status as they are now
    current: dict = field(default_factory=dict)

    def __str__(self) -> str:
        who = sorted({c["user"] for c in self.changes}) or ["another process"]
        return (
            f"obligation {self.obligation_id} was changed by {', '.join(who)} after you loaded "
            f"it (version {self.expected_version} → {self.current_version}); "
            "nothing was saved: reload it and apply your change again"
        )


# --- reading ------------------------------------------------------------------------------


def get_obligation(*, session: Session, obligation_id: str) -> Obligation | None:
    return session.get(Obligation, obligation_id)


def history(*, session: Session, obligation_id: str) -> list[ReviewEvent]:
    return list(
        session.exec(
            select(ReviewEvent)
            .where(ReviewEvent.obligation_id == obligation_id)
            .order_by(ReviewEvent.at, ReviewEvent.id)
        )
    )


def snapshot(obligation: Obligation) -> dict:
    """The reviewable fields and the status of an obligation, as plain data."""
    out = {name: getattr(obligation, name) for name in EDITABLE_FIELDS}
    out["status"] = obligation.status
    return out


def definitions_for(obligation: Obligation, document: Document) -> list[dict]:
    """The document's definitions of the terms the obligation uses (``Obligation.terms``), or
    of the defined terms that appear in its text when the extractor listed none."""
    by_term = {d.get("term", "").lower(): d for d in document.definitions or [] if d.get("term")}
    wanted = [t.lower() for t in obligation.terms or []]
    if not wanted:
        text = obligation.text.lower()
        wanted = [t for t in by_term if re.search(rf"\b{re.escape(t)}\b", text)]
    seen, out = set(), []
    for term in wanted:
        if term in by_term and term not in seen:
            seen.add(term)
            out.append(by_term[term])
    return out


@dataclass(frozen=True)
class QueueFilter:
    document_id: int | None = None
    category: str | None = None
    #: a status, ``"open"`` (unreviewed or flagged), ``"flagged"`` (conflict or stale) or None
    status: str | None = "open"
    obligor: str | None = None
    sort: str = "page"  # page | confidence | updated


def _sort_key(sort: str):
    if sort == "confidence":
        return lambda o: (o.confidence, o.document_id, o.page or 0, o.position, o.id)
    if sort == "updated":
        return lambda o: (-o.updated_at.timestamp(), o.id)
    return lambda o: (o.document_id, o.page or 0, o.position, o.id)


def list_queue(*, session: Session, filters: QueueFilter = QueueFilter()) -> list[Obligation]:
    """The obligations matching ``filters``, in review order.

    Categories are a JSON list: filtered here rather than in SQL so that SQLite and PostgreSQL
    behave the same (a few thousand rows per queue at most)."""
    query = select(Obligation)
    if filters.document_id is not None:
        query = query.where(Obligation.document_id == filters.document_id)
    if filters.status in STATUSES:
        query = query.where(Obligation.status == filters.status)
    if filters.obligor:
        query = query.where(Obligation.obligor == filters.obligor)
    rows = list(session.exec(query))
    if filters.status == "open":
        rows = [o for o in rows if o.status == "extracted" or o.conflict or o.stale]
    elif filters.status == "flagged":
        rows = [o for o in rows if o.conflict or o.stale]
    if filters.category:
        rows = [o for o in rows if filters.category in (o.categories or [])]
    return sorted(rows, key=_sort_key(filters.sort))


def neighbours(
    *, session: Session, obligation: Obligation, filters: QueueFilter = QueueFilter()
) -> tuple[str | None, str | None]:
    """The ids before and after ``obligation`` in the queue, whether or not it still matches
    the filters (an approved one leaves the "open" queue; its successor is still the next)."""
    key = _sort_key(filters.sort)
    rows = [o for o in list_queue(session=session, filters=filters) if o.id != obligation.id]
    here = key(obligation)
    before = [o for o in rows if key(o) < here]
    after = [o for o in rows if key(o) > here]
    return (before[-1].id if before else None, after[0].id if after else None)


def obligors(*, session: Session) -> list[str]:
    rows = session.exec(select(Obligation.obligor).distinct())
    return sorted({r for r in rows if r})


# --- writing ------------------------------------------------------------------------------


def _load(session: Session, obligation_id: str, expected_version: int | None) -> Obligation:
    obligation = session.get(Obligation, obligation_id)
    if obligation is None:
        raise NotFound("obligation", obligation_id)
    if expected_version is not None and obligation.version != expected_version:
        raise _conflict(session, obligation, expected_version)
    return obligation


def _conflict(session: Session, obligation: Obligation, expected_version: int) -> Conflict:
    """The changes since ``expected_version``: every write is one version and one timestamp
    shared by its events, so the last ``current - expected`` timestamps are the other writes."""
    events = history(session=session, obligation_id=obligation.id)
    behind = max(obligation.version - expected_version, 1)
    stamps = sorted({e.at for e in events})[-behind:]
    changes = [
        {
            "user": e.user,
            "at": e.at,
            "action": e.action,
            "field": e.field,
            "old": e.old,
            "new": e.new,
            "comment": e.comment,
        }
        for e in events
        if e.at in stamps
    ]
    return Conflict(
        obligation_id=obligation.id,
        expected_version=expected_version,
        current_version=obligation.version,
        changes=changes,
        current=snapshot(obligation),
    )


def _clean(values: dict) -> dict:
    """Validate and normalise corrected values: blank text is None, enumerations checked."""
    out = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        if name == "categories":
            value = [c for c in (value or [])]
            unknown = [c for c in value if c not in CATEGORIES]
            if unknown:
                raise InvalidUpdate(f"unknown category {unknown[0]!r}: one of {CATEGORIES}")
            value = [c for c in CATEGORIES if c in value]  # canonical order, no duplicates
        elif name == "modality":
            if value not in MODALITIES:
                raise InvalidUpdate(f"unknown modality {value!r}: one of {MODALITIES}")
        elif name == "action":
            if not value:
                raise InvalidUpdate("the action cannot be empty")
        elif name == "deadline_relation":
            if value is not None and value not in RELATIONS:
                raise InvalidUpdate(f"unknown deadline relation {value!r}: one of {RELATIONS}")
        elif name == "deadline_duration" and value is not None:
            value = value.upper()
            if not _DURATION.match(value):
                raise InvalidUpdate(
                    f"deadline duration {value!r} is not ISO-8601 (e.g. P30D, P3M, PT48H)"
                )
        elif name == "deadline_date" and value is not None:
            try:
                value = date.fromisoformat(value).isoformat()
            except ValueError:
                raise InvalidUpdate(
                    f"deadline date {value!r} is not a date in the form YYYY-MM-DD"
                ) from None
        out[name] = value
    return out


def _same(name: str, old: Any, new: Any) -> bool:
    """Whether a submitted value only restates the stored one: a form sends every field back,
    trimmed and blank-as-None, categories in canonical order; none of that is a correction."""
    if name == "categories":
        return set(old or []) == set(new or [])
    if isinstance(old, str):
        old = old.strip() or None
    return old == new


def _touch(obligation: Obligation, user: str, now: datetime) -> None:
    obligation.updated_at = now
    obligation.reviewed_by = user
    obligation.reviewed_at = now


def _flush(session: Session, obligation: Obligation, expected_version: int | None) -> None:
    """Write now, so that a concurrent writer's commit surfaces as a ``Conflict`` here."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(Obligation, obligation.id)
        raise _conflict(session, fresh, expected_version or fresh.version - 1) from None


def _event(session, obligation, user, now, action, field=None, old=None, new=None, comment=None):
    session.add(
        ReviewEvent(
            obligation_id=obligation.id,
            user=user,
            at=now,
            action=action,
            field=field,
            old=old,
            new=new,
            comment=comment,
        )
    )


def correct(
    *,
    session: Session,
    obligation_id: str,
    update: ObligationUpdate,
    user: str,
    expected_version: int | None = None,
    comment: str | None = None,
) -> Obligation:
    """Apply the fields set on ``update``; status becomes ``corrected``. A field set to its
    current value is no change; with no change at all, only a comment is recorded (if any)."""
    obligation = _load(session, obligation_id, expected_version)
    values = _clean(update.model_dump(exclude_unset=True))
    now = utcnow()
    changed = {k: v for k, v in values.items() if not _same(k, getattr(obligation, k), v)}
    changed |= _deadline_from_text(obligation, changed)
    if not changed:
        if comment:
            _event(session, obligation, user, now, "comment", comment=comment)
            _touch(obligation, user, now)
            session.add(obligation)
            _flush(session, obligation, expected_version)
        return obligation
    for name, value in changed.items():
        _event(session, obligation, user, now, "correct", name, getattr(obligation, name), value,
               comment)
        setattr(obligation, name, value)
    if obligation.status != "corrected":
        _event(session, obligation, user, now, "status", "status", obligation.status, "corrected")
        obligation.status = "corrected"
    _touch(obligation, user, now)
    session.add(obligation)
    _flush(session, obligation, expected_version)
    return obligation


_DEADLINE_PARTS = (
    "deadline_duration", "deadline_business_days", "deadline_relation", "deadline_anchor",
    "deadline_date",
)


def _deadline_from_text(obligation: Obligation, changed: dict) -> dict:
    """A reviewer who rewrites only the deadline's words ("within 15 Business Days of the
    Termination Date") gets its duration, relation and anchor read from them, as the
    extractor would, so the structured fields the registry imports do not contradict the
    text. Any part the reviewer set explicitly wins; a text that states no time clears them."""
    if "deadline_text" not in changed or any(k in changed for k in _DEADLINE_PARTS):
        return {}
    from pipeline.deadlines import find_deadline

    text = changed["deadline_text"]
    parsed = find_deadline(text) if text else None
    derived = {
        "deadline_duration": parsed.duration if parsed else None,
        "deadline_business_days": parsed.business_days if parsed else None,
        "deadline_relation": parsed.relation if parsed else None,
        "deadline_anchor": parsed.anchor if parsed else None,
        "deadline_date": parsed.date if parsed else None,
    }
    return {k: v for k, v in derived.items() if not _same(k, getattr(obligation, k), v)}


def _decide(session, obligation_id, user, expected_version, comment, action, status):
    obligation = _load(session, obligation_id, expected_version)
    now = utcnow()
    _event(session, obligation, user, now, action, "status", obligation.status, status, comment)
    obligation.status = status
    # A decision settles what a re-extraction flagged: the reviewer has seen the obligation
    # as it is now (the proposals stay in the audit trail of the merge).
    obligation.conflict = None
    obligation.stale = False
    _touch(obligation, user, now)
    session.add(obligation)
    _flush(session, obligation, expected_version)
    return obligation


def approve(
    *,
    session: Session,
    obligation_id: str,
    user: str,
    expected_version: int | None = None,
    comment: str | None = None,
) -> Obligation:
    return _decide(session, obligation_id, user, expected_version, comment, "approve", "approved")


def reject(
    *,
    session: Session,
    obligation_id: str,
    user: str,
    expected_version: int | None = None,
    comment: str | None = None,
) -> Obligation:
    return _decide(session, obligation_id, user, expected_version, comment, "reject", "rejected")


def reopen(
    *,
    session: Session,
    obligation_id: str,
    user: str,
    expected_version: int | None = None,
    comment: str | None = None,
) -> Obligation:
    """Back to the queue (status ``extracted``); its corrections stay."""
    return _decide(session, obligation_id, user, expected_version, comment, "reopen", "extracted")


def _normalise(text: str) -> str:
    return _NOT_WORD.sub(" ", text.lower()).strip()


def add_obligation(
    *,
    session: Session,
    clause_id: int,
    text: str,
    fields: ObligationUpdate,
    user: str,
    comment: str | None = None,
) -> Obligation:
    """An obligation the extraction missed, added by a reviewer from a clause (origin
    ``reviewer``, status ``corrected``: a person wrote every field). ``text`` must be quoted from
    the clause; its id is ``obligation_key`` over that text, as the extractor would compute it."""
    from pipeline.ids import obligation_key

    clause = session.get(Clause, clause_id)
    if clause is None:
        raise NotFound("clause", clause_id)
    document = session.get(Document, clause.document_id)
    text = " ".join(text.split())
    if not text:
        raise InvalidUpdate("quote the sentence of the clause that holds the obligation")
    if _normalise(text) not in _normalise(clause.text):
        raise InvalidUpdate(f"the text is not part of clause {clause.ref}: quote it exactly")
    values = _clean(fields.model_dump(exclude_unset=True))
    if not values.get("action"):
        raise InvalidUpdate("the action cannot be empty")
    values.setdefault("modality", "obligation")
    values.setdefault("categories", list(clause.categories or []))
    occurrence = 0
    while session.get(Obligation, obligation_key(document.sha256, clause.ref, text, occurrence)):
        occurrence += 1
    now = utcnow()
    boxes = list(clause.bboxes or [])
    last = session.exec(
        select(Obligation.position)
        .where(Obligation.document_id == document.id)
        .order_by(Obligation.position.desc())
    ).first()
    obligation = Obligation(
        id=obligation_key(document.sha256, clause.ref, text, occurrence),
        document_id=document.id,
        clause_id=clause.id,
        clause_ref=clause.ref,
        clause_heading=clause.heading,
        text=text,
        page=boxes[0]["page"] if boxes else clause.page_start,
        bboxes=boxes,
        confidence=1.0,
        rules={"origin": ["reviewer"]},
        position=(last or 0) + 1,
        status="corrected",
        origin="reviewer",
        created_at=now,
        extractor_version=None,
        **values,
    )
    _touch(obligation, user, now)
    session.add(obligation)
    session.flush()
    _event(session, obligation, user, now, "create", None, None, snapshot(obligation), comment)
    session.flush()
    return obligation
