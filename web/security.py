"""Who is asking, and did they mean to: the session secret, the logged-in user, CSRF tokens.

- The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure unless turned off
  for a plain-HTTP localhost). It holds the token of a server-side session
  (``models.sessions``), looked up on every request: logging out, a password change, a
  deactivation or a re-activation ends the session on the server, so a copy of the cookie
  taken before opens nothing after.
- Every state-changing request (POST) of the web pages carries the session's CSRF token, in a
  form field ``csrf_token`` or an ``X-CSRF-Token`` header, compared in constant time.
- The secret that signs sessions comes from ``OBLIGATIONS_SECRET_KEY``, else from a file
  generated once outside the source tree (``OBLIGATIONS_SECRET_KEY_FILE``, default
  ``$XDG_CONFIG_HOME/obligations/secret_key``), readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request

SECRET_ENV = "OBLIGATIONS_SECRET_KEY"
SECRET_FILE_ENV = "OBLIGATIONS_SECRET_KEY_FILE"
SECURE_COOKIE_ENV = "OBLIGATIONS_SECURE_COOKIES"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths open to anonymous users; /api/v1 authenticates by bearer token on its own.
PUBLIC_PREFIXES = ("/static/", "/api/v1/")
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/api/v1"})


@dataclass(frozen=True)
class CurrentUser:
    name: str
    role: str

    def can(self, permission: str) -> bool:
        from models.users import can

        return can(self.role, permission)

    @property
    def is_admin(self) -> bool:
        return self.can("manage_users")


def default_secret_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "obligations" / "secret_key"


def load_secret_key(explicit: str | None = None) -> str:
    """The key that signs session cookies; generated on first use if none is configured."""
    if explicit:
        return explicit
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = Path(os.environ.get(SECRET_FILE_ENV) or default_secret_path())
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"the session secret in {path} is too short (32 characters at least)")
    return key


def secure_cookies_default(explicit: bool | None = None) -> bool:
    """Secure (HTTPS-only) cookies unless asked otherwise: ``OBLIGATIONS_SECURE_COOKIES=0``,
    or ``obligations serve`` on a loopback address."""
    if explicit is not None:
        return explicit
    value = os.environ.get(SECURE_COOKIE_ENV)
    if value is not None:
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return True


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def csrf_protect(request: Request) -> None:
    """A dependency of every page route: refuses a state-changing request without the
    session's token. The form is parsed once and cached on the request for the route."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(expected, sent):
        raise HTTPException(403, "The form has expired or did not come from this site. "
                                 "Reload the page and try again.")


def current_user(request: Request) -> CurrentUser:
    user = getattr(request.state, "user", None)
    if user is None:  # the middleware lets no anonymous request this far; be sure anyway
        raise HTTPException(401, "Log in first.")
    return user


def require_admin(request: Request) -> CurrentUser:
    user = current_user(request)
    if not user.can("manage_users"):
        raise HTTPException(403, "Only an administrator can manage users.")
    return user


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy, what uvicorn's proxy headers say it is)."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target after login: a path on this site only (no //host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class LoginThrottle:
    """Failed logins are counted per user name and per client address over ``window``
    seconds: ``per_name`` failures lock that name (guessing one password stays slow), and
    ``per_client`` failures lock that client out of every name (trying one password on many
    names, password spraying, is slowed too). In-process (one per app): enough for one
    server; a farm needs its proxy to limit as well."""

    def __init__(self, limit: int = 10, window: float = 15 * 60, per_client: int = 30):
        self.limit, self.window, self.per_client = limit, window, per_client
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    @staticmethod
    def _keys(name: str, client: str) -> tuple[str, str]:
        return "name:" + name.strip().lower(), "client:" + client

    def blocked(self, name: str, client: str = "unknown") -> bool:
        by_name, by_client = self._keys(name, client)
        with self._lock:
            now = time.monotonic()
            return (len(self._recent(by_name, now)) >= self.limit
                    or len(self._recent(by_client, now)) >= self.per_client)

    def failed(self, name: str, client: str = "unknown") -> None:
        with self._lock:
            now = time.monotonic()
            for key in self._keys(name, client):
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # a flood of names: forget the quiet ones
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def succeeded(self, name: str, client: str = "unknown") -> None:
        """A right password clears its name's failures (not the client's: one account the
        sprayer owns must not reset their count)."""
        with self._lock:
            self._failures.pop(self._keys(name, client)[0], None)
