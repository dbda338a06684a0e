"""``obligations users``: the reviewers and admins of the web app, and the audit trail of
their administration.

Every change is recorded (``models.audit``) under the account at the shell:
``$OBLIGATIONS_USER``, else the login name. The work is done by ``models.users``, whose
errors become messages here.
"""

from __future__ import annotations

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

users_app = typer.Typer(
    help="Manage the reviewers and admins of the web app.", no_args_is_help=True
)
NameArgument = Annotated[str, typer.Argument(help="The login name.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


def shell_name() -> str:
    """Who is at the shell: ``$OBLIGATIONS_USER``, else the login name."""
    return os.environ.get(USER_ENV) or getpass.getuser()


def shell_actor():
    """The account at the shell, as the administrative audit trail records it."""
    from models.audit import Actor

    return Actor(name=shell_name(), via="cli")


def _password(password_stdin: bool, confirm: bool = True) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)


def _change(change, done: str, **kwargs) -> None:
    """Run one ``models.users`` change in its own transaction; its error as a message."""
    from models import session_scope, users

    db = kwargs.pop("db")
    try:
        with session_scope(open_db(db)) as session:
            change(session=session, by=shell_actor(), **kwargs)
    except users.UserError as exc:
        fail(str(exc))
    console.print(done)


@users_app.command("add")
def users_add(
    name: NameArgument,
    role: Annotated[str, typer.Option(help="reviewer | admin")] = "reviewer",
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Add a user; the password is asked for (or read from stdin) and stored hashed."""
    from models import users

    password = _password(password_stdin)
    _change(users.add_user, f"added {role} {name}", name=name, password=password, role=role,
            db=db)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """The users, their roles, whether they are active and how many sessions they have open."""
    from models import session_scope, users
    from models.sessions import open_sessions

    with session_scope(open_db(db)) as session:
        people = [(p, open_sessions(session=session, user=p))
                  for p in users.list_users(session=session)]
    table = Table()
    for column in ("name", "role", "active", "sessions", "created"):
        table.add_column(column)
    for p, n in people:
        table.add_row(p.name, p.role, "yes" if p.active else "no", str(n),
                      f"{p.created_at:%Y-%m-%d}")
    console.print(table)


@users_app.command("deactivate")
def users_deactivate(name: NameArgument, db: DbOption = None) -> None:
    """Deactivate a user: they cannot log in, and their open sessions end."""
    from models import users

    _change(users.set_active, f"deactivated {name}", name=name, active=False, db=db)


@users_app.command("activate")
def users_activate(name: NameArgument, db: DbOption = None) -> None:
    """Let a deactivated user log in again (with a new login: no earlier session revives)."""
    from models import users

    _change(users.set_active, f"activated {name}", name=name, active=True, db=db)


@users_app.command("set-password")
def users_set_password(
    name: NameArgument, password_stdin: PasswordStdin = False, db: DbOption = None
) -> None:
    """Set a user's password; their open sessions end."""
    from models import users

    password = _password(password_stdin)
    _change(users.set_password, f"password of {name} changed; their sessions have ended",
            name=name, password=password, db=db)


@users_app.command("set-role")
def users_set_role(
    name: NameArgument,
    role: Annotated[str, typer.Argument(help="reviewer | admin")],
    db: DbOption = None,
) -> None:
    """Change a user's role."""
    from models import users

    _change(users.set_role, f"{name} is now {role}", name=name, role=role, db=db)


@users_app.command("events")
def users_events(
    since: Annotated[
        str | None, typer.Option(help="Only events at or after this ISO-8601 time.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    db: DbOption = None,
) -> None:
    """The audit trail of user and token administration, oldest first."""
    from datetime import UTC, datetime

    from models import session_scope
    from models.audit import admin_events

    moment = None
    if since:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not an ISO-8601 time", EXIT_USAGE)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    with session_scope(open_db(db)) as session:
        rows = [
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "via": e.via,
             "action": e.action, "target": e.target, "detail": e.detail}
            for e in admin_events(session=session, since=moment)
        ]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table()
    for column in ("at", "who", "via", "action"):
        table.add_column(column, no_wrap=True)
    table.add_column("target")
    table.add_column("detail")
    for r in rows:
        table.add_row(r["at"][:19].replace("T", " "), escape(r["actor"]), r["via"], r["action"],
                      escape(r["target"]), escape(json.dumps(r["detail"]) if r["detail"] else ""))
    console.print(table)
