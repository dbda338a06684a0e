"""``ingest-contracts``: PDF files and folders → stored documents, clauses and obligations.

The flow only sequences the work:

1. collect the files (folders recurse for ``*.pdf``, any case) and hash them;
2. skip those already processed by this extractor version (the database is the cache:
   re-running over the same folder adds nothing);
3. parse the rest, one task per document, on a process pool (the parsing is CPU-bound and
   holds the GIL, so threads would not help; NOTES.md);
4. store each result in the main process, each document in its own transaction; a document
   that cannot be read is stored as ``failed`` with its error code and the batch goes on;
5. record the ``Run`` and publish a table and a markdown artifact summarising it.

``run_ingest`` is the entry point for the CLI and the benchmarks: it applies the Prefect
settings that keep a one-machine run quick and reports progress through a callback.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.settings import get_current_settings, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner

from models import get_engine, init_db, session_scope
from models.store import (
    CategoryCounts,
    create_run,
    finish_run,
    processed_documents,
    reconcile_extraction,
    record_failure,
    summary_counts,
    total_counts,
)
from pipeline.errors import PipelineError
from pipeline.extract import extract
from pipeline.types import Extraction
from pipeline.version import current_extractor_version

FLOW_NAME = "ingest-contracts"


class MissingPath(ValueError):
    """A path given to ingest does not exist."""


# --- what the flow hands around --------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """What a parse task returns: an extraction or a failure, never an exception, so that a
    bad file cannot fail the batch. Picklable: it travels back from the worker process."""

    path: str
    sha256: str
    extraction: Extraction | None = None
    error_code: str | None = None
    error_message: str | None = None
    seconds: float = 0.0


@dataclass
class Outcome:
    """One document of a run, as the summary shows it."""

    path: str
    source_file: str
    sha256: str
    status: str  # processed | skipped | failed
    reason: str | None = None  # why skipped, or the failure's message
    error_code: str | None = None
    document_id: int | None = None
    pages: int | None = None
    clauses: int = 0
    obligations: int = 0


@dataclass
class IngestSummary:
    run_id: int | None
    flow_run_id: str | None
    extractor_version: str
    documents: list[Outcome] = field(default_factory=list)
    counts: CategoryCounts = field(default_factory=CategoryCounts)
    seconds: float = 0.0

    def of(self, status: str) -> list[Outcome]:
        return [d for d in self.documents if d.status == status]

    @property
    def processed(self) -> list[Outcome]:
        return self.of("processed")

    @property
    def skipped(self) -> list[Outcome]:
        return self.of("skipped")

    @property
    def failed(self) -> list[Outcome]:
        return self.of("failed")

    @property
    def pages(self) -> int:
        return sum(d.pages or 0 for d in self.processed)

    @property
    def ok(self) -> bool:
        return not self.failed


# --- progress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """``total`` documents to parse in this run; ``done`` so far; ``outcome`` the last one."""

    total: int
    done: int
    outcome: Outcome | None = None


ProgressCallback = Callable[[Progress], None]
_progress: contextvars.ContextVar[ProgressCallback | None] = contextvars.ContextVar(
    "ingest_progress", default=None
)


def _report(progress: Progress) -> None:
    callback = _progress.get()
    if callback is not None:
        callback(progress)


# --- files -----------------------------------------------------------------------------------


def collect_pdfs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files to ingest: files as given, folders searched recursively for ``*.pdf`` in any
    case; each file once, in a stable order."""
    out: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
            for p in sorted(found):
                out.setdefault(p.resolve(), None)
        elif path.is_file():
            out.setdefault(path.resolve(), None)
        else:
            raise MissingPath(f"no such file or folder: {raw}")
    return list(out)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- tasks -----------------------------------------------------------------------------------


def parse_file(path: str, contract_type: str | None, counterparty: str | None) -> Parsed:
    """Read and extract one file; bad input becomes a failure with a stable code."""
    started = time.perf_counter()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Parsed(path, "", error_code="unreadable", error_message=f"cannot read: {exc}")
    sha256 = sha256_of(data)
    try:
        extraction = extract(data, contract_type=contract_type, counterparty=counterparty)
    except PipelineError as exc:
        return Parsed(path, sha256, error_code=exc.code, error_message=exc.message)
    except Exception as exc:  # noqa: BLE001  a bug on one odd PDF must not stop the batch
        return Parsed(
            path, sha256, error_code="internal_error",
            error_message=f"{type(exc).__name__}: {exc}",
        )
    return Parsed(path, sha256, extraction=extraction, seconds=time.perf_counter() - started)


# No retries: a bad file fails the same way every time. No Prefect cache: the database,
# keyed by SHA-256 and extractor version, already is one (and survives PREFECT_HOME).
parse_contract = task(
    parse_file, name="parse-contract", cache_policy=NO_CACHE, retries=0,
    task_run_name="parse {path}",
)


