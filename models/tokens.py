"""Bearer tokens for machine clients of ``/api/v1`` (the contract registry).

A token is shown once, when it is created; only its SHA-256 is stored, with a short prefix
to tell tokens apart in listings. A token reads the export API and nothing else: it is not a
user, has no password and opens no session in the HTML app. Creating and revoking tokens
is recorded in the administrative audit trail (``models.audit``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from models.audit import Actor, record
from models.models import ApiToken, utcnow

TOKEN_PREFIX = "obl_"  # makes a leaked token easy to recognise (secret scanners, logs)
_SHOWN = 12  # characters of the secret kept in clear as ``ApiToken.prefix``
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is refreshed at most this often


class TokenNotFound(LookupError):
    """No active token has that name or id."""


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _target(token: ApiToken) -> str:
    return f"token {token.id} {token.name}"


def create_token(*, session: Session, name: str, by: Actor) -> tuple[ApiToken, str]:
    """A new token named ``name``: the stored row and the secret, which is never stored."""
    if not name.strip():
        raise ValueError("a token needs a name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=hash_token(secret),
        prefix=secret[:_SHOWN],
        created_by=by.name,
    )
    session.add(token)
    session.flush()
    record(session=session, actor=by, action="token.create", target=_target(token),
           detail={"prefix": token.prefix})
    return token, secret


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(ApiToken.id)))


def revoke_tokens(*, session: Session, name_or_id: str, by: Actor) -> list[ApiToken]:
    """Revoke the active token with that id, or every active token with that name.

    Raises ``TokenNotFound`` when nothing active matches. A number is taken as an id first.
    """
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
    found: list[ApiToken] = []
    if name_or_id.isdigit():
        found = list(session.exec(query.where(ApiToken.id == int(name_or_id))))
    if not found:
        found = list(session.exec(query.where(ApiToken.name == name_or_id)))
    if not found:
        raise TokenNotFound(f"no active token named or numbered {name_or_id!r}")
    now = utcnow()
    for token in found:
        token.revoked_at = now
        session.add(token)
        record(session=session, actor=by, action="token.revoke", target=_target(token))
    session.flush()
    return found


def authenticate(*, session: Session, secret: str | None) -> ApiToken | None:
    """The active token whose secret this is, else None (unknown, malformed or revoked)."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    ).first()
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        token.last_used_at = now
        session.add(token)
    return token
