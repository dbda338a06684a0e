"""The review web app through FastAPI's TestClient: access, CSRF, conflicts, escaping."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import select
from test_web_support import (
    SAMPLE,
    csrf_of,
    document,
    fast_password_hashing,
    first_obligation,
    ingest_sample,
    login,
    make_user,
    sample_extraction,
)

from models import Clause, Document, Obligation, ReviewEvent, get_engine, session_scope
from web.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)

SECRET = "test-secret-" + "x" * 40
PUBLIC = {"/login", "/healthz"}


@pytest.fixture
def app(db_url, tmp_path):
    return create_app(db_url, secret_key=SECRET, secure_cookies=False,
                      cache_dir=tmp_path / "pages")


@pytest.fixture
def engine(app, db_url):
    return get_engine(db_url)


@pytest.fixture
def doc(engine, tmp_path) -> int:
    pdf = tmp_path / SAMPLE.name  # a copy: one test swaps it on disk
    shutil.copy(SAMPLE, pdf)
    doc_id = ingest_sample(engine, pdf, extraction=sample_extraction())
    make_user(engine, "alice", "admin")
    make_user(engine, "bob", "reviewer")
    return doc_id


def client(app) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def _concrete(path: str, doc: int, ob: str, clause: int) -> str:
    return (path.replace("{document_id}", str(doc)).replace("{obligation_id}", ob)
            .replace("{clause_id}", str(clause)).replace("{page}", "1"))


def _routes(app):
    """(method, path) of every route, including those of included routers."""

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, APIRoute):
                for method in route.methods - {"HEAD"}:
                    yield method, prefix + route.path
            elif hasattr(route, "original_router"):  # FastAPI's included router
                yield from walk(route.original_router.routes,
                                prefix + getattr(route.include_context, "prefix", ""))

    yield from walk(app.routes)


def _ids(engine, doc):
    ob = first_obligation(engine, doc)
    with session_scope(engine) as session:
        clause = session.exec(select(Clause).where(Clause.document_id == doc)).first()
    return ob, clause.id


# --- access -----------------------------------------------------------------------------


def test_web_every_route_refuses_an_anonymous_user(app, engine, doc):
    ob, clause = _ids(engine, doc)
    anonymous = client(app)
    checked = 0
    for method, path in _routes(app):
        if path in PUBLIC:
            continue
        url = _concrete(path, doc, ob.id, clause)
        response = anonymous.request(method, url, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code in (401, 403), (method, path)
        elif method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, (method, path)
        checked += 1
    assert checked >= 10
    # Unknown paths, too: nothing is served to an anonymous user but the login page.
    assert anonymous.get("/no/such/page", follow_redirects=False).status_code == 303
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/static/app.css").status_code == 200
    assert anonymous.get("/login").status_code == 200


def test_web_login_logout_and_wrong_password(app, doc):
    c = client(app)
    token = csrf_of(c.get("/login").text)
    wrong = c.post("/login", data={"name": "alice", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    token = login(c, "alice")
    assert c.get("/", follow_redirects=False).status_code == 200
    c.post("/logout", data={"csrf_token": token})
    assert c.get("/", follow_redirects=False).status_code == 303


def test_web_login_redirects_only_to_this_site(app, doc):
    c = client(app)
    token = csrf_of(c.get("/login").text)
    response = c.post(
        "/login", follow_redirects=False,
        data={"name": "bob", "password": "correct horse battery", "csrf_token": token,
              "next": "//evil.example/phish"},
    )
    assert response.headers["location"] == "/"


def test_web_session_cookie_flags(db_url, tmp_path):
    make = lambda secure: create_app(db_url, secret_key=SECRET, secure_cookies=secure,  # noqa: E731
                                     cache_dir=tmp_path)
    cookie = client(make(False)).get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    secure = TestClient(make(None), base_url="https://testserver").get("/login")
    assert "; secure" in secure.headers["set-cookie"].lower()  # the default


def test_web_reviewer_cannot_manage_users(app, engine, doc):
    c = client(app)
    token = login(c, "bob")
    assert c.get("/admin/users").status_code == 403
    response = c.post("/admin/users", data={"csrf_token": token, "do": "add", "name": "mallory",
                                           "password": "long enough pw", "role": "admin"})
    assert response.status_code == 403
    response = c.post("/admin/users", data={"csrf_token": token, "do": "role", "name": "bob",
                                           "role": "admin"})
    assert response.status_code == 403
    with session_scope(engine) as session:
        from models.users import get_user

        assert get_user(session=session, name="mallory") is None
        assert get_user(session=session, name="bob").role == "reviewer"
    assert "/admin/users" not in c.get("/").text  # not even offered


def test_web_admin_manages_users_and_deactivation_ends_sessions(app, engine, doc):
    admin, reviewer = client(app), client(app)
    token = login(admin, "alice")
    login(reviewer, "bob")
    assert admin.get("/admin/users").status_code == 200
    admin.post("/admin/users", data={"csrf_token": token, "do": "add", "name": "carol",
                                     "password": "long enough pw", "role": "reviewer"})
    assert "carol" in admin.get("/admin/users").text
    admin.post("/admin/users", data={"csrf_token": token, "do": "deactivate", "name": "bob"})
    assert reviewer.get("/queue", follow_redirects=False).status_code == 303  # logged out
    login(client(app), "carol", "long enough pw")
    # An admin cannot lock themselves out.
    admin.post("/admin/users", data={"csrf_token": token, "do": "deactivate", "name": "alice"})
    assert admin.get("/admin/users").status_code == 200


def test_web_password_change_ends_open_sessions(app, engine, doc):
    c = client(app)
    login(c, "bob")
    from models.audit import Actor
    from models.users import set_password

    with session_scope(engine) as session:
        set_password(session=session, name="bob", password="a brand new one",
                     by=Actor("alice", "cli"))
    assert c.get("/", follow_redirects=False).status_code == 303


# --- CSRF -------------------------------------------------------------------------------


def test_web_posts_without_the_csrf_token_are_refused(app, engine, doc):
    ob, clause = _ids(engine, doc)
    c = client(app)
    login(c, "alice")
    posts = [path for method, path in _routes(app)
             if method == "POST" and not path.startswith("/api/")]
    assert {"/login", "/logout", "/obligations/{obligation_id}", "/admin/users",
            "/clauses/{clause_id}/add"} <= set(posts)
    for path in posts:
        url = _concrete(path, doc, ob.id, clause)
        form = {"do": "approve", "version": str(ob.version), "name": "x", "password": "y" * 10}
        assert c.post(url, data=form).status_code == 403, path
        assert c.post(url, data={**form, "csrf_token": "forged"}).status_code == 403, path
    assert first_obligation(engine, doc).status == "extracted"
    assert c.get("/", follow_redirects=False).status_code == 200  # still logged in


def test_web_login_needs_the_csrf_token_too(app, doc):
    response = client(app).post("/login", data={"name": "alice",
                                                "password": "correct horse battery"})
    assert response.status_code == 403


# --- reviewing --------------------------------------------------------------------------


def _form(ob: Obligation, **changes) -> dict:
    """What the obligation page's form posts: every field, as rendered."""
    form = {
        "categories_present": "1",
        "categories": list(ob.categories),
        "modality": ob.modality,
        "obligor": ob.obligor or "",
        "beneficiary": ob.beneficiary or "",
        "action": ob.action,
        "trigger": ob.trigger or "",
        "deadline_text": ob.deadline_text or "",
        "deadline_duration": ob.deadline_duration or "",
        "deadline_business_days": {True: "yes", False: "no"}.get(ob.deadline_business_days, ""),
        "deadline_relation": ob.deadline_relation or "",
        "deadline_anchor": ob.deadline_anchor or "",
        "deadline_date": ob.deadline_date or "",
        "version": str(ob.version),
        "comment": "",
    }
    form.update(changes)
    return form


