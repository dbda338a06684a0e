"""``obligations backup FILE``: a consistent copy of the SQLite database while it is in use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import EXIT_USAGE, DbOption, console, fail, open_db


def backup(
    target: Annotated[Path, typer.Argument(help="The file to write (a SQLite database).",
                                           metavar="FILE", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """Copy the SQLite database to FILE, consistently, while it is in use.

    Uses SQLite's online backup API: consistent even while an ingest or the review app
    writes, and one self-contained file (the write-ahead log is inside). PostgreSQL: use
    pg_dump (README.md, "Backups")."""
    from models.db import BackupError, backup_sqlite

    engine = open_db(db)
    if target.exists() and not force:
        fail(f"{target} exists; pass --force to replace it", EXIT_USAGE)
    if target.is_dir():
        fail(f"{target} is a folder: give a file name", EXIT_USAGE)
    try:
        size = backup_sqlite(engine, target)
    except BackupError as exc:
        fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    console.print(f"backed up {engine.url.database} to {target} ({size / 2**20:.1f} MB)")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
