"""Helpers shared by the review, web and browser tests (no tests of its own)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from sqlmodel import select

from models import Document, Obligation, session_scope
from models.audit import Actor
from models.users import add_user

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_docs" / "jv_exit_amendment.pdf"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def fast_password_hashing(monkeypatch) -> None:
    """Argon2 with test-sized costs: the real parameters take ~0.3 s a hash, by design."""
    from argon2 import PasswordHasher

    from models import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                         parallelism=1))


@lru_cache(maxsize=1)
def sample_extraction():
    """The extraction of ``SAMPLE``, made once per test process: every review and web test
    module stores the same document."""
    from pipeline.extract import extract

    return extract(SAMPLE.read_bytes())


def _fallback_obligation(extraction):
    """One obligation made from the first clause saying "shall", for when the extractor (being
    rewritten) finds none: the review tests need something to review, not a good extraction."""
    from pipeline.types import ExtractedObligation as Candidate

    layout = extraction.layout
    for clause in extraction.clauses:
        for a, b in clause.segments:
            text = layout.text[a:b]
            at = text.find(" shall ")
            if at < 0:
                continue
            end = text.find(".", at)
            end = len(text) if end < 0 else end + 1
            return Candidate(
                ref=clause.ref, unit=clause.index, clause=clause.index, categories=("exit",),
                modality="obligation", obligor=None, beneficiary=None,
                action=text[at + 7:end].strip(), trigger=None, deadline=None,
                text=text[:end].strip(), start=a, end=a + end, page=layout.page_at(a),
                boxes=layout.boxes(a, a + end), confidence=0.5, rules={"test": ("fallback",)},
            )
    raise AssertionError("no clause with 'shall' in the sample")


def ingest_sample(engine, pdf: Path = SAMPLE, extraction=None) -> int:
    """Extract and store one sample PDF through ``models.store``; the document's id."""
    from models.docstore import get_store
    from models.store import store_extraction
    from pipeline.extract import extract

    data = pdf.read_bytes()
    get_store().put(data)  # as an ingest does: the review app reads the PDF from the store
    extraction = extraction or extract(data)
    if not extraction.obligations:
        extraction = replace(extraction, obligations=(_fallback_obligation(extraction),))
    with session_scope(engine) as session:
        document = store_extraction(
            session=session, extraction=extraction, sha256=hashlib.sha256(data).hexdigest(),
            source_file=pdf.name, path=str(pdf),
        )
        return document.id


def first_obligation(engine, document_id: int) -> Obligation:
    with session_scope(engine) as session:
        return session.exec(
            select(Obligation)
            .where(Obligation.document_id == document_id)
            .order_by(Obligation.page, Obligation.position)
        ).first()


def document(engine, document_id: int) -> Document:
    with session_scope(engine) as session:
        return session.get(Document, document_id)


def make_user(engine, name: str, role: str = "reviewer", password: str = PASSWORD) -> None:
    with session_scope(engine) as session:
        add_user(session=session, name=name, password=password, role=role,
                 by=Actor("test-setup", "cli"))


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, name: str, password: str = PASSWORD) -> str:
    """Log ``client`` in; the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)
