"""Issue 11 in a real browser: the layout at 1440×900, 1366×768 and 390×844 (the decision
buttons in view without scrolling on a desktop, nothing wider than a phone, the source readable
and the form near the top on a phone), and the queue a page at a time from the keyboard.
Screenshots of every page at every size go to ``test-artifacts/``."""

from __future__ import annotations

import browser_support
import pytest
from browser_support import ARTIFACTS, CHROMIUM, log_in
from sqlmodel import select
from test_web_support import fast_password_hashing, make_user

from models import Clause, Obligation, queue, session_scope

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
server, browser = browser_support.server, browser_support.browser
SIZES = [(1440, 900), (1366, 768), (390, 844)]
PHONE = 390


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture
def admin(server) -> str:
    """An administrator: the widest top bar (Start a run, Users, the role badge)."""
    from models import User

    with session_scope(server["engine"]) as session:
        known = session.exec(select(User).where(User.name == "ada")).first() is not None
    if not known:
        make_user(server["engine"], "ada", "admin")
    return "ada"


def _ids(server) -> tuple[str, int]:
    with session_scope(server["engine"]) as session:
        ob = session.exec(select(Obligation).order_by(Obligation.page, Obligation.position)).first()
        clause = session.exec(select(Clause).where(Clause.id == ob.clause_id)).one()
        return ob.id, clause.id


def _width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_browser_layout_fits_the_screen(server, browser, admin, width, height):
    base = server["url"]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, base, admin)
    ob_id, clause_id = _ids(server)
    pages = {"documents": "/", "queue": "/queue?status=open",
             "document": f"/documents/{server['document']}", "add": f"/clauses/{clause_id}/add",
             "obligation": f"/obligations/{ob_id}"}
    for name, url in pages.items():
        page.goto(base + url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=ARTIFACTS / f"{name}-{width}x{height}.png")
        assert _width(page) <= width, f"{url} is {_width(page)} px wide at {width}"
        logout = page.locator("button:has-text('Log out')").bounding_box()
        assert logout and logout["x"] + logout["width"] <= width, "Log out is cut off"
        for link in page.locator(".mainnav a").all():  # every destination in sight, none
            box = link.bounding_box()                   # scrolled away inside the bar
            assert box and box["x"] + box["width"] <= width, f"{link.inner_text()} is off-screen"
    # On the obligation page (the last one opened):
    approve = page.locator("button[data-do=approve]")
    if width > PHONE:
        box = approve.bounding_box()  # in view as the page opens, no scrolling
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
        assert page.locator("button[data-do=reject]").bounding_box()["y"] + 10 < height
    else:
        form_top = page.locator("#review-form").bounding_box()["y"]
        assert form_top < 1.5 * height, f"the form starts {form_top} px down"
        page.locator("#review-form").scroll_into_view_if_needed()
        box = approve.bounding_box()
        assert box["y"] + box["height"] <= height
    svg = page.locator(".page-svg").first
    shown = svg.bounding_box()["width"]
    band = float(svg.get_attribute("viewBox").split()[2])
    assert shown / band >= 0.9, f"the page is shown at {shown / band:.2f} of its printed size"
    context.close()


def test_browser_queue_a_page_at_a_time(server, browser, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 10)
    base = server["url"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(page, base)
    page.goto(f"{base}/queue?document={server['document']}&status=all")
    total = int(page.locator(".page-head .count").inner_text())
    if total <= 20:
        pytest.skip(f"the sample has {total} obligations; three pages need 21")
    first = page.locator("tr[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert len(first) == 10 and "Showing 1–10 of" in page.inner_text(".active-filters")
    with page.expect_navigation():
        page.keyboard.press("n")
    assert "page=2" in page.url and "Showing 11–20 of" in page.inner_text(".active-filters")
    second = page.locator("tr[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert not set(first) & set(second)
    for _ in range(9):
        page.keyboard.press("j")
    with page.expect_navigation():  # j past the last row: the next page
        page.keyboard.press("j")
    assert "page=3" in page.url
    with page.expect_navigation():
        page.keyboard.press("p")
    assert "page=2" in page.url
    page.screenshot(path=ARTIFACTS / "queue-page-2.png")
    # Enter opens the obligation with its source, and "back to the queue" comes back here.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".page-svg").count() >= 1
    with page.expect_navigation():
        page.keyboard.press("u")
    assert "Showing 11–20 of" in page.inner_text(".active-filters")
