"""Issue 11: the audit trail is complete. User and token administration is recorded with who
and when, from the web app and the command line; a review from the command line is recorded
under an active user, or as a script that says so, never under a name nobody has."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from test_web_support import fast_password_hashing, ingest_sample, login, make_user
from typer.testing import CliRunner

from models import ReviewEvent, get_engine, init_db, session_scope
from models.audit import admin_events
from models.models import AdminEvent, Obligation
from web.app import create_app

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    init_db(engine)
    return engine


@pytest.fixture
def cli(db_url, monkeypatch):
    from cli.main import app

    monkeypatch.setenv("OBLIGATIONS_USER", "ops-carol")  # the account at the shell
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(app, [*args, "--db", db_url], input=input)


def _events(engine) -> list[tuple]:
    with session_scope(engine) as session:
        return [(e.actor, e.via, e.action, e.target) for e in admin_events(session=session)]


def test_audit_web_user_administration_is_recorded(db_url, engine, tmp_path):
    app = create_app(db_url, secret_key="audit-" + "a" * 40, secure_cookies=False,
                     cache_dir=tmp_path)
    make_user(engine, "alice", "admin")
    make_user(engine, "bob")
    client = TestClient(app)
    token = login(client, "alice")
    for form in ({"do": "add", "name": "dave", "password": PASSWORD, "role": "reviewer"},
                 {"do": "role", "name": "dave", "role": "admin"},
                 {"do": "password", "name": "bob", "password": "another long one"},
                 {"do": "deactivate", "name": "bob"}, {"do": "activate", "name": "bob"}):
        assert client.post("/admin/users", data={"csrf_token": token, **form}).status_code == 200
    web = [e for e in _events(engine) if e[1] == "web"]
    assert web == [("alice", "web", "user.add", "dave"), ("alice", "web", "user.role", "dave"),
                   ("alice", "web", "user.password", "bob"),
                   ("alice", "web", "user.deactivate", "bob"),
                   ("alice", "web", "user.activate", "bob")]
    with session_scope(engine) as session:
        role = session.exec(select(AdminEvent).where(AdminEvent.action == "user.role")).one()
        assert role.detail == {"old": "reviewer", "new": "admin"} and role.at is not None
    page = client.get("/admin/users").text
    assert "user.deactivate" in page and "data-admin-events" in page
    # A refused change is not an event: nothing was done.
    client.post("/admin/users", data={"csrf_token": token, "do": "activate", "name": "bob"})
    assert len([e for e in _events(engine) if e[1] == "web"]) == 5


def test_audit_role_is_changed_by_a_button_not_by_the_dropdown(db_url, engine, tmp_path):
    app = create_app(db_url, secret_key="audit-" + "a" * 40, secure_cookies=False,
                     cache_dir=tmp_path)
    make_user(engine, "alice", "admin")
    make_user(engine, "bob")
    client = TestClient(app)
    login(client, "alice")
    page = client.get("/admin/users").text
    role_form = page.split('class="inline role-form"', 1)[1].split("</form>", 1)[0]
    assert "data-autosubmit" not in role_form and "Change role" in role_form
    assert role_form.lstrip().startswith('data-confirm="Change the role of bob?"')


def test_audit_cli_user_and_token_administration_is_recorded(cli, engine):
    assert cli("users", "add", "erin", "--role", "admin", "--password-stdin",
               input=PASSWORD + "\n").exit_code == 0
    assert cli("users", "set-role", "erin", "reviewer").exit_code == 0
    assert cli("users", "set-password", "erin", "--password-stdin",
               input="yet another one\n").exit_code == 0
    assert cli("users", "deactivate", "erin").exit_code == 0
    assert cli("users", "activate", "erin").exit_code == 0
    created = cli("tokens", "create", "--name", "registry")
    assert created.exit_code == 0
    assert cli("tokens", "revoke", "registry").exit_code == 0
    assert [e[2] for e in _events(engine)] == [
        "user.add", "user.role", "user.password", "user.deactivate", "user.activate",
        "token.create", "token.revoke"]
    assert {(e[0], e[1]) for e in _events(engine)} == {("ops-carol", "cli")}
    assert _events(engine)[-1][3] == "token 1 registry"
    listed = [json.loads(line) for line in cli("users", "events", "--json").stdout.splitlines()]
    assert [e["action"] for e in listed][-2:] == ["token.create", "token.revoke"]
    assert "user.deactivate" in cli("users", "events").stdout


@pytest.fixture
def obligations(engine) -> list[str]:
    doc = ingest_sample(engine)
    with session_scope(engine) as session:
        return [o.id for o in session.exec(select(Obligation).where(Obligation.document_id == doc)
                                           .order_by(Obligation.position))]


def test_audit_cli_review_needs_an_active_user(cli, engine, obligations):
    first = obligations[0]
    refused = cli("review", "approve", first, "--user", "not_a_real_user")
    assert refused.exit_code == 2 and "not an active user" in refused.output
    make_user(engine, "frank")
    cli("users", "deactivate", "frank")
    assert cli("review", "approve", first, "--user", "frank").exit_code == 2
    # the default is $OBLIGATIONS_USER, which names nobody here
    assert cli("review", "reject", first).exit_code == 2
    with session_scope(engine) as session:
        assert session.exec(select(ReviewEvent)).all() == []
        assert session.get(Obligation, first).status == "extracted"


def test_audit_cli_review_by_a_user_or_a_named_script(cli, engine, obligations):
    make_user(engine, "grace")
    assert cli("review", "approve", obligations[0], "--user", "grace").exit_code == 0
    done = cli("review", "approve", *obligations[1:3], "--as-system", "nightly-import")
    assert done.exit_code == 0, done.output
    both = cli("review", "approve", obligations[3], "--user", "grace", "--as-system", "x")
    assert both.exit_code == 2
    with session_scope(engine) as session:
        users = {e.obligation_id: e.user for e in session.exec(select(ReviewEvent))}
        reviewed_by = session.get(Obligation, obligations[1]).reviewed_by
    assert users == {obligations[0]: "grace", obligations[1]: "system:nightly-import",
                     obligations[2]: "system:nightly-import"}
    assert reviewed_by == "system:nightly-import"


def test_audit_cli_correct_reports_what_changed(cli, engine, obligations):
    make_user(engine, "grace")
    with session_scope(engine) as session:
        ob = session.get(Obligation, obligations[0])
        ob.trigger = "after the\nTermination Date"
    same = cli("review", "correct", obligations[0], "--trigger", "after the\r\nTermination Date",
               "--user", "grace")
    assert same.exit_code == 0 and "nothing to correct" in same.output
    changed = cli("review", "correct", obligations[0], "--deadline-text",
                  "within 15 Business Days of the Termination Date", "--user", "grace")
    assert changed.exit_code == 0
    assert "deadline_text" in changed.output and "read from the new deadline wording" in \
        changed.output.replace("\n", " ")
