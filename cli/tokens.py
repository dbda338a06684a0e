"""``obligations tokens``: bearer tokens for machine clients of ``/api/v1`` (the registry).

Creating and revoking a token is recorded in the administrative audit trail under the account
at the shell (``$OBLIGATIONS_USER``, else the login name); ``obligations users events`` lists
it. The work is done by ``models.tokens``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import EXIT_USAGE, DbOption, console, err_console, fail, open_db
from cli.users import shell_actor

tokens_app = typer.Typer(
    help="Bearer tokens for machine clients of /api/v1 (the contract registry).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. registry.")],
    db: DbOption = None,
) -> None:
    """Create a token and print it once; only its SHA-256 is stored."""
    from models import session_scope
    from models.tokens import create_token

    if not name.strip():
        fail("--name must not be empty", EXIT_USAGE)
    engine = open_db(db)
    with session_scope(engine) as session:
        token, secret = create_token(session=session, name=name, by=shell_actor())
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
            revoked = revoke_tokens(session=session, name_or_id=name_or_id, by=shell_actor())
            ids = [t.id for t in revoked]
    except TokenNotFound as exc:
        fail(str(exc))
    console.print(f"revoked {len(ids)} token(s): " + ", ".join(map(str, ids)))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""
