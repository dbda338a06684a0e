"""``/api/v1``: the export records for machine clients (the contract registry).

Read-only, authenticated by a bearer token (``obligations tokens create``) and by nothing
else: the HTML app's session does not open it, and a token opens nothing but it. Every
failure to authenticate is the same bare 401, before any parameter is looked at, so that a
caller without a valid token learns nothing (not even which parameters exist).

Pagination is by an opaque cursor over (updated_at, obligation_id), the order of the
records: stable while the data changes (a record updated during paging moves to the end and
is seen again there, never skipped).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from models.export import SCHEMA_VERSION, fetch_records, load_schema, parse_since
from models.models import ApiToken
from models.tokens import authenticate

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000

_bearer = HTTPBearer(auto_error=False)


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    """The caller's active token, else 401 with ``WWW-Authenticate: Bearer`` and no detail."""
    token = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            token = authenticate(session=session, secret=credentials.credentials)
            session.commit()  # last_used_at
    if token is None:
        raise HTTPException(
            status_code=401,
            detail="Not authenticated",
            headers={"WWW-Authenticate": 'Bearer realm="obligations"'},
        )
    return token


router = APIRouter(prefix="/api/v1", tags=["registry"], dependencies=[Depends(require_token)])


def encode_cursor(updated_at: str, obligation_id: str) -> str:
    raw = json.dumps([updated_at, obligation_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_OBLIGATION_ID = re.compile(r"[0-9a-f]{1,40}")
_LIMIT = re.compile(r"[0-9]{1,7}")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (updated_at, obligation_id) a ``next_cursor`` encodes; 400 for anything else."""
    try:
        if len(cursor) > 500:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        if not (isinstance(decoded, list) and len(decoded) == 2
                and all(isinstance(v, str) for v in decoded)
                and _OBLIGATION_ID.fullmatch(decoded[1])):
            raise ValueError
        return _instant(decoded[0]), decoded[1]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(400, "invalid cursor: pass back next_cursor unchanged") from None


def _instant(text: str) -> datetime:
    """``parse_since``, with an instant that cannot be represented in UTC (year 1 with a
    positive offset, year 9999 with a negative one) refused like any other bad value."""
    try:
        return parse_since(text)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the range of dates that can be stored") from None


def _bad(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


@router.get("/obligations")
def list_obligations(
    request: Request,
    status: Annotated[str, Query()] = "approved",
    since: Annotated[str | None, Query()] = None,
    document: Annotated[str | None, Query()] = None,
    limit: Annotated[str, Query()] = str(DEFAULT_LIMIT),
    cursor: Annotated[str | None, Query()] = None,
) -> dict:
    """Export records (schema version 1), oldest change first, ``limit`` per page.

    Query: ``status`` approved (approved + corrected; with ``since`` also tombstones) | all;
    ``since`` ISO-8601, records with ``updated_at`` after it; ``document`` a SHA-256;
    ``limit`` 1–1000; ``cursor`` the previous page's ``next_cursor``.
    """
    # Parameters are read by hand so that errors are plain 400s with a message, after auth.
    if status not in ("approved", "all"):
        raise _bad(f"status must be 'approved' or 'all', not {status!r}")
    try:
        since_at = _instant(since) if since else None
    except ValueError as exc:
        raise _bad(f"since: {exc}") from None
    if document is not None and (
        len(document) != 64 or any(c not in "0123456789abcdef" for c in document.lower())
    ):
        raise _bad("document must be a SHA-256: 64 hexadecimal characters")
    if not _LIMIT.fullmatch(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise _bad(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    size = int(limit)
    after = decode_cursor(cursor) if cursor else None

    with Session(request.app.state.engine) as session:
        page = fetch_records(
            session=session,
            limit=size + 1,  # one more tells whether there is a next page
            status=status,
            since=since_at,
            document=document,
            after=after,
        )
    more = len(page) > size
    page = page[:size]
    next_cursor = (
        encode_cursor(page[-1]["updated_at"], page[-1]["obligation_id"]) if more else None
    )
    return {"schema_version": SCHEMA_VERSION, "data": page, "next_cursor": next_cursor}


@router.get("/schema")
def record_schema() -> dict:
    """The JSON Schema every record validates against."""
    return load_schema()
