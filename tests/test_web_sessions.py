"""Issue 11: sessions end on the server. A cookie captured before a logout, a password change,
a deactivation or a re-activation opens nothing after it; login throttling also slows one
client trying many names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from test_web_support import csrf_of, fast_password_hashing, login, make_user

from models import get_engine, session_scope
from models.audit import Actor
from models.models import UserSession, utcnow
from models.users import set_active, set_password
from web.app import SESSION_COOKIE, create_app

pytestmark = pytest.mark.integration
SECRET = "sessions-" + "s" * 40
ADMIN = Actor("alice", "web")


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture(params=["db_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def database(request):
    """The same tests on SQLite and on PostgreSQL (where a server is reachable)."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def app(database, tmp_path):
    app = create_app(database, secret_key=SECRET, secure_cookies=False, cache_dir=tmp_path)
    engine = get_engine(database)
    make_user(engine, "alice", "admin")
    make_user(engine, "bob", "reviewer")
    return app


@pytest.fixture
def engine(app, database):
    return get_engine(database)


def _client(app, cookie: str | None = None) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    if cookie:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client


def _captured(app, name="bob"):
    """A logged-in client and a copy of its cookie, as an attacker would keep it."""
    client = _client(app)
    token = login(client, name)
    return client, token, client.cookies.get(SESSION_COOKIE)


def _opens(app, cookie) -> bool:
    return _client(app, cookie).get("/queue", follow_redirects=False).status_code == 200


def test_web_logout_ends_the_session_for_every_copy_of_the_cookie(app, engine):
    client, token, cookie = _captured(app)
    assert _opens(app, cookie)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert not _opens(app, cookie)  # the replayed cookie: sent to the login page
    replay = _client(app, cookie).get("/queue", follow_redirects=False)
    assert replay.headers["location"].startswith("/login")
    with session_scope(engine) as session:
        (row,) = session.exec(select(UserSession)).all()
        assert row.ended_reason == "logout" and row.ended_at is not None


def test_web_logout_ends_only_that_session(app):
    laptop, token, _ = _captured(app)
    _, _, phone = _captured(app)
    laptop.post("/logout", data={"csrf_token": token})
    assert _opens(app, phone)


@pytest.mark.parametrize("change", ["password", "deactivate", "deactivate-and-activate"])
def test_web_access_changes_end_earlier_sessions(app, engine, change):
    _, _, cookie = _captured(app)
    with session_scope(engine) as session:
        if change == "password":
            set_password(session=session, name="bob", password="a brand new one", by=ADMIN)
        else:
            set_active(session=session, name="bob", active=False, by=ADMIN)
    if change == "deactivate-and-activate":
        with session_scope(engine) as session:
            set_active(session=session, name="bob", active=True, by=ADMIN)
    # Re-activation does not revive the cookie from before the deactivation.
    assert not _opens(app, cookie)
    if change != "deactivate":
        password = "a brand new one" if change == "password" else "correct horse battery"
        fresh = _client(app)
        login(fresh, "bob", password)
        assert fresh.get("/queue", follow_redirects=False).status_code == 200


def test_web_admin_deactivating_a_user_in_the_app_ends_their_sessions(app):
    admin = _client(app)
    token = login(admin, "alice")
    _, _, cookie = _captured(app)
    admin.post("/admin/users", data={"csrf_token": token, "do": "deactivate", "name": "bob"})
    admin.post("/admin/users", data={"csrf_token": token, "do": "activate", "name": "bob"})
    assert not _opens(app, cookie)


def test_web_expired_session_opens_nothing(app, engine):
    _, _, cookie = _captured(app)
    with session_scope(engine) as session:
        row = session.exec(select(UserSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert not _opens(app, cookie)
    with session_scope(engine) as session:
        assert session.exec(select(UserSession)).one().ended_reason == "expired"


def test_web_a_forged_or_foreign_session_token_opens_nothing(app):
    import json
    from base64 import b64encode

    import itsdangerous

    data = b64encode(json.dumps({"sid": "x" * 43}).encode())
    forged = itsdangerous.TimestampSigner(SECRET).sign(data).decode()
    assert not _opens(app, forged)


def test_web_one_client_trying_many_names_is_slowed(app):
    """Password spraying: one guess per name, many names, one client."""
    app.state.login_throttle.per_client = 5
    client = _client(app)
    token = csrf_of(client.get("/login").text)
    for n in range(5):
        wrong = client.post("/login", data={"name": f"user{n}", "password": "Spring2026!",
                                            "csrf_token": token})
        assert wrong.status_code == 401
    blocked = client.post("/login", data={"name": "bob", "password": "correct horse battery",
                                          "csrf_token": token}, follow_redirects=False)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    # Another client is not locked out by it.
    other = TestClient(app, base_url="http://testserver", client=("10.0.0.9", 50000))
    login(other, "bob")
