"""Issue 11: every id and query parameter is checked at the edge. Out-of-range and malformed
values are a 404 or a 400 with a message, never a 500; every response, error pages and the
500 page included, carries the security headers."""

from __future__ import annotations

import base64
import html
import json

import pytest
from fastapi.testclient import TestClient
from test_web_support import fast_password_hashing, ingest_sample, login, make_user

from models import get_engine, session_scope
from models.audit import Actor
from models.tokens import create_token
from web.app import SECURITY_HEADERS, create_app

pytestmark = pytest.mark.integration
SECRET = "edge-" + "e" * 40
HUGE = str(2**63)  # one past the largest id a database integer holds
HTML = {"Accept": "text/html"}


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture(scope="module")
def doc_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge")
    db_url = f"sqlite:///{root / 'obligations.db'}"
    app = create_app(db_url, secret_key=SECRET, secure_cookies=False, cache_dir=root)
    engine = get_engine(db_url)
    ingest_sample(engine)
    monkeypatch = pytest.MonkeyPatch()
    fast_password_hashing(monkeypatch)
    make_user(engine, "alice", "admin")
    monkeypatch.undo()
    with session_scope(engine) as session:
        bearer = create_token(session=session, name="registry", by=Actor("root", "cli"))[1]
    return app, bearer


@pytest.fixture
def client(doc_app):
    client = TestClient(doc_app[0], base_url="http://testserver")
    client.csrf = login(client, "alice")
    return client


def _has_headers(response) -> bool:
    return all(response.headers.get(k) == v for k, v in SECURITY_HEADERS.items())


@pytest.mark.parametrize("url", [
    f"/documents/{HUGE}", f"/documents/{HUGE}/pages/1.png", f"/documents/1/pages/{HUGE}.png",
    f"/clauses/{HUGE}/add", "/documents/-1", "/documents/abc", "/documents/0",
    "/clauses/1e3/add", "/obligations/" + "f" * 41, "/obligations/NOT-HEX",
    "/obligations/%00", "/documents/1/pages/0.png",
])
def test_web_impossible_ids_are_not_found(client, url):
    response = client.get(url, headers=HTML)
    assert response.status_code == 404, (url, response.status_code)
    assert "There is no" in response.text and _has_headers(response)


@pytest.mark.parametrize("url", [f"/obligations/{'a' * 41}", f"/clauses/{HUGE}/add"])
def test_web_impossible_ids_in_posts_are_not_found(client, url):
    response = client.post(url, data={"csrf_token": client.csrf, "do": "approve",
                                      "version": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("query, message", [
    ("category=renewal", "unknown category 'renewal'"),
    ("status=pending", "unknown status 'pending'"),
    ("sort=random", "unknown sort 'random'"),
    ("document=seven", "document must be a document's number"),
    (f"document={HUGE}", "there is no document"),
    ("page=0", "page"),
    ("page=x", "page"),
    (f"page={HUGE}", "page"),
])
def test_web_queue_filters_are_validated_not_ignored(client, query, message):
    response = client.get(f"/queue?{query}", headers=HTML)
    assert response.status_code == 400, query
    assert message.lower() in html.unescape(response.text).lower()
    assert _has_headers(response)


def test_web_document_category_is_validated(client):
    assert client.get("/documents/1?category=renewal").status_code == 400
    assert client.get("/documents/1?category=other").status_code == 200


def test_web_posts_are_checked_before_they_reach_the_database(client):
    ob_id = _first_id(client)
    for form in ({"do": "approve"}, {"do": "approve", "version": ""},
                 {"do": "approve", "version": HUGE * 2}, {"do": "approve", "version": "٣"}):
        response = client.post(f"/obligations/{ob_id}", data={"csrf_token": client.csrf, **form})
        assert response.status_code == 400, form
        assert "version" in response.text
    unknown = client.post(f"/obligations/{ob_id}", data={"csrf_token": client.csrf,
                                                         "do": "delete", "version": "1"})
    assert unknown.status_code == 400


def _first_id(client) -> str:
    import re

    return re.search(r'data-id="([0-9a-f]+)"', client.get("/queue?status=all").text).group(1)


def test_web_redirects_and_refusals_carry_the_security_headers(doc_app):
    anonymous = TestClient(doc_app[0], base_url="http://testserver")
    for response in (anonymous.get("/queue", follow_redirects=False),
                     anonymous.post("/logout"), anonymous.get("/login"),
                     anonymous.get("/static/app.css")):
        assert _has_headers(response), response.status_code


def test_web_server_error_page_carries_the_security_headers(doc_app, monkeypatch):
    """A bug of ours: a plain 500 page, headers on, nothing about the exception in it."""
    from web import pages

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    app = doc_app[0]
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    login(client, "alice")
    monkeypatch.setattr(pages, "_category_counts", broken)
    for accept in ("text/html", "application/json"):
        response = client.get("/", headers={"Accept": accept})
        assert response.status_code == 500
        assert _has_headers(response)
        assert "secret internals" not in response.text and "logged" in response.text


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("params", [
    {"cursor": _cursor([1, "abc"])}, {"cursor": _cursor({"a": 1, "b": 2})},
    {"cursor": _cursor(["2026-01-01T00:00:00Z", "x\u0000y"])}, {"cursor": _cursor("text")},
    {"cursor": _cursor(["0001-01-01T00:00:00+01:00", "ab"])}, {"cursor": "%%%"},
    {"cursor": "A" * 600}, {"since": "0001-01-01T00:00:00+01:00"},
    {"since": "9999-12-31T23:59:59-01:00"}, {"limit": "²"}, {"limit": "١٢"},
])
def test_api_malformed_parameters_are_400(doc_app, params):
    app, bearer = doc_app
    response = TestClient(app).get("/api/v1/obligations", params=params,
                                   headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 400, (params, response.text)
    assert response.json()["detail"]
    assert _has_headers(response)
