"""``obligations ingest`` and ``obligations status``.

``ingest`` runs the Prefect flow ``ingest-contracts``; ``status`` only reads the database and
never imports Prefect, so it answers in well under a second (NOTES.md: a flow costs seconds
of start-up).
"""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DbOption, console, fail, open_db
from pipeline.sanity import flag_summary

if TYPE_CHECKING:
    from flows.ingest import IngestSummary

CATEGORIES = ("exit", "data_return", "termination")


class ContractType(StrEnum):
    jv = "jv"
    supplier = "supplier"


class OcrMode(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="PDF files, or folders searched recursively for *.pdf.",
            metavar="PATH",
            exists=True,
            show_default=False,
        ),
    ],
    db: DbOption = None,
    contract_type: Annotated[
        ContractType | None,
        typer.Option("--contract-type", help="Override the contract type the text suggests."),
    ] = None,
    counterparty: Annotated[
        str | None,
        typer.Option("--counterparty", help="Override the counterparty the text suggests."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Processes parsing PDFs in parallel (default: CPU count)."
        ),
    ] = None,
    ocr: Annotated[
        OcrMode,
        typer.Option("--ocr", help="OCR scanned documents (auto: those without a text layer, "
                     "and scanned pages among others; always: every page; never)."),
    ] = OcrMode.auto,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=1, help="Seconds one document may take to read "
                     "(OCR adds 30 s per scanned page)."),
    ] = 600.0,
    max_mb: Annotated[
        float, typer.Option("--max-mb", min=0.001, help="Largest file to read, in MB."),
    ] = 256.0,
    max_pages: Annotated[
        int, typer.Option("--max-pages", min=1, help="Most pages a document may have."),
    ] = 3000,
    max_memory: Annotated[
        int, typer.Option("--max-memory", min=512,
                          help="Memory cap of each parsing process, in MB."),
    ] = 1024,
) -> None:
    """Read contract PDFs and store their clauses and obligations.

    Runs the Prefect flow ingest-contracts. Documents already processed by this extractor
    version are skipped; a document that cannot be read is recorded as failed and the others
    are still stored. Exit status: 0 all processed, 1 some failed or no PDF found, 2 usage
    error.
    """
    open_db(db)  # a clear error before Prefect starts, if the database is unreachable
    # Prefect's INFO lines would tear through the progress bar; the summary says it all.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # "Still processing items" while Prefect flushes its events at exit: progress, not trouble.
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)
    summary = _run_with_progress(
        [str(p) for p in paths], db,
        contract_type=contract_type.value if contract_type else None,
        counterparty=counterparty, workers=workers, ocr=ocr.value, timeout=timeout,
        max_bytes=int(max_mb * 2**20), max_pages=max_pages, max_memory_mb=max_memory,
    )
    print_summary(summary)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


def _run_with_progress(paths: list[str], db: str | None, **options) -> IngestSummary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.ingest import MissingPath, run_ingest

    with Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("starting Prefect…", total=None)

        def on_progress(p) -> None:
            if p.started is not None:
                bar.update(task, description=f"reading {Path(p.started[0]).name}")
                return
            last = p.outcome
            text = f"{last.source_file}: {last.status}" if last else "parsing…"
            bar.update(task, total=p.total, completed=p.done, description=text)

        try:
            summary = run_ingest(paths, db_url=db, on_progress=on_progress, **options)
        except MissingPath as exc:
            fail(str(exc), EXIT_USAGE)
        bar.update(task, description="done")
    return summary


def print_summary(summary: IngestSummary) -> None:
    _print_documents(summary)
    _print_counts(summary)
    _print_footer(summary)


def _print_documents(summary: IngestSummary) -> None:
    docs = Table(title=f"Run {summary.run_id}: documents", title_justify="left")
    docs.add_column("file", overflow="ellipsis", no_wrap=True, max_width=40)
    docs.add_column("status", no_wrap=True)
    for name in ("pages", "clauses", "obligations"):
        docs.add_column(name, justify="right", no_wrap=True)
    docs.add_column("flags", no_wrap=True)
    style = {"processed": "green", "skipped": "dim", "failed": "bold red"}
    for d in summary.documents:
        docs.add_row(
            d.source_file, f"[{style.get(d.status, '')}]{d.status}[/]",
            str(d.pages or ""), str(d.clauses), str(d.obligations),
            f"[yellow]{flag_summary(d.flags)}[/]" if d.flags else "",
        )
    if summary.documents:
        console.print(docs)
    if summary.skipped_entries:
        left = Table(title="Entries left out", title_justify="left")
        left.add_column("path", overflow="fold")
        left.add_column("reason")
        for e in summary.skipped_entries:
            left.add_row(e.path, e.reason)
        console.print(left)
    if summary.abandoned_runs:
        console.print(f"[yellow]Run(s) {', '.join(map(str, summary.abandoned_runs))} had "
                      "stopped without finishing (their process died): marked abandoned.[/]")
    if summary.problem:
        console.print(f"[bold red]{summary.problem}[/]")
    if summary.failed:
        failures = Table(title="Failed documents", title_justify="left")
        failures.add_column("file", no_wrap=True)
        failures.add_column("code", no_wrap=True)
        failures.add_column("reason")
        for d in summary.failed:
            failures.add_row(d.source_file, d.error_code or "", d.reason or "")
        console.print(failures)


