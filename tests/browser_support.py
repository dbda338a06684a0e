"""Fixtures of the browser tests: the app on a free port in a thread, headless Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_web_support import ROOT, ingest_sample, make_user

from models import get_engine

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE = ROOT / "sample_docs" / "data_processing_agreement.pdf"
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(app) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread: its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(db_url, tmp_path):
    """The app on a free port, in a thread, against a temp database holding one sample."""
    from web.app import create_app

    pdf = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, pdf)
    app = create_app(db_url, secret_key="browser-test-" + "k" * 40, secure_cookies=False,
                     cache_dir=tmp_path / "pages")
    engine = get_engine(db_url)
    document_id = ingest_sample(engine, pdf)
    make_user(engine, "alice", "reviewer")
    with served(app) as url:
        yield {"url": url, "engine": engine, "document": document_id, "db_url": db_url}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield context.new_page()
    context.close()


def log_in(page, base: str, name: str = "alice") -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


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
