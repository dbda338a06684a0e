"""The contract registry's side of the export, end to end (issue 5, "Round-trip test").

A small registry importer (a SQLite table keyed by obligation_id) imports the increments the
``export-registry`` protocol writes: upsert approved / corrected records, delete the id of
any other (a tombstone), keep the newest ``updated_at``. Between increments reviewers
correct, reject, reopen and approve; after each import the registry must hold exactly the
approved set, corrections applied, nothing twice. Runs on SQLite and, where one is reachable,
on PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from test_export_support import (
    add_synthetic,
    all_ids,
    approve,
    correct,
    ingest,
    open_engine,
    reject,
    reopen,
)
from typer.testing import CliRunner

from models.export import REVIEWED, export_increment, iter_records, record_errors
from models.models import utcnow

pytestmark = pytest.mark.integration


class Registry:
    """What a downstream registry does with our files: nothing more than the README says."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS obligation ("
            " obligation_id TEXT PRIMARY KEY, updated_at TEXT NOT NULL, record TEXT NOT NULL)"
        )
        self.seen = 0

    def import_lines(self, lines: list[str]) -> None:
        with self.db:
            for line in lines:
                record = json.loads(line)
                assert record_errors(record) == []
                self.seen += 1
                if record["status"] in REVIEWED:
                    self.db.execute(
                        "INSERT INTO obligation VALUES (?, ?, ?) ON CONFLICT (obligation_id) DO "
                        "UPDATE SET updated_at = excluded.updated_at, record = excluded.record "
                        "WHERE excluded.updated_at >= obligation.updated_at",
                        (record["obligation_id"], record["updated_at"], line),
                    )
                else:  # a tombstone
                    self.db.execute(
                        "DELETE FROM obligation WHERE obligation_id = ?", (record["obligation_id"],)
                    )

    def import_file(self, path: Path | None) -> None:
        if path is not None:
            self.import_lines(path.read_text(encoding="utf-8").splitlines())

    def records(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT obligation_id, record FROM obligation").fetchall()
        return {ob_id: json.loads(record) for ob_id, record in rows}


def _approved_now(engine) -> dict[str, dict]:
    with Session(engine) as session:
        return {
            r["obligation_id"]: r
            for r in iter_records(session=session, status="all")
            if r["status"] in REVIEWED
        }


def _increment(engine, out: Path):
    # lag 0: the test's writes are all committed; a scheduled run keeps the default lag
    increment = export_increment(engine=engine, out_dir=out, safety_lag=timedelta(0),
                                 now=utcnow() + timedelta(seconds=1))
    if increment.path is not None:
        lines = increment.path.read_text().splitlines()
        ids = [json.loads(line)["obligation_id"] for line in lines]
        assert len(ids) == len(set(ids)), "an increment holds each obligation once"
    return increment


def _roundtrip(url: str, tmp_path: Path) -> None:
    engine = open_engine(url)
    ingest(engine)
    synthetic = add_synthetic(engine)  # the pipeline's yield is not counted on
    ids = all_ids(engine)
    extracted = [i for i in ids if i not in synthetic]
    # reviewers approve most, leave some in the queue
    approve(engine, synthetic + extracted[::2])
    out = tmp_path / "increments"
    registry = Registry(tmp_path / "registry.db")

    first = _increment(engine, out)
    registry.import_file(first.path)
    assert registry.records() == _approved_now(engine)

    # a reviewer corrects one, rejects another, sends a third back, approves a new one
    corrected, rejected, reopened = synthetic[0], synthetic[1], synthetic[2]
    correct(engine, corrected, action="deliver the final Exit Plan", deadline_duration="P1M")
    reject(engine, rejected)
    reopen(engine, reopened)
    newly = extracted[1::2][:1]
    approve(engine, newly)

    second = _increment(engine, out)
    changed = {json.loads(line)["obligation_id"] for line in second.path.read_text().splitlines()}
    assert changed == {corrected, rejected, reopened, *newly}  # the changes, nothing else
    registry.import_file(second.path)

    held = registry.records()
    assert held == _approved_now(engine)  # exactly the approved set, in its latest state
    assert held[corrected]["status"] == "corrected"
    assert held[corrected]["action"] == "deliver the final Exit Plan"
    assert held[corrected]["deadline"]["duration"] == "P1M"
    assert rejected not in held and reopened not in held
    assert set(newly) <= set(held)

    # nothing changed: no file, and importing everything again changes nothing
    assert _increment(engine, out).path is None
    for path in sorted(out.iterdir()):
        registry.import_file(path)
    assert registry.records() == held
    assert sorted(p.name for p in out.iterdir()) == sorted({first.path.name, second.path.name})


def test_registry_roundtrip_sqlite(db_url, tmp_path) -> None:
    _roundtrip(db_url, tmp_path)


@pytest.mark.postgres
def test_registry_roundtrip_postgres(pg_url, tmp_path) -> None:
    _roundtrip(pg_url, tmp_path)


def test_registry_roundtrip_through_the_cli_since(db_url, tmp_path) -> None:
    """A registry that pulls ``obligations export --since <last updated_at>`` instead."""
    from cli.main import app

    engine = open_engine(db_url)
    ids = add_synthetic(engine)
    approve(engine, ids)
    registry = Registry(tmp_path / "registry.db")
    runner = CliRunner()

    def pull(since: str | None) -> str | None:
        args = ["export", "--db", db_url] + (["--since", since] if since else [])
        lines = runner.invoke(app, args).stdout.splitlines()
        registry.import_lines(lines)
        return json.loads(lines[-1])["updated_at"] if lines else since

    mark = pull(None)
    reject(engine, ids[0])
    correct(engine, ids[1], obligor="Council")
    mark = pull(mark)
    assert pull(mark) == mark  # nothing new, nothing repeated
    held = registry.records()
    assert held == _approved_now(engine) and held[ids[1]]["obligor"] == "Council"
    assert ids[0] not in held