def test_web_obligation_page_shows_source_fields_and_history(app, engine, doc):
    ob, _ = _ids(engine, doc)
    c = client(app)
    token = login(c, "bob")
    page = c.get(f"/obligations/{ob.id}")
    assert page.status_code == 200
    assert f"/documents/{doc}/pages/{ob.page}.png" in page.text
    assert 'class="hl"' in page.text  # the highlighted sentence
    assert 'name="deadline_text"' in page.text and 'name="version"' in page.text
    for ids in ob.rules.values():
        for rule in ",".join(ids).split(","):
            assert rule.strip() in page.text
    image = c.get(f"/documents/{doc}/pages/{ob.page}.png")
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert c.get(f"/documents/{doc}/pages/999.png").status_code == 404
    # Save a correction with a comment: it shows in the history.
    response = c.post(f"/obligations/{ob.id}", data={
        **_form(ob, deadline_text="within 30 days of the Exit Date", comment="see 6.1"),
        "csrf_token": token, "do": "save"})
    assert response.status_code == 200  # redirected back to the page
    assert "within 30 days of the Exit Date" in response.text and "see 6.1" in response.text
    with session_scope(engine) as session:
        events = session.exec(select(ReviewEvent).where(ReviewEvent.obligation_id == ob.id)).all()
    corrected = [(e.user, e.field) for e in events if e.action == "correct"]
    # the new words, and the structured parts read from them where they differ
    assert corrected[0] == ("bob", "deadline_text")
    assert {f for _, f in corrected} <= {"deadline_text", "deadline_duration",
                                         "deadline_business_days", "deadline_relation",
                                         "deadline_anchor", "deadline_date"}


