"""The drop folder (flows.drop_folder): which files a round takes, where each goes after,
and the note beside a failed one; the flow itself on a real Prefect test server."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from sqlmodel import select

from flows.drop_folder import (
    DropFolderMissing,
    drop_folder,
    file_away,
    free_name,
    ready_files,
    watch_drop_folder,
)
from flows.ingest_report import IngestSummary, Outcome
from models import Document, Run, get_engine, session_scope
from models.docstore import get_store

SAMPLES = Path(__file__).resolve().parent.parent / "sample_docs"
SAMPLE = SAMPLES / "calloff_order_form.pdf"


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_drop_folder_takes_settled_pdfs_at_the_top_only(tmp_path):
    for name in ("old.pdf", "OLD2.PDF", "fresh.pdf", "notes.docx", ".hidden.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4")
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "done.pdf").write_bytes(b"%PDF-1.4")
    for name in ("old.pdf", "OLD2.PDF", ".hidden.pdf", "notes.docx"):
        _age(tmp_path / name, 120)
    _age(tmp_path / "OLD2.PDF", 300)
    assert [p.name for p in ready_files(tmp_path, 30)] == ["OLD2.PDF", "old.pdf"]
    assert [p.name for p in ready_files(tmp_path, 0)][-1] == "fresh.pdf"


def test_drop_folder_never_overwrites_a_filed_name(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"1")
    (tmp_path / "a (2).pdf.txt").write_text("a note left by an earlier failure")
    assert free_name(tmp_path, "a.pdf").name == "a (3).pdf"
    assert free_name(tmp_path, "b.pdf").name == "b.pdf"


def test_drop_folder_must_exist(tmp_path, monkeypatch):
    monkeypatch.delenv("OBLIGATIONS_DROP_FOLDER", raising=False)
    with pytest.raises(DropFolderMissing, match="OBLIGATIONS_DROP_FOLDER"):
        drop_folder(None)
    with pytest.raises(DropFolderMissing, match="share mounted"):
        drop_folder(str(tmp_path / "absent"))
    monkeypatch.setenv("OBLIGATIONS_DROP_FOLDER", str(tmp_path))
    assert drop_folder(None) == tmp_path


def test_drop_folder_files_away_by_outcome_with_a_note_for_failures(tmp_path):
    for name in ("good.pdf", "bad.pdf", "again.pdf", "unfinished.pdf"):
        (tmp_path / name).write_bytes(b"%PDF")
    summary = IngestSummary(run_id=3, flow_run_id=None, extractor_version="v")
    summary.documents = [
        Outcome(str(tmp_path / "good.pdf"), "good.pdf", status="processed"),
        Outcome(str(tmp_path / "bad.pdf"), "bad.pdf", status="failed",
                error_code="not_a_pdf", reason="It starts with <html>."),
        Outcome(str(tmp_path / "again.pdf"), "again.pdf", status="skipped"),
        Outcome(str(tmp_path / "unfinished.pdf"), "unfinished.pdf"),  # pending: stays
    ]
    moves = file_away(tmp_path, summary, "2026-11-30 10:00 UTC")
    assert {m.source: m.to for m in moves} == {"good.pdf": "processed", "bad.pdf": "failed",
                                               "again.pdf": "processed"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["unfinished.pdf"]
    note = (tmp_path / "failed" / "bad.pdf.txt").read_text()
    assert "is not a PDF, even though its name ends in .pdf" in note
    assert "save it as PDF" in note and "It starts with <html>." in note and "run: 3" in note


@pytest.mark.integration
def test_drop_folder_flow_ingests_then_files_away(prefect_harness, tmp_path, db_url):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(SAMPLE, drop / "Call-off.pdf")
    (drop / "Minutes.pdf").write_bytes(b"<html><body>not a pdf</body></html>")
    for name in ("Call-off.pdf", "Minutes.pdf"):
        _age(drop / name, 120)
    shutil.copy(SAMPLES / "jv_exit_amendment.pdf", drop / "still-copying.pdf")  # just now
    state = watch_drop_folder(folder=str(drop), db_url=db_url, workers=1, settle_seconds=60,
                              return_state=True)
    assert state.is_failed() and "1 moved to processed/, 1 to failed/" in state.message
    assert [p.name for p in (drop / "processed").iterdir()] == ["Call-off.pdf"]
    assert sorted(p.name for p in (drop / "failed").iterdir()) == ["Minutes.pdf",
                                                                   "Minutes.pdf.txt"]
    assert "is not a PDF" in (drop / "failed" / "Minutes.pdf.txt").read_text()
    assert (drop / "still-copying.pdf").exists()  # taken by the next round
    with session_scope(get_engine(db_url)) as session:
        doc = session.exec(select(Document).where(Document.source_file == "Call-off.pdf")).one()
        run = session.exec(select(Run)).one()
    assert doc.status == "processed" and run.origin == "drop-folder"
    assert get_store().get(doc.sha256) == SAMPLE.read_bytes()  # the store keeps the PDF


@pytest.mark.integration
def test_drop_folder_round_with_nothing_new_is_quiet(prefect_harness, tmp_path, db_url):
    state = watch_drop_folder(folder=str(tmp_path), db_url=db_url, return_state=True)
    assert state.is_completed() and "no PDF waiting" in state.message
    missing = watch_drop_folder(folder=str(tmp_path / "gone"), db_url=db_url,
                                return_state=True)
    assert missing.is_failed() and "is not a folder" in missing.message
