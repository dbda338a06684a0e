"""Issue 11 in the review pages: no phantom corrections from the browser's form, the version
required, a comment kept through a conflict, deadline parts announced and contradictions
flagged, a paginated queue that decides from the list only when asked, a flag for a missing
obligor, each clause once on the document page, and reviewer additions shown as such."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from test_web_support import (
    fast_password_hashing,
    first_obligation,
    ingest_sample,
    login,
    make_user,
    sample_extraction,
)

from models import Clause, Obligation, ReviewEvent, get_engine, queue, review, session_scope
from web.app import create_app

pytestmark = pytest.mark.integration
ROW = re.compile(r'<tr data-id="([0-9a-f]+)"')


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture
def engine(db_url, tmp_path):
    app = create_app(
        db_url, secret_key="review-" + "r" * 40, secure_cookies=False, cache_dir=tmp_path / "pages"
    )
    engine = get_engine(db_url)
    engine.app = app
    ingest_sample(engine, extraction=sample_extraction())
    make_user(engine, "alice", "admin")
    make_user(engine, "bob")
    return engine


def _client(engine, name="bob"):
    client = TestClient(engine.app)
    client.csrf = login(client, name)
    return client


def _page_form(html: str) -> dict:
    """The review form as a browser posts it: every field, textareas with CRLF line breaks."""
    form = html.split('id="review-form"', 1)[1].split("</form>", 1)[0]
    data: dict = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        if name != "categories":
            data[name] = value
    data["categories"] = re.findall(r'name="categories" value="([^"]+)"[^>]*checked', form)
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = value.replace("\n", "\r\n")
    for name, body in re.findall(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    import html as html_lib

    return {k: html_lib.unescape(v) if isinstance(v, str) else v for k, v in data.items()}


def test_web_approving_untouched_records_no_correction(engine):
    """A trigger with a line break (as extractors before 0.2.0 wrote 53 of 545 sample
    triggers): approving it as the browser posts it (CRLF) must not log "correct trigger"."""
    ob = first_obligation(engine, 1)
    with session_scope(engine) as session:
        session.get(Obligation, ob.id).trigger = "after the\nTermination Date"
    with session_scope(engine) as session:
        ob = session.get(Obligation, ob.id)  # the edit above is a change: a new version
    client = _client(engine)
    form = _page_form(client.get(f"/obligations/{ob.id}").text)
    assert form["trigger"] == "after the\r\nTermination Date"
    response = client.post(
        f"/obligations/{ob.id}", data={**form, "do": "approve"}, follow_redirects=False
    )
    assert response.status_code == 303
    with session_scope(engine) as session:
        events = session.exec(select(ReviewEvent).where(ReviewEvent.obligation_id == ob.id)).all()
        after = session.get(Obligation, ob.id)
    assert [(e.action, e.field) for e in events] == [("approve", "status")]
    assert (after.status, after.version, after.trigger) == (
        "approved",
        ob.version + 1,
        "after the\nTermination Date",
    )


def test_web_post_without_version_is_refused(engine):
    ob = first_obligation(engine, 1)
    client = _client(engine)
    form = _page_form(client.get(f"/obligations/{ob.id}").text)
    del form["version"]
    response = client.post(
        f"/obligations/{ob.id}", data={**form, "obligor": "Council", "do": "save"}
    )
    assert response.status_code == 400 and "version" in response.text
    assert first_obligation(engine, 1).obligor == ob.obligor


def test_web_comment_survives_a_conflict(engine):
    ob = first_obligation(engine, 1)
    alice, bob = _client(engine, "alice"), _client(engine, "bob")
    stale = _page_form(bob.get(f"/obligations/{ob.id}").text)
    alice.post(
        f"/obligations/{ob.id}",
        data={**_page_form(alice.get(f"/obligations/{ob.id}").text), "do": "approve"},
    )
    late = bob.post(
        f"/obligations/{ob.id}",
        data={**stale, "do": "reject", "comment": "Duplicates clause 4.2; see the exit plan"},
    )
    assert late.status_code == 409
    comment = re.search(r'<textarea name="comment"[^>]*>(.*?)</textarea>', late.text, re.S)
    assert comment.group(1) == "Duplicates clause 4.2; see the exit plan"


def test_web_new_deadline_words_are_announced_and_contradictions_flagged(engine):
    ob = first_obligation(engine, 1)
    client = _client(engine)
    form = _page_form(client.get(f"/obligations/{ob.id}").text)
    saved = client.post(
        f"/obligations/{ob.id}",
        data={
            **form,
            "do": "save",
            "deadline_text": "within 45 days after the Exit Date",
            "deadline_duration": "P60D",
        },
    )
    assert saved.status_code == 200
    assert "Read from the new deadline wording" in saved.text  # the note, before anything else
    assert "data-deadline-mismatch" in saved.text and "P45D" in saved.text
    queue_page = client.get("/queue?status=all").text
    row = queue_page.split(f'data-id="{ob.id}"', 1)[1].split("</tr>", 1)[0]
    assert "deadline mismatch" in row
    reading = client.get("/deadline-reading", params={"text": "within 10 Business Days"})
    assert reading.json()["deadline_duration"] == "P10D"
    assert reading.json()["deadline_business_days"] is True


def test_web_queue_pages_have_a_stable_order_and_counts(engine, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 5)
    client = _client(engine)
    with session_scope(engine) as session:
        expected = [
            o.id
            for o in review.list_queue(session=session, filters=review.QueueFilter(status=None))
        ]
    assert len(expected) > 10, "the sample needs three pages"
    seen = []
    for page in range(1, (len(expected) + 4) // 5 + 1):
        html = client.get(f"/queue?status=all&page={page}").text
        rows = ROW.findall(html)
        assert (
            f"Showing <strong>{len(seen) + 1}–{len(seen) + len(rows)}</strong> of "
            f"<strong>{len(expected)}</strong>" in html
        )
        seen += rows
    past_the_end = client.get(f"/queue?status=all&page={page + 5}").text
    assert ROW.findall(past_the_end) == rows  # the last page, not an empty one
    assert seen == expected  # every row once, in review order, across the page boundaries
    # the page that holds an obligation, when the queue is opened at it
    tenth = client.get(f"/queue?status=all&selected={expected[9]}").text
    assert ROW.findall(tenth) == expected[5:10]


def test_web_queue_decides_from_the_list_only_when_asked(engine):
    client = _client(engine)
    plain = client.get("/queue")
    assert "data-approve" not in plain.text and "Quick decisions: off" in plain.text
    quick = client.get("/queue?quick=1")
    assert "data-approve" in quick.text and "Quick decisions: on" in quick.text


def test_web_missing_obligor_is_flagged_not_a_question_mark(engine):
    ob = first_obligation(engine, 1)
    with session_scope(engine) as session:
        session.get(Obligation, ob.id).obligor = None
    client = _client(engine)
    html = client.get("/queue?status=all").text
    row = html.split(f'data-id="{ob.id}"', 1)[1].split("</tr>", 1)[0]
    assert "no party found" in row and "?</strong>" not in row
    only = client.get(f"/queue?status=all&obligor={queue.NO_PARTY}").text
    assert ROW.findall(only) == [ob.id]


def test_web_document_page_shows_each_clause_once(engine):
    client = _client(engine)
    with session_scope(engine) as session:
        two = [c for c in session.exec(select(Clause)) if len(c.categories or []) > 1]
        session.get(Clause, two[0].id if two else 1).categories = ["exit", "termination"]
    html = client.get("/documents/1").text
    ids = re.findall(r'id="(clause-\d+)"', html)
    assert ids and len(ids) == len(set(ids))
    assert re.search(r"\b1 pages\b", html) is None
    # rule ids behind "why", not beside the heading
    assert all(
        "<details" in block.split("<code>", 1)[0][-400:]
        for block in html.split('class="clause"')[1:]
        if "<code>" in block
    )


def test_web_reviewer_addition_highlights_its_sentence_and_says_who_wrote_it(engine):
    client = _client(engine)
    with session_scope(engine) as session:
        clause = next(
            c
            for c in session.exec(select(Clause).order_by(Clause.position))
            if len(review.quotable_units(c.text)) >= 3 and "shall" in c.text
        )
    units = [" ".join(u.split()) for u in review.quotable_units(clause.text)]
    sentence = next(u for u in units[1:] if "shall" in u)
    response = client.post(
        f"/clauses/{clause.id}/add",
        follow_redirects=False,
        data={
            "csrf_token": client.csrf,
            "text": sentence,
            "categories_present": "1",
            "categories": ["exit"],
            "modality": "obligation",
            "obligor": "Company",
            "action": "do what the sentence says",
        },
    )
    assert response.status_code == 303, response.text
    new_id = response.headers["location"].rsplit("/", 1)[1]
    with session_scope(engine) as session:
        added = session.get(Obligation, new_id)
    clause_lines = {(b["page"], tuple(b["bbox"])) for b in clause.bboxes}
    assert added.bboxes and len(added.bboxes) < len(clause.bboxes)  # the sentence, not all
    assert all(b["page"] in {p for p, _ in clause_lines} for b in added.bboxes)
    page = client.get(f"/obligations/{new_id}").text
    assert "origin=reviewer" in page and "confidence" not in page.split("source-meta", 1)[1][:400]


def test_web_obligation_page_draws_why_it_was_extracted(engine):
    """Issue 9: the obligation page frames the displaCy drawing of its sentence, every span
    labelled with the rule id that decided it; the drawing may style inline (its labels are
    positioned that way) but may run nothing, and only the app may frame it."""
    ob = first_obligation(engine, 1)
    client = _client(engine)
    page = client.get(f"/obligations/{ob.id}").text
    assert f'src="/obligations/{ob.id}/why"' in page
    why = client.get(f"/obligations/{ob.id}/why")
    assert why.status_code == 200
    policy = why.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert why.headers["x-frame-options"] == "SAMEORIGIN"
    assert "MODAL " in why.text and ob.rules["modality"][0] in why.text
    assert "<script" not in why.text
    assert TestClient(engine.app).get(
        f"/obligations/{ob.id}/why", follow_redirects=False
    ).status_code in (302, 303, 401)