def _warm_worker() -> None:
    """Load spaCy and the rules once per worker process, not once per document."""
    import pipeline.extract  # noqa: F401


# --- the flow --------------------------------------------------------------------------------


@flow(name=FLOW_NAME, persist_result=False, log_prints=False)
def ingest_contracts(
    paths: list[str],
    db_url: str | None = None,
    contract_type: str | None = None,
    counterparty: str | None = None,
    workers: int | None = None,
) -> IngestSummary:
    """Ingest contract PDFs: files, or folders searched for ``*.pdf``."""
    logger = get_run_logger()
    started = time.perf_counter()
    engine = get_engine(db_url)
    init_db(engine)
    files = collect_pdfs(paths)
    # The rule files as they are now, not as this (possibly long-lived) process first saw
    # them: the worker processes that parse are fresh and would stamp the new version.
    version = current_extractor_version()
    overrides = {
        k: v for k, v in (("contract_type", contract_type), ("counterparty", counterparty)) if v
    }

    with session_scope(engine) as session:
        run_id = create_run(
            session=session,
            flow_run_id=_flow_run_id(),
            parameters=dict(
                paths=list(paths), contract_type=contract_type, counterparty=counterparty,
                workers=workers, extractor_version=version,
            ),
        ).id
        done = processed_documents(session=session, extractor_version=version)

    summary = IngestSummary(run_id, _flow_run_id(), version)
    todo: list[str] = []
    first_path: dict[str, str] = {}
    for path in files:
        sha256 = hash_file(path)
        outcome = Outcome(str(path), path.name, sha256, "skipped")
        if sha256 in first_path:
            outcome.reason = f"same content as {Path(first_path[sha256]).name}"
            outcome.document_id = done.get(sha256)
        elif sha256 in done:
            outcome.reason = "already processed by this extractor version"
            outcome.document_id = done[sha256]
        else:
            outcome.status = "pending"
            todo.append(str(path))
        first_path.setdefault(sha256, str(path))
        summary.documents.append(outcome)
    by_path = {d.path: d for d in summary.documents}
    logger.info("%d file(s): %d to parse, %d skipped", len(files), len(todo),
                len(files) - len(todo))

    _report(Progress(total=len(todo), done=0))
    for n, parsed in enumerate(_parse_all(todo, contract_type, counterparty, workers), 1):
        outcome = by_path[parsed.path]
        _store(engine, parsed, outcome, run_id, overrides, version)
        if outcome.status == "failed":
            logger.warning("%s failed: %s (%s)", outcome.source_file, outcome.reason,
                           outcome.error_code)
        _report(Progress(total=len(todo), done=n, outcome=outcome))

    with session_scope(engine) as session:
        ids = [d.document_id for d in summary.documents if d.document_id is not None]
        per_document = summary_counts(session=session, document_ids=ids)
        for d in summary.documents:
            if d.document_id in per_document:
                d.clauses = per_document[d.document_id].n_clauses
                d.obligations = per_document[d.document_id].n_obligations
        summary.counts = total_counts(per_document)
        summary.seconds = time.perf_counter() - started
        finish_run(
            session=session, run_id=run_id, counts=_run_counts(summary),
            failures=[
                {"file": d.source_file, "path": d.path, "code": d.error_code, "message": d.reason}
                for d in summary.failed
            ],
        )
    _publish_artifacts(summary)
    return summary


def _parse_all(
    paths: list[str], contract_type: str | None, counterparty: str | None, workers: int | None
) -> Iterator[Parsed]:
    """Parse results as they complete. One worker (or one file) parses in this process:
    spawning a pool costs more than it saves there (NOTES.md)."""
    if not paths:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    if workers == 1:
        for path in paths:
            yield parse_contract(path, contract_type, counterparty)
        return
    with ProcessPoolTaskRunner(max_workers=workers, initializer=_warm_worker) as runner:
        # Biggest first, so that the longest document does not start last.
        ordered = sorted(paths, key=lambda p: Path(p).stat().st_size, reverse=True)
        futures = {
            runner.submit(
                parse_contract,
                {"path": p, "contract_type": contract_type, "counterparty": counterparty},
            ): p
            for p in ordered
        }
        for future in as_completed(list(futures)):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001  a worker killed (memory, a crash in C)
                yield Parsed(
                    futures[future], "", error_code="worker_crashed",
                    error_message=f"the parsing process stopped: {type(exc).__name__}: {exc}",
                )


def _store(
    engine, parsed: Parsed, outcome: Outcome, run_id: int, overrides: dict, version: str
) -> None:
    """One document, one transaction. Two ingests of the same new file at the same moment
    both try to insert it; the loser tries once more and finds it stored."""
    from sqlalchemy.exc import IntegrityError

    try:
        _store_once(engine, parsed, outcome, run_id, overrides, version)
    except IntegrityError:
        _store_once(engine, parsed, outcome, run_id, overrides, version)


