"""``obligations review``: the review from the command line (for scripted bulk work).

The commands only parse options and print; the work is done by ``models.review``, whose errors
become messages here. Every decision is recorded under an active user (``--user``) or, for a
script, under ``system:NAME`` (``--as-system NAME``): never under a name nobody has.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import EXIT_USAGE, DbOption, console, fail, open_db

USER_ENV = "OBLIGATIONS_USER"

review_app = typer.Typer(
    help="Review obligations: list, show, approve, reject, correct (ids may be given as "
    "unique prefixes; '-' reads ids from stdin).",
    no_args_is_help=True,
)

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        "-u",
        help=f"Who is reviewing, for the audit trail: an active user (default: ${USER_ENV}, "
        "else your login name).",
        show_default=False,
    ),
]
SystemOption = Annotated[
    str | None,
    typer.Option(
        "--as-system",
        metavar="NAME",
        help="Scripted bulk work: record the decisions under system:NAME instead of a user.",
        show_default=False,
    ),
]
CommentOption = Annotated[
    str | None, typer.Option("--comment", "-m", help="Why: kept in the audit trail.")
]
IdsArgument = Annotated[
    list[str], typer.Argument(help="Obligation ids or unique prefixes; '-' reads them from stdin.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


def _reviewer(session, user: str | None, as_system: str | None) -> str:
    """The name the audit trail records: an active user, or system:NAME (models.users)."""
    from models import users

    if as_system is None:
        user = user or os.environ.get(USER_ENV) or getpass.getuser()
    try:
        return users.reviewer_name(session=session, user=user, as_system=as_system)
    except users.NotAReviewer as exc:
        fail(str(exc), EXIT_USAGE)


def _ids(ids: list[str]) -> list[str]:
    if ids == ["-"]:
        return [line.strip() for line in sys.stdin if line.strip()]
    return ids


def _resolve(session, prefix: str) -> str:
    """The full id of an obligation from its id or a unique prefix (6 characters at least)."""
    from sqlmodel import col, select

    from models.models import Obligation

    if session.get(Obligation, prefix) is not None:
        return prefix
    if len(prefix) >= 6:
        found = list(
            session.exec(select(Obligation.id).where(col(Obligation.id).startswith(prefix)))
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            fail(f"the prefix {prefix!r} matches {len(found)} obligations: give more of the id")
    fail(f"no obligation {prefix!r}")


# --- review -----------------------------------------------------------------------------------


@review_app.command("list")
def list_(
    document: Annotated[int | None, typer.Option(help="Only this document (its id).")] = None,
    category: Annotated[str | None, typer.Option(help="exit | data_return | termination")] = None,
    status: Annotated[
        str,
        typer.Option(
            help="open (to review or flagged) | flagged | extracted | approved | "
            "corrected | rejected | all"
        ),
    ] = "open",
    obligor: Annotated[
        str | None,
        typer.Option(help="Only this obligor (e.g. Supplier); '-' for those with no party found."),
    ] = None,
    sort: Annotated[str, typer.Option(help="page | confidence | updated")] = "page",
    ids: Annotated[bool, typer.Option("--ids", help="Print only the ids, one a line.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    db: DbOption = None,
) -> None:
    """The review queue, in review order."""
    from models import review, session_scope
    from models.queue import InvalidFilter

    try:
        filters = review.QueueFilter(
            document_id=document,
            category=category,
            status=None if status == "all" else status,
            obligor=obligor,
            sort=sort,
        )
    except InvalidFilter as exc:
        fail(str(exc), EXIT_USAGE)
    with session_scope(open_db(db)) as session:
        rows = review.list_queue(session=session, filters=filters)
    if ids:
        for ob in rows:
            print(ob.id)
        return
    if as_json:
        for ob in rows:
            record = {"id": ob.id, "document_id": ob.document_id, "clause_ref": ob.clause_ref,
                      "page": ob.page, **review.snapshot(ob), "version": ob.version,
                      "conflict": ob.conflict, "stale": ob.stale}
            print(json.dumps(record, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} obligation(s)", show_lines=False, expand=True)
    # One line per obligation: long values are cut, `review show ID` has them in full.
    for column in ("id", "doc", "clause", "page", "obligor"):
        table.add_column(column, no_wrap=True)
    table.add_column("action", no_wrap=True, overflow="ellipsis", ratio=3, min_width=20)
    table.add_column("deadline", no_wrap=True, overflow="ellipsis", ratio=1, min_width=10)
    table.add_column("status", no_wrap=True)
    for ob in rows:
        flags = "".join(f" [yellow]{f}[/]" for f in ("conflict", "stale") if getattr(ob, f))
        obligor = escape(ob.obligor) if ob.obligor else "[yellow](no party found)[/]"
        table.add_row(ob.id[:12], str(ob.document_id), escape(ob.clause_ref), str(ob.page or ""),
                      obligor, escape(_short(ob.action, 60)),
                      escape(_short(ob.deadline_text, 60)), ob.status + flags)
    console.print(table)


def _short(text: str | None, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


@review_app.command()
def show(
    obligation_id: Annotated[str, typer.Argument(help="The obligation id or a unique prefix.")],
    db: DbOption = None,
) -> None:
    """One obligation: its fields, source, rule ids, the definitions it uses, its history."""
    from models import Document, review, session_scope

    with session_scope(open_db(db)) as session:
        ob = review.get_obligation(session=session, obligation_id=_resolve(session, obligation_id))
        document = session.get(Document, ob.document_id)
        events = review.history(session=session, obligation_id=ob.id)
        definitions = review.definitions_for(ob, document)
    console.print(
        f"[bold]{escape(ob.id)}[/]  {escape(document.source_file)}  clause "
        f"{escape(ob.clause_ref)}  page {ob.page}  [bold]{ob.status}[/]  "
        f"version {ob.version}  origin {ob.origin}"
    )
    console.print(f"[dim]“{escape(ob.text)}”[/]")
    table = Table(show_header=False, box=None)
    for name, value in review.snapshot(ob).items():
        if name != "status":
            table.add_row(name, escape(json.dumps(value, ensure_ascii=False)))
    console.print(table)
    if ob.conflict:
        console.print(
            f"[yellow]conflict[/] (re-extraction proposes): "
            f"{escape(json.dumps(ob.conflict, ensure_ascii=False))}"
        )
    if ob.stale:
        console.print("[yellow]stale[/]: the current extractor no longer finds it")
    console.print(
        "[bold]rules[/]: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in ob.rules.items())
    )
    if definitions:
        console.print("[bold]definitions[/]:")
        for d in definitions:
            console.print(f"  [bold]{escape(d.get('term', ''))}[/]: {escape(d.get('text', ''))}")
    console.print(f"[bold]history[/] ({len(events)}):")
    for e in events:
        change = f" {e.field}: {json.dumps(e.old)} → {json.dumps(e.new)}" if e.field else ""
        note = f" — {e.comment}" if e.comment else ""
        console.print(escape(f"  {e.at:%Y-%m-%d %H:%M:%S} {e.user} {e.action}{change}{note}"))


def _decide(action: str, ids: list[str], who: tuple, comment: str | None, db) -> None:
    from models import review, session_scope

    engine = open_db(db)
    with session_scope(engine) as session:
        who = _reviewer(session, *who)
    failed = 0
    for given in _ids(ids):
        try:
            with session_scope(engine) as session:
                full = _resolve(session, given)
                getattr(review, action)(
                    session=session, obligation_id=full, user=who, comment=comment
                )
            console.print(f"{action}d {full}" if action != "reopen" else f"reopened {full}")
        except review.ReviewError as exc:
            failed += 1
            console.print(f"[red]{given}: {exc}[/]")
    if failed:
        raise typer.Exit(1)


@review_app.command()
def approve(
    ids: IdsArgument,
    user: UserOption = None,
    as_system: SystemOption = None,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Approve one or more obligations (each in its own transaction; exit 1 if any failed)."""
    _decide("approve", ids, (user, as_system), comment, db)


