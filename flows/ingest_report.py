"""What an ingest run reports: per-document outcomes, the summary, progress events, the Run's
counts and the Prefect artifacts. Plain data; no Prefect engine, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.files import SkippedEntry
from models.counts import CategoryCounts


@dataclass
class Outcome:
    """One document of a run, as the summary shows it."""

    path: str
    source_file: str
    sha256: str = ""
    status: str = "pending"  # processed | skipped | failed (pending while it runs)
    reason: str | None = None  # why skipped, or the failure's message
    error_code: str | None = None
    document_id: int | None = None
    pages: int | None = None
    clauses: int = 0
    obligations: int = 0
    flags: tuple[str, ...] = ()
    parsed: bool = False  # the PDF was parsed in this run (not read from the layout cache)
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    held_by: int | None = None  # the live run that had claimed it, while we waited
    timings: dict[str, float] = field(default_factory=dict)  # the worker's: read, rules…


@dataclass
class IngestSummary:
    run_id: int | None
    flow_run_id: str | None
    extractor_version: str
    documents: list[Outcome] = field(default_factory=list)
    skipped_entries: list[SkippedEntry] = field(default_factory=list)
    other_files: int = 0
    counts: CategoryCounts = field(default_factory=CategoryCounts)
    seconds: float = 0.0
    problem: str | None = None  # why the run as a whole did not succeed (no PDF found…)
    abandoned_runs: list[int] = field(default_factory=list)  # marked so at this run's start

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
    def flagged(self) -> list[Outcome]:
        return [d for d in self.processed if d.flags]

    @property
    def pages(self) -> int:
        return sum(d.pages or 0 for d in self.processed)

    @property
    def ok(self) -> bool:
        return not self.failed and self.problem is None

    def state_message(self) -> str:
        """One line for the Prefect flow run's final state."""
        if self.problem:
            return self.problem
        return (f"{len(self.processed)} processed, {len(self.skipped)} skipped, "
                f"{len(self.failed)} failed of {len(self.documents)} document(s)")


@dataclass(frozen=True)
class Progress:
    """``total`` documents in this run; ``done`` so far; ``outcome`` the last one finished;
    ``started`` (path, worker pid) when a worker has just started on a document."""

    total: int
    done: int
    outcome: Outcome | None = None
    started: tuple[str, int] | None = None


def run_counts(summary: IngestSummary) -> dict:
    return {
        "files": len(summary.documents),
        "processed": len(summary.processed),
        "skipped": len(summary.skipped),
        "failed": len(summary.failed),
        "parsed": sum(d.parsed for d in summary.documents),
        "flagged": len(summary.flagged),
        "skipped_entries": len(summary.skipped_entries),
        "pages": summary.pages,
        "clauses": summary.counts.n_clauses,
        "obligations": summary.counts.n_obligations,
        "clauses_by_category": dict(summary.counts.clauses),
        "obligations_by_category": dict(summary.counts.obligations),
        "seconds": round(summary.seconds, 2),
        **({"problem": summary.problem} if summary.problem else {}),
    }


def run_failures(summary: IngestSummary) -> list[dict]:
    return [
        {"file": d.source_file, "path": d.path, "code": d.error_code, "message": d.reason}
        for d in summary.failed
    ]


def publish_artifacts(summary: IngestSummary) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_table_artifact(
        key="ingest-documents",
        table=[
            {
                "file": d.source_file, "status": d.status, "pages": d.pages,
                "clauses": d.clauses, "obligations": d.obligations,
                "error_code": d.error_code, "reason": d.reason, "flags": ", ".join(d.flags),
            }
            for d in summary.documents
        ] or [{"file": "", "status": "no documents", "reason": summary.problem}],
        description=f"Documents of ingest run {summary.run_id}",
    )
    create_markdown_artifact(
        key="ingest-summary", markdown="\n".join(_markdown(summary)),
        description=f"Summary of ingest run {summary.run_id}",
    )


def _markdown(summary: IngestSummary) -> list[str]:
    c = summary.counts
    lines = [
        f"# Ingest run {summary.run_id}",
        "",
        f"Extractor `{summary.extractor_version}`, {summary.seconds:.1f} s, "
        f"{summary.pages} pages.",
    ]
    if summary.problem:
        lines += ["", f"**{summary.problem}**"]
    lines += [
        "",
        "| documents | count |", "|---|---|",
        f"| processed | {len(summary.processed)} |",
        f"| skipped | {len(summary.skipped)} |",
        f"| failed | {len(summary.failed)} |",
        f"| flagged | {len(summary.flagged)} |",
        "",
        "| category | clauses | obligations |", "|---|---|---|",
        *(f"| {cat} | {c.clauses.get(cat, 0)} | {c.obligations.get(cat, 0)} |"
          for cat in c.clauses),
    ]
    if summary.failed:
        lines += ["", "## Failures", ""]
        lines += [f"- `{d.source_file}`: {d.error_code}: {d.reason}" for d in summary.failed]
    if summary.flagged:
        lines += ["", "## Flagged for a closer look", ""]
        lines += [f"- `{d.source_file}`: {', '.join(d.flags)}" for d in summary.flagged]
    if summary.skipped_entries:
        lines += ["", "## Entries left out", ""]
        lines += [f"- `{e.path}`: {e.reason}" for e in summary.skipped_entries]
    return lines
