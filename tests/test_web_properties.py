"""Property-based tests of the whole web app with Schemathesis: every operation of its OpenAPI
schema (the review pages, their forms and ``/api/v1``), called in process with generated
valid and invalid parameters and bodies, as a logged-in admin with a valid CSRF token and API
token. No input may yield a server error (500): bad input is a 4xx that says what is wrong.

Each case gets a session of its own, so that a generated password change or deactivation in
one case does not decide what the next one can reach.
"""

from __future__ import annotations

import json
import shutil
from base64 import b64encode

import itsdangerous
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from test_web_support import SAMPLE, fast_password_hashing, ingest_sample, make_user

from models import get_engine, session_scope
from models.audit import Actor
from models.sessions import open_session
from models.tokens import create_token
from models.users import get_user
from web.app import SESSION_COOKIE, create_app

pytestmark = pytest.mark.integration

SECRET = "properties-" + "p" * 40
CSRF = "csrf-token-for-the-property-tests"
# Logging out ends the session the case runs in; nothing else to learn from it.
SKIPPED = {("POST", "/logout")}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    fast_password_hashing(monkeypatch)
    root = tmp_path_factory.mktemp("properties")
    db_url = f"sqlite:///{root / 'obligations.db'}"
    pdf = root / SAMPLE.name
    shutil.copy(SAMPLE, pdf)
    app = create_app(db_url, secret_key=SECRET, secure_cookies=False, cache_dir=root / "pages")
    engine = get_engine(db_url)
    ingest_sample(engine, pdf)
    make_user(engine, "alice", "admin")
    make_user(engine, "bob", "reviewer")
    with session_scope(engine) as session:
        bearer = create_token(session=session, name="registry", by=Actor("root", "cli"))[1]
    yield {"app": app, "engine": engine, "bearer": bearer}
    monkeypatch.undo()


def _cases() -> list:
    """(method, path, mode) for every operation in the app's OpenAPI schema (read from an app
    on an empty in-memory database: the routes do not depend on the data): valid inputs for
    each, invalid ones for each that takes any."""
    spec = create_app("sqlite://", secret_key=SECRET, secure_cookies=False).openapi()
    cases = []
    for path, methods in sorted(spec["paths"].items()):
        for method, operation in sorted(methods.items()):
            if (method.upper(), path) in SKIPPED:
                continue
            modes = [GenerationMode.POSITIVE]
            if operation.get("parameters") or operation.get("requestBody"):
                modes.append(GenerationMode.NEGATIVE)
            cases += [pytest.param(method.upper(), path, mode,
                                   id=f"{method.upper()} {path} {mode.value}") for mode in modes]
    return cases


@pytest.fixture(scope="module")
def web_schema(web):
    schema = schemathesis.openapi.from_dict(web["app"].openapi())
    schema.app = web["app"]
    return schema


def _headers(web) -> dict[str, str]:
    """A fresh admin session (as the login page opens one), its CSRF token, the API token."""
    with session_scope(web["engine"]) as session:
        token = open_session(session=session, user=get_user(session=session, name="alice"))
    data = b64encode(json.dumps({"sid": token, "csrf": CSRF}).encode())
    cookie = itsdangerous.TimestampSigner(SECRET).sign(data).decode()
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", "X-CSRF-Token": CSRF,
            "Authorization": f"Bearer {web['bearer']}", "Accept": "text/html"}


@pytest.mark.parametrize("method, path, mode", _cases())
def test_web_properties_no_input_is_a_server_error(web, web_schema, method, path, mode):
    operation = web_schema[path][method.lower()]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(headers=_headers(web), checks=[not_a_server_error])

    call()


def test_web_properties_cases_are_logged_in(web):
    """The generated calls reach the pages and the API as a logged-in admin and a registry
    client (a test of redirects to the login page would prove nothing)."""
    from fastapi.testclient import TestClient

    client = TestClient(web["app"])
    headers = _headers(web)
    assert client.get("/admin/users", headers=headers, follow_redirects=False).status_code == 200
    assert client.get("/api/v1/obligations", headers=headers).status_code == 200
    posted = client.post("/admin/users", headers=headers, data={"do": "nonsense"})
    assert posted.status_code == 400  # past the CSRF check: refused for what it asked


def test_web_properties_cover_the_pages_and_the_api(web):
    """The schema the property test walks holds the review pages, not only the API: a page
    router dropped from it would make the test above prove nothing about the pages."""
    paths = set(web["app"].openapi()["paths"])
    assert {"/api/v1/obligations", "/queue", "/obligations/{obligation_id}",
            "/documents/{document_id}", "/documents/{document_id}/pages/{page}.png",
            "/clauses/{clause_id}/add", "/admin/users"} <= paths