@review_app.command()
def reject(
    ids: IdsArgument,
    user: UserOption = None,
    as_system: SystemOption = None,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Reject one or more obligations: a re-extraction never brings them back."""
    _decide("reject", ids, (user, as_system), comment, db)


@review_app.command()
def reopen(
    ids: IdsArgument,
    user: UserOption = None,
    as_system: SystemOption = None,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Put reviewed obligations back in the queue (their corrections stay)."""
    _decide("reopen", ids, (user, as_system), comment, db)


@review_app.command()
def correct(
    obligation_id: Annotated[str, typer.Argument(help="The obligation id or a unique prefix.")],
    categories: Annotated[
        str | None, typer.Option(help="Comma-separated: exit,data_return,termination")
    ] = None,
    modality: Annotated[
        str | None, typer.Option(help="obligation | prohibition | permission")
    ] = None,
    obligor: Annotated[str | None, typer.Option()] = None,
    beneficiary: Annotated[str | None, typer.Option()] = None,
    action: Annotated[str | None, typer.Option()] = None,
    trigger: Annotated[str | None, typer.Option()] = None,
    deadline_text: Annotated[str | None, typer.Option()] = None,
    deadline_duration: Annotated[str | None, typer.Option(help="ISO-8601: P30D, P3M")] = None,
    deadline_business_days: Annotated[
        bool | None,
        typer.Option("--deadline-business-days/--deadline-calendar-days", show_default=False),
    ] = None,
    deadline_relation: Annotated[
        str | None, typer.Option(help="within | before | after | ...")
    ] = None,
    deadline_anchor: Annotated[str | None, typer.Option()] = None,
    deadline_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    version: Annotated[
        int | None,
        typer.Option(help="The version you reviewed: refuse if someone changed it since."),
    ] = None,
    user: UserOption = None,
    as_system: SystemOption = None,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Correct fields of an obligation (an empty string clears one); status becomes corrected."""
    given = {
        "modality": modality, "obligor": obligor, "beneficiary": beneficiary, "action": action,
        "trigger": trigger, "deadline_text": deadline_text,
        "deadline_duration": deadline_duration, "deadline_business_days": deadline_business_days,
        "deadline_relation": deadline_relation, "deadline_anchor": deadline_anchor,
        "deadline_date": deadline_date,
    }
    values = {k: (None if v == "" else v) for k, v in given.items() if v is not None}
    if categories is not None:
        values["categories"] = [c.strip() for c in categories.split(",") if c.strip()]
    if not values:
        fail("nothing to correct: give at least one field option (see --help)", EXIT_USAGE)
    _correct(obligation_id, values, version, (user, as_system), comment, db)


def _correct(obligation_id: str, values: dict, version, who: tuple, comment, db) -> None:
    """Apply one correction and say what it changed (typed, read from deadline words, or
    nothing: the values given are those stored)."""
    from models import ObligationUpdate, review, session_scope

    try:
        with session_scope(open_db(db)) as session:
            full = _resolve(session, obligation_id)
            user = _reviewer(session, *who)
            before = review.get_obligation(session=session, obligation_id=full).version
            ob = review.correct(session=session, obligation_id=full,
                                update=ObligationUpdate(**values), user=user,
                                expected_version=version, comment=comment)
            written = review.last_write(session=session, obligation=ob)
            status, new_version = ob.status, ob.version
    except review.ReviewError as exc:
        fail(str(exc))
    if new_version == before:
        console.print(f"nothing to correct in {full}: the values given are those stored")
        return
    typed = [e.field for e in written if e.action == "correct"]
    derived = [e.field for e in written if e.action == "derive"]
    console.print(f"corrected {full} ({', '.join(typed) or 'comment only'}); status {status}, "
                  f"version {new_version}")
    if derived:
        console.print(f"{', '.join(derived)}: {review.DERIVED_NOTE}")


@review_app.command()
def events(
    since: Annotated[
        str | None, typer.Option(help="Only events at or after this ISO-8601 time.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv")] = "jsonl",
    db: DbOption = None,
) -> None:
    """Export the audit trail (every review event), oldest first, to stdout."""
    from datetime import UTC, datetime

    from sqlmodel import select

    from models import ReviewEvent, session_scope

    query = select(ReviewEvent).order_by(ReviewEvent.at, ReviewEvent.id)
    if since:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not an ISO-8601 time", EXIT_USAGE)
        query = query.where(
            ReviewEvent.at >= (moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        )
    if fmt not in ("jsonl", "csv"):
        fail(f"unknown format {fmt!r}: jsonl or csv", EXIT_USAGE)
    with session_scope(open_db(db)) as session:
        rows = [
            {
                "id": e.id,
                "obligation_id": e.obligation_id,
                "user": e.user,
                "at": e.at.isoformat(),
                "action": e.action,
                "field": e.field,
                "old": e.old,
                "new": e.new,
                "comment": e.comment,
            }
            for e in session.exec(query)
        ]
    if fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["id"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if k in ("old", "new") else v for k, v in row.items()})
