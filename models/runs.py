"""Runs that tell the truth about themselves, and documents claimed by one run at a time.

A run records where it runs (host, pid) and beats a heartbeat while it works. A run still
``running`` whose process is gone — on this host its pid is dead or belongs to a younger
process; on another host its heartbeat is older than ``STALE_AFTER`` — is ``abandoned``:
``mark_abandoned`` says so, on the next run's start and whenever ``obligations status``
looks. Its claims are released with it.

A claim (``DocumentClaim``) says "run N is parsing this document": a second ingest running
at the same time leaves the document to run N instead of parsing it again, and waits for
its result. A claim of an abandoned run is taken over.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.models import DocumentClaim, Run, utcnow

HEARTBEAT_EVERY = timedelta(seconds=30)
# A run on another host that has not beaten for this long is taken for dead. Generous: a
# heartbeat is a row update, late only if the database or the machine is in trouble.
STALE_AFTER = timedelta(minutes=10)


def this_host() -> str:
    return socket.gethostname()


def _process_started_at(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux ``/proc``), or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime, in clock ticks after boot
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
    except (OSError, IndexError, ValueError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return datetime.min.replace(tzinfo=utcnow().tzinfo)  # alive; age unknown
    seconds_ago = uptime - ticks / os.sysconf("SC_CLK_TCK")
    return utcnow() - timedelta(seconds=seconds_ago)


def is_alive(run: Run, *, now: datetime | None = None) -> bool:
    """Whether the process of a ``running`` run is still there to finish it."""
    now = now or utcnow()
    if run.host == this_host() and run.pid:
        started = _process_started_at(run.pid)
        # A pid is reused: a process younger than the run is not the run's.
        return started is not None and started <= run.started_at + timedelta(seconds=5)
    last = run.heartbeat_at or run.started_at
    return now - last < STALE_AFTER


def start_run(*, session: Session, parameters: dict, flow_run_id: str | None = None,
              flow: str = "ingest-contracts") -> Run:
    now = utcnow()
    run = Run(flow=flow, flow_run_id=flow_run_id, parameters=parameters, host=this_host(),
              pid=os.getpid(), started_at=now, heartbeat_at=now)
    session.add(run)
    session.flush()
    return run


def beat(*, session: Session, run_id: int) -> None:
    session.execute(
        update(Run).where(Run.id == run_id, Run.status == "running")
        .values(heartbeat_at=utcnow())
    )


def mark_abandoned(*, session: Session) -> list[Run]:
    """Every ``running`` run whose process is gone becomes ``abandoned`` (with the time it
    was last known alive as its end); their claims are released. Returns them."""
    now = utcnow()
    gone = [r for r in session.exec(select(Run).where(Run.status == "running"))
            if not is_alive(r, now=now)]
    for run in gone:
        run.status = "abandoned"
        run.finished_at = run.heartbeat_at or run.started_at
        run.counts = {**run.counts, "abandoned_at": now.isoformat()}
        session.add(run)
    if gone:
        session.execute(delete(DocumentClaim).where(
            col(DocumentClaim.run_id).in_([r.id for r in gone])))
    session.flush()
    return gone


# --- claims ----------------------------------------------------------------------------------


def claim(engine, *, sha256: str, run_id: int) -> int | None:
    """Claim a document for ``run_id``, in a transaction of its own (committed at once, so
    that the other runs see it). Returns None when it is ours now, else the id of the live
    run that holds it. A claim left by a dead run is taken over."""
    from models.db import session_scope

    for _attempt in range(3):
        try:
            with session_scope(engine) as session:
                held = session.get(DocumentClaim, sha256)
                if held is not None and held.run_id == run_id:
                    return None
                if held is not None:
                    holder = session.get(Run, held.run_id)
                    if holder is not None and holder.status == "running" and is_alive(holder):
                        return holder.id
                    session.delete(held)
                    session.flush()
                session.add(DocumentClaim(sha256=sha256, run_id=run_id))
            return None
        except IntegrityError:
            continue  # another run claimed it between our look and our insert: look again
    with session_scope(engine) as session:
        return claim_holder(session=session, sha256=sha256)


def release(*, session: Session, sha256: str, run_id: int) -> None:
    session.execute(delete(DocumentClaim).where(
        DocumentClaim.sha256 == sha256, DocumentClaim.run_id == run_id))


def claim_holder(*, session: Session, sha256: str) -> int | None:
    held = session.get(DocumentClaim, sha256)
    return held.run_id if held is not None else None


def wait_for_release(engine, *, sha256: str, poll: float = 1.0,
                     give_up_after: float | None = None) -> int | None:
    """Wait until no live run holds the document; None then, or the holder's id if
    ``give_up_after`` seconds passed first. A holder that dies meanwhile is marked."""
    from models.db import session_scope

    started = time.monotonic()
    while True:
        with session_scope(engine) as session:
            holder = claim_holder(session=session, sha256=sha256)
            if holder is None:
                return None
            run = session.get(Run, holder)
            if run is None or run.status != "running" or not is_alive(run):
                mark_abandoned(session=session)
                release(session=session, sha256=sha256, run_id=holder)
                return None
        if give_up_after is not None and time.monotonic() - started > give_up_after:
            return holder
        time.sleep(poll)


# --- run records ---------------------------------------------------------------------------


def create_run(
    *, session: Session, parameters: dict[str, Any], flow_run_id: str | None = None,
    flow: str = "ingest-contracts",
) -> Run:
    run = Run(flow=flow, flow_run_id=flow_run_id, parameters=parameters)
    session.add(run)
    session.flush()
    return run


def finish_run(
    *, session: Session, run_id: int, counts: dict[str, Any], failures: list[dict[str, Any]],
    status: str | None = None,
) -> Run:
    """Record how a run ended: ``status`` if given, else ``failed`` when anything failed."""
    run = session.get(Run, run_id)
    if run is None:
        raise LookupError(f"no run with id {run_id}")
    run.counts = dict(counts)
    run.failures = list(failures)
    run.status = status or ("failed" if failures else "completed")
    run.finished_at = utcnow()
    session.add(run)
    session.flush()
    return run


def list_runs(*, session: Session, limit: int = 5) -> list[Run]:
    return list(session.exec(select(Run).order_by(col(Run.id).desc()).limit(limit)))
