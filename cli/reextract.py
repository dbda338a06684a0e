"""``obligations reextract``: the rules again over the stored layouts, no PDF opened."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DbOption, console, fail, open_db


def reextract(
    documents: Annotated[
        list[str] | None,
        typer.Option("--document", "-d", help="A document (id, SHA-256 or its first 8+ "
                     "characters, or file name); repeat for more. Default: every processed "
                     "document behind the current extractor version."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes running the rules.")
    ] = 1,
    db: DbOption = None,
) -> None:
    """Run the current rules over the stored (cached) layouts: no PDF is opened or parsed.

    Reviewed obligations are never overwritten; obligations that come out the same are not
    touched (their updated_at and version stay). Exit status: 0 all re-extracted, 1 some
    could not be (no stored layout: ingest their PDF), 2 usage error.
    """
    from flows.reextract import reextract as run

    engine = open_db(db)
    try:
        summary = run(engine, documents=documents, workers=workers)
    except LookupError as exc:
        fail(str(exc), EXIT_USAGE)
    if not summary.documents:
        console.print(f"Nothing to re-extract: every processed document is at "
                      f"{summary.extractor_version}.")
        raise typer.Exit(EXIT_OK)
    table = Table(title=f"Run {summary.run_id}: re-extraction", title_justify="left")
    for name in ("file", "status", "updated", "unchanged", "new", "gone", "reason"):
        table.add_column(name, no_wrap=name not in ("reason",))
    colour = {"processed": "green"}
    for d in summary.documents:
        table.add_row(d.source_file, f"[{colour.get(d.status, 'bold red')}]{d.status}[/]",
                      str(d.updated), str(d.unchanged), str(d.inserted), str(d.deleted),
                      d.reason or "")
    console.print(table)
    done = summary.of("processed")
    console.print(f"{len(done)} of {len(summary.documents)} document(s) re-extracted with "
                  f"{summary.extractor_version} in {summary.seconds:.1f} s.")
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


def register(app: typer.Typer) -> None:
    app.command("reextract")(reextract)
