"""The review of obligations: correct, approve, reject, reopen, add a missed one.

Every change goes through here, is written as ``ReviewEvent`` rows (one per changed field, one
per decision) and bumps ``updated_at`` and ``reviewed_by``/``reviewed_at``. A value counts as
changed only when it differs from the stored one after normalisation (``models.fields``):
posting a form back untouched records nothing. Each write raises the obligation's ``version``
(SQLAlchemy's optimistic lock); a caller that says which version it saw (``expected_version``)
gets a ``Conflict`` carrying the other reviewer's changes instead of silently overwriting
them. Functions take a keyword-only ``session`` and never commit.

The queue (which obligations, in what order) is ``models.queue``; its names are re-exported
here for the callers that review from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from models import fields as reviewable
from models import quotes
from models.fields import CATEGORIES, DEADLINE_PARTS, EDITABLE_FIELDS, MODALITIES, RELATIONS
from models.models import Clause, Document, Obligation, ObligationUpdate, ReviewEvent, utcnow
from models.queue import STATUSES, QueueFilter, list_queue, neighbours, obligors
from pipeline.types import Layout

__all__ = [
    "CATEGORIES", "EDITABLE_FIELDS", "MODALITIES", "RELATIONS", "STATUSES", "QueueFilter",
    "list_queue", "neighbours", "obligors",
]
DERIVED_NOTE = "read from the new deadline wording"


class ReviewError(Exception):
    """A review request that cannot be carried out."""


class NotFound(ReviewError):
    def __init__(self, what: str, key: Any):
        super().__init__(f"no {what} {key!r}")


class InvalidUpdate(ReviewError):
    """A correction with a value outside what the field allows; the message names it."""


class NothingToReopen(ReviewError):
    """Reopening an obligation that nobody reviewed: it is in the queue already."""


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


def last_write(*, session: Session, obligation: Obligation) -> list[ReviewEvent]:
    """The events of the obligation's latest write (they share its ``updated_at``)."""
    return [e for e in history(session=session, obligation_id=obligation.id)
            if e.at == obligation.updated_at]


def snapshot(obligation: Obligation) -> dict:
    """The reviewable fields and the status of an obligation, as plain data."""
    out = {name: getattr(obligation, name) for name in EDITABLE_FIELDS}
    out["status"] = obligation.status
    return out


def explanation(obligation: Obligation, clause: Clause | None, document: Document) -> str | None:
    """The obligation's sentence as the current rules read it, drawn with displaCy: its
    categories, modal verb, obligor, deadline and trigger, each span with the rule id that
    decided it (HTML, text escaped). None for an obligation a reviewer added."""
    if obligation.origin == "reviewer" or not obligation.text:
        return None
    from pipeline.explain import explain_clause
    from pipeline.types import Parties, Party

    parties = Parties(
        parties=tuple(
            Party(name=p.get("name") or p["role"], role=p["role"])
            for p in document.parties or [] if p.get("role")
        ),
        definitions=(), contract_type="jv" if document.contract_type == "jv" else "supplier",
        counterparty=document.counterparty, customer_role=None,
    )
    return explain_clause(
        obligation.text, clause.heading if clause else None, parties=parties, page=True
    )


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
        {"user": e.user, "at": e.at, "action": e.action, "field": e.field, "old": e.old,
         "new": e.new, "comment": e.comment}
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


def _validated(values: dict) -> dict:
    try:
        return reviewable.validate(values)
    except reviewable.InvalidValue as exc:
        raise InvalidUpdate(str(exc)) from None


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
        ReviewEvent(obligation_id=obligation.id, user=user, at=now, action=action, field=field,
                    old=old, new=new, comment=comment)
    )


def derived_deadline(obligation: Obligation, changed: dict) -> dict:
    """When the reviewer changed the deadline's words, the parts those words state (as the
    extractor reads them) for every part the reviewer left as it was: a part they changed
    themselves is theirs, and nothing they did not touch is left contradicting the words."""
    if "deadline_text" not in changed:
        return {}
    read = reviewable.derive_deadline(changed["deadline_text"])
    return {
        name: read[name]
        for name in DEADLINE_PARTS
        if name not in changed and reviewable.is_change(name, getattr(obligation, name), read[name])
    }


def correct(
    *,
    session: Session,
    obligation_id: str,
    update: ObligationUpdate,
    user: str,
    expected_version: int | None = None,
    comment: str | None = None,
) -> Obligation:
    """Apply the fields set on ``update`` that differ from the stored values; status becomes
    ``corrected``. With no change at all, only a comment is recorded (if any). Deadline parts
    read from new deadline words are written as ``derive`` events (see ``derived_deadline``)."""
    obligation = _load(session, obligation_id, expected_version)
    values = _validated(update.model_dump(exclude_unset=True))
    now = utcnow()
    changed = {k: v for k, v in values.items()
               if reviewable.is_change(k, getattr(obligation, k), v)}
    derived = derived_deadline(obligation, changed)
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
    for name, value in derived.items():
        _event(session, obligation, user, now, "derive", name, getattr(obligation, name), value,
               DERIVED_NOTE)
        setattr(obligation, name, value)
    if obligation.status != "corrected":
        _event(session, obligation, user, now, "status", "status", obligation.status, "corrected")
        obligation.status = "corrected"
    _touch(obligation, user, now)
    session.add(obligation)
    _flush(session, obligation, expected_version)
    return obligation


