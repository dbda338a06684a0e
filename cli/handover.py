"""``obligations handover mark | clear | list``: which contracts the handover comparison
(``obligations report handover``) lines up. Marks are kept in the database with who set them."""

from __future__ import annotations

import getpass
import os
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import EXIT_USAGE, DbOption, console, fail, open_db
from cli.report import USER_ENV, handover_app, report_app


class Role(StrEnum):
    outgoing = "outgoing"
    incoming = "incoming"


DocumentArgument = Annotated[
    str,
    typer.Argument(help="The document: its id, SHA-256 (or a 6+ character prefix) or file name."),
]


@handover_app.command("mark")
def handover_mark(
    document: DocumentArgument,
    role: Annotated[
        Role, typer.Option("--as", help="outgoing (the JV) or incoming (a new supplier).")
    ],
    user: Annotated[str | None, typer.Option(
        "--user", "-u", help=f"Who marks it (default: ${USER_ENV}, else your login).",
        show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Mark a document as the outgoing or an incoming contract (replaces an earlier mark)."""
    from models import readiness, session_scope

    who = user or os.environ.get(USER_ENV) or getpass.getuser()
    with session_scope(open_db(db)) as session:
        try:
            doc = readiness.find_document(session=session, ref=document)
            readiness.mark_handover(session=session, document=doc, role=role.value, user=who)
        except readiness.ReadinessError as exc:
            fail(f"{exc.code}: {exc}", EXIT_USAGE)
        name = doc.source_file
    console.print(f"{escape(name)} marked {role.value} by {escape(who)}.")


@handover_app.command("clear")
def handover_clear(document: DocumentArgument, db: DbOption = None) -> None:
    """Remove a document's outgoing / incoming mark."""
    from models import readiness, session_scope

    with session_scope(open_db(db)) as session:
        try:
            doc = readiness.find_document(session=session, ref=document)
        except readiness.ReadinessError as exc:
            fail(f"{exc.code}: {exc}", EXIT_USAGE)
        removed = readiness.clear_handover(session=session, document=doc)
        name = doc.source_file
    console.print(f"{escape(name)}: " + ("mark removed." if removed else "was not marked."))


@handover_app.command("list")
def handover_list(db: DbOption = None) -> None:
    """The documents marked outgoing and incoming."""
    from sqlmodel import Session

    from models import readiness

    with Session(open_db(db)) as session:
        marks = readiness.handover_marks(session=session)
    if not marks:
        console.print("No document is marked: obligations handover mark DOC --as outgoing")
        return
    table = Table(title="Handover marks", title_justify="left")
    for col in ("role", "document", "sha256", "marked by", "at"):
        table.add_column(col)
    for mark, doc in marks:
        table.add_row(mark.role, escape(doc.source_file), doc.sha256[:12], escape(mark.marked_by),
                      f"{mark.marked_at:%Y-%m-%d %H:%M} UTC")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.add_typer(handover_app, name="handover")
