"""``obligations export``: the registry's side of the product (its API tokens: ``cli.tokens``)."""

from __future__ import annotations

import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.common import EXIT_FAILED, EXIT_USAGE, DbOption, err_console, fail, open_db


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    ocds = "ocds"


class Status(StrEnum):
    approved = "approved"
    all = "all"


_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def export(
    format: Annotated[
        Format, typer.Option("--format", "-f", help="jsonl, csv or ocds.")
    ] = Format.jsonl,
    status: Annotated[
        Status,
        typer.Option(
            help="approved: approved and corrected obligations (with --since, also the "
            "rejected ones as tombstones); all: every obligation."
        ),
    ] = Status.approved,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only obligations changed after this ISO-8601 instant "
            "(e.g. 2026-11-25T10:15:00Z; no zone means UTC).",
            show_default=False,
        ),
    ] = None,
    document: Annotated[
        str | None, typer.Option(help="Only this document (its SHA-256).", show_default=False)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here instead of stdout.", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """Export obligations as export records (schema version 1) for the contract registry."""
    from models.export import WRITERS, ExportError, iter_records, parse_since

    try:
        since_at = parse_since(since) if since is not None else None
    except ValueError as exc:
        fail(f"--since: {exc}", EXIT_USAGE)
    if document is not None and not _SHA256.match(document):
        fail(f"--document: {document!r} is not a SHA-256 (64 hexadecimal characters)", EXIT_USAGE)

    engine = open_db(db)
    from sqlmodel import Session

    options = {}
    if format is Format.ocds:
        options = {
            "ocid_prefix": os.environ.get("OBLIGATIONS_OCID_PREFIX", "ocds-obligs"),
            "publisher": os.environ.get("OBLIGATIONS_OCDS_PUBLISHER", "obligations"),
        }
    target = None
    try:
        with Session(engine) as session:
            records = iter_records(
                session=session, status=status.value, since=since_at, document=document
            )
            if out is None:
                count = WRITERS[format.value](records, sys.stdout, **options)
                sys.stdout.flush()
            else:
                # Written beside the target and moved into place: never a half-written file.
                target = out.with_name(f".{out.name}.partial")
                newline = "" if format is Format.csv else "\n"
                with target.open("w", encoding="utf-8", newline=newline) as fh:
                    count = WRITERS[format.value](records, fh, **options)
                target.replace(out)
                target = None
    except ExportError as exc:
        fail(str(exc))
    except BrokenPipeError:
        # The reader stopped early (`| head`): say nothing more, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_FAILED) from None
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    finally:
        if target is not None:
            target.unlink(missing_ok=True)
    what = "milestone" if format is Format.ocds else "record"
    if out is not None:
        err_console.print(f"wrote {count} {what}{'' if count == 1 else 's'} to {out}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
