"""``/api/v1``: bearer-token auth, the export records, filters and cursor pagination."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from test_export_support import SYNTHETIC_SHA, add_synthetic, approve, open_engine, reject

from models import session_scope
from models.audit import Actor
from models.export import format_timestamp, iter_records, load_schema, record_errors
from models.models import utcnow
from models.tokens import create_token, revoke_tokens
from web.api import router

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(db_url):
    engine = open_engine(db_url)
    ids = add_synthetic(engine)
    approve(engine, ids[:4])
    reject(engine, ids[3])
    return engine


@pytest.fixture
def client(engine):
    """A minimal app with the router, as web.app.create_app mounts it."""
    app = FastAPI()
    app.state.engine = engine
    app.include_router(router)
    return TestClient(app)


def _token(engine, name: str = "registry") -> str:
    with session_scope(engine) as session:
        return create_token(session=session, name=name, by=Actor("root", "cli"))[1]


def _auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _get(client, secret, **params):
    return client.get("/api/v1/obligations", params=params, headers=_auth(secret))


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer obl_not-a-real-token"},
        {"Authorization": "Bearer not-even-the-right-shape"},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Token obl_x"},
    ],
    ids=["none", "empty", "unknown", "malformed", "basic", "other-scheme"],
)
@pytest.mark.parametrize("path", ["/api/v1/obligations", "/api/v1/schema"])
def test_api_refuses_without_a_valid_token(client, headers, path) -> None:
    response = client.get(path, headers=headers, params={"status": "all", "limit": "oops"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {"detail": "Not authenticated"}  # no data, no hint
    assert "set-cookie" not in response.headers


def test_api_refuses_a_revoked_token(client, engine) -> None:
    secret = _token(engine)
    assert _get(client, secret).status_code == 200
    with session_scope(engine) as session:
        revoke_tokens(session=session, name_or_id="registry", by=Actor("root", "cli"))
    response = _get(client, secret)
    assert response.status_code == 401 and "data" not in response.json()


def test_api_records_match_the_export_and_validate(client, engine) -> None:
    secret = _token(engine)
    response = _get(client, secret)
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    body = response.json()
    assert body["schema_version"] == "1" and body["next_cursor"] is None
    with Session(engine) as session:
        assert body["data"] == list(iter_records(session=session))
    assert all(record_errors(r) == [] for r in body["data"])
    assert {r["status"] for r in body["data"]} == {"approved"}


def test_api_filters(client, engine) -> None:
    secret = _token(engine)
    everything = _get(client, secret, status="all").json()["data"]
    assert {r["status"] for r in everything} == {"approved", "rejected", "extracted"}
    assert _get(client, secret, document=SYNTHETIC_SHA).json()["data"]
    assert _get(client, secret, document="0" * 64).json()["data"] == []
    mark = format_timestamp(utcnow())
    assert _get(client, secret, since=mark).json()["data"] == []
    approved = _get(client, secret).json()["data"]
    reject(engine, approved[0]["obligation_id"])
    (tombstone,) = _get(client, secret, since=mark).json()["data"]
    assert tombstone["obligation_id"] == approved[0]["obligation_id"]
    assert tombstone["status"] == "rejected"


@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
def test_api_pages_through_everything_once(client, engine, limit) -> None:
    secret = _token(engine)
    expected = [r["obligation_id"] for r in _get(client, secret, status="all").json()["data"]]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"status": "all", "limit": limit} | ({"cursor": cursor} if cursor else {})
        body = _get(client, secret, **params).json()
        assert len(body["data"]) <= limit
        seen += [r["obligation_id"] for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == -(-len(expected) // limit)


def test_api_a_change_during_paging_moves_to_the_end(client, engine) -> None:
    secret = _token(engine)
    first = _get(client, secret, status="all", limit=2).json()
    changed = first["data"][0]["obligation_id"]
    reject(engine, changed)  # bumps updated_at past the cursor
    rest, cursor = [], first["next_cursor"]
    while cursor:
        body = _get(client, secret, status="all", limit=2, cursor=cursor).json()
        rest += body["data"]
        cursor = body["next_cursor"]
    assert rest[-1]["obligation_id"] == changed and rest[-1]["status"] == "rejected"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"status": "pending"}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"document": "abc"}, "document"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzFd"}, "cursor"),  # valid base64 of [1]
    ],
)
def test_api_bad_parameters_are_400_with_a_message(client, engine, params, message) -> None:
    response = _get(client, _token(engine), **params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_api_schema(client, engine) -> None:
    response = client.get("/api/v1/schema", headers=_auth(_token(engine)))
    assert response.status_code == 200 and response.json() == load_schema()


def test_api_token_records_last_use(client, engine) -> None:
    from sqlmodel import select

    from models import ApiToken

    secret = _token(engine)
    _get(client, secret)
    with Session(engine) as session:
        assert session.exec(select(ApiToken)).one().last_used_at is not None


# --- inside the real app ------------------------------------------------------------------------


@pytest.fixture
def real_app(db_url, engine):
    web_app = pytest.importorskip("web.app")
    return TestClient(web_app.create_app(db_url, secret_key="x" * 32), follow_redirects=False)


def test_api_in_the_app_needs_no_session_but_a_token(real_app, engine) -> None:
    secret = _token(engine)
    refused = real_app.get("/api/v1/obligations", headers={"accept": "text/html"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json() == {"detail": "Not authenticated"}
    response = real_app.get("/api/v1/obligations", headers=_auth(secret))
    assert response.status_code == 200 and response.json()["data"]
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/obligations", "/documents"])
def test_api_token_opens_nothing_else(real_app, engine, path) -> None:
    """A token is not a session: every HTML page still sends its bearer to the login."""
    secret = _token(engine)
    response = real_app.get(path, headers=_auth(secret) | {"accept": "text/html"})
    assert response.status_code in (303, 401, 404)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
    assert json.dumps(response.text).find(SYNTHETIC_SHA) == -1
