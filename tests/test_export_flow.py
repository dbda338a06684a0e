"""The ``export-registry`` Prefect flow: dated increments, the high-water mark, a Run row."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlmodel import Session, select
from test_export_support import add_synthetic, approve, open_engine, reject

from models import ExportState, Run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def prefect_engine(prefect_harness):
    """The session's one test Prefect server (tests/conftest.py)."""
    yield


def test_export_flow_task_without_the_engine(db_url, tmp_path) -> None:
    from flows.export import write_increment

    engine = open_engine(db_url)
    ids = add_synthetic(engine)
    approve(engine, ids[:2])
    result = write_increment.fn(db_url, str(tmp_path / "out"), 0, False)
    assert result["records"] == 2 and result["file"].endswith(".jsonl")
    assert write_increment.fn(db_url, str(tmp_path / "out"), 0, False)["file"] is None


def test_export_flow_writes_increments_and_moves_the_mark(prefect_engine, db_url, tmp_path):
    from flows.export import FLOW_NAME, export_registry

    engine = open_engine(db_url)
    ids = add_synthetic(engine)
    approve(engine, ids)
    out = tmp_path / "registry"

    first = export_registry(out_dir=str(out), db_url=db_url, safety_lag_seconds=0)
    lines = (out / os.path.basename(first["file"])).read_text().splitlines()
    assert [json.loads(line)["obligation_id"] for line in lines] == ids
    assert first["records"] == len(ids) and first["since"] is None

    assert export_registry(out_dir=str(out), db_url=db_url, safety_lag_seconds=0)["file"] is None

    reject(engine, ids[0])
    third = export_registry(out_dir=str(out), db_url=db_url, safety_lag_seconds=0)
    (tombstone,) = [json.loads(line) for line in Path(third["file"]).read_text().splitlines()]
    assert (tombstone["obligation_id"], tombstone["status"]) == (ids[0], "rejected")
    assert third["since"] == first["mark"]

    with Session(engine) as session:
        state = session.get(ExportState, "registry")
        assert state.last_file == os.path.basename(third["file"])
        assert state.high_water_mark.isoformat().startswith(third["mark"][:19])
        runs = session.exec(select(Run).where(Run.flow == FLOW_NAME)).all()
        assert [r.status for r in runs] == ["completed"] * 3
        assert runs[0].counts["records"] == len(ids) and runs[0].flow_run_id
    assert sorted(p.name for p in out.iterdir()) == sorted(
        os.path.basename(r["file"]) for r in (first, third)
    )
