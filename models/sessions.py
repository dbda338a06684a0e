"""Server-side login sessions of the web app.

A login opens a ``UserSession`` row and hands the browser a random token (in the signed
cookie); only the token's SHA-256 is stored. Every request looks the token up: a session
that was ended, has expired, or whose user is no longer active opens nothing. Logging out
ends that session; a password change, a deactivation and a re-activation end all of the
user's sessions, so a cookie captured before any of them is worthless after it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from models.models import User, UserSession, utcnow

LIFETIME = timedelta(hours=12)  # a working day: log in again tomorrow
_TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is refreshed at most this often
END_REASONS = ("logout", "password", "deactivated", "activated", "expired")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(*, session: Session, user: User, client: str | None = None) -> str:
    """A new session for ``user``: the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=_hash(token), user_id=user.id, created_at=now, expires_at=now + LIFETIME,
            last_seen_at=now, client=(client or None) and client[:100],
        )
    )
    session.flush()
    return token


def _find(session: Session, token: str | None) -> UserSession | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return session.exec(
        select(UserSession).where(UserSession.token_hash == _hash(token))
    ).first()


def session_user(*, session: Session, token: str | None) -> User | None:
    """The active user whose open, unexpired session this token is; else None."""
    found = _find(session, token)
    if found is None or found.ended_at is not None:
        return None
    now = utcnow()
    if found.expires_at <= now:
        found.ended_at, found.ended_reason = now, "expired"
        session.add(found)
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    if found.last_seen_at is None or now - found.last_seen_at > _TOUCH_EVERY:
        found.last_seen_at = now
        session.add(found)
    return user


def end_session(*, session: Session, token: str | None, reason: str = "logout") -> bool:
    """End the session of this token; whether there was an open one."""
    found = _find(session, token)
    if found is None or found.ended_at is not None:
        return False
    found.ended_at, found.ended_reason = utcnow(), reason
    session.add(found)
    session.flush()
    return True


def end_user_sessions(*, session: Session, user: User, reason: str) -> int:
    """End every open session of ``user``; how many there were."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown reason {reason!r}: one of {END_REASONS}")
    now = utcnow()
    open_ = session.exec(
        select(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None)  # type: ignore[union-attr]
        )
    ).all()
    for row in open_:
        row.ended_at, row.ended_reason = now, reason
        session.add(row)
    session.flush()
    return len(open_)


def open_sessions(*, session: Session, user: User) -> int:
    """How many unexpired sessions ``user`` has open now."""
    rows = session.exec(
        select(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None)  # type: ignore[union-attr]
        )
    ).all()
    now = utcnow()
    return sum(1 for r in rows if r.expires_at > now)
