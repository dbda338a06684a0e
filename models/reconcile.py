"""Reconciling a document's stored obligations with the candidates of a new extraction: the
re-extraction rule of DESIGN.md §2 (issue 4), called by ``models.store`` in the caller's
transaction.

Unreviewed obligations follow the extractor (updated, or deleted when no longer produced;
marked stale instead when they have review events). Reviewed obligations (approved,
corrected, rejected, or added by a reviewer) are never overwritten: a candidate that matches
one is merged into it, its disagreeing values are kept in ``Obligation.conflict`` and
announced by a ``ReviewEvent(action="conflict")``; a rejected one is never resurrected; one
no longer produced is marked ``stale``. A candidate identical to its stored obligation is
not written at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from models.models import Document, Obligation, ReviewEvent

REVIEWED = frozenset({"approved", "corrected", "rejected"})
EXTRACTOR_USER = "extractor"
# Candidates with the same clause ref whose normalised text is at least this similar to a
# reviewed obligation are the same obligation, re-worded by a change in the extractor.
NEAR_IDENTICAL = 0.9

# The fields a reviewer may correct: where a new candidate disagrees on one of these with a
# reviewed obligation, the disagreement is a conflict to flag, never a silent overwrite.
REVIEW_FIELDS = (
    "categories", "modality", "obligor", "beneficiary", "action", "trigger",
    "deadline_text", "deadline_duration", "deadline_business_days", "deadline_relation",
    "deadline_anchor", "deadline_date",
)


def is_reviewed(obligation: Obligation) -> bool:
    return obligation.status in REVIEWED or obligation.origin == "reviewer"


# --- lookups -------------------------------------------------------------------------------


@dataclass
class Reconciliation:
    """What ``store_extraction`` did to the obligations of one document."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    merged: int = 0
    conflicts: int = 0
    stale: int = 0
    dropped_rejected: int = 0
    unchanged: int = 0  # candidates identical to the stored obligation: not written
    skipped: bool = False


def reconcile_obligations(
    *,
    session: Session,
    document: Document,
    candidates: list[dict[str, Any]],
    clause_by_position: dict[int, int],
    clause_by_ref: dict[str, int],
    old_clause_refs: dict[int, str],
    extractor_version: str,
    now: datetime,
) -> Reconciliation:
    existing = list(
        session.exec(select(Obligation).where(Obligation.document_id == document.id))
    )
    with_events = set(
        session.exec(
            select(ReviewEvent.obligation_id)
            .where(col(ReviewEvent.obligation_id).in_([o.id for o in existing]))
            .distinct()
        )
    ) if existing else set()
    run = _Reconciler(session, {c["id"]: c for c in candidates}, clause_by_position,
                      clause_by_ref, old_clause_refs, extractor_version, now)
    reviewed = [o for o in existing if is_reviewed(o)]
    # Reviewed obligations first: they claim their candidates before anything else can,
    # by identity first, then (for those left) by near-identical text in the same clause.
    matches = {ob.id: run.pending.pop(ob.id) for ob in reviewed if ob.id in run.pending}
    for ob in reviewed:
        if ob.id not in matches:
            matches[ob.id] = _pop_near_identical(run.pending, ob)
    for ob in reviewed:
        run.reviewed(ob, matches[ob.id])
    unreviewed = [o for o in existing if not is_reviewed(o)]
    deleted = [ob for ob in unreviewed if not run.unreviewed(ob, ob.id in with_events)]
    if deleted:
        for ob in deleted:
            session.expunge(ob)
        session.execute(delete(Obligation).where(col(Obligation.id).in_([o.id for o in deleted])))
        run.result.deleted = len(deleted)
    session.flush()  # the ORM's updates first, then the moves over them
    _apply_moves(session, existing, run.moves)
    run.insert_new(document.id)
    return run.result


