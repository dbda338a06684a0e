"""Starting a run from the review app (web/runs.py, flows.launch): who may, what is refused,
and a run to the end without a Prefect server (a background process on this machine), seen
over HTTP, on the Documents page, by ``obligations status`` and live in headless Chromium."""

from __future__ import annotations

import re
import time

import pytest
from browser_support import ARTIFACTS, browser, log_in, server  # noqa: F401  fixtures
from fastapi.testclient import TestClient
from sqlmodel import select
from test_web_support import PASSWORD, csrf_of, fast_password_hashing, login, make_user
from typer.testing import CliRunner

from models import Run, get_engine, session_scope
from models.docstore import get_store
from web.app import create_app

pytestmark = pytest.mark.integration
SAMPLE_NAME = "calloff_order_form.pdf"


@pytest.fixture
def app(db_url, tmp_path, monkeypatch):
    fast_password_hashing(monkeypatch)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("OBLIGATIONS_DROP_FOLDER", raising=False)
    app = create_app(db_url, secret_key="runs-" + "r" * 40, secure_cookies=False,
                     cache_dir=tmp_path / "pages")
    engine = get_engine(db_url)
    make_user(engine, "rita", "runner")
    make_user(engine, "bob", "reviewer")
    make_user(engine, "alice", "admin")
    return app


def _pdf() -> bytes:
    from conftest import SAMPLE_DOCS

    return (SAMPLE_DOCS / SAMPLE_NAME).read_bytes()


def test_web_runs_only_runners_and_admins_start_runs(app):
    reviewer = TestClient(app)
    token = login(reviewer, "bob")
    assert "Start a run" not in reviewer.get("/").text
    assert reviewer.get("/runs/new").status_code == 403
    response = reviewer.post("/runs", data={"csrf_token": token, "source": "upload"},
                             files={"documents": (SAMPLE_NAME, _pdf(), "application/pdf")})
    assert response.status_code == 403
    for name in ("rita", "alice"):
        client = TestClient(app)
        login(client, name)
        page = client.get("/runs/new")
        assert page.status_code == 200 and 'href="/runs/new"' in client.get("/").text
        assert "In the background on this server" in page.text
        assert 'value="drop-folder" disabled' in page.text  # no drop folder configured


def test_web_runs_refuses_what_it_cannot_run(app):
    client = TestClient(app)
    token = login(client, "rita")
    cases = [
        ({"source": "upload"}, None, "Choose at least one PDF"),
        ({"source": "upload"}, ("minutes.pdf", b"<html>no</html>", "application/pdf"),
         "minutes.pdf is not a PDF"),
        ({"source": "drop-folder"}, None, "No drop folder"),
        ({"source": "ftp"}, None, "Unknown source"),
        ({"source": "upload", "contract_type": "lease"}, None, "Unknown source or contract"),
    ]
    for data, upload, message in cases:
        response = client.post("/runs", data={"csrf_token": token, **data},
                               files={"documents": upload} if upload else None)
        assert response.status_code == 400 and message in response.text, (data, response.text)
    with session_scope(app.state.engine) as session:
        assert not session.exec(select(Run)).all()  # nothing recorded for a refused start
    assert client.get("/runs/12345").status_code == 404
    assert client.get("/runs/12345/progress").status_code == 404


def _wait_finished(client, run_id: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/runs/{run_id}/progress").json()
        if data["finished"]:
            return data
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish: {data}")


def test_web_runs_upload_runs_in_the_background_to_the_end(app, db_url):
    client = TestClient(app)
    token = login(client, "rita")
    response = client.post(
        "/runs", follow_redirects=False,
        data={"csrf_token": token, "source": "upload", "contract_type": "supplier",
              "counterparty": "Acme Networks Ltd"},
        files=[("documents", (SAMPLE_NAME, _pdf(), "application/pdf")),
               ("documents", ("copy of it.pdf", _pdf(), "application/pdf"))])
    assert response.status_code == 303
    run_id = int(re.fullmatch(r"/runs/(\d+)", response.headers["location"]).group(1))
    page = client.get(f"/runs/{run_id}")
    assert "started by <strong>rita</strong>" in page.text and "data-progress-url" in page.text
    data = _wait_finished(client, run_id)
    assert (data["status"], data["origin"], data["started_by"]) == ("completed", "web", "rita")
    assert (data["total"], data["processed"], data["skipped"], data["failed"]) == (2, 1, 1, 0)
    done = next(d for d in data["documents"] if d["status"] == "processed")
    assert done["url"].startswith("/documents/")
    final = client.get(f"/runs/{run_id}").text
    assert "Finished: every document was read." in final and done["url"] in final
    with session_scope(get_engine(db_url)) as session:
        run = session.get(Run, run_id)
        doc_id = int(done["url"].rsplit("/", 1)[1])
        from models import Document

        document = session.get(Document, doc_id)
    assert run.flow_run_id and run.pid and run.finished_at
    assert (document.counterparty, document.contract_type) == ("Acme Networks Ltd", "supplier")
    assert get_store().get(document.sha256) == _pdf()
    assert client.get(f"{done['url']}/pages/1.png").status_code == 200  # from the store
    assert f'href="/runs/{run_id}"' in client.get("/").text  # the Documents page lists it
    from cli.main import app as cli

    status = CliRunner().invoke(cli, ["status", "--db", db_url], env={"COLUMNS": "200"})
    assert re.search(rf"│ {run_id}\s+│ ingest web \(rita\)\s+│", status.output), status.output


def test_web_runs_progress_page_updates_live_in_the_browser(server, browser):  # noqa: F811
    make_user(server["engine"], "rita", "runner")
    from conftest import SAMPLE_DOCS

    for width, height, name in ((1440, 900, "wide"), (390, 844, "phone")):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        log_in_as(page, server["url"], "rita")
        page.goto(server["url"] + "/runs/new")
        page.screenshot(path=str(ARTIFACTS / f"runs-new-{name}.png"), full_page=True)
        page.set_input_files("input[name=documents]", str(SAMPLE_DOCS / SAMPLE_NAME))
        page.fill("#counterparty", "Acme Networks Ltd")
        page.click("button:has-text('Start the run')")
        page.wait_for_url(re.compile(r".*/runs/\d+$"))
        assert page.locator("[data-run-status]").inner_text() in ("queued", "running")
        page.screenshot(path=str(ARTIFACTS / f"run-progress-{name}.png"), full_page=True)
        page.wait_for_selector("[data-finished=yes]", timeout=180_000)  # reloaded at the end
        assert "Finished: every document was read." in page.inner_text("[data-state-text]")
        link = page.locator("table.run-documents a").first
        assert link.inner_text() == SAMPLE_NAME
        page.screenshot(path=str(ARTIFACTS / f"run-finished-{name}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"the page scrolls sideways at {width}px"
        context.close()


def log_in_as(page, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


__all__ = ["csrf_of", "log_in"]
