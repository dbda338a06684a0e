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
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from models import get_engine, init_db, session_scope
from web import security
from web.images import PageImages
from web.templating import render, templates

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "obligations_session"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day; log in again tomorrow
# Defence in depth behind autoescaping: no inline script or style runs, nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


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
    from web import pages, readiness

    engine = get_engine(db_url)
    init_db(engine)

    app = FastAPI(
        title="obligations review",
        docs_url=None,  # no anonymous API browser: /api/v1 documents itself in the README
        redoc_url=None,
        openapi_url=None,
    )
    app.state.engine = engine
    app.state.images = PageImages(cache_dir)
    app.state.templates = templates
    app.state.login_throttle = security.LoginThrottle()

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(readiness.router)
    if importlib.util.find_spec("web.api") is not None:
        from web import api

        app.include_router(api.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    @app.middleware("http")
    async def require_login(request: Request, call_next):
        request.state.user = None
        path = request.url.path
        if not security.is_public(path):
            request.state.user = _session_user(request)
            if request.state.user is None:
                request.session.pop("user", None)
                if request.method in security.SAFE_METHODS:
                    target = path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
                return PlainTextResponse("Log in first.", status_code=401)
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def html_errors(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            if request.url.path.startswith("/api/"):
                return await http_exception_handler(request, exc)
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(
            request, "error.html", {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )

    # Added last, so it runs first: the login check above needs the session.
    app.add_middleware(
        SessionMiddleware,
        secret_key=security.load_secret_key(secret_key),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=security.secure_cookies_default(secure_cookies),
    )
    return app


def _quote(target: str) -> str:
    from urllib.parse import quote

    return quote(target, safe="")


def _session_user(request: Request) -> security.CurrentUser | None:
    from models.models import User
    from models.users import password_fingerprint

    name = request.session.get("user")
    if not name:
        return None
    from sqlmodel import select

    with session_scope(request.app.state.engine) as session:
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None or not user.active:
            return None
        if request.session.get("pwv") != password_fingerprint(user):
            return None
        return security.CurrentUser(name=user.name, role=user.role)
