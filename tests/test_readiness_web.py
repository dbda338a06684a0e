"""Exit readiness in the web app (web.readiness): the estate matrix, a contract's checklist,
the timeline chart and its downloads, handover marks and gaps, the registry's API, and a
lawyer's journey in headless Chromium."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_export_support import ingest, open_engine
from test_web_support import fast_password_hashing, login, make_user

from models import Document, get_engine, session_scope
from models.audit import Actor
from models.models import HandoverMark
from models.tokens import create_token
from web.app import create_app

pytestmark = pytest.mark.integration
SECRET = "readiness-test-" + "s" * 40


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("readiness-web") / "template.db"
    engine = open_engine(f"sqlite:///{path}")
    ingest(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_url(template, tmp_path):
    path = tmp_path / "obligations.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    make_user(get_engine(url), "alice", "reviewer")
    return url


@pytest.fixture
def web(db_url, tmp_path):
    app = create_app(db_url, secret_key=SECRET, secure_cookies=False, cache_dir=tmp_path / "p")
    client = TestClient(app, base_url="http://testserver")
    token = login(client, "alice")
    return client, token


def _id(db_url, name) -> int:
    with Session(get_engine(db_url)) as session:
        return session.exec(select(Document).where(Document.source_file == name)).one().id


def test_web_readiness_estate_matrix_links_every_cell(web, db_url):
    client, _ = web
    page = client.get("/readiness")
    assert page.status_code == 200
    html = page.text
    assert html.count('<td class="cell ') == 9 * 17
    jv = _id(db_url, "jv_services_agreement.pdf")
    assert f'href="/readiness/documents/{jv}#item-exit_plan"' in html
    assert html.count('class="cell present"') > html.count('class="cell missing"')
    assert 'aria-current="page">Exit readiness' in html  # the nav link


def test_web_readiness_document_page_shows_clauses_behind_each_item(web, db_url):
    client, _ = web
    amendment = _id(db_url, "jv_exit_amendment.pdf")
    html = client.get(f"/readiness/documents/{amendment}").text
    assert 'id="item-deletion_certificate"' in html
    assert f'href="/documents/{amendment}#clause-' in html
    assert "no party" in html  # termination for convenience in 2.9: weak, and why
    assert client.get("/readiness/documents/99999").status_code == 404


def test_web_readiness_timeline_chart_and_downloads(web, db_url):
    client, _ = web
    jv = _id(db_url, "jv_services_agreement.pdf")
    query = f"document={jv}&termination_date=2027-03-24&exit_date=2027-09-30"
    html = client.get(f"/readiness/timeline?{query}").text
    assert '<svg class="timeline-chart"' in html
    assert html.count('<circle class="mark') >= 20
    assert ">Company</text>" in html and ">Council</text>" in html  # one lane per party
    assert "2027-04-23" in html  # 20 working days after 24 March 2027, over Easter
    csv_file = client.get(f"/readiness/timeline.csv?{query}")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "2027-04-23" in csv_file.text
    ics = client.get(f"/readiness/timeline.ics?{query}")
    assert ics.content.startswith(b"BEGIN:VCALENDAR")
    bad = client.get("/readiness/timeline?exit_date=31/12/2027")
    assert bad.status_code == 400 and "is not a date" in bad.text


def test_web_readiness_handover_marks_need_the_csrf_token(web, db_url):
    client, token = web
    jv = _id(db_url, "jv_services_agreement.pdf")
    new = _id(db_url, "managed_it_services_contract.pdf")
    refused = client.post(f"/readiness/documents/{jv}/handover", data={"role": "outgoing"})
    assert refused.status_code == 403
    for doc, role in ((jv, "outgoing"), (new, "incoming")):
        done = client.post(f"/readiness/documents/{doc}/handover",
                           data={"role": role, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303
    with Session(get_engine(db_url)) as session:
        marks = {m.document_id: (m.role, m.marked_by) for m in session.exec(select(HandoverMark))}
    assert marks == {jv: ("outgoing", "alice"), new: ("incoming", "alice")}
    html = client.get("/readiness/handover").text
    assert "nobody takes it on" in html and "Sub-contracts and licences" in html
    client.post(f"/readiness/documents/{jv}/handover", data={"role": "none", "csrf_token": token})
    with Session(get_engine(db_url)) as session:
        assert session.get(HandoverMark, jv) is None


def test_web_readiness_api_serves_the_record_to_a_token_only(web, db_url):
    client, _ = web
    with session_scope(get_engine(db_url)) as session:
        secret = create_token(session=session, name="registry", by=Actor("root", "cli"))[1]
        sha = session.exec(select(Document.sha256).where(
            Document.source_file == "jv_services_agreement.pdf")).one()
    assert client.get(f"/api/v1/exit-readiness/{sha}").status_code == 401  # a session is not a token
    anonymous = TestClient(client.app)
    ok = anonymous.get(f"/api/v1/exit-readiness/{sha}?exit_date=2027-09-30",
                       headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["schema_version"] == "1" and body["document"]["sha256"] == sha
    assert body["timeline"]["events"] == {"exit_date": "2027-09-30"}
    missing = anonymous.get("/api/v1/exit-readiness/" + "0" * 64,
                            headers={"Authorization": f"Bearer {secret}"})
    assert missing.status_code == 404


# --- in the browser ------------------------------------------------------------------------------------


@pytest.fixture
def server(db_url, tmp_path):
    from browser_support import served

    app = create_app(db_url, secret_key=SECRET, secure_cookies=False, cache_dir=tmp_path / "p")
    with served(app) as url:
        yield url


@pytest.mark.browser
def test_browser_readiness_matrix_to_clause_and_timeline(server, db_url):
    from playwright.sync_api import sync_playwright
    from test_browser import ARTIFACTS, CHROMIUM
    from test_web_support import PASSWORD

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/login?next=/readiness")
        page.fill("input[name=name]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("table.matrix")
        page.screenshot(path=str(ARTIFACTS / "readiness-estate.png"), full_page=True)
        # A lawyer clicks the amendment's red "data deletion" cell and lands on that item.
        row = page.locator("tr", has_text="jv_exit_amendment.pdf")
        row.locator("td.cell").nth(8).locator("a").click()
        page.wait_for_url("**#item-data_deletion")
        assert page.locator("#item-data_deletion h2").inner_text().endswith("Deletion of data and copies")
        # The timeline: dates in, a chart out, with one dot per due date.
        page.goto(f"{server}/readiness/timeline")
        page.select_option("select[name=document]", label="jv_services_agreement.pdf")
        page.fill("input[name=termination_date]", "2027-03-24")
        page.click("button:has-text('Show the timeline')")
        page.wait_for_selector("svg.timeline-chart circle.mark")
        assert page.locator("svg.timeline-chart circle.mark").count() >= 20
        page.screenshot(path=str(ARTIFACTS / "readiness-timeline.png"), full_page=False)
        browser.close()
    assert errors == []  # the Content-Security-Policy let everything load
