"""``ingest-contracts``: PDF files and folders → stored documents, clauses and obligations.

The flow only sequences the work:

1. mark runs whose process died as ``abandoned``; record this ``Run`` (host, pid, heartbeat);
2. list the PDFs under the paths (and every entry left out, with the reason);
3. one ``ingest-document`` task per file, on threads: everything that touches the file —
   size, read, hash — happens there, so any failure is that document's failure with a stable
   code (``unreadable``, ``vanished``, ``too_large`` …); then skip it if this extractor
   version already has it, claim it (so a concurrent ingest does not parse it too), take its
   layout from the cache or have a worker process parse it (``flows.pool``: memory cap, time
   limit, a dead worker costs only its document), and store it in one transaction;
4. wait for the documents another live run had claimed, and report what became of them;
5. finish the Run, checkpoint SQLite's log, publish the artifacts, and end in ``Failed``
   when any document failed or there was nothing to ingest (Prefect's alerts see it).

``run_ingest`` is the entry point for the CLI and the benchmarks.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.settings import get_current_settings, temporary_settings
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import limits
from flows.artifacts import publish_artifacts
from flows.chunks import ingest_in_parts
from flows.document import RunContext, ingest_one
from flows.files import MissingPath, collect_pdfs
from flows.ingest_report import (
    IngestSummary,
    Outcome,
    Progress,
    run_counts,
    run_failures,
)
from flows.parse_job import warm_up
from flows.pool import WorkerPool
from flows.progress import announce_total, report_outcome
from flows.sources import split_refs
from models.counts import summary_counts, total_counts
from models.db import checkpoint, get_engine, init_db, session_scope
from models.runs import HEARTBEAT_EVERY, beat, finish_run, mark_abandoned, wait_for_release
from models.team_runs import begin_run
from pipeline.version import current_extractor_version

FLOW_NAME = "ingest-contracts"
__all__ = ["FLOW_NAME", "IngestFailed", "IngestOptions", "MissingPath", "collect_pdfs",
           "ingest_contracts", "run_ingest"]


@dataclass(frozen=True)
class IngestOptions:
    """Limits and choices of a run (``obligations ingest --help`` documents each)."""

    contract_type: str | None = None
    counterparty: str | None = None
    workers: int | None = None
    ocr: str = "auto"  # auto | always | never
    # Per document. 600 s: a 1,000-page contract parses in 70-200 s here (~5-15 pages/s).
    timeout: float = 600.0
    max_bytes: int = 256 * 2**20
    max_pages: int = 3000
    max_memory_mb: int = 1024  # per worker process (its address space)


class IngestFailed(Exception):
    """Some documents failed, or there was nothing to ingest; ``summary`` says what."""

    def __init__(self, summary: IngestSummary):
        super().__init__(summary.state_message())
        self.summary = summary


ProgressCallback = Callable[[Progress], None]
_progress: contextvars.ContextVar[ProgressCallback | None] = contextvars.ContextVar(
    "ingest_progress", default=None
)


def _report(progress: Progress) -> None:
    callback = _progress.get()
    if callback is not None:
        callback(progress)


# No retries: a bad file fails the same way every time; I/O trouble is the document's
# failure, reported, and tried again by the next ingest. No Prefect cache: the database,
# keyed by SHA-256 and extractor version, already is one (and survives PREFECT_HOME).
def _task_run_name() -> str:
    """``ingest calloff_order_form.pdf``: the document's name, whether the task was given
    a path or a document store reference (``store:<sha256>/<name>``)."""
    from prefect.runtime import task_run

    path = str(task_run.parameters.get("path", ""))
    return f"ingest {path.rsplit('/', 1)[-1]}"


ingest_document = task(
    ingest_one, name="ingest-document", cache_policy=NO_CACHE, retries=0,
    task_run_name=_task_run_name,
)


# --- the flow --------------------------------------------------------------------------------


@flow(name=FLOW_NAME, persist_result=False, log_prints=False)
def ingest_contracts(
    paths: list[str],
    db_url: str | None = None,
    contract_type: str | None = None,
    counterparty: str | None = None,
    workers: int | None = None,
    ocr: str = "auto",
    timeout: float = IngestOptions.timeout,
    max_bytes: int = IngestOptions.max_bytes,
    max_pages: int = IngestOptions.max_pages,
    max_memory_mb: int = IngestOptions.max_memory_mb,
    chunk_size: int = 0,
    run_id: int | None = None,
    origin: str | None = None,
    parent_run_id: int | None = None,
):
    """Ingest contract PDFs: files, folders searched for ``*.pdf``, or documents in the
    document store (``store:<sha256>/<name>``). With ``chunk_size`` N and more than N
    documents, the batch is split into parts of N, each a run of this deployment on the
    work pool (flows.chunks). ``run_id``: a run the review app queued, taken up here."""
    options = IngestOptions(contract_type, counterparty, workers, ocr, timeout, max_bytes,
                            max_pages, max_memory_mb)
    engine = get_engine(db_url)
    init_db(engine)
    # The rule files as they are now, not as this (possibly long-lived) process first saw
    # them: the worker processes that parse are fresh and would stamp the new version.
    version = current_extractor_version()
    with session_scope(engine) as session:
        abandoned = [r.id for r in mark_abandoned(session=session)]
        run_id = begin_run(
            session=session, run_id=run_id, flow_run_id=_flow_run_id(),
            origin=origin or _origin(), parent_run_id=parent_run_id, parameters=dict(
                paths=list(paths), extractor_version=version, chunk_size=chunk_size,
                **vars(options))).id
    summary = IngestSummary(run_id, _flow_run_id(), version, abandoned_runs=abandoned)
    limits.prepare()
    started = time.perf_counter()
    try:
        with _heartbeat(engine, run_id):
            part_parameters = dict(vars(options), **({"db_url": db_url} if db_url else {}))
            if not ingest_in_parts(engine, list(paths), part_parameters, summary, chunk_size,
                                   get_run_logger()):
                _ingest(engine, paths, options, summary)
    finally:
        summary.seconds = time.perf_counter() - started
        _finish(engine, summary)
    publish_artifacts(engine, summary)
    if summary.ok:
        return Completed(message=summary.state_message(), data=summary)
    return Failed(message=summary.state_message(), data=IngestFailed(summary))


def _ingest(engine, paths: list[str], options: IngestOptions, summary: IngestSummary) -> None:
    logger = get_run_logger()
    refs, local = split_refs(list(paths))
    listing = collect_pdfs(local)
    summary.skipped_entries, summary.other_files = listing.skipped, listing.other_files
    for entry in listing.skipped:
        logger.warning("left out %s: %s", entry.path, entry.reason)
    outcomes = ([Outcome(str(p), p.name) for p in listing.files]
                + [Outcome(str(r), r.name) for r in refs])
    if not outcomes:
        summary.problem = _nothing_found(paths, listing)
        logger.error(summary.problem)
        return
    n = len(outcomes)
    size = max(1, min(options.workers or os.cpu_count() or 1, n))
    logger.info("%d PDF file(s), %d worker process(es)", n, size)
    _report(Progress(total=n, done=0))
    announce_total(engine, summary.run_id, n)
    summary.documents = outcomes
    with WorkerPool(size, memory_mb=options.max_memory_mb, initializer=warm_up) as pool:
        ctx = RunContext(engine=engine, run_id=summary.run_id, version=summary.extractor_version,
                         options=options, pool=pool, on_start=_started(n))
        done = _run_tasks(ctx, outcomes, size, n, done=0)
        waited = [o for o in outcomes if o.held_by is not None]
        for outcome in waited:  # claimed by another live run: wait for it, then look again
            logger.info("%s is being read by run %s: waiting", outcome.source_file,
                        outcome.held_by)
            wait_for_release(engine, sha256=outcome.sha256)
        if waited:
            _run_tasks(replace(ctx, after_wait=True), waited, size, n, done=done)


def _run_tasks(ctx: RunContext, outcomes: list[Outcome], size: int, total: int,
               done: int) -> int:
    # One more thread than workers: one document is being read or stored while every
    # worker parses. Threads, not processes: the parsing happens in the pool's workers.
    with ThreadPoolTaskRunner(max_workers=size + 1) as runner:
        futures = [runner.submit(ingest_document, {"path": o.path, "ctx": quote(ctx)})
                   for o in outcomes]
        by_future = dict(zip(futures, outcomes, strict=True))
        for future in as_completed(futures):
            result = future.result()
            outcome = by_future[future]
            vars(outcome).update(vars(result))
            if outcome.held_by is None:
                done += 1
                _report(Progress(total=total, done=done, outcome=outcome))
                report_outcome(ctx.engine, ctx.run_id, outcome, get_run_logger())
    return done


def _started(total: int) -> Callable[[str, int], None]:
    def on_start(path: str, pid: int) -> None:
        _report(Progress(total=total, done=-1, started=(path, pid)))

    return on_start


def _nothing_found(paths: list[str], listing) -> str:
    where = ", ".join(paths)
    if listing.skipped:
        return (f"no readable PDF in {where}: {len(listing.skipped)} entr"
                f"{'y' if len(listing.skipped) == 1 else 'ies'} left out (see the list)")
    if listing.other_files:
        return f"no PDF in {where} ({listing.other_files} other file(s), none ending .pdf)"
    return f"no PDF in {where}: the folder is empty (is the share mounted?)"


def _finish(engine, summary: IngestSummary) -> None:
    """Counts, the Run row, SQLite's log folded into the database file."""
    with session_scope(engine) as session:
        by_sha = {d.sha256: d.document_id for d in summary.documents if d.document_id}
        for d in summary.documents:  # a duplicate counts what its original holds
            d.document_id = d.document_id or by_sha.get(d.sha256)
        ids = [d.document_id for d in summary.documents if d.document_id is not None]
        per_document = summary_counts(session=session, document_ids=ids)
        for d in summary.documents:
            if d.document_id in per_document:
                d.clauses = per_document[d.document_id].n_clauses
                d.obligations = per_document[d.document_id].n_obligations
        summary.counts = total_counts(per_document)
        interrupted = any(d.status == "pending" for d in summary.documents)
        finish_run(session=session, run_id=summary.run_id, counts=run_counts(summary),
                   failures=run_failures(summary),
                   status=None if summary.ok and not interrupted else "failed")
    checkpoint(engine)


