"""``obligations export`` and ``obligations tokens``, end to end through the Typer app."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import Session, select
from test_export_support import SYNTHETIC_SHA, add_synthetic, approve, open_engine, reject
from typer.testing import CliRunner

from cli.main import app
from models import ApiToken
from models.export import FIELDS, format_timestamp, record_errors
from models.models import utcnow
from models.tokens import authenticate, hash_token

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def db(db_url):
    """The hand-made contract, three obligations approved and one of them then rejected."""
    engine = open_engine(db_url)
    ids = add_synthetic(engine)
    approve(engine, ids[:3])
    reject(engine, ids[2])
    return db_url, engine, ids


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_export_cli_jsonl_to_stdout_approved_by_default(db) -> None:
    url, _, ids = db
    result = _run("export", "--db", url)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["obligation_id"] for r in records] == ids[:2]
    assert all(record_errors(r) == [] for r in records)


def test_export_cli_status_all_includes_rejected(db) -> None:
    url, _, ids = db
    result = _run("export", "--db", url, "--status", "all")
    statuses = {json.loads(line)["obligation_id"]: json.loads(line)["status"]
                for line in result.stdout.splitlines()}
    assert set(statuses) == set(ids) and statuses[ids[2]] == "rejected"


def test_export_cli_since_gives_the_increment_with_tombstones(db) -> None:
    url, engine, ids = db
    mark = format_timestamp(utcnow())
    assert _run("export", "--db", url, "--since", mark).stdout == ""
    reject(engine, ids[0])
    result = _run("export", "--db", url, "--since", mark)
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (record["obligation_id"], record["status"]) == (ids[0], "rejected")


def test_export_cli_document_filter(db) -> None:
    url, _, ids = db
    assert len(_run("export", "--db", url, "--document", SYNTHETIC_SHA).stdout.splitlines()) == 2
    assert _run("export", "--db", url, "--document", "f" * 64).stdout == ""


def test_export_cli_csv_to_file(db, tmp_path) -> None:
    url, _, ids = db
    out = tmp_path / "approved.csv"
    result = _run("export", "--db", url, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == FIELDS
    assert [r["obligation_id"] for r in rows] == ids[:2]
    assert json.loads(rows[0]["categories"]) == ["exit"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_cli_ocds(db) -> None:
    url, _, ids = db
    result = _run("export", "--db", url, "--format", "ocds")
    package = json.loads(result.stdout)
    (release,) = package["releases"]
    milestones = release["contracts"][0]["milestones"]
    assert [m["id"] for m in milestones] == ids[:2]
    assert milestones[0]["code"] == "exitPlan"
    assert milestones[1]["dueDate"] == "2027-03-31T00:00:00Z"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "last tuesday"], "--since"),
        (["--since", "2026-02-30"], "--since"),
        (["--document", "abc"], "--document"),
        (["--format", "xml"], "xml"),
        (["--status", "pending"], "pending"),
    ],
)
def test_export_cli_usage_errors_exit_2(db, args, message) -> None:
    url, _, _ = db
    result = _run("export", "--db", url, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.stdout == "" and "Traceback" not in result.output


# --- tokens -------------------------------------------------------------------------------------


def test_tokens_create_prints_once_and_stores_the_hash(db) -> None:
    url, engine, _ = db
    result = _run("tokens", "create", "--name", "registry", "--db", url)
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("obl_") and len(secret) > 40
    with Session(engine) as session:
        (token,) = session.exec(select(ApiToken)).all()
        assert token.token_hash == hash_token(secret) and secret not in token.model_dump_json()
        assert authenticate(session=session, secret=secret).id == token.id
    listing = _run("tokens", "list", "--db", url)
    assert "registry" in listing.stdout and "active" in listing.stdout
    assert secret not in listing.stdout


def test_tokens_revoke_by_name_or_id(db) -> None:
    url, engine, _ = db
    first = _run("tokens", "create", "--name", "registry", "--db", url).stdout.strip()
    second = _run("tokens", "create", "--name", "other", "--db", url).stdout.strip()
    with Session(engine) as session:
        other_id = session.exec(select(ApiToken.id).where(ApiToken.name == "other")).one()
    assert _run("tokens", "revoke", str(other_id), "--db", url).exit_code == 0
    assert _run("tokens", "revoke", "registry", "--db", url).exit_code == 0
    with Session(engine) as session:
        assert authenticate(session=session, secret=first) is None
        assert authenticate(session=session, secret=second) is None
    again = _run("tokens", "revoke", "registry", "--db", url)
    assert again.exit_code == 1 and "no active token" in again.output
    assert "revoked" in _run("tokens", "list", "--db", url).stdout


# --- docs that cannot drift ---------------------------------------------------------------------


def _registry_section() -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return readme.split("<!-- registry:start -->")[1].split("<!-- registry:end -->")[0]


@pytest.mark.parametrize(
    "needle",
    ["obligations export", "--format", "--status", "--since", "--document", "--out",
     "tokens create", "tokens list", "tokens revoke", "export-registry",
     "GET /api/v1/obligations", "next_cursor", "WWW-Authenticate", "milestones"],
)
def test_export_cli_readme_documents(needle) -> None:
    assert needle in _registry_section()


def test_export_cli_readme_documents_every_record_field() -> None:
    section = _registry_section()
    assert [f for f in FIELDS if f"`{f}`" not in section] == []
