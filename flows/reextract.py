"""Re-extraction from the layout cache: the rules run again over each document's stored
layout, without opening any PDF (``obligations reextract``).

What a rule change needs: the parser's output has not changed, so the expensive part (~95%
of an ingest is reading the PDF) is not done again. Stored under the same re-extraction rule
as an ingest (``models.store``): reviewed obligations are never overwritten, and an
obligation whose fields come out the same is not written at all (its ``updated_at`` and
``version`` stay, so the registry's next increment does not carry it).

No Prefect: it takes seconds, and its Run row (``flow = "reextract"``) is what
``obligations status`` lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlmodel import col, or_, select

from flows.parse_job import ParseJob, ParseResult, parse_document, warm_up
from flows.pool import WorkerPool
from models.db import checkpoint, init_db, session_scope
from models.layouts import cached_layout, ocr_pages
from models.models import Document
from models.runs import claim, finish_run, mark_abandoned, release, start_run
from models.store import store_prepared

FLOW = "reextract"


@dataclass
class Reextracted:
    document_id: int
    source_file: str
    status: str  # processed | failed | no_layout | busy
    reason: str | None = None
    updated: int = 0
    unchanged: int = 0
    inserted: int = 0
    deleted: int = 0


@dataclass
class ReextractSummary:
    run_id: int
    extractor_version: str
    documents: list[Reextracted] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, status: str) -> list[Reextracted]:
        return [d for d in self.documents if d.status == status]

    @property
    def ok(self) -> bool:
        return all(d.status == "processed" for d in self.documents)


def select_documents(session, identifiers: list[str] | None, version: str) -> list[Document]:
    """The documents named (id, SHA-256 or its first 8+ characters, or file name), or else
    every processed document whose extractor version is not ``version``."""
    if not identifiers:
        return list(session.exec(select(Document).where(
            Document.status == "processed",
            or_(Document.extractor_version.is_(None), Document.extractor_version != version),
        ).order_by(Document.id)))
    found: dict[int, Document] = {}
    for ident in identifiers:
        clauses = [Document.source_file == ident]
        if ident.isdigit():
            clauses.append(Document.id == int(ident))
        if len(ident) >= 8 and all(c in "0123456789abcdef" for c in ident.lower()):
            clauses.append(col(Document.sha256).startswith(ident.lower()))
        matches = list(session.exec(select(Document).where(or_(*clauses))))
        if not matches:
            raise LookupError(f"no document matches {ident!r} (give an id, a SHA-256 or a "
                              "file name; obligations status lists them)")
        found.update((d.id, d) for d in matches)
    return [found[k] for k in sorted(found)]


def reextract(engine, *, documents: list[str] | None = None, workers: int = 1,
              on_progress: Callable[[Reextracted], None] | None = None) -> ReextractSummary:
    from pipeline.extract import current_extractor_version
    from pipeline.pdf import PARSER_VERSION

    init_db(engine)
    version = current_extractor_version()
    started = time.perf_counter()
    with session_scope(engine) as session:
        mark_abandoned(session=session)
        chosen = select_documents(session, documents, version)
        run_id = start_run(session=session, flow=FLOW, parameters=dict(
            documents=documents or [], workers=workers, extractor_version=version,
            parser_version=PARSER_VERSION)).id
    summary = ReextractSummary(run_id, version)
    try:
        for result in _run(engine, chosen, run_id, workers, PARSER_VERSION):
            summary.documents.append(result)
            if on_progress is not None:
                on_progress(result)
    finally:
        summary.seconds = time.perf_counter() - started
        with session_scope(engine) as session:
            failures = [{"file": d.source_file, "code": d.status, "message": d.reason}
                        for d in summary.documents if d.status != "processed"]
            finish_run(session=session, run_id=run_id, failures=failures, counts={
                "documents": len(chosen), "processed": len(summary.of("processed")),
                "failed": len(failures), "seconds": round(summary.seconds, 2),
                "obligations_updated": sum(d.updated for d in summary.documents),
                "obligations_unchanged": sum(d.unchanged for d in summary.documents)})
        checkpoint(engine)
    return summary


def _run(engine, chosen: list[Document], run_id: int, workers: int,
         parser_version: str) -> Iterator[Reextracted]:
    if workers <= 1 or len(chosen) <= 1:
        # The rules take a fraction of a second per document: spawning a worker (~3 s to
        # load spaCy) would cost more than it saves.
        warm_up()
        for document in chosen:
            yield _one(engine, document, run_id, parser_version,
                       lambda job: parse_document(job))
        return
    from concurrent.futures import ThreadPoolExecutor

    with WorkerPool(workers, initializer=warm_up) as pool, \
            ThreadPoolExecutor(workers + 1) as threads:
        def run_job(job: ParseJob) -> ParseResult:
            ran = pool.run(parse_document, job, timeout=None)
            if ran.status == "ok":
                return ran.value
            return ParseResult(error_code="worker_crashed" if ran.status == "crashed"
                               else "internal_error", error_message=ran.message)

        futures = [threads.submit(_one, engine, d, run_id, parser_version, run_job)
                   for d in chosen]
        for future in futures:
            yield future.result()


def _one(engine, document: Document, run_id: int, parser_version: str,
         run_job: Callable[[ParseJob], ParseResult]) -> Reextracted:
    out = Reextracted(document.id, document.source_file, "processed")
    holder = claim(engine, sha256=document.sha256, run_id=run_id)
    if holder is not None:
        out.status, out.reason = "busy", f"being read by run {holder}: try again after it"
        return out
    try:
        with session_scope(engine) as session:
            # The layout it was last extracted from: OCR'd text for a document read by OCR.
            order = ("ocr-all", "ocr", "text") if document.ocr else ("text", "ocr", "ocr-all")
            cached = cached_layout(session=session, sha256=document.sha256,
                                   parser_version=parser_version, sources=order)
            pages = (ocr_pages(session=session, sha256=document.sha256, source=cached.source)
                     if cached is not None else ())
        if cached is None:
            out.status = "no_layout"
            out.reason = (f"no layout of parser version {parser_version} is stored: run "
                          "obligations ingest on its PDF")
            return out
        overrides = dict(document.overrides or {})
        result = run_job(ParseJob(
            sha256=document.sha256, source_file=document.source_file, layout=cached.data,
            layout_source=cached.source, layout_ocr_pages=pages,
            contract_type=overrides.get("contract_type"),
            counterparty=overrides.get("counterparty")))
        if not result.ok:
            out.status, out.reason = "failed", f"{result.error_code}: {result.error_message}"
            return out
        with session_scope(engine) as session:
            stored = store_prepared(
                session=session, prepared=result.prepared, sha256=document.sha256,
                source_file=document.source_file, path=document.path, run_id=run_id,
                overrides=overrides, extra=dict(flags=list(result.flags),
                                                ocr=bool(result.ocr_pages),
                                                parser_version=parser_version))
        changes = stored.changes
        out.updated, out.unchanged = changes.updated, changes.unchanged
        out.inserted, out.deleted = changes.inserted, changes.deleted
        if changes.skipped:
            out.reason = "already extracted by this version"
        return out
    finally:
        with session_scope(engine) as session:
            release(session=session, sha256=document.sha256, run_id=run_id)

