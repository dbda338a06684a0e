"""What every command shares: the ``--db`` option, the console, errors at the edge."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: $OBLIGATIONS_DATABASE_URL, else sqlite:///obligations.db).",
        show_default=False,
    ),
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def open_db(url: str | None) -> Engine:
    """The engine for ``url`` with the tables created; a clear error if it cannot connect."""
    from sqlalchemy.exc import OperationalError

    from models import get_engine, init_db

    engine = get_engine(url)
    try:
        init_db(engine)
    except OperationalError as exc:
        fail(f"cannot open the database {engine.url.render_as_string()}: {exc.orig}")
    return engine


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
