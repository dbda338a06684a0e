"""One document of an ingest run, from its path to its stored rows (the body of the flow's
``ingest-document`` task, which runs it on a thread of the flow's process).

Everything that touches the file happens here, so that any failure — the file is gone,
unreadable, too big, damaged, a worker that died on it — is this document's failure with a
stable code, and the batch goes on. Never raises for a bad document.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError, OperationalError

from flows.ingest_report import Outcome
from flows.limits import database_slot
from flows.parse_job import ParseJob, ParseResult, parse_document
from flows.pool import JobOutcome, WorkerPool
from flows.sources import DocumentStoreError, is_ref, keep, read_ref
from models.db import session_scope
from models.layouts import cached_layout, ocr_copy, ocr_pages, save_layout, save_ocr_copy
from models.models import Document
from models.runs import claim, release
from models.store import get_document_by_sha256, is_current, record_failure, store_prepared
from pipeline.errors import PipelineError, TooLarge, Unreadable, Vanished

STORE_ATTEMPTS = 3


@dataclass
class RunContext:
    """What every document task of one run shares (passed to the task unexamined)."""

    engine: object
    run_id: int
    version: str
    options: object  # flows.ingest.IngestOptions
    pool: WorkerPool
    on_start: Callable[[str, int], None] | None = None
    after_wait: bool = False  # second pass, over documents another run had claimed
    first_path: dict[str, str] = field(default_factory=dict)  # sha256 → path, this run
    lock: threading.Lock = field(default_factory=threading.Lock)


def read_file(path: Path, max_bytes: int | None) -> bytes:
    """The file's bytes; ``Vanished``, ``Unreadable`` or ``TooLarge`` instead of an OSError."""
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise TooLarge(f"The file is {size / 2**20:.1f} MB, more than the limit of "
                               f"{max_bytes / 2**20:.0f} MB.")
            data = fh.read(max_bytes + 1 if max_bytes is not None else -1)
    except FileNotFoundError:
        raise Vanished("The file was listed but is gone (moved or deleted) before it was "
                       "read.") from None
    except IsADirectoryError:
        raise Unreadable("It is a folder, not a file.") from None
    except OSError as exc:
        raise Unreadable(f"The file cannot be read: {exc.strerror or exc}.") from None
    if max_bytes is not None and len(data) > max_bytes:  # it grew while we read it
        raise TooLarge(f"The file is more than the limit of {max_bytes / 2**20:.0f} MB.")
    return data


def ingest_one(path: str, ctx: RunContext) -> Outcome:
    outcome = Outcome(path, Path(path).name)
    started = time.perf_counter()
    try:
        data = (read_ref(path, ctx.options.max_bytes) if is_ref(path)
                else read_file(Path(path), ctx.options.max_bytes))
    except (PipelineError, DocumentStoreError) as exc:
        # Without its bytes a file has no identity (documents are keyed by content): the
        # failure lives in the run's summary and the Run row, not as a document.
        return _failed(outcome, exc.code, exc.message)
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    try:  # the review app and every worker read it from the store from now on (issue 13)
        if not is_ref(path):
            keep(outcome.sha256, data)
    except DocumentStoreError as exc:
        return _failed(outcome, exc.code, exc.message)
    if (early := _already_handled(ctx, outcome)) is not None:
        return early
    holder = claim(ctx.engine, sha256=outcome.sha256, run_id=ctx.run_id)
    if holder is not None:
        outcome.held_by = holder
        outcome.reason = f"being read by run {holder}"
        return outcome
    try:
        result = _parse(ctx, outcome, data)
        _store(ctx, outcome, result)
    except OperationalError as exc:
        _failed(outcome, "database_error", f"The database refused the document: {exc.orig}")
    except Exception as exc:  # noqa: BLE001  a bug of ours on one document, not the batch's
        _failed(outcome, "internal_error", f"{type(exc).__name__}: {exc}")
    finally:
        _release(ctx, outcome.sha256)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _release(ctx: RunContext, sha256: str) -> None:
    try:
        with session_scope(ctx.engine) as session:
            release(session=session, sha256=sha256, run_id=ctx.run_id)
    except OperationalError:
        pass  # the run's end (or its abandonment) releases what is left


def _already_handled(ctx: RunContext, outcome: Outcome) -> Outcome | None:
    """Skipped (a duplicate in this batch, or already processed by this extractor version),
    or the result another run reached while we waited for it; None: ours to do."""
    with ctx.lock:
        first = ctx.first_path.setdefault(outcome.sha256, outcome.path)
    if first != outcome.path:
        outcome.status, outcome.reason = "skipped", f"same content as {Path(first).name}"
        return outcome
    with session_scope(ctx.engine) as session:
        document = get_document_by_sha256(session=session, sha256=outcome.sha256)
        if document is None:
            return None
        outcome.document_id = document.id
        by_other = document.run_id != ctx.run_id and ctx.after_wait
        if is_current(document, ctx.version):
            outcome.status = "skipped"
            outcome.pages, outcome.flags = document.pages, tuple(document.flags or ())
            outcome.reason = (f"processed by run {document.run_id} meanwhile" if by_other
                              else "already processed by this extractor version")
            return outcome
        if by_other and document.status == "failed" and document.extractor_version == ctx.version:
            # The run that had claimed it failed it just now: the same bytes would fail the
            # same way here; report its failure rather than parse a second time.
            return _failed(outcome, document.error_code or "internal_error",
                           f"{document.error_message} (in run {document.run_id})")
    return None


