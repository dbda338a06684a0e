"""Team runs (issue 13): runs queued by the review app and taken up by a flow run, progress
written as documents finish and folded over a batch's parts, the split of a batch into
balanced parts, the run reports (artifacts) and the failure notes a lawyer reads."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from flows.artifacts import Counts, document_rows, review_markdown
from flows.chunks import plan_chunks
from flows.explain import EXPLANATIONS, explain, failure_note
from flows.ingest_report import IngestSummary, Outcome
from models import get_engine, init_db, session_scope
from models.counts import CategoryCounts
from models.models import Run
from models.team_runs import (
    RunNotQueued,
    begin_run,
    describe_origin,
    fail_queued,
    queue_run,
    record_progress,
    run_progress,
    set_total,
)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    init_db(engine)
    return engine


def test_team_runs_queued_run_is_adopted_once(engine, monkeypatch):
    monkeypatch.setenv("PREFECT__WORKER_NAME", "worker-b")
    with session_scope(engine) as session:
        run_id = queue_run(session=session, parameters={"paths": ["store:x"]}, origin="web",
                           started_by="alice").id
    with session_scope(engine) as session:
        assert session.get(Run, run_id).status == "queued"
        run = begin_run(session=session, run_id=run_id, flow_run_id="fr-1", origin="cli",
                        parameters={"workers": 1})
        assert (run.status, run.origin, run.started_by) == ("running", "web", "alice")
        assert run.parameters == {"paths": ["store:x"], "workers": 1}
        assert run.worker.startswith("worker-b on ") and run.flow_run_id == "fr-1"
    with session_scope(engine) as session, pytest.raises(RunNotQueued):
        begin_run(session=session, run_id=run_id, flow_run_id="fr-2", parameters={})


def test_team_runs_progress_folds_in_the_parts(engine):
    with session_scope(engine) as session:
        parent = begin_run(session=session, flow_run_id=None, origin="prefect", parameters={})
        set_total(session=session, run_id=parent.id, total=3)
        record_progress(session=session, run_id=parent.id, document={
            "file": "bad.pdf", "status": "failed", "code": "not_a_pdf", "reason": "x"})
        part = begin_run(session=session, flow_run_id=None, origin="chunk",
                         parent_run_id=parent.id, parameters={})
        record_progress(session=session, run_id=part.id, document={
            "file": "a.pdf", "status": "processed", "document_id": 7})
        parent_id, part_id = parent.id, part.id
    with session_scope(engine) as session:
        progress = run_progress(session=session, run_id=parent_id)
        data = progress.as_dict()
    assert (data["total"], data["done"], data["processed"], data["failed"]) == (3, 2, 1, 1)
    assert [p["run"] for p in data["parts"]] == [part_id] and not data["finished"]
    with session_scope(engine) as session:
        for run_id in (parent_id, part_id):
            session.get(Run, run_id).status = "completed"
    with session_scope(engine) as session:
        assert run_progress(session=session, run_id=parent_id).finished
        assert describe_origin(session.get(Run, part_id)) == f"part of run {parent_id}"
        assert run_progress(session=session, run_id=999) is None


def test_team_runs_a_lost_background_launch_is_failed_not_queued_for_ever(engine):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with session_scope(engine) as session:
        run = queue_run(session=session, parameters={}, origin="web", started_by="alice")
        run.host, run.pid = __import__("socket").gethostname(), dead.pid
        run_id = run.id
    with session_scope(engine) as session:
        progress = run_progress(session=session, run_id=run_id)
        assert progress.run.status == "failed" and progress.finished
        assert "ended first" in progress.run.counts["problem"]
    with session_scope(engine) as session:
        fail_queued(session=session, run_id=run_id, problem="again")  # not queued: no change
        assert session.get(Run, run_id).counts["problem"].endswith("ended first")


@pytest.mark.parametrize("sizes, chunk, expected_parts", [
    ([5, 1, 1, 1, 4, 4], 2, 3),
    ([1] * 9, 3, 3),
    ([10, 1, 1, 1], 3, 2),
    ([7], 5, 1),
])
def test_team_runs_plan_chunks_balances_parts(sizes, chunk, expected_parts):
    parts = plan_chunks(list(range(len(sizes))), lambda i: sizes[i], chunk)
    assert len(parts) == expected_parts
    assert sorted(i for p in parts for i in p) == list(range(len(sizes)))
    assert all(0 < len(p) <= chunk for p in parts)
    weights = [sum(sizes[i] for i in p) for p in parts]
    assert max(weights) - min(weights) <= max(sizes)
    with pytest.raises(ValueError):
        plan_chunks([1], lambda i: i, 0)


def _summary() -> tuple[IngestSummary, Counts]:
    summary = IngestSummary(run_id=4, flow_run_id=None, extractor_version="0.1.0+rules.x",
                            seconds=12.5)
    summary.documents = [
        Outcome("/in/a.pdf", "a.pdf", status="processed", document_id=1, pages=9,
                flags=("low_structure",)),
        Outcome("/in/b.pdf", "b.pdf", status="failed", error_code="encrypted_pdf",
                reason="The PDF is encrypted."),
        Outcome("/in/c.pdf", "c.pdf", status="skipped", document_id=2, pages=3,
                reason="already processed by this extractor version"),
    ]
    per = {1: CategoryCounts(obligations={"exit": 3, "data_return": 2, "termination": 1},
                             n_obligations=6),
           2: CategoryCounts(n_obligations=0)}
    return summary, Counts(per, {1: 5, 2: 0})


def test_team_runs_artifact_table_has_counts_per_category_and_the_error():
    rows = document_rows(*_summary())
    expected = {"file": "a.pdf", "status": "processed", "pages": 9, "exit": 3,
                "data return": 2, "termination": 1, "obligations": 6, "to review": 5}
    assert {k: rows[0][k] for k in expected} == expected
    assert rows[1]["error"].startswith("encrypted_pdf: The PDF is protected by a password")
    assert rows[2]["note"] == "already processed by this extractor version"


def test_team_runs_summary_says_what_needs_review_with_links():
    text = review_markdown(*_summary(), base="https://obligations.example/")
    assert "**5** obligation(s) to review" in text
    assert "| [a.pdf](https://obligations.example/documents/1) | 3 | 2 | 1 | 5 |" in text
    assert "`b.pdf`: The PDF is protected by a password" in text
    assert "## Flagged for a closer look" in text and "c.pdf" not in text.split("## To")[1]


def test_team_runs_every_failure_code_has_words_for_lawyers():
    import pipeline.errors as errors

    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.PipelineError)} - {
        "pipeline_error"}
    codes |= {"worker_crashed", "internal_error", "database_error", "store_unavailable",
              "part_failed"}
    assert codes <= set(EXPLANATIONS), codes - set(EXPLANATIONS)
    note = failure_note("Lease.pdf", "encrypted_pdf", "PDFPasswordIncorrect", run_id=7,
                        when="2026-11-30 10:00 UTC")
    assert note.startswith("Lease.pdf could not be processed.")
    assert "password" in note and "error code: encrypted_pdf" in note and "run: 7" in note
    assert explain("no_such_code").what == "The document could not be processed."


def test_team_runs_migration_0005_adds_and_removes_the_columns(tmp_path):
    from alembic import command

    from models.db import alembic_config, upgrade_db

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_db(url, "0004")
    engine = get_engine(url)
    assert "origin" not in {c["name"] for c in inspect(engine).get_columns("run")}
    upgrade_db(url, "0005")
    columns = {c["name"] for c in inspect(engine).get_columns("run")}
    assert {"origin", "started_by", "parent_run_id", "worker", "progress"} <= columns
    command.downgrade(alembic_config(url), "0004")
    engine.dispose()
    assert "progress" not in {c["name"] for c in inspect(engine).get_columns("run")}


@pytest.mark.integration
def test_team_runs_queued_run_whose_flow_run_ended_unstarted_is_failed(
        prefect_harness, engine, monkeypatch):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings
    from prefect.states import Cancelled, Scheduled

    from flows.launch import notice_lost_flow_run

    @flow(name="never-started")
    def never() -> None:
        pass

    monkeypatch.setenv("PREFECT_API_URL", str(get_current_settings().api.url))
    with get_client(sync_client=True) as client:
        cancelled = client.create_flow_run(never, state=Cancelled(message="cancelled in the UI"))
        waiting = client.create_flow_run(never, state=Scheduled())
    ids = []
    for flow_run in (cancelled, waiting):
        with session_scope(engine) as session:
            run = queue_run(session=session, parameters={}, origin="web", started_by="pat")
            run.flow_run_id = str(flow_run.id)
            ids.append(run.id)
    with session_scope(engine) as session:
        runs = [session.get(Run, i) for i in ids]
    assert notice_lost_flow_run(engine, runs[0]) and not notice_lost_flow_run(engine, runs[1])
    with session_scope(engine) as session:
        lost, still = (session.get(Run, i) for i in ids)
        assert lost.status == "failed" and still.status == "queued"
        assert lost.counts["problem"] == ("its Prefect flow run ended Cancelled before it "
                                          "started: cancelled in the UI")
