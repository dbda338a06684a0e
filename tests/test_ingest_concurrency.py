"""Issue 12: start-up and concurrency. Concurrent first runs both create the schema; concurrent
ingests parse each file once; a run whose process died is marked abandoned, and its claims
are taken over."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models import Run, get_engine, init_db, session_scope
from models.models import DocumentClaim, utcnow
from models.runs import claim, mark_abandoned, start_run
from tests.ingest_support import SAMPLE_DOCS, repeated_pdf

ROOT = Path(__file__).resolve().parent.parent


def _init(url: str, barrier) -> str:
    from models.db import get_engine, init_db

    engine = get_engine(url)
    barrier.wait(timeout=60)
    init_db(engine)
    return "ok"


@pytest.mark.integration
@pytest.mark.parametrize("url_fixture", ["db_url", pytest.param("pg_url",
                                                                marks=pytest.mark.postgres)])
def test_concurrent_first_runs_both_create_the_schema_issue_12(request, url_fixture):
    """Before: two first runs on an empty database crashed one of them in table creation."""
    from models.db import SCHEMA_REVISION, _revision

    url = request.getfixturevalue(url_fixture)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool:
        barrier = manager.Barrier(4)
        results = [pool.apply_async(_init, (url, barrier)) for _ in range(4)]
        assert [r.get(timeout=120) for r in results] == ["ok"] * 4
    engine = get_engine(url)
    assert _revision(engine) == SCHEMA_REVISION
    engine.dispose()


@pytest.mark.integration
def test_init_db_upgrades_a_database_of_the_previous_schema(db_url):
    """A database made by revision 0001 is taken to the head on first use, data kept."""
    from alembic import command
    from sqlalchemy import inspect, text

    from models.db import SCHEMA_REVISION, alembic_config

    command.upgrade(alembic_config(db_url), "0001")
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO run (flow, started_at, status, parameters, counts, "
                          "failures) VALUES ('x', '2026-01-01', 'completed', '{}', '{}', '[]')"))
    init_db(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == \
            SCHEMA_REVISION
        assert conn.execute(text("SELECT count(*) FROM run")).scalar() == 1
    assert inspect(engine).has_table("layoutcache")
    engine.dispose()


# --- runs and claims ---------------------------------------------------------------------------


def test_runs_dead_local_process_is_abandoned_and_its_claims_released(db_url):
    engine = get_engine(db_url)
    init_db(engine)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with session_scope(engine) as session:
        dead = start_run(session=session, parameters={})
        dead.pid = child.pid  # a process that has exited
        alive = start_run(session=session, parameters={})
        far = start_run(session=session, parameters={})
        far.host, far.heartbeat_at = "elsewhere", utcnow() - timedelta(hours=1)
        near = start_run(session=session, parameters={})
        near.host = "elsewhere"
        ids = dead.id, alive.id, far.id, near.id
    assert claim(engine, sha256="a" * 64, run_id=ids[0]) is None
    assert claim(engine, sha256="b" * 64, run_id=ids[1]) is None
    assert claim(engine, sha256="b" * 64, run_id=ids[3]) == ids[1]  # held by a live run
    assert claim(engine, sha256="a" * 64, run_id=ids[1]) is None  # a dead run's: taken over
    with session_scope(engine) as session:
        gone = {r.id for r in mark_abandoned(session=session)}
        statuses = {r.id: r.status for r in session.exec(select(Run))}
        claims = {c.sha256: c.run_id for c in session.exec(select(DocumentClaim))}
    assert gone == {ids[0], ids[2]}
    assert statuses == {ids[0]: "abandoned", ids[1]: "running", ids[2]: "abandoned",
                        ids[3]: "running"}
    assert claims == {"a" * 64: ids[1], "b" * 64: ids[1]}


# --- two processes, as operators start them ----------------------------------------------------


def _env() -> dict:
    from prefect.settings import get_current_settings

    return dict(os.environ, PREFECT_API_URL=get_current_settings().api.url, COLUMNS="200",
                PREFECT_LOGGING_LEVEL="WARNING")


def _ingest(folder: Path, db_url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", str(folder), "--db", db_url,
         "--workers", "1", *extra],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_concurrent_ingests_parse_each_file_once_issue_12(tmp_path, db_url):
    """Before: two concurrent ingests each parsed all the files (twice the CPU)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    names = ["calloff_order_form.pdf", "jv_exit_amendment.pdf",
             "records_management_services.pdf", "data_processing_agreement.pdf",
             "network_services_contract.pdf"]
    for name in names:
        shutil.copy(SAMPLE_DOCS / name, folder)
    init_db(get_engine(db_url))
    first, second = _ingest(folder, db_url), _ingest(folder, db_url)
    outputs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    with session_scope(get_engine(db_url)) as session:
        runs = session.exec(select(Run).order_by(Run.id)).all()
        leftover = session.exec(select(DocumentClaim)).all()
    assert len(runs) == 2 and all(r.status == "completed" for r in runs)
    a, b = runs  # they did run at the same time
    assert a.started_at < b.finished_at and b.started_at < a.finished_at
    assert sum(r.counts["parsed"] for r in runs) == len(names)  # each file parsed once
    assert sum(r.counts["processed"] for r in runs) == len(names)
    assert leftover == []


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_killed_run_is_marked_abandoned_issue_12(tmp_path, db_url):
    """Before: a killed run's Run row stayed 'running' forever."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "long.pdf").write_bytes(repeated_pdf("jv_services_agreement.pdf", 12))
    init_db(get_engine(db_url))
    proc = _ingest(folder, db_url)
    engine = get_engine(db_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until it has claimed the document
        with session_scope(engine) as session:
            if session.exec(select(DocumentClaim)).first() is not None:
                break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the ingest never claimed its document: " + (proc.communicate()[0] or ""))
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: flow and workers
    proc.communicate(timeout=30)

    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["status", "--db", db_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "abandoned" in result.output
    with session_scope(engine) as session:
        (run,) = session.exec(select(Run)).all()
        assert run.status == "abandoned" and run.finished_at is not None
        assert session.exec(select(DocumentClaim)).first() is None


def test_a_connection_waits_for_a_writer_before_switching_to_wal(tmp_path):
    """Before: opening the database while another process held a write transaction on it (a
    first run creating the schema) failed at once with "database is locked": SQLite does not
    wait for the lock that switching to write-ahead logging needs (seen in CI)."""
    import sqlite3
    import threading

    from sqlalchemy import text

    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.5, lambda: writer.execute("COMMIT")).start()
    started = time.monotonic()
    with get_engine(f"sqlite:///{path}").connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
    assert time.monotonic() - started >= 0.4  # it waited for the writer
    writer.close()
