"""Who is asking, and did they mean to: the session secret, the logged-in user, CSRF tokens.

- The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure unless turned off
  for a plain-HTTP localhost). It holds the user's name and a fingerprint of their password
  hash, so a password change or a deactivation ends every open session at the next request.
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

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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
    if not user.is_admin:
        raise HTTPException(403, "Only an administrator can manage users.")
    return user


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target after login: a path on this site only (no //host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class LoginThrottle:
    """At most ``limit`` failed logins per user name in ``window`` seconds, then refusals
    until the window slides: guessing passwords online stays slow even for a weak one.
    In-process (one per app): enough for one server; a farm needs its proxy to limit too."""

    def __init__(self, limit: int = 10, window: float = 15 * 60):
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, name: str, now: float) -> deque[float]:
        failures = self._failures[name.strip().lower()]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, name: str) -> bool:
        with self._lock:
            return len(self._recent(name, time.monotonic())) >= self.limit

    def failed(self, name: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(name, now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.strip().lower(), None)