def _print_counts(summary: IngestSummary) -> None:
    cats = Table(title="Clauses and obligations per category", title_justify="left")
    cats.add_column("category")
    cats.add_column("clauses", justify="right")
    cats.add_column("obligations", justify="right")
    for cat in CATEGORIES:
        cats.add_row(cat, str(summary.counts.clauses.get(cat, 0)),
                     str(summary.counts.obligations.get(cat, 0)))
    cats.add_row("[bold]any of them[/]", f"[bold]{summary.counts.n_categorised}[/]",
                 f"[bold]{summary.counts.n_obligations}[/]")
    console.print(cats)


def _print_footer(summary: IngestSummary) -> None:
    rate = f" ({summary.pages / summary.seconds:.1f} pages/s)" if summary.pages else ""
    console.print(
        f"{len(summary.processed)} processed, {len(summary.skipped)} skipped, "
        f"{len(summary.failed)} failed in {summary.seconds:.1f} s{rate}."
    )
    console.print(
        f"Run {summary.run_id}, extractor {summary.extractor_version}; "
        "all runs: [bold]obligations status[/]."
    )
    if summary.flagged:
        console.print(
            f"[yellow]{len(summary.flagged)} document(s) flagged[/]: check them against the "
            "PDF (the review app's document page says where; README: Ingest)."
        )
    if summary.failed:
        console.print(
            "[bold red]Some documents failed;[/] the others are stored. "
            "Fix or remove the failed files and run ingest again."
        )


def status(db: DbOption = None) -> None:
    """Show the documents, their failures and flags, and the last runs.

    Each document with its status, extractor version (behind the current one or not), pages,
    clauses, obligations per category and flags. Runs whose process died are marked
    abandoned. Never starts Prefect."""
    from models import session_scope
    from models.counts import list_documents, summary_counts
    from models.runs import list_runs, mark_abandoned
    from pipeline.extract import current_extractor_version

    engine = open_db(db)
    current = current_extractor_version()
    with session_scope(engine) as session:
        abandoned = mark_abandoned(session=session)
        documents = list_documents(session=session)
        counts = summary_counts(session=session)
        runs = list_runs(session=session, limit=5)

    if not documents:
        console.print("No documents yet. Run [bold]obligations ingest PATH[/] first.")
    else:
        _documents_table(documents, counts, current)
        behind = [d for d in documents if d.status == "processed"
                  and d.extractor_version != current]
        line = f"Extractor now: {current}."
        if behind:
            line += (f" [yellow]{len(behind)} of {len(documents)} document(s) behind it[/]: "
                     "[bold]obligations reextract[/] brings them up to date.")
        console.print(line)

    failed = [d for d in documents if d.status == "failed"]
    if failed:
        table = Table(title="Failures", title_justify="left")
        table.add_column("file")
        table.add_column("code")
        table.add_column("reason")
        for d in failed:
            table.add_row(d.source_file, d.error_code or "", d.error_message or "")
        console.print(table)
    if runs:
        _runs_table(runs)
    for run in abandoned:
        console.print(f"[yellow]Run {run.id} stopped without finishing (its process on "
                      f"{run.host} died): marked abandoned.[/]")


def _documents_table(documents, counts, current: str) -> None:
    table = Table(
        title="Documents", title_justify="left", caption_justify="left",
        caption="exit, data (return), term.(ination): obligations per category; "
        "extractor: * = behind the current version",
    )
    table.add_column("file", overflow="ellipsis", no_wrap=True, max_width=24)
    table.add_column("status", no_wrap=True)
    table.add_column("extractor", no_wrap=True)
    for name in ("pages", "clauses", "exit", "data", "term."):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("flags", no_wrap=True)
    for d in documents:
        c = counts.get(d.id)
        per_cat = [str(c.obligations.get(cat, 0)) if c else "-" for cat in CATEGORIES]
        colour = {"processed": "green", "failed": "bold red"}.get(d.status, "")
        version = d.extractor_version or ""
        if d.status == "processed" and version != current:
            version = f"[yellow]{version} *[/]"
        table.add_row(
            d.source_file, f"[{colour}]{d.status}[/]" if colour else d.status, version,
            str(d.pages or ""), str(c.n_clauses if c else 0), *per_cat,
            f"[yellow]{flag_summary(d.flags)}[/]" if d.flags else "",
        )
    console.print(table)


def _runs_table(runs) -> None:
    table = Table(title="Last runs", title_justify="left")
    for name in ("run", "kind", "started (UTC)", "status", "processed", "skipped", "failed",
                 "seconds"):
        table.add_column(name)
    from models.team_runs import describe_origin

    colour = {"completed": "green", "failed": "bold red", "abandoned": "yellow",
              "queued": "cyan"}
    for r in runs:
        status_text = f"[{colour[r.status]}]{r.status}[/]" if r.status in colour else r.status
        table.add_row(
            str(r.id), " ".join(filter(None, (r.flow.removesuffix("-contracts"),
                                              describe_origin(r)))),
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"), status_text,
            *(str(r.counts.get(k, "")) for k in ("processed", "skipped", "failed", "seconds")),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("status")(status)
