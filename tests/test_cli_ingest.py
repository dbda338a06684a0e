"""``obligations ingest`` and ``obligations status`` end to end: exit codes, output, no
tracebacks. Runs in-process with Typer's CliRunner against the session's test Prefect server,
and once as a real subprocess, as a user would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.test_flow_ingest import BAD, SAMPLE_DOCS, make_corpus

SMALL = [SAMPLE_DOCS / "calloff_order_form.pdf", SAMPLE_DOCS / "jv_exit_amendment.pdf"]


@pytest.fixture
def cli(monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # wide enough that Rich does not wrap the tables
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def good_folder(tmp_path) -> Path:
    folder = tmp_path / "good"
    folder.mkdir()
    for pdf in SMALL:
        shutil.copy(pdf, folder)
    return folder


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_cli_ingest_all_processed_exits_0_then_skips(cli, good_folder, db_url):
    result = cli("ingest", str(good_folder), "--db", db_url, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "2 processed, 0 skipped, 0 failed" in result.output
    for heading in ("calloff_order_form.pdf", "exit", "data_return", "termination"):
        assert heading in result.output

    again = cli("ingest", str(good_folder), "--db", db_url)
    assert again.exit_code == 0, again.output
    assert "0 processed, 2 skipped, 0 failed" in again.output


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_cli_ingest_with_bad_files_exits_1_and_stores_the_rest(cli, tmp_path, db_url):
    corpus = make_corpus(tmp_path / "docs", SMALL)
    result = cli("ingest", str(corpus), "--db", db_url, "--contract-type", "supplier",
                 "--counterparty", "Acme Ltd", "--workers", "1")
    assert result.exit_code == 1, result.output
    assert "2 processed, 0 skipped, 3 failed" in result.output
    for name, code in BAD.items():
        assert name in result.output and code in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

    status = cli("status", "--db", db_url)
    assert status.exit_code == 0, status.output
    for text in ("calloff_order_form.pdf", "processed", "failed", "corrupt_pdf", "Last runs"):
        assert text in status.output

    from sqlmodel import select

    from models import Document, get_engine, session_scope

    with session_scope(get_engine(db_url)) as session:
        docs = session.exec(select(Document).where(Document.status == "processed")).all()
    assert {(d.contract_type, d.counterparty) for d in docs} == {("supplier", "Acme Ltd")}
    assert all(d.overrides == {"contract_type": "supplier", "counterparty": "Acme Ltd"}
               for d in docs)


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "no/such/folder"],
        ["ingest"],
        ["ingest", "sample_docs", "--contract-type", "franchise"],
        ["ingest", "sample_docs", "--workers", "0"],
    ],
)
def test_cli_ingest_usage_errors_exit_2(cli, args, db_url):
    result = cli(*args, "--db", db_url)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_cli_status_on_empty_database(cli, db_url):
    result = cli("status", "--db", db_url)
    assert result.exit_code == 0
    assert "No documents yet" in result.output


def test_cli_status_does_not_import_prefect(db_url):
    code = (
        "import sys\n"
        "from cli.main import app\n"
        f"try:\n    app(['status', '--db', {db_url!r}])\n"
        "except SystemExit:\n    pass\n"
        "assert not [m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_cli_ingest_subprocess_failure_has_no_traceback(tmp_path, db_url):
    """As a user runs it: its own process, pointed at the session's Prefect server."""
    from prefect.settings import get_current_settings

    corpus = make_corpus(tmp_path / "docs", SMALL[:1])
    env = dict(os.environ, PREFECT_API_URL=get_current_settings().api.url, COLUMNS="160")
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(corpus), "--db", db_url,
         "--workers", "1"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 processed, 0 skipped, 3 failed" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


# --- issue 12 ---------------------------------------------------------------------------------