@contextmanager
def _heartbeat(engine, run_id: int) -> Iterator[None]:
    """Beat the Run's heartbeat from a thread while the run works (models.runs)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                with session_scope(engine) as session:
                    beat(session=session, run_id=run_id)
            except Exception:  # noqa: BLE001  a missed beat is not worth stopping a run
                pass

    thread = threading.Thread(target=loop, name="ingest-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _flow_run_id() -> str | None:
    value = flow_run.get_id()
    return str(value) if value else None


def _origin() -> str:
    """``prefect``: a deployment run (the Prefect UI, its API, a schedule); else ``cli``."""
    from prefect.runtime import deployment

    return "prefect" if deployment.get_id() else "cli"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- entry point -----------------------------------------------------------------------------


@contextmanager
def quick_local_settings() -> Iterator[None]:
    """Settings for a flow run on one machine.

    - Heartbeats detect crashed runs on remote workers; locally the flow only waited ~1 s at
      the end for the heartbeat thread (NOTES.md). (Our own Run heartbeat is separate.)
    - With no Prefect server configured, every process starts a temporary server of its own;
      starting it here and naming it in the settings keeps it to one.
    """
    updates: dict[str, object] = {"flows.heartbeat_frequency": None}
    settings = get_current_settings()
    if not settings.api.url and settings.server.ephemeral.enabled:
        from prefect.server.api.server import SubprocessASGIServer

        # Stopped at exit while its task-run recorder may still be writing the last events
        # (one task per document, skipped ones too), the temporary server logged the
        # cancellation as an ERROR with a traceback. Nothing of ours is lost (the database
        # is the record) and the server is thrown away: only CRITICAL from it.
        with temporary_settings(updates={"server.logging_level": "CRITICAL"}):
            server = SubprocessASGIServer()  # the instance Prefect itself would start
            server.start()
        updates["api.url"] = server.api_url
    with temporary_settings(updates=updates):
        yield


def run_ingest(
    paths: list[str],
    *,
    db_url: str | None = None,
    options: IngestOptions | None = None,
    on_progress: ProgressCallback | None = None,
    **option_values,
) -> IngestSummary:
    """Run ``ingest-contracts`` and return its summary, whatever its final state;
    ``on_progress`` is called as documents start and as each is stored."""
    options = replace(options or IngestOptions(), **option_values)
    token = _progress.set(on_progress)
    try:
        with quick_local_settings():
            state = ingest_contracts(paths=[str(p) for p in paths], db_url=db_url,
                                     return_state=True, **vars(options))
    finally:
        _progress.reset(token)
    value = state.result(raise_on_failure=False)
    if isinstance(value, IngestFailed):
        return value.summary
    if isinstance(value, IngestSummary):
        return value
    raise value if isinstance(value, BaseException) else RuntimeError(f"ingest: {value!r}")