def _decide(session, obligation_id, user, expected_version, comment, action, status):
    obligation = _load(session, obligation_id, expected_version)
    if action == "reopen" and obligation.status == "extracted":
        raise NothingToReopen(
            f"obligation {obligation_id} has not been reviewed: it is in the queue already"
        )
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


def approve(*, session: Session, obligation_id: str, user: str,
            expected_version: int | None = None, comment: str | None = None) -> Obligation:
    return _decide(session, obligation_id, user, expected_version, comment, "approve", "approved")


def reject(*, session: Session, obligation_id: str, user: str,
           expected_version: int | None = None, comment: str | None = None) -> Obligation:
    return _decide(session, obligation_id, user, expected_version, comment, "reject", "rejected")


def reopen(*, session: Session, obligation_id: str, user: str,
           expected_version: int | None = None, comment: str | None = None) -> Obligation:
    """Back to the queue (status ``extracted``); its corrections stay. ``NothingToReopen``
    for an obligation nobody reviewed."""
    return _decide(session, obligation_id, user, expected_version, comment, "reopen", "extracted")


# --- adding a missed obligation -----------------------------------------------------------


def quotable_units(clause_text: str) -> list[str]:
    """The sentences of a clause's text and the limbs ("(a) …; (b) …") within them: what a
    reviewer may quote as an obligation's source, as the pipeline's segmenter divides it."""
    from pipeline.analyse import quotable_parts

    return quotable_parts(clause_text)


def add_obligation(
    *,
    session: Session,
    clause_id: int,
    text: str,
    fields: ObligationUpdate,
    user: str,
    comment: str | None = None,
    layout: Layout | None = None,
) -> Obligation:
    """An obligation the extraction missed, added by a reviewer from a clause (origin
    ``reviewer``, status ``corrected``: a person wrote every field). ``text`` must be a whole
    sentence or limb of the clause (``quotable_units``); its id is ``obligation_key`` over
    that text, as the extractor would compute it. With the document's ``layout`` the
    sentence's own words are highlighted, else the clause's."""
    clause = session.get(Clause, clause_id)
    if clause is None:
        raise NotFound("clause", clause_id)
    document = session.get(Document, clause.document_id)
    text = _quoted_unit(clause, text)
    values = _validated(fields.model_dump(exclude_unset=True))
    if not values.get("action"):
        raise InvalidUpdate("the action cannot be empty")
    values.setdefault("modality", "obligation")
    values.setdefault("categories", list(clause.categories or []))
    boxes = _boxes(clause, text, layout)
    now = utcnow()
    obligation = Obligation(
        id=_free_key(session, document.sha256, clause.ref, text),
        document_id=document.id, clause_id=clause.id, clause_ref=clause.ref,
        clause_heading=clause.heading, text=text,
        page=boxes[0]["page"] if boxes else clause.page_start, bboxes=boxes,
        confidence=1.0, rules={"origin": ["reviewer"]}, position=_next_position(session, document),
        status="corrected", origin="reviewer", created_at=now, extractor_version=None, **values,
    )
    _touch(obligation, user, now)
    session.add(obligation)
    session.flush()
    _event(session, obligation, user, now, "create", None, None, snapshot(obligation), comment)
    session.flush()
    return obligation


def _quoted_unit(clause: Clause, text: str) -> str:
    if not text.split():
        raise InvalidUpdate("quote the sentence of the clause that holds the obligation")
    unit = quotes.match_unit(text, quotable_units(clause.text))
    if unit is not None:
        return unit
    if quotes.match_unit(text, [clause.text]) is None and _words(text) not in _words(clause.text):
        raise InvalidUpdate(f"the text is not part of clause {clause.ref}: quote it exactly")
    raise InvalidUpdate(
        f"quote a whole sentence or limb of clause {clause.ref}, not a part of one: "
        "select from its first word to its full stop (or the limb's semicolon)"
    )


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _boxes(clause: Clause, text: str, layout: Layout | None) -> list[dict]:
    found = quotes.locate(layout, text, range(clause.page_start, clause.page_end + 1)) \
        if layout is not None else []
    if not found:  # no layout, or the words not found in it: the clause, as before
        return list(clause.bboxes or [])
    return [{"page": b.page, "bbox": list(b.bbox)} for b in found]


def _free_key(session: Session, sha256: str, ref: str, text: str) -> str:
    from pipeline.ids import obligation_key

    occurrence = 0
    while session.get(Obligation, obligation_key(sha256, ref, text, occurrence)):
        occurrence += 1
    return obligation_key(sha256, ref, text, occurrence)


def _next_position(session: Session, document: Document) -> int:
    last = session.exec(
        select(Obligation.position)
        .where(Obligation.document_id == document.id)
        .order_by(Obligation.position.desc())
    ).first()
    return (last or 0) + 1
