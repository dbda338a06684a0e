"""Issue 12 against the real flow: each failure the issue lists, as an operator met it.

Every test here failed before issue 12 (see each docstring): a killed worker failed the
documents around it, a vanished file aborted the batch, a decompression bomb took the
process to 3.3 GB, the flow run was Completed with failures, an empty folder was success,
SQLite's log held work a file copy missed, and a rule change re-parsed every PDF and
rewrote every obligation."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from flows.ingest import run_ingest
from models import Document, Obligation, get_engine, session_scope
from tests.ingest_support import SAMPLE_DOCS, bomb_pdf, repeated_pdf

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

SMALL = ["calloff_order_form.pdf", "jv_exit_amendment.pdf", "records_management_services.pdf"]


def folder_of(tmp_path: Path, names: list[str], **extra: bytes) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SAMPLE_DOCS / name, folder / name)
    for name, data in extra.items():
        (folder / name).write_bytes(data)
    return folder


def by_name(summary) -> dict:
    return {d.source_file: d for d in summary.documents}


def test_ingest_killed_worker_fails_only_its_document_issue_12(tmp_path, db_url):
    """Before: killing one parse process marked 33 of 38 documents worker_crashed."""
    folder = folder_of(tmp_path, [*SMALL, "jv_services_agreement.pdf"])
    killed = []

    def kill_the_long_one(progress):
        started = progress.started
        if started and started[0].endswith("jv_services_agreement.pdf") and not killed:
            killed.append(started[1])
            os.kill(started[1], signal.SIGKILL)

    summary = run_ingest([folder], db_url=db_url, workers=2, on_progress=kill_the_long_one)
    docs = by_name(summary)
    assert killed
    victim = docs["jv_services_agreement.pdf"]
    assert (victim.status, victim.error_code) == ("failed", "worker_crashed")
    assert "SIGKILL" in victim.reason
    assert {n for n, d in docs.items() if d.status == "processed"} == set(SMALL)


def test_ingest_vanished_file_is_that_documents_failure_issue_12(tmp_path, db_url):
    """Before: a file gone between listing and hashing aborted the batch (traceback, exit 1,
    nothing stored, the Run row left running)."""
    folder = folder_of(tmp_path, SMALL)

    def remove_one(progress):
        if progress.done == 0 and progress.outcome is None and progress.started is None:
            (folder / "jv_exit_amendment.pdf").unlink()

    summary = run_ingest([folder], db_url=db_url, workers=1, on_progress=remove_one)
    docs = by_name(summary)
    assert (docs["jv_exit_amendment.pdf"].status, docs["jv_exit_amendment.pdf"].error_code) == (
        "failed", "vanished")
    assert docs["calloff_order_form.pdf"].status == "processed"
    with session_scope(get_engine(db_url)) as session:
        from models import Run

        (run,) = session.exec(select(Run)).all()
    assert run.status == "failed" and run.finished_at is not None
    assert [f["code"] for f in run.failures] == ["vanished"]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.pdf"
    path.write_bytes(bomb_pdf(1536))
    return path


def test_ingest_decompression_bomb_is_too_large_within_the_cap_issue_12(tmp_path, db_url, bomb):
    """Before: a 1.5 MB PDF inflating to 1.5 GB took the process to 3.3 GB."""
    assert bomb.stat().st_size < 3 * 2**20
    folder = folder_of(tmp_path, SMALL[:1])
    shutil.copy(bomb, folder / "bomb.pdf")
    summary = run_ingest([folder], db_url=db_url, workers=1)
    docs = by_name(summary)
    assert (docs["bomb.pdf"].status, docs["bomb.pdf"].error_code) == ("failed", "too_large")
    assert docs["calloff_order_form.pdf"].status == "processed"
    assert docs["bomb.pdf"].peak_rss_mb is not None and docs["bomb.pdf"].peak_rss_mb < 1024


def test_ingest_time_limit_fails_the_slow_document_only(tmp_path, db_url):
    folder = folder_of(tmp_path, SMALL[:1], **{"long.pdf": repeated_pdf(
        "jv_services_agreement.pdf", 12)})
    summary = run_ingest([folder], db_url=db_url, workers=1, timeout=8)
    docs = by_name(summary)
    assert (docs["long.pdf"].status, docs["long.pdf"].error_code) == ("failed", "timeout")
    assert "--timeout" in docs["long.pdf"].reason
    assert docs["calloff_order_form.pdf"].status == "processed"


def test_ingest_flow_run_is_failed_with_counts_when_a_document_fails_issue_12(tmp_path, db_url):
    """Before: the flow run was Completed when documents failed (Prefect alerts silent)."""
    from prefect.client.orchestration import get_client

    folder = folder_of(tmp_path, SMALL[:1], **{"broken.pdf": b"%PDF-1.4 nothing else"})
    summary = run_ingest([folder], db_url=db_url, workers=1)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(summary.flow_run_id).state
    assert state.is_failed()
    assert state.message == "1 processed, 0 skipped, 1 failed of 2 document(s)"

    again = run_ingest([folder / "calloff_order_form.pdf"], db_url=db_url, workers=1)
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(again.flow_run_id).state.is_completed()


def test_ingest_empty_folder_is_not_success_issue_12(tmp_path, db_url):
    """Before: an empty or unmounted folder ended with "0 processed", exit 0."""
    from prefect.client.orchestration import get_client

    (tmp_path / "empty").mkdir()
    summary = run_ingest([tmp_path / "empty"], db_url=db_url, workers=1)
    assert not summary.ok and "empty" in summary.problem
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(summary.flow_run_id).state.is_failed()


def test_ingest_database_file_alone_holds_the_run_issue_12(tmp_path):
    """Before: after a clean run SQLite's -wal held recent work; a copy of obligations.db
    alone lost 132 of 1,463 obligations."""
    db = tmp_path / "obligations.db"
    folder = folder_of(tmp_path, SMALL)
    run_ingest([folder], db_url=f"sqlite:///{db}", workers=1)
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)  # the .db file only, as a naive backup takes it
    count = "SELECT count(*) FROM obligation"
    with sqlite3.connect(db) as live, sqlite3.connect(copy) as copied:
        assert copied.execute(count).fetchone() == live.execute(count).fetchone() != (0,)


def _stamps(url: str) -> dict[str, tuple]:
    with session_scope(get_engine(url)) as session:
        return {o.id: (o.updated_at, o.version) for o in session.exec(select(Obligation))}


def _make_all_behind(url: str) -> dict[str, tuple]:
    """As if the rules had changed: every document is behind; the obligations as they are."""
    with session_scope(get_engine(url)) as session:
        session.execute(update(Document).values(extractor_version="0.0.0+rules.old"))
    return _stamps(url)


def test_ingest_rule_change_reads_cached_layouts_and_rewrites_nothing_issue_12(
        tmp_path, db_url):
    """Before: any rule edit re-parsed every PDF (55 s against 53 s for the first ingest)
    and bumped updated_at and version of every unreviewed obligation."""
    folder = folder_of(tmp_path, SMALL)
    first = run_ingest([folder], db_url=db_url, workers=1)
    assert all(d.parsed for d in first.processed)
    before = _make_all_behind(db_url)
    second = run_ingest([folder], db_url=db_url, workers=1)
    assert {d.status for d in second.documents} == {"processed"}
    assert not any(d.parsed for d in second.documents)  # the layout cache, not the PDFs
    assert _stamps(db_url) == before  # same fields: not rewritten


def test_reextract_uses_no_pdf_and_rewrites_nothing_unchanged_issue_12(tmp_path, db_url):
    from flows.reextract import reextract

    folder = folder_of(tmp_path, SMALL)
    run_ingest([folder], db_url=db_url, workers=1)
    before = _make_all_behind(db_url)
    shutil.rmtree(folder)  # no PDF to read: only the stored layouts
    summary = reextract(get_engine(db_url))
    assert summary.ok and len(summary.documents) == len(SMALL)
    assert sum(d.unchanged for d in summary.documents) == len(before)
    assert _stamps(db_url) == before
    with session_scope(get_engine(db_url)) as session:
        versions = set(session.exec(select(Document.extractor_version)))
    assert versions == {summary.extractor_version}
