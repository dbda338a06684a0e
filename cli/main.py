"""``obligations``: the command line (DESIGN.md §3). Each group of commands lives in its own
module and registers itself here; no business logic lives in the CLI."""

from __future__ import annotations

import typer

from cli import (
    backup,
    deploy,
    evaluate,
    export,
    handover,
    ingest,
    reextract,
    review,
    rules,
    serve,
    tokens,
    users,
)

app = typer.Typer(
    name="obligations",
    help="Find exit, data-return and termination obligations in contract PDFs, "
    "review them, and export the approved ones to the contract registry.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

for module in (
    ingest,
    reextract,
    review,
    users,
    serve,
    export,
    tokens,
    evaluate,
    rules,
    handover,
    backup,
    deploy,
):
    module.register(app)


if __name__ == "__main__":
    app()
