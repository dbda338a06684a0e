"""The review journey in a real browser: headless Chromium from Debian, driven by Playwright.

Log in, open a document, open an obligation, correct its deadline, approve it, and find it in
``obligations export --status approved``; then review twenty obligations from the keyboard and
count the keystrokes. Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_web_support import ROOT, fast_password_hashing, ingest_sample, make_user

from models import Obligation, get_engine, session_scope

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE = ROOT / "sample_docs" / "data_processing_agreement.pdf"
NEW_DEADLINE = "within 15 Business Days of the Termination Date"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(db_url, tmp_path):
    """The app on a free port, in a thread, against a temp database holding one sample."""
    import uvicorn

    from web.app import create_app

    pdf = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, pdf)
    app = create_app(db_url, secret_key="browser-test-" + "k" * 40, secure_cookies=False,
                     cache_dir=tmp_path / "pages")
    engine = get_engine(db_url)
    document_id = ingest_sample(engine, pdf)
    make_user(engine, "alice", "reviewer")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "engine": engine, "document": document_id,
           "db_url": db_url}
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        yield context.new_page()
        browser.close()


class Keys:
    """Presses keys on a page and counts them (a chord such as Control+Enter is one)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, key: str, *, navigates: bool = False) -> None:
        self.count += 1
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
        else:
            self.page.keyboard.press(key)


def _status(engine, obligation_id: str) -> Obligation:
    with session_scope(engine) as session:
        return session.get(Obligation, obligation_id)


def _export(db_url: str) -> list[dict]:
    cli = Path(sys.executable).with_name("obligations")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "cli.main"]
    done = subprocess.run(
        [*command, "export", "--status", "approved", "--db", db_url],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_browser_review_journey(server, page):
    base, engine = server["url"], server["engine"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    # Anonymous: sent to the login page.
    page.goto(base + "/")
    assert "/login" in page.url
    page.screenshot(path=ARTIFACTS / "login.png")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.screenshot(path=ARTIFACTS / "documents.png", full_page=True)

    # Open the document, then its review queue.
    page.click(f"a[href='/documents/{server['document']}']")
    page.wait_for_url(f"**/documents/{server['document']}")
    assert page.locator(".clause").count() > 0
    page.screenshot(path=ARTIFACTS / "document.png")
    page.click("text=Review this document")
    page.wait_for_url("**/queue?**")
    page.screenshot(path=ARTIFACTS / "queue.png")

    keys = Keys(page)
    keys.press("Enter", navigates=True)  # open the selected (first) obligation
    assert "/obligations/" in page.url
    first_id = page.url.rsplit("/", 1)[1]
    svg = page.locator(".page-svg").first
    svg.locator("image").evaluate("img => img.getBBox()")  # the page image is in place
    assert page.locator(".page-svg rect.hl").count() >= 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('.page-svg image')].every(i => i.getBBox().width)"
    )
    page.screenshot(path=ARTIFACTS / "obligation.png", full_page=True)

    # Correct the deadline from the keyboard: d (jump to it), type, Ctrl+Enter (save).
    keys.press("d")
    page.keyboard.press("Control+a")
    keys.count += 1
    page.keyboard.type(NEW_DEADLINE)
    keys.press("Control+Enter", navigates=True)
    assert page.locator(".message.ok").inner_text().startswith("Correction saved")
    assert page.input_value("input[name=deadline_text]") == NEW_DEADLINE
    assert _status(engine, first_id).status == "corrected"
    page.screenshot(path=ARTIFACTS / "obligation-corrected.png", full_page=True)

    # Approve it: a. The next obligation opens.
    keys.press("a", navigates=True)
    assert page.url.rsplit("/", 1)[1] != first_id
    approved = _status(engine, first_id)
    assert (approved.status, approved.deadline_text) == ("approved", NEW_DEADLINE)
    assert approved.reviewed_by == "alice"

    # It is in the export of approved obligations, with the corrected deadline.
    records = {r["obligation_id"]: r for r in _export(server["db_url"])}
    assert first_id in records
    assert records[first_id]["status"] == "approved"
    assert records[first_id]["deadline"]["text"] == NEW_DEADLINE
    assert records[first_id]["reviewed_by"] == "alice"
    assert not errors, errors


def test_browser_twenty_obligations_from_the_keyboard(server, page):
    """Approve (a) or reject (r) twenty obligations in a row: one key each, plus one to open
    the first from the queue."""
    base, engine = server["url"], server["engine"]
    page.goto(base + "/login")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{base}/queue?document={server['document']}&status=open")
    rows = page.locator("tr[data-id]").count()
    if rows < 21:
        pytest.skip(f"the sample has {rows} open obligations; the walk needs 21")
    keys = Keys(page)
    keys.press("j")  # start on the second row: k must come back
    keys.press("k")
    keys.press("Enter", navigates=True)
    seen = []
    for i in range(20):
        seen.append(page.url.rsplit("/", 1)[1])
        keys.press("r" if i == 7 else "a", navigates=True)
    page.screenshot(path=ARTIFACTS / "after-twenty.png")
    with session_scope(engine) as session:
        statuses = [session.get(Obligation, i).status for i in seen]
    assert len(set(seen)) == 20
    assert statuses.count("approved") == 19 and statuses.count("rejected") == 1
    # 20 decisions + Enter to open the first (+ the j/k that only showed navigation).
    assert keys.count - 2 == 21
    (ARTIFACTS / "keystrokes.txt").write_text(
        f"20 obligations reviewed (19 approved, 1 rejected) with {keys.count - 2} keystrokes\n"
    )


def test_browser_queue_keys_approve_and_reject_in_place(server, page):
    """In the queue itself: a / r decide the selected row and the selection moves on."""
    base, engine = server["url"], server["engine"]
    page.goto(base + "/login")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{base}/queue?document={server['document']}&status=open")
    page.keyboard.press("?")
    assert page.locator("dialog#help").is_visible()
    page.keyboard.press("?")
    ids = page.locator("tr[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")
    keys = Keys(page)
    for key in ("a", "r", "a"):
        keys.press(key, navigates=True)
    with session_scope(engine) as session:
        statuses = [session.get(Obligation, i).status for i in ids[:3]]
    assert statuses == ["approved", "rejected", "approved"]
    assert page.locator("tr.selected").get_attribute("data-id") == ids[3]
    assert keys.count == 3
    page.screenshot(path=ARTIFACTS / "queue-after-keys.png")
