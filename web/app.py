"""The review web app: ``create_app()`` builds it, ``obligations serve`` runs it.

Server-rendered pages (Jinja2, autoescaped: contract text is data, never markup), a little
plain JavaScript for keyboard shortcuts, no network access at run time. Every page needs a
logged-in user except ``/login``, ``/healthz`` and ``/static``; ``/api/v1`` (``web.api``)
authenticates machine clients by bearer token on its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from models import get_engine, init_db, session_scope
from web import errors, security
from web.images import PageImages
from web.templating import templates

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "obligations_session"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day (the server-side session ends then too)
SECURITY_HEADERS = errors.SECURITY_HEADERS


def create_app(
    db_url: str | None = None,
    *,
    secret_key: str | None = None,
    secure_cookies: bool | None = None,
    cache_dir: Path | None = None,
) -> FastAPI:
    """The app for the database at ``db_url`` (default: ``$OBLIGATIONS_DATABASE_URL``, else
    ``sqlite:///obligations.db``). ``secure_cookies=None`` means Secure unless
    ``OBLIGATIONS_SECURE_COOKIES=0``."""
    from web import pages, readiness, runs

    engine = get_engine(db_url)
    init_db(engine)

    app = FastAPI(
        title="obligations review",
        docs_url=None,  # no anonymous API browser: /api/v1 documents itself in the README
        redoc_url=None,
        openapi_url=None,  # app.openapi() still describes every route, for the tests
    )
    app.state.engine = engine
    app.state.images = PageImages(cache_dir)
    app.state.templates = templates
    app.state.login_throttle = security.LoginThrottle()

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(readiness.router)
    app.include_router(runs.router)
    if importlib.util.find_spec("web.api") is not None:
        from web import api

        app.include_router(api.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    app.middleware("http")(_require_login)
    errors.install(app)
    # Added last, so they run first: the login check above needs the session, and every
    # response (redirects and refusals of the login check included) gets the headers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=security.load_secret_key(secret_key),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=security.secure_cookies_default(secure_cookies),
    )
    app.add_middleware(errors.SecurityHeaders)
    return app


async def _require_login(request: Request, call_next):
    """Every path but the public ones needs the user of an open server-side session."""
    request.state.user = None
    path = request.url.path
    if not security.is_public(path):
        request.state.user = _session_user(request)
        if request.state.user is None:
            request.session.pop("sid", None)
            if request.method in security.SAFE_METHODS:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
            return PlainTextResponse("Log in first.", status_code=401)
    return await call_next(request)


def _quote(target: str) -> str:
    from urllib.parse import quote

    return quote(target, safe="")


def _session_user(request: Request) -> security.CurrentUser | None:
    """The user of the request's server-side session (``models.sessions``), if still open."""
    from models.sessions import session_user

    token = request.session.get("sid")
    if not token:
        return None
    with session_scope(request.app.state.engine) as session:
        user = session_user(session=session, token=token)
        return security.CurrentUser(name=user.name, role=user.role) if user else None