def test_web_approve_moves_to_the_next_obligation(app, engine, doc):
    ob, _ = _ids(engine, doc)
    c = client(app)
    token = login(c, "bob")
    c.get("/queue")  # the queue the page walks
    response = c.post(f"/obligations/{ob.id}", follow_redirects=False,
                      data={**_form(ob), "csrf_token": token, "do": "approve"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/obligations/")
    assert response.headers["location"] != f"/obligations/{ob.id}"
    assert first_obligation(engine, doc).status == "approved"
    # From the queue: only the decision is posted, no fields change.
    second = response.headers["location"].rsplit("/", 1)[1]
    with session_scope(engine) as session:
        before = session.get(Obligation, second)
    response = c.post(f"/obligations/{second}", follow_redirects=False, data={
        "csrf_token": token, "do": "reject", "version": str(before.version), "return": "queue"})
    assert response.headers["location"].startswith("/queue")
    with session_scope(engine) as session:
        after = session.get(Obligation, second)
    assert after.status == "rejected" and after.action == before.action


def test_web_two_reviewers_conflict_and_nothing_is_overwritten(app, engine, doc):
    ob, _ = _ids(engine, doc)
    alice, bob = client(app), client(app)
    alice_token, bob_token = login(alice, "alice"), login(bob, "bob")
    alice.get(f"/obligations/{ob.id}")
    bob.get(f"/obligations/{ob.id}")  # both see the same version
    saved = alice.post(f"/obligations/{ob.id}", data={
        **_form(ob, deadline_text="within 10 Business Days"), "csrf_token": alice_token,
        "do": "save"})
    assert saved.status_code == 200
    late = bob.post(f"/obligations/{ob.id}", data={
        **_form(ob, obligor="Council"), "csrf_token": bob_token, "do": "approve"})
    assert late.status_code == 409
    assert "Not saved" in late.text and "alice" in late.text
    assert "within 10 Business Days" in late.text  # what alice changed
    assert "Council" in late.text  # bob's unsaved change, shown back to him
    unsaved = late.text.split("Your unsaved changes", 1)[1].split("</ul>", 1)[0]
    assert "Obligor" in unsaved and "Deadline" not in unsaved  # alice's, not his
    now = first_obligation(engine, doc)
    assert now.status == "corrected" and now.deadline_text == "within 10 Business Days"
    assert now.obligor == ob.obligor
    # Bob reloads (the conflict page carries the new version) and approves.
    version = re.search(r'name="version" value="(\d+)"', late.text).group(1)
    assert int(version) == now.version
    ok = bob.post(f"/obligations/{ob.id}", data={
        **_form(now), "csrf_token": bob_token, "do": "approve"})
    assert ok.status_code == 200
    assert first_obligation(engine, doc).status == "approved"


def test_web_invalid_correction_is_explained_not_saved(app, engine, doc):
    ob, _ = _ids(engine, doc)
    c = client(app)
    token = login(c, "bob")
    response = c.post(f"/obligations/{ob.id}", data={
        **_form(ob, deadline_duration="thirty days"), "csrf_token": token, "do": "save"})
    assert response.status_code == 422 and "ISO-8601" in response.text
    assert 'value="thirty days"' in response.text  # what was typed comes back
    assert first_obligation(engine, doc).status == "extracted"


def test_web_add_a_missed_obligation_from_a_clause(app, engine, doc):
    from pipeline.ids import obligation_key

    with session_scope(engine) as session:
        clause = session.exec(select(Clause).where(
            Clause.document_id == doc, Clause.text.contains("shall"))).first()
    c = client(app)
    token = login(c, "bob")
    assert c.get(f"/clauses/{clause.id}/add").status_code == 200
    from models.review import quotable_units

    sentence = next(" ".join(u.split()) for u in quotable_units(clause.text) if "shall" in u)
    form = {"csrf_token": token, "text": sentence, "categories_present": "1",
            "categories": ["exit"], "modality": "obligation", "obligor": "Company",
            "action": "keep the exit plan up to date", "deadline_text": "every six months"}
    sha = document(engine, doc).sha256
    with session_scope(engine) as session:  # the extractor may have one from this sentence
        taken = {o.id for o in session.exec(select(Obligation))}
    response = c.post(f"/clauses/{clause.id}/add", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    new_id = next(key for n in range(5)
                  if (key := obligation_key(sha, clause.ref, sentence, n)) not in taken)
    assert response.headers["location"] == f"/obligations/{new_id}"
    with session_scope(engine) as session:
        ob = session.get(Obligation, new_id)
        assert (ob.origin, ob.reviewed_by, ob.categories) == ("reviewer", "bob", ["exit"])
    bad = c.post(f"/clauses/{clause.id}/add", data={**form, "text": "Not from the clause."})
    assert bad.status_code == 422 and "not part of clause" in bad.text
    fragment = c.post(f"/clauses/{clause.id}/add", data={**form, "text": clause.text.split(".")[0] + "."})
    assert fragment.status_code == 422 and "whole sentence or limb" in fragment.text


def test_web_queue_filters(app, engine, doc):
    c = client(app)
    login(c, "bob")
    everything = c.get("/queue?status=all")
    ids = re.findall(r'<tr data-id="([0-9a-f]+)"', everything.text)
    assert len(ids) >= 2
    with session_scope(engine) as session:
        obs = session.exec(select(Obligation).where(Obligation.document_id == doc)).all()
    assert len(ids) == len(obs)
    category = next(c for o in obs for c in o.categories)
    filtered = c.get(f"/queue?status=all&category={category}&document={doc}")
    expected = {o.id for o in obs if category in o.categories}
    assert set(re.findall(r'<tr data-id="([0-9a-f]+)"', filtered.text)) == expected
    assert c.get("/queue?status=approved").text.count("<tr data-id=") == 0


def test_web_pages_render(app, engine, doc):
    c = client(app)
    login(c, "alice")
    home = c.get("/")
    assert home.status_code == 200 and "jv_exit_amendment.pdf" in home.text
    page = c.get(f"/documents/{doc}")
    assert page.status_code == 200
    d = document(engine, doc)
    for party in d.parties:
        assert party["role"] in page.text
    assert "Add missed obligation" in page.text
    assert c.get("/documents/999").status_code == 404
    assert c.get("/obligations/nope").status_code == 404
    assert "default-src 'self'" in home.headers["content-security-policy"]


def test_web_document_flags_say_where_to_check_the_pdf(app, engine, doc):
    from models.db import session_scope as scope
    from models.models import Document

    with scope(engine) as session:
        flags = ["long_unit:5.4", "long_unit:+4 more", "numbering_gap:1.1→4", "ocr"]
        session.get(Document, doc).flags = flags
    c = client(app)
    login(c, "alice")
    page = c.get(f"/documents/{doc}").text
    assert "clause 5.4 runs over more than two pages" in page
    assert "and 4 more of the same kind" in page and "clause +4" not in page
    assert "the clause numbers jump (1.1→4)" in page
    assert "some pages were read by OCR" in page


# --- contract text is data --------------------------------------------------------------


def _hostile_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    lines = [
        "SERVICES AGREEMENT",
        'This Agreement is between Acme Ltd (the "Supplier") and Borough Council (the "Council").',
        '1. Definitions',
        '1.1 "Exit Plan <img src=x onerror=alert(2)>" means the plan for exit.',
        "2. Exit",
        "2.1 The Supplier shall <script>alert(1)</script> return all Council Data",
        "within 30 days of termination of this Agreement.",
    ]
    y = 780
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 18
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def test_web_contract_text_with_script_renders_inert(app, engine, doc, tmp_path):
    from test_web_support import _fallback_obligation

    from models.store import store_extraction
    from pipeline.extract import extract

    data = _hostile_pdf()
    path = tmp_path / "hostile.pdf"
    path.write_bytes(data)
    extraction = extract(data)
    if not any("<script>" in o.text for o in extraction.obligations):
        from dataclasses import replace

        extraction = replace(extraction, obligations=(_fallback_obligation(extraction),))
    with session_scope(engine) as session:
        hostile = store_extraction(session=session, extraction=extraction,
                                   sha256=hashlib.sha256(data).hexdigest(),
                                   source_file="hostile.pdf", path=str(path)).id
        ob = session.exec(select(Obligation).where(Obligation.document_id == hostile)).first()
    assert "<script>" in ob.text  # the text really is in the database
    c = client(app)
    login(c, "alice")
    for url in (f"/documents/{hostile}", f"/obligations/{ob.id}", "/queue?status=all", "/"):
        html = c.get(url).text
        assert "<script>alert(1)" not in html, url
        assert "<img src=x" not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c.get(f"/obligations/{ob.id}").text


# --- files ------------------------------------------------------------------------------


def test_web_page_images_come_from_the_database_not_from_paths(app, engine, doc, tmp_path):
    ob, _ = _ids(engine, doc)
    c = client(app)
    login(c, "bob")
    for _method, path in _routes(app):
        assert "{path" not in path and "{file" not in path, path
    assert c.get("/documents/1/pages/..%2F..%2Fetc%2Fpasswd.png").status_code in (404, 422)
    assert c.get("/static/../models/users.py").status_code == 404
    # The page comes from the document store by hash (issue 13): the file where it was first
    # found may go; a copy in the store that was tampered with is refused, not rendered.
    from models.docstore import get_store

    d = document(engine, doc)
    os.unlink(d.path)
    assert c.get(f"/documents/{doc}/pages/{ob.page}.png").status_code == 200
    stored = get_store().root + "/" + d.sha256[:2] + "/" + d.sha256 + ".pdf"
    original = get_store().get(d.sha256)
    try:
        with open(stored, "ab") as pdf:
            pdf.write(b"% tampered\n")
        other = 2 if ob.page != 2 else 1
        assert c.get(f"/documents/{doc}/pages/{other}.png").status_code == 410
    finally:  # the store is the session's: the other tests read this document too
        with open(stored, "wb") as pdf:
            pdf.write(original)
    with session_scope(engine) as session:
        assert session.get(Document, doc).sha256 == d.sha256


# --- re-extraction ----------------------------------------------------------------------


def test_web_reextraction_keeps_review_work_and_flags_the_conflict(app, engine, doc):
    from dataclasses import replace

    ob, _ = _ids(engine, doc)
    c = client(app)
    token = login(c, "bob")
    c.post(f"/obligations/{ob.id}", data={
        **_form(ob, deadline_text="within 7 days"), "csrf_token": token, "do": "approve"})
    assert first_obligation(engine, doc).status == "approved"

    extraction = sample_extraction()
    candidates = [
        replace(o, deadline=replace(o.deadline, text="within 9 days") if o.deadline else None,
                action=o.action + " (re-read)") if o.text == ob.text else o
        for o in extraction.obligations
    ]
    ingest_sample(engine, extraction=replace(extraction, obligations=tuple(candidates),
                                             extractor_version="test+newer"))
    kept = first_obligation(engine, doc)
    assert (kept.status, kept.deadline_text, kept.action) == ("approved", "within 7 days",
                                                              ob.action)
    assert kept.conflict and kept.conflict["action"] == ob.action + " (re-read)"
    flagged = c.get("/queue?status=flagged").text
    assert f'data-id="{ob.id}"' in flagged and "conflict" in flagged
    page = c.get(f"/obligations/{ob.id}").text
    assert "Re-extraction proposes" in page and "(re-read)" in page


# --- configuration ----------------------------------------------------------------------


def test_web_secret_key_is_generated_once_outside_the_tree(tmp_path, monkeypatch):
    import stat

    from web.security import load_secret_key

    monkeypatch.delenv("OBLIGATIONS_SECRET_KEY", raising=False)
    monkeypatch.setenv("OBLIGATIONS_SECRET_KEY_FILE", str(tmp_path / "conf" / "secret_key"))
    first = load_secret_key()
    assert len(first) >= 32 and load_secret_key() == first
    assert stat.S_IMODE((tmp_path / "conf" / "secret_key").stat().st_mode) == 0o600
    monkeypatch.setenv("OBLIGATIONS_SECRET_KEY", "from-the-environment-" + "z" * 20)
    assert load_secret_key().startswith("from-the-environment-")


@pytest.mark.parametrize("host, secure", [("127.0.0.1", False), ("0.0.0.0", True)])
def test_web_serve_makes_cookies_secure_off_localhost(db_url, monkeypatch, host, secure):
    import uvicorn
    from typer.testing import CliRunner

    from cli.main import app as cli

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.delenv("OBLIGATIONS_SECURE_COOKIES", raising=False)
    monkeypatch.setenv("OBLIGATIONS_SECRET_KEY", SECRET)
    result = CliRunner().invoke(cli, ["serve", "--host", host, "--port", "8123", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == (host, 8123)
    response = TestClient(served["app"], base_url="https://testserver").get("/login")
    assert ("; secure" in response.headers["set-cookie"].lower()) is secure


def test_web_failed_logins_are_throttled(app, doc):
    c = client(app)
    token = csrf_of(c.get("/login").text)
    app.state.login_throttle.limit = 3
    for _ in range(3):
        wrong = c.post("/login", data={"name": "bob", "password": "guess", "csrf_token": token})
        assert wrong.status_code == 401
    right = c.post("/login", data={"name": "bob", "password": "correct horse battery",
                                   "csrf_token": token}, follow_redirects=False)
    assert right.status_code == 429 and "Too many failed attempts" in right.text
    # Other names are not locked out by someone guessing bob's password.
    login(c, "alice")
