"""``obligations export`` and ``obligations tokens``: the registry's side of the product."""

from __future__ import annotations

import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import EXIT_FAILED, EXIT_USAGE, DbOption, console, err_console, fail, open_db


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


tokens_app = typer.Typer(
    help="Bearer tokens for machine clients of /api/v1 (the contract registry).",
    no_args_is_help=True,
)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. registry.")],
    created_by: Annotated[
        str | None,
        typer.Option("--user", help="Who creates it (default: $USER).", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a token and print it once; only its SHA-256 is stored."""
    from models import session_scope
    from models.tokens import create_token

    if not name.strip():
        fail("--name must not be empty", EXIT_USAGE)
    engine = open_db(db)
    with session_scope(engine) as session:
        token, secret = create_token(
            session=session, name=name, created_by=created_by or os.environ.get("USER")
        )
        token_id = token.id
    err_console.print(
        f"token {token_id} [bold]{name}[/] created. It is shown only now: store it in the "
        "client's secret store. Send it as 'Authorization: Bearer <token>'."
    )
    print(secret)


@tokens_app.command("list")
def tokens_list(db: DbOption = None) -> None:
    """List tokens (never the secrets)."""
    from sqlmodel import Session

    from models.tokens import list_tokens

    engine = open_db(db)
    with Session(engine) as session:
        tokens = list_tokens(session=session)
    table = Table("id", "name", "prefix", "created by", "created", "last used", "status")
    for t in tokens:
        table.add_row(
            str(t.id), t.name, t.prefix + "…", t.created_by or "",
            _when(t.created_at), _when(t.last_used_at),
            f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active",
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    name_or_id: Annotated[
        str, typer.Argument(metavar="NAME-or-ID", help="A token's id, or a name (all its tokens).")
    ],
    db: DbOption = None,
) -> None:
    """Revoke a token by id, or every active token with that name. Takes effect at once."""
    from models import session_scope
    from models.tokens import TokenNotFound, revoke_tokens

    engine = open_db(db)
    try:
        with session_scope(engine) as session:
            revoked = revoke_tokens(session=session, name_or_id=name_or_id)
            ids = [t.id for t in revoked]
    except TokenNotFound as exc:
        fail(str(exc))
    console.print(f"revoked {len(ids)} token(s): " + ", ".join(map(str, ids)))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.add_typer(tokens_app, name="tokens")
