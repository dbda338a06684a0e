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
