"""The ``ingest-contracts`` flow against a real SQLite file and a real (test) Prefect server.

One run over the sample documents plus three bad files is shared by the module: it is the
expensive part (parsing ~130 pages on a process pool); the tests read what it left behind.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from flows.ingest import (
    FLOW_NAME,
    IngestFailed,
    MissingPath,
    collect_pdfs,
    ingest_contracts,
    run_ingest,
)
from models import Clause, Document, Obligation, Run, get_engine, session_scope
from models.counts import row_counts

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "sample_docs"
BAD = {"corrupt.pdf": "corrupt_pdf", "empty.pdf": "empty_file", "page.PDF": "not_a_pdf"}


def make_corpus(folder: Path, samples: list[Path]) -> Path:
    """The samples, plus a corrupt PDF, a zero-byte file and HTML named .PDF in a subfolder."""
    folder.mkdir(parents=True, exist_ok=True)
    for pdf in samples:
        shutil.copy(pdf, folder / pdf.name)
    bad = folder / "inbox" / "bad"
    bad.mkdir(parents=True)
    whole = (SAMPLE_DOCS / "calloff_order_form.pdf").read_bytes()
    (bad / "corrupt.pdf").write_bytes(whole[: len(whole) // 3])
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "page.PDF").write_text("<html><body>Not a contract</body></html>")
    (bad / "notes.txt").write_text("not collected: not a .pdf")
    return folder


@pytest.fixture(scope="module")
def runs(prefect_harness, tmp_path_factory):
    """Two runs of the flow over the same folder; row counts before and after the second."""
    root = tmp_path_factory.mktemp("flow")
    corpus = make_corpus(root / "docs", sorted(SAMPLE_DOCS.glob("*.pdf")))
    url = f"sqlite:///{root / 'obligations.db'}"
    events = []
    first = run_ingest([str(corpus)], db_url=url, workers=2, on_progress=events.append)
    engine = get_engine(url)
    with session_scope(engine) as session:
        after_first = row_counts(session=session)
    with pytest.raises(IngestFailed) as failed:  # the bare flow: Failed, the summary inside
        ingest_contracts(paths=[str(corpus)], db_url=url, workers=2)
    second = failed.value.summary
    with session_scope(engine) as session:
        after_second = row_counts(session=session)
    return dict(url=url, corpus=corpus, first=first, second=second, events=events,
                after_first=after_first, after_second=after_second)


def documents(url: str) -> dict[str, Document]:
    with session_scope(get_engine(url)) as session:
        return {d.source_file: d for d in session.exec(select(Document))}


@pytest.mark.integration
def test_flow_ingest_processes_samples_and_records_failures(runs):
    first = runs["first"]
    samples = {p.name for p in SAMPLE_DOCS.glob("*.pdf")}
    assert {d.source_file for d in first.processed} == samples
    assert {d.source_file: d.error_code for d in first.failed} == BAD
    assert all(d.reason for d in first.failed)
    assert first.pages == sum(d.pages for d in first.processed) > 0

    docs = documents(runs["url"])
    assert set(docs) == samples | set(BAD)  # notes.txt was not collected
    for name, code in BAD.items():
        assert (docs[name].status, docs[name].error_code) == ("failed", code)
        assert docs[name].error_message
    assert all(docs[name].status == "processed" for name in samples)


@pytest.mark.integration
@pytest.mark.parametrize("name", ["calloff_order_form.pdf", "jv_exit_amendment.pdf"])
def test_flow_ingest_stores_what_extract_returns(runs, name):
    from pipeline.extract import extract

    data = (SAMPLE_DOCS / name).read_bytes()
    extraction = extract(data)
    with session_scope(get_engine(runs["url"])) as session:
        doc = session.exec(
            select(Document).where(Document.sha256 == hashlib.sha256(data).hexdigest())
        ).one()
        n_clauses = len(session.exec(select(Clause).where(Clause.document_id == doc.id)).all())
        obs = session.exec(select(Obligation).where(Obligation.document_id == doc.id)).all()
    assert doc.extractor_version == extraction.extractor_version
    assert doc.pages == len(extraction.layout.pages)
    assert n_clauses == len(extraction.clauses)
    assert sorted(o.text for o in obs) == sorted(o.text for o in extraction.obligations)


@pytest.mark.integration
def test_flow_ingest_second_run_adds_no_rows(runs):
    before, after = runs["after_first"], runs["after_second"]
    assert {k: v for k, v in after.items() if k != "run"} == {
        k: v for k, v in before.items() if k != "run"}
    assert after["run"] == before["run"] + 1  # each run is logged
    second = runs["second"]
    assert {d.source_file for d in second.skipped} == {p.name for p in SAMPLE_DOCS.glob("*.pdf")}
    assert {d.source_file for d in second.failed} == set(BAD)  # tried again, failed again
    # The summary still counts what the skipped documents hold.
    assert second.counts.n_clauses == runs["first"].counts.n_clauses > 0
    assert second.counts.obligations == runs["first"].counts.obligations


@pytest.mark.integration
def test_flow_ingest_records_runs(runs):
    with session_scope(get_engine(runs["url"])) as session:
        first, second = session.exec(select(Run).order_by(Run.id)).all()
    assert first.flow == FLOW_NAME and first.flow_run_id and first.finished_at
    assert first.status == "failed"  # some documents failed
    assert first.counts["processed"] == len(list(SAMPLE_DOCS.glob("*.pdf")))
    assert first.counts["failed"] == len(BAD) and first.counts["pages"] > 0
    assert {f["code"] for f in first.failures} == set(BAD.values())
    assert second.counts["skipped"] == len(runs["second"].skipped)
    assert second.counts["processed"] == 0


@pytest.mark.integration
def test_flow_ingest_reports_progress(runs):
    started = [e for e in runs["events"] if e.started is not None]
    events = [e for e in runs["events"] if e.started is None]
    total = len(runs["first"].processed) + len(runs["first"].failed)
    assert events[0].done == 0 and events[0].total == total
    assert [e.done for e in events[1:]] == list(range(1, total + 1))
    assert all(e.outcome is not None for e in events[1:])
    # Each document a worker read was announced with the worker's pid, before its result.
    assert {Path(path).name for path, _pid in (e.started for e in started)} == {
        d.source_file for d in runs["first"].documents if d.sha256}
    assert all(pid > 0 for _path, pid in (e.started for e in started))


@pytest.mark.integration
def test_flow_ingest_publishes_artifacts(runs):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"]))
        )
    assert found and any("corrupt_pdf" in str(a.data) for a in found)


# --- without the engine ---------------------------------------------------------------------


def test_flow_parse_job_returns_failures_instead_of_raising():
    from flows.parse_job import ParseJob, parse_document

    parsed = parse_document(ParseJob(sha256="0" * 64, source_file="empty.pdf", data=b""))
    assert parsed.prepared is None and parsed.error_code == "empty_file"
    html = parse_document(ParseJob(sha256="0" * 64, source_file="x.pdf", data=b"<html>"))
    assert html.error_code == "not_a_pdf" and html.error_message


def test_flow_read_file_names_what_went_wrong(tmp_path):
    from flows.document import read_file
    from pipeline.errors import TooLarge, Unreadable, Vanished

    (tmp_path / "big.pdf").write_bytes(b"%PDF-" + b"x" * 2000)
    assert read_file(tmp_path / "big.pdf", None)[:5] == b"%PDF-"
    with pytest.raises(TooLarge, match="limit"):
        read_file(tmp_path / "big.pdf", 1000)
    with pytest.raises(Vanished):
        read_file(tmp_path / "gone.pdf", None)
    with pytest.raises(Unreadable, match="folder"):
        read_file(tmp_path, None)


def test_flow_collect_pdfs_recurses_any_case_and_keeps_explicit_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/one.pdf", "a/b/two.PDF", "a/b/skip.txt", "three.Pdf", "given.bin"):
        (tmp_path / name).write_bytes(b"x")
    found = collect_pdfs([tmp_path / "a", tmp_path / "three.Pdf", tmp_path / "given.bin",
                          tmp_path / "a" / "one.pdf"])
    assert [p.name for p in found.files] == ["two.PDF", "one.pdf", "three.Pdf", "given.bin"]
    assert found.other_files == 1 and found.skipped == []
    with pytest.raises(MissingPath, match="nope"):
        collect_pdfs([tmp_path / "nope"])


def test_flow_collect_pdfs_lists_loops_and_broken_links_issue_12(tmp_path):
    """Regression (issue 12): symlink loops were skipped without a word."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.pdf").write_bytes(b"x")
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (tmp_path / "a" / "alias.pdf").symlink_to(tmp_path / "a" / "one.pdf")
    found = collect_pdfs([tmp_path / "a"])
    assert [p.name for p in found.files] == ["alias.pdf"]  # one.pdf is the same file
    reasons = {Path(e.path).name: e.reason for e in found.skipped}
    assert "loop" in reasons["up"] and "broken" in reasons["gone.pdf"]
