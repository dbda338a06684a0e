"""Errors at the edge: every refusal is a 4xx with a message that says what was wrong, never a
500 for bad input, and every response (error pages and the 500 page included) carries the
security headers.

- An id in a path that cannot name anything (not a number, out of range, not hex) is a 404,
  as an id that names nothing is; a bad query parameter is a 400 naming the parameter.
- ``/api/…`` answers in JSON (``{"detail": …}``); the pages answer with an HTML page when the
  browser asks for one.
- A bug of ours is a 500 page saying so, logged with its traceback; nothing about the
  exception reaches the response.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("obligations.web")

# Defence in depth behind autoescaping: no inline script or style runs, nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# What a path parameter names, for "There is no … X."
_PATH_THINGS = {"document_id": "document", "obligation_id": "obligation", "clause_id": "clause",
                "page": "page"}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response that passes through (pure ASGI, so that
    streaming and static files are untouched otherwise)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_html(request: Request) -> bool:
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def _page(request: Request, status: int, detail: str):
    from web.templating import render

    return render(request, "error.html", {"status": status, "detail": detail},
                  status_code=status)


def validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """The status and message for parameters FastAPI refused: 404 for a path parameter
    (an id that cannot exist), else 400 naming the parameter."""
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ())]
    given = first.get("input")
    if loc and loc[0] == "path":
        name = loc[-1]
        what = _PATH_THINGS.get(name, name)
        shown = str(given)[:80] if given is not None else ""
        return 404, f"There is no {what} {shown}."
    name = loc[-1] if loc else "request"
    return 400, f"{name}: {first.get('msg', 'invalid value')}."


async def _http_error(request: Request, exc: StarletteHTTPException):
    if request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    if not _wants_html(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
    return _page(request, exc.status_code, str(exc.detail))


async def _invalid_request(request: Request, exc: RequestValidationError):
    status, message = validation_message(exc)
    if _wants_html(request):
        return _page(request, status, message)
    return JSONResponse({"detail": message}, status_code=status)


async def _server_error(request: Request, exc: Exception):
    """Our bug: logged in full, answered without a word about it. Runs outside the other
    middleware (Starlette's ServerErrorMiddleware), so it sets the headers itself."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "Something went wrong on our side. It has been logged; try again, and tell " \
             "the administrators if it happens again."
    if _wants_html(request):
        from web.templating import templates

        response = templates.TemplateResponse(
            request, "error.html",
            {"status": 500, "detail": detail, "user": None, "csrf_token": "", "messages": [],
             "page": "error"},
            status_code=500,
        )
    else:
        response = JSONResponse({"detail": detail}, status_code=500)
    response.headers.update(SECURITY_HEADERS)
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _server_error)