def _subprocess_env() -> dict:
    from prefect.settings import get_current_settings

    return dict(os.environ, PREFECT_API_URL=get_current_settings().api.url, COLUMNS="200",
                PREFECT_LOGGING_LEVEL="WARNING")


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_cli_ingest_permission_denied_file_fails_alone_issue_12(tmp_path, db_url):
    """Before: a file the user may not read gave a PermissionError traceback, exit 1,
    nothing stored (the readable files neither) and a Run row stuck 'running'. As root a
    mode-000 file is readable: the ingest runs without the capabilities that allow it."""
    import shutil as sh

    if not sh.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    folder = tmp_path / "docs"
    folder.mkdir()
    for pdf in SMALL:
        sh.copy(pdf, folder)
    locked = folder / "locked.pdf"
    locked.write_bytes((SAMPLE_DOCS / "network_services_contract.pdf").read_bytes())
    locked.chmod(0)
    command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable,
               "-m", "cli.main", "ingest", str(folder), "--db", db_url, "--workers", "1"]
    if os.geteuid() != 0:
        command = command[2:]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env=_subprocess_env())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    assert "2 processed, 0 skipped, 1 failed" in proc.stdout
    assert "unreadable" in proc.stdout and "Permission denied" in proc.stdout

    from sqlmodel import select

    from models import Document, Run, get_engine, session_scope

    with session_scope(get_engine(db_url)) as session:
        (run,) = session.exec(select(Run)).all()
        stored = session.exec(select(Document)).all()
    assert run.status == "failed" and run.failures[0]["code"] == "unreadable"
    assert {d.source_file for d in stored} == {p.name for p in SMALL}


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_cli_ingest_folder_without_pdfs_exits_1_and_says_why_issue_12(cli, tmp_path, db_url):
    (tmp_path / "empty").mkdir()
    result = cli("ingest", str(tmp_path / "empty"), "--db", db_url)
    assert result.exit_code == 1, result.output
    assert "empty" in result.output and "mounted" in result.output

    loops = tmp_path / "loops"
    (loops / "a").mkdir(parents=True)
    (loops / "a" / "back").symlink_to(loops)
    (loops / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    result = cli("ingest", str(loops), "--db", db_url)
    assert result.exit_code == 1, result.output
    assert "symbolic link loop" in result.output and "broken symbolic link" in result.output
    assert "no readable PDF" in result.output


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_cli_status_shows_extractor_versions_and_reextract_catches_up(cli, good_folder, db_url):
    from sqlalchemy import update

    from models import Document, get_engine, session_scope
    from pipeline.extract import current_extractor_version

    assert cli("ingest", str(good_folder), "--db", db_url, "--workers", "1").exit_code == 0
    status = cli("status", "--db", db_url)
    assert current_extractor_version() in status.output and "behind it" not in status.output

    with session_scope(get_engine(db_url)) as session:
        session.execute(update(Document).where(Document.source_file == "jv_exit_amendment.pdf")
                        .values(extractor_version="0.0.0+rules.old"))
    status = cli("status", "--db", db_url)
    assert "0.0.0+rules.old *" in status.output
    assert "1 of 2 document(s) behind it" in status.output

    result = cli("reextract", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "1 of 1 document(s) re-extracted" in result.output
    assert "behind it" not in cli("status", "--db", db_url).output
    assert cli("reextract", "--db", db_url).output.startswith("Nothing to re-extract")
    assert cli("reextract", "-d", "nosuch.pdf", "--db", db_url).exit_code == 2


def test_cli_backup_copies_a_live_database(cli, tmp_path, db_url):
    from models import get_engine, init_db

    init_db(get_engine(db_url))
    target = tmp_path / "backup.db"
    result = cli("backup", str(target), "--db", db_url)
    assert result.exit_code == 0, result.output
    import sqlite3

    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert cli("backup", str(target), "--db", db_url).exit_code == 2  # exists: --force
    assert cli("backup", str(target), "--force", "--db", db_url).exit_code == 0
    pg = cli("backup", str(target), "--force", "--db", "postgresql://nobody@127.0.0.1:1/x")
    assert pg.exit_code != 0 and "Traceback" not in pg.output