def _store_once(
    engine, parsed: Parsed, outcome: Outcome, run_id: int, overrides: dict, version: str
) -> None:
    sha256 = parsed.sha256 or outcome.sha256
    outcome.sha256 = sha256
    with session_scope(engine) as session:
        if parsed.extraction is None:
            document = record_failure(
                session=session, sha256=sha256, source_file=outcome.source_file,
                path=outcome.path, error_code=parsed.error_code or "internal_error",
                error_message=parsed.error_message or "", run_id=run_id,
                extractor_version=version,
            )
            outcome.status, outcome.error_code = "failed", parsed.error_code
            outcome.reason = parsed.error_message
        else:
            stored = reconcile_extraction(
                session=session, extraction=parsed.extraction, sha256=sha256,
                source_file=outcome.source_file, path=outcome.path, run_id=run_id,
                overrides=overrides,
            )
            document = stored.document
            outcome.status = "skipped" if stored.changes.skipped else "processed"
            if stored.changes.skipped:
                outcome.reason = "already processed by this extractor version"
            outcome.pages = document.pages
        outcome.document_id = document.id


def _flow_run_id() -> str | None:
    value = flow_run.get_id()
    return str(value) if value else None


def _run_counts(summary: IngestSummary) -> dict:
    return {
        "files": len(summary.documents),
        "processed": len(summary.processed),
        "skipped": len(summary.skipped),
        "failed": len(summary.failed),
        "pages": summary.pages,
        "clauses": summary.counts.n_clauses,
        "obligations": summary.counts.n_obligations,
        "clauses_by_category": dict(summary.counts.clauses),
        "obligations_by_category": dict(summary.counts.obligations),
        "seconds": round(summary.seconds, 2),
    }


def _publish_artifacts(summary: IngestSummary) -> None:
    create_table_artifact(
        key="ingest-documents",
        table=[
            {
                "file": d.source_file, "status": d.status, "pages": d.pages,
                "clauses": d.clauses, "obligations": d.obligations,
                "error_code": d.error_code, "reason": d.reason,
            }
            for d in summary.documents
        ],
        description=f"Documents of ingest run {summary.run_id}",
    )
    c = summary.counts
    lines = [
        f"# Ingest run {summary.run_id}",
        "",
        f"Extractor `{summary.extractor_version}`, {summary.seconds:.1f} s, "
        f"{summary.pages} pages parsed.",
        "",
        "| documents | count |", "|---|---|",
        f"| processed | {len(summary.processed)} |",
        f"| skipped | {len(summary.skipped)} |",
        f"| failed | {len(summary.failed)} |",
        "",
        "| category | clauses | obligations |", "|---|---|---|",
        *(f"| {cat} | {c.clauses.get(cat, 0)} | {c.obligations.get(cat, 0)} |"
          for cat in c.clauses),
    ]
    if summary.failed:
        lines += ["", "## Failures", ""]
        lines += [f"- `{d.source_file}`: {d.error_code}: {d.reason}" for d in summary.failed]
    create_markdown_artifact(
        key="ingest-summary", markdown="\n".join(lines),
        description=f"Summary of ingest run {summary.run_id}",
    )


# --- entry point -----------------------------------------------------------------------------


@contextmanager
def quick_local_settings() -> Iterator[None]:
    """Settings for a flow run on one machine.

    - Heartbeats detect crashed runs on remote workers; locally the flow only waited ~1 s at
      the end for the heartbeat thread (NOTES.md).
    - With no Prefect server configured, every process starts a temporary server of its own,
      and the process pool's workers are processes: each paid ~6 s for a server of its own.
      Starting the temporary server here and naming it in the settings, which the pool hands
      to its workers, gives them all the one server.
    """
    updates: dict[str, object] = {"flows.heartbeat_frequency": None}
    settings = get_current_settings()
    if not settings.api.url and settings.server.ephemeral.enabled:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()  # the instance Prefect itself would start
        server.start()
        updates["api.url"] = server.api_url
    with temporary_settings(updates=updates):
        yield


def run_ingest(
    paths: list[str],
    *,
    db_url: str | None = None,
    contract_type: str | None = None,
    counterparty: str | None = None,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> IngestSummary:
    """Run ``ingest-contracts``; ``on_progress`` is called as each document is stored."""
    token = _progress.set(on_progress)
    try:
        with quick_local_settings():
            return ingest_contracts(
                paths=[str(p) for p in paths], db_url=db_url, contract_type=contract_type,
                counterparty=counterparty, workers=workers,
            )
    finally:
        _progress.reset(token)
