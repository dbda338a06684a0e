"""Runs a team starts: queued by the review app, taken up by a flow run wherever a worker
runs it, split into parts across machines, and followed live.

- ``queue_run``: the review app records the run at once (status ``queued``, who and from
  where), so it is listed by ``obligations status`` and on the Documents page before any
  worker has picked it up; the flow run then *adopts* that row (``begin_run``).
- A batch split over the work pool is one parent run and a ``chunk`` run per part
  (``parent_run_id``); the parent's counts are the batch's.
- ``record_progress``: each document's outcome is written to its run as it finishes, so the
  progress page shows documents done and failed, with reasons, as they come.
- ``run_progress``: the progress of a run and of its parts, as one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from models.models import Run, utcnow
from models.runs import start_run, this_host

ORIGINS = ("cli", "web", "prefect", "drop-folder", "chunk")
ACTIVE = ("queued", "running")
WORKER_ENV = "PREFECT__WORKER_NAME"  # set by a Prefect worker in each flow run's process


class RunNotQueued(LookupError):
    """The run a flow was asked to adopt does not exist or has started already."""


def queue_run(*, session: Session, parameters: dict, origin: str, started_by: str | None,
              flow: str = "ingest-contracts", total: int | None = None) -> Run:
    run = Run(flow=flow, status="queued", parameters=parameters, origin=origin,
              started_by=started_by, progress={"total": total, "done": 0, "documents": []})
    session.add(run)
    session.flush()
    return run


def note_launch(*, session: Session, run_id: int, flow_run_id: str | None = None,
                pid: int | None = None) -> None:
    """Where a queued run was sent: a Prefect flow run, or a background process here."""
    run = session.get(Run, run_id)
    if run is None:
        raise RunNotQueued(f"no run {run_id}")
    run.flow_run_id = flow_run_id or run.flow_run_id
    if pid is not None:
        run.host, run.pid = this_host(), pid
    session.add(run)


def fail_queued(*, session: Session, run_id: int, problem: str) -> None:
    """A queued run that will never start (nothing to ingest, the launch failed)."""
    run = session.get(Run, run_id)
    if run is not None and run.status in ACTIVE:
        run.status, run.finished_at = "failed", utcnow()
        run.counts = {**run.counts, "problem": problem}
        session.add(run)


def begin_run(*, session: Session, parameters: dict, flow_run_id: str | None,
              run_id: int | None = None, origin: str | None = None,
              parent_run_id: int | None = None) -> Run:
    """The Run of a flow run that is starting: the queued ``run_id`` taken up, or a new one."""
    worker = os.environ.get(WORKER_ENV) or None
    if run_id is None:
        run = start_run(session=session, parameters=parameters, flow_run_id=flow_run_id)
        run.origin, run.parent_run_id = origin, parent_run_id
    else:
        run = session.get(Run, run_id)
        if run is None or run.status != "queued":
            raise RunNotQueued(f"run {run_id} is not waiting to start "
                               f"({run.status if run else 'no such run'})")
        now = utcnow()
        run.status, run.started_at, run.heartbeat_at = "running", now, now
        run.host, run.pid = this_host(), os.getpid()
        run.flow_run_id = flow_run_id or run.flow_run_id
        run.parameters = {**run.parameters, **parameters}
        run.origin = run.origin or origin
    run.worker = f"{worker} on {this_host()}" if worker else None
    run.progress = {**(run.progress or {}), "done": 0, "documents": []}
    session.add(run)
    session.flush()
    return run


def set_total(*, session: Session, run_id: int, total: int) -> None:
    run = session.get(Run, run_id)
    run.progress = {**(run.progress or {}), "total": total}
    session.add(run)


def record_progress(*, session: Session, run_id: int, document: dict) -> None:
    """One document finished: ``{"file", "status", "reason", "code", "document_id"}``."""
    run = session.get(Run, run_id)
    documents = [*(run.progress or {}).get("documents", []), document]
    run.progress = {**(run.progress or {}), "done": len(documents), "documents": documents}
    session.add(run)


def children(*, session: Session, run_id: int) -> list[Run]:
    return list(session.exec(select(Run).where(Run.parent_run_id == run_id)
                             .order_by(col(Run.id))))


@dataclass
class RunProgress:
    """A run as its progress page shows it (its parts folded in)."""

    run: Run
    parts: list[Run] = field(default_factory=list)
    total: int | None = None
    documents: list[dict] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.documents)

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents if d.get("status") == status)

    @property
    def finished(self) -> bool:
        return self.run.status not in ACTIVE and all(p.status not in ACTIVE for p in self.parts)

    def as_dict(self) -> dict:
        run = self.run
        return {
            "run": run.id, "status": run.status, "finished": self.finished,
            "origin": run.origin, "started_by": run.started_by, "worker": run.worker,
            "flow_run_id": run.flow_run_id, "total": self.total, "done": self.done,
            "processed": self.count("processed"), "skipped": self.count("skipped"),
            "failed": self.count("failed"), "problem": run.counts.get("problem"),
            "parts": [{"run": p.id, "status": p.status, "worker": p.worker,
                       "done": len((p.progress or {}).get("documents", []))}
                      for p in self.parts],
            "documents": self.documents,
        }


def run_progress(*, session: Session, run_id: int) -> RunProgress | None:
    run = session.get(Run, run_id)
    if run is None:
        return None
    _notice_lost_launch(session, run)
    parts = children(session=session, run_id=run_id)
    documents = list((run.progress or {}).get("documents", []))
    for part in parts:
        documents += (part.progress or {}).get("documents", [])
    total = (run.progress or {}).get("total")
    if total is None and parts:
        totals = [(p.progress or {}).get("total") for p in parts]
        total = sum(totals) if None not in totals else None
    return RunProgress(run=run, parts=parts, total=total, documents=documents)


def _notice_lost_launch(session: Session, run: Run) -> None:
    """A queued run handed to a background process on this host that has died before it
    took the run up will never start: say so rather than show it queued for ever."""
    if run.status == "queued" and run.pid and run.host == this_host() \
            and not _pid_alive(run.pid):
        fail_queued(session=session, run_id=run.id,
                    problem="the background process that was to run it ended first")
        session.flush()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def describe_origin(run: Run) -> str:
    """``web (alice)``, ``drop-folder``, ``part of run 12`` …; empty when not known."""
    if run.parent_run_id:
        return f"part of run {run.parent_run_id}"
    if run.origin and run.started_by:
        return f"{run.origin} ({run.started_by})"
    return run.origin or ""


def open_by_document(*, session: Session, document_ids: list[int]) -> dict[int, int]:
    """Obligations still needing a reviewer (``models.queue.is_open``), per document."""
    from models.models import Obligation
    from models.queue import is_open

    counts: dict[int, int] = dict.fromkeys(document_ids, 0)
    if not document_ids:
        return counts
    for ob in session.exec(select(Obligation).where(col(Obligation.document_id)
                                                     .in_(document_ids))):
        counts[ob.document_id] += is_open(ob)
    return counts
