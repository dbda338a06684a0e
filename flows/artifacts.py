"""The run reports the team reads in the Prefect UI: every ingest flow run publishes

- ``ingest-documents``, a table: one row per document with its status, pages, obligations
  per category, how many still need a reviewer, and the error in words (code and detail);
- ``ingest-summary``, markdown: what needs review — the documents with obligations to
  review (linked to the review app when ``OBLIGATIONS_REVIEW_URL`` says where it is), the
  documents that failed and what to do about each, those flagged for a closer look.

Rows and text are built by pure functions (``document_rows``, ``review_markdown``) from the
run's summary and the counts the database holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from flows.explain import explain
from flows.ingest_report import IngestSummary
from models.counts import CategoryCounts, summary_counts
from models.db import session_scope
from models.team_runs import open_by_document

REVIEW_URL_ENV = "OBLIGATIONS_REVIEW_URL"
CATEGORIES = ("exit", "data_return", "termination")
LABELS = {"exit": "exit", "data_return": "data return", "termination": "termination"}


@dataclass
class Counts:
    """What the database holds for the run's documents, by document id."""

    per_document: dict[int, CategoryCounts] = field(default_factory=dict)
    to_review: dict[int, int] = field(default_factory=dict)


def document_rows(summary: IngestSummary, counts: Counts) -> list[dict]:
    rows = []
    for d in summary.documents:
        c = counts.per_document.get(d.document_id) if d.document_id else None
        error = (f"{d.error_code}: {explain(d.error_code).what} ({d.reason})"
                 if d.status == "failed" else None)
        rows.append({
            "file": d.source_file, "status": d.status, "pages": d.pages,
            **{LABELS[cat]: (c.obligations.get(cat, 0) if c else None) for cat in CATEGORIES},
            "obligations": c.n_obligations if c else None,
            "to review": counts.to_review.get(d.document_id) if d.document_id else None,
            "error": error, "note": d.reason if d.status == "skipped" else None,
            "flags": ", ".join(d.flags) or None,
        })
    return rows or [{"file": "", "status": "no documents", "error": summary.problem}]


def _link(name: str, document_id: int | None, base: str | None) -> str:
    return f"[{name}]({base.rstrip('/')}/documents/{document_id})" if base and document_id \
        else f"`{name}`"


def review_markdown(summary: IngestSummary, counts: Counts, base: str | None = None) -> str:
    done = [d for d in summary.documents if d.document_id and d.status != "failed"]
    backlog = [d for d in done if counts.to_review.get(d.document_id)]
    total_open = sum(counts.to_review.get(d.document_id, 0) for d in done)
    lines = [
        f"# Ingest run {summary.run_id}: what needs review", "",
        f"{len(summary.documents)} document(s): {len(summary.processed)} processed, "
        f"{len(summary.skipped)} skipped, {len(summary.failed)} failed; "
        f"**{total_open}** obligation(s) to review. Extractor `{summary.extractor_version}`,"
        f" {summary.seconds:.1f} s.",
    ]
    if summary.problem:
        lines += ["", f"**{summary.problem}**"]
    if backlog:
        lines += ["", "## To review", "",
                  "| document | exit | data return | termination | to review |",
                  "|---|---|---|---|---|"]
        for d in sorted(backlog, key=lambda d: -counts.to_review[d.document_id]):
            c = counts.per_document.get(d.document_id, CategoryCounts())
            lines.append(f"| {_link(d.source_file, d.document_id, base)} | "
                         + " | ".join(str(c.obligations.get(cat, 0)) for cat in CATEGORIES)
                         + f" | {counts.to_review[d.document_id]} |")
    if summary.failed:
        lines += ["", "## Failed: the file needs someone's attention", ""]
        for d in summary.failed:
            e = explain(d.error_code)
            lines.append(f"- `{d.source_file}`: {e.what} {e.todo} "
                         f"(`{d.error_code}`: {d.reason})")
    if summary.flagged:
        lines += ["", "## Flagged for a closer look", ""]
        lines += [f"- {_link(d.source_file, d.document_id, base)}: {', '.join(d.flags)}"
                  for d in summary.flagged]
    if summary.skipped_entries:
        lines += ["", "## Entries left out", ""]
        lines += [f"- `{e.path}`: {e.reason}" for e in summary.skipped_entries]
    return "\n".join(lines) + "\n"


def database_counts(engine, summary: IngestSummary) -> Counts:
    ids = sorted({d.document_id for d in summary.documents if d.document_id})
    with session_scope(engine) as session:
        return Counts(summary_counts(session=session, document_ids=ids),
                      open_by_document(session=session, document_ids=ids))


def publish_artifacts(engine, summary: IngestSummary) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    counts = database_counts(engine, summary)
    create_table_artifact(
        key="ingest-documents", table=document_rows(summary, counts),
        description=f"Documents of ingest run {summary.run_id}",
    )
    create_markdown_artifact(
        key="ingest-summary",
        markdown=review_markdown(summary, counts, os.environ.get(REVIEW_URL_ENV)),
        description=f"What needs review after ingest run {summary.run_id}",
    )