def _parse(ctx: RunContext, outcome: Outcome, data: bytes) -> ParseResult:
    options = ctx.options
    job = ParseJob(sha256=outcome.sha256, source_file=outcome.source_file,
                   ocr_mode=options.ocr, max_pages=options.max_pages,
                   contract_type=options.contract_type, counterparty=options.counterparty,
                   ocr_jobs=max(1, (os.cpu_count() or 1) // max(1, options.workers or 1)))
    with session_scope(ctx.engine) as session:
        from pipeline.pdf import PARSER_VERSION

        cached = cached_layout(session=session, sha256=outcome.sha256,
                               parser_version=PARSER_VERSION, ocr_mode=options.ocr)
        if cached is not None:
            pages = ocr_pages(session=session, sha256=outcome.sha256, source=cached.source)
            job = _with(job, layout=cached.data, layout_source=cached.source,
                        layout_ocr_pages=pages)
        elif (copy := ocr_copy(session=session, sha256=outcome.sha256,
                               ocr_mode=options.ocr)) is not None:
            job = _with(job, ocr_copy=copy.data, ocr_copy_source=copy.source,
                        ocr_copy_pages=tuple(copy.pages))
        else:
            job = _with(job, data=data)
    on_start = (lambda pid: ctx.on_start(outcome.path, pid)) if ctx.on_start else None
    ran = ctx.pool.run(parse_document, job, timeout=options.timeout, on_start=on_start)
    outcome.peak_rss_mb = ran.peak_rss_mb
    return _result_of(ran, options.timeout)


def _with(job: ParseJob, **changes) -> ParseJob:
    from dataclasses import replace

    return replace(job, **changes)


def _result_of(ran: JobOutcome, timeout: float) -> ParseResult:
    if ran.status == "ok":
        return ran.value
    if ran.status == "timeout":
        return ParseResult(error_code="timeout", error_message=(
            f"Reading the document took longer than the limit of {timeout:.0f} s "
            f"({ran.message}); raise it with --timeout if the document is that long."))
    if ran.status == "crashed":
        return ParseResult(error_code="worker_crashed", error_message=(
            f"The process reading this document died: {ran.message}."))
    return ParseResult(error_code="internal_error", error_message=ran.message)


def _store(ctx: RunContext, outcome: Outcome, result: ParseResult) -> None:
    """One document, one transaction: its rows, its cached layout, its OCR'd copy. Retried
    on what is transient: a dropped connection, a lock held too long, a unique key another
    run inserted at the same moment (the retry then finds its rows)."""
    for attempt in range(STORE_ATTEMPTS):
        try:
            with database_slot():  # the team's cap on concurrent writers (flows.limits)
                _store_once(ctx, outcome, result)
            return
        except (IntegrityError, OperationalError):
            if attempt == STORE_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def _store_once(ctx: RunContext, outcome: Outcome, result: ParseResult) -> None:
    options = ctx.options
    with session_scope(ctx.engine) as session:
        if not result.ok:
            document = record_failure(
                session=session, sha256=outcome.sha256, source_file=outcome.source_file,
                path=outcome.path, error_code=result.error_code or "internal_error",
                error_message=result.error_message or "", run_id=ctx.run_id,
                extractor_version=ctx.version,
            )
            _failed(outcome, result.error_code or "internal_error", result.error_message or "")
            outcome.document_id = document.id
            return
        _save_reading(session, outcome.sha256, result)
        overrides = {k: v for k, v in (("contract_type", options.contract_type),
                                       ("counterparty", options.counterparty)) if v}
        stored = store_prepared(
            session=session, prepared=result.prepared, sha256=outcome.sha256,
            source_file=outcome.source_file, path=outcome.path, run_id=ctx.run_id,
            overrides=overrides, extra=dict(flags=list(result.flags), ocr=bool(result.ocr_pages),
                                            parser_version=result.parser_version),
        )
        document: Document = stored.document
        outcome.status = "skipped" if stored.changes.skipped else "processed"
        if stored.changes.skipped:
            outcome.reason = "already processed by this extractor version"
        outcome.document_id, outcome.pages = document.id, document.pages
        outcome.flags, outcome.parsed = result.flags, result.layout is not None
        outcome.timings = dict(result.timings)


def _save_reading(session, sha256: str, result: ParseResult) -> None:
    if result.layout is not None:
        save_layout(session=session, sha256=sha256, parser_version=result.parser_version,
                    source=result.source, data=result.layout, pages=result.pages)
    if result.ocr_pdf is not None:
        from pipeline.ocr import engine_version

        save_ocr_copy(session=session, sha256=sha256, source=result.source,
                      data=result.ocr_pdf, ocr_sha256=hashlib.sha256(result.ocr_pdf).hexdigest(),
                      pages=list(result.ocr_pages), engine=engine_version())


def _failed(outcome: Outcome, code: str, message: str) -> Outcome:
    outcome.status, outcome.error_code, outcome.reason = "failed", code, message
    return outcome