class _Reconciler:
    """One document's obligations against its new candidates (``reconcile_obligations``).

    Clauses are replaced when the clause tree changes, so obligations point to new clause
    rows, and an obligation's place in the document moves when one before it comes or goes.
    That is bookkeeping, not a change of the obligation: it is collected in ``moves`` and
    written around the ORM (which would bump the optimistic-lock version), leaving
    updated_at alone, so that an unchanged obligation neither re-enters the registry's next
    increment nor makes a reviewer's open form stale."""

    def __init__(self, session: Session, pending: dict[str, dict[str, Any]],
                 clause_by_position: dict[int, int], clause_by_ref: dict[str, int],
                 old_clause_refs: dict[int, str], extractor_version: str, now: datetime):
        self.session, self.pending, self.now = session, pending, now
        self.clause_by_position, self.clause_by_ref = clause_by_position, clause_by_ref
        self.old_clause_refs, self.extractor_version = old_clause_refs, extractor_version
        self.result = Reconciliation()
        self.moves: dict[str, dict[str, Any]] = {}

    def move(self, ob: Obligation, **where: Any) -> None:
        changed = {k: v for k, v in where.items() if getattr(ob, k) != v}
        if changed:
            self.moves.setdefault(ob.id, {}).update(changed)

    def repoint(self, ob: Obligation) -> int | None:
        if ob.clause_id is not None and not self.old_clause_refs:
            return ob.clause_id  # the clause rows were kept: it points where it did
        ref = self.old_clause_refs.get(ob.clause_id) if ob.clause_id else None
        by_ref = self.clause_by_ref
        return by_ref.get(ref or ob.clause_ref) or by_ref.get(ob.clause_ref)

    def reviewed(self, ob: Obligation, match: dict[str, Any] | None) -> None:
        """Never overwritten: merged, flagged where the candidate disagrees, or stale."""
        self.move(ob, clause_id=self.repoint(ob))
        if match is None:
            if ob.origin != "reviewer" and not ob.stale:
                # A reviewer's own addition was never produced, so it cannot stop being.
                ob.stale = True
                self.result.stale += 1
                self.session.add(ob)
            return
        if ob.stale:
            ob.stale = False
            self.session.add(ob)
        if ob.status == "rejected":
            self.result.dropped_rejected += 1
            return
        self.result.merged += 1
        proposed = _disagreements(session=self.session, obligation=ob, candidate=match)
        if proposed != (ob.conflict or {}):
            self.flag(ob, proposed)

    def flag(self, ob: Obligation, proposed: dict[str, Any]) -> None:
        for name, value in proposed.items():
            if (ob.conflict or {}).get(name, _MISSING) == value:
                continue  # already flagged for this very value
            self.session.add(ReviewEvent(
                obligation_id=ob.id, user=EXTRACTOR_USER, at=self.now, action="conflict",
                field=name, old=getattr(ob, name), new=value,
                comment=f"extractor {self.extractor_version} proposes a different value",
            ))
            self.result.conflicts += 1
        ob.conflict = proposed or None
        self.session.add(ob)

    def unreviewed(self, ob: Obligation, has_events: bool) -> bool:
        """Follows the extractor; False when it is to be deleted."""
        candidate = self.pending.pop(ob.id, None)
        if candidate is None:
            if not has_events:
                return False
            self.move(ob, clause_id=self.repoint(ob))
            if not ob.stale:
                ob.stale = True
                self.session.add(ob)
                self.result.stale += 1
            return True
        clause_position = candidate.pop("clause_position")
        self.move(ob, clause_id=self.clause_by_position.get(clause_position),
                  position=candidate["position"])
        if _unchanged(ob, candidate):
            self.result.unchanged += 1
            return True
        ob.sqlmodel_update(candidate)
        ob.stale = False
        ob.conflict = None
        ob.updated_at = self.now
        self.session.add(ob)
        self.result.updated += 1
        return True

    def insert_new(self, document_id: int) -> None:
        for candidate in self.pending.values():
            clause_position = candidate.pop("clause_position")
            self.session.add(Obligation(
                document_id=document_id, clause_id=self.clause_by_position.get(clause_position),
                created_at=self.now, updated_at=self.now, **candidate,
            ))
            self.result.inserted += 1


_MISSING = object()


# Bookkeeping of the row, not content of the obligation: a change of only these is no change.
_NOT_CONTENT = frozenset({"clause_position", "extractor_version", "position"})


def _apply_moves(
    session: Session, existing: list[Obligation], moves: dict[str, dict[str, Any]]
) -> None:
    """Write clause and position moves without the ORM's version bump, grouped by value."""
    groups: dict[tuple, list[str]] = {}
    for ob_id, values in moves.items():
        groups.setdefault(tuple(sorted(values.items())), []).append(ob_id)
    for values, ids in groups.items():
        session.execute(
            update(Obligation).where(col(Obligation.id).in_(ids)).values(dict(values))
            .execution_options(synchronize_session=False)
        )
    for ob in existing:
        if ob.id in moves and ob in session:
            for name, value in moves[ob.id].items():
                set_committed_value(ob, name, value)


def _unchanged(ob: Obligation, candidate: dict[str, Any]) -> bool:
    """The candidate proposes exactly what the stored, unreviewed obligation already says
    (and it is neither stale nor in conflict): nothing to write."""
    if ob.stale or ob.conflict:
        return False
    return all(
        getattr(ob, name) == value
        for name, value in candidate.items()
        if name not in _NOT_CONTENT
    )


def _pop_near_identical(pending: dict[str, dict], ob: Obligation) -> dict | None:
    """The candidate with the same clause ref and near-identical normalised text, if any."""
    from pipeline.ids import normalise_text

    target = normalise_text(ob.text)
    best_id, best = None, NEAR_IDENTICAL
    for cid, cand in pending.items():
        if cand["clause_ref"] != ob.clause_ref:
            continue
        ratio = SequenceMatcher(None, target, normalise_text(cand["text"])).ratio()
        if ratio >= best:
            best_id, best = cid, ratio
    return pending.pop(best_id) if best_id is not None else None


def _disagreements(
    *, session: Session, obligation: Obligation, candidate: dict[str, Any]
) -> dict[str, Any]:
    """The review fields on which the candidate differs from the reviewed obligation.

    A value the reviewer has already seen and decided on is not a new conflict: one they
    corrected away from (the ``old`` of a ``correct`` event), or one flagged before that is
    no longer pending (they approved, rejected or corrected the obligation since, which
    clears ``Obligation.conflict``).
    """
    seen: dict[str, list[Any]] = {}
    for event in session.exec(
        select(ReviewEvent).where(
            ReviewEvent.obligation_id == obligation.id,
            col(ReviewEvent.action).in_(["correct", "conflict"]),
        )
    ):
        if event.field:
            seen.setdefault(event.field, []).append(
                event.old if event.action == "correct" else event.new
            )
    pending = obligation.conflict or {}
    out = {}
    for name in REVIEW_FIELDS:
        proposed, current = candidate.get(name), getattr(obligation, name)
        if proposed == current:
            continue
        if proposed in seen.get(name, []) and pending.get(name, _MISSING) != proposed:
            continue
        out[name] = proposed
    return out
