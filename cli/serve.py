"""``obligations serve``: the review web app (``web.app``) under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.common import DbOption, console, open_db


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Send the session cookie over HTTPS only (default: on, except on a loopback "
            "address, or as $OBLIGATIONS_SECURE_COOKIES says).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Run the review web app (put it behind an HTTPS reverse proxy when not on localhost)."""
    import uvicorn

    from web.app import create_app
    from web.security import SECURE_COOKIE_ENV, is_loopback, secure_cookies_default

    if secure_cookies is None and SECURE_COOKIE_ENV not in os.environ:
        secure_cookies = not is_loopback(host)
    secure = secure_cookies_default(secure_cookies)
    open_db(db)
    app = create_app(db, secure_cookies=secure)
    console.print(
        f"serving on http://{host}:{port} "
        f"(session cookie {'Secure: HTTPS only' if secure else 'not Secure: plain HTTP'})"
    )
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
