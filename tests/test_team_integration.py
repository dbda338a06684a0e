"""A team's set-up, for real, on loopback ports (README "Running for a team"):

a Prefect server, the deployments (``obligations deploy``), TWO process workers with working
directories of their own (two machines), PostgreSQL for the obligations, S3 (moto in server
mode) as the document store, the review app. Then:

1. ``ingest-contracts`` on eight sample contracts with ``chunk_size=3``: split into parts that
   both workers take; every document is in PostgreSQL exactly once; the artifacts exist;
2. ``watch-drop-folder``: a good file goes to processed/, a bad one to failed/ with its note;
3. a third run, started from the review app over HTTP, uploads the ninth contract and is
   executed by a worker;
4. everything is stopped, and no process of the test is left.

Prints which worker took which documents, and the wall time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import SAMPLE_DOCS
from tests.team_support import (
    VENV_BIN,
    Processes,
    create_bucket,
    free_port,
    s3_env,
    start_moto,
    strays,
    wait_http,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
POOL = "team-test"
HELD_BACK = "calloff_order_form.pdf"  # uploaded through the review app in step 3
PASSWORD = "correct horse battery"


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PREFECT_", "OBLIGATIONS_", "AWS_"))}


@pytest.fixture
def team(tmp_path, pg_url):
    """The services, started; stopped (all of them) after the test."""
    marker = uuid.uuid4().hex
    (tmp_path / "logs").mkdir()
    env = _clean_env()
    processes = Processes(marker, env, tmp_path / "logs")
    try:
        s3 = start_moto(processes, tmp_path)
        create_bucket(s3, "team-documents")
        port = free_port()
        env.update(s3_env(s3), **{
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # no scheduled rounds here
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "OBLIGATIONS_DATABASE_URL": pg_url,
            "OBLIGATIONS_DOCUMENT_STORE": "s3://team-documents/store",
            "OBLIGATIONS_DROP_FOLDER": str(tmp_path / "drop"),
            "OBLIGATIONS_SECRET_KEY": "team-test-" + "s" * 40,
            "OBLIGATIONS_SECURE_COOKIES": "0",
        })
        (tmp_path / "drop").mkdir()
        server = processes.start("prefect-server", [str(VENV_BIN / "prefect"), "server", "start",
                                                    "--host", "127.0.0.1", "--port", str(port)],
                                 cwd=tmp_path)
        wait_http(env["PREFECT_API_URL"] + "/health", 120, server,
                  tmp_path / "logs" / "prefect-server.log")
        yield {"env": env, "tmp": tmp_path, "processes": processes, "api": env["PREFECT_API_URL"],
               "pg_url": pg_url, "marker": marker}
    finally:
        processes.stop_all()


def _run(team, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(list(args), cwd=team["tmp"], env=team["env"], input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _trigger(team, deployment: str, **parameters) -> str:
    args = [str(VENV_BIN / "prefect"), "deployment", "run", deployment]
    for key, value in parameters.items():
        args += ["--param", f"{key}={json.dumps(value)}"]
    out = _run(team, *args)
    return re.search(r"UUID: ([0-9a-f-]{36})", out).group(1)


def _wait_flow_run(team, flow_run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{team['api']}/flow_runs/{flow_run_id}").json()
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    logs = "\n".join(team["processes"].log(n)[-2000:] for n in ("worker-a", "worker-b"))
    raise AssertionError(f"flow run {flow_run_id} did not end in {timeout} s:\n{logs}")


def _query(team, sql: str, **params) -> list:
    engine = sa.create_engine(team["pg_url"])
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def _artifact_keys(team, flow_run_id: str) -> set[str]:
    found = httpx.post(f"{team['api']}/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}).json()
    return {a["key"] for a in found}


def _start_workers(team) -> None:
    for name in ("worker-a", "worker-b"):
        machine = team["tmp"] / f"machine-{name[-1]}"  # a working directory each
        machine.mkdir()
        team["processes"].start(name, [str(VENV_BIN / "prefect"), "worker", "start", "--pool",
                                       POOL, "--name", name, "--limit", "2"], cwd=machine)


def _split(team, parent_run_id: int) -> dict[str, list[str]]:
    """Which worker took which documents: the parts of the batch, by their worker."""
    split: dict[str, list[str]] = {}
    for worker, progress in _query(team, "SELECT worker, progress FROM run WHERE "
                                   "parent_run_id = :p ORDER BY id", p=parent_run_id):
        name = (worker or "?").split(" on ")[0]
        split.setdefault(name, []).extend(d["file"] for d in progress["documents"])
    return split


def _batch(team) -> tuple[int, dict]:
    batch = team["tmp"] / "contracts"
    batch.mkdir()
    for pdf in sorted(SAMPLE_DOCS.glob("*.pdf")):
        if pdf.name != HELD_BACK:
            shutil.copy(pdf, batch / pdf.name)
    flow_run_id = _trigger(team, "ingest-contracts/ingest-contracts", paths=[str(batch)],
                           chunk_size=3, workers=1)
    flow_run = _wait_flow_run(team, flow_run_id, 200)
    assert flow_run["state"]["type"] == "COMPLETED", flow_run["state"]
    (run_id,) = _query(team, "SELECT id FROM run WHERE flow_run_id = :f", f=flow_run_id)[0]
    assert {"ingest-documents", "ingest-summary"} <= _artifact_keys(team, flow_run_id)
    return run_id, _split(team, run_id)


def _drop_folder(team) -> None:
    drop = team["tmp"] / "drop"
    shutil.copy(SAMPLE_DOCS / "jv_exit_amendment.pdf", drop / "Amendment (scan).pdf")
    (drop / "Board minutes.pdf").write_bytes(b"<html>saved from the intranet</html>")
    flow_run_id = _trigger(team, "watch-drop-folder/watch-drop-folder", settle_seconds=0)
    flow_run = _wait_flow_run(team, flow_run_id, 120)
    assert flow_run["state"]["type"] == "FAILED"  # one file failed: not "Completed"
    assert [p.name for p in (drop / "processed").iterdir()] == ["Amendment (scan).pdf"]
    assert sorted(p.name for p in (drop / "failed").iterdir()) == [
        "Board minutes.pdf", "Board minutes.pdf.txt"]
    note = (drop / "failed" / "Board minutes.pdf.txt").read_text()
    assert "is not a PDF, even though its name ends in .pdf" in note
    assert "drop-folder" in _artifact_keys(team, flow_run_id)


def _review_app_run(team) -> dict:
    _run(team, str(VENV_BIN / "obligations"), "users", "add", "rita", "--role", "runner",
         "--password-stdin", stdin=PASSWORD + "\n")
    port = free_port()
    web = team["processes"].start("web", [str(VENV_BIN / "obligations"), "serve", "--host",
                                          "127.0.0.1", "--port", str(port)], cwd=team["tmp"])
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", 60, web, team["tmp"] / "logs" / "web.log")
    with httpx.Client(base_url=base, timeout=30) as client:
        token = _csrf(client.get("/login").text)
        client.post("/login", data={"name": "rita", "password": PASSWORD, "csrf_token": token})
        token = _csrf(client.get("/runs/new").text)
        response = client.post("/runs", data={"csrf_token": token, "source": "upload"}, files={
            "documents": (HELD_BACK, (SAMPLE_DOCS / HELD_BACK).read_bytes(), "application/pdf")})
        assert response.status_code == 303, response.text
        run_id = int(response.headers["location"].rsplit("/", 1)[1])
        deadline = time.monotonic() + 150
        while not (data := client.get(f"/runs/{run_id}/progress").json())["finished"]:
            assert time.monotonic() < deadline, data
            time.sleep(1)
    flow_run = httpx.get(f"{team['api']}/flow_runs/{data['flow_run_id']}").json()
    return {"data": data, "flow_run": flow_run}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_team_two_workers_drop_folder_and_review_app(team, capsys):
    started = time.monotonic()
    out = _run(team, str(VENV_BIN / "obligations"), "deploy", "--pool", POOL, "--export-dir",
               str(team["tmp"] / "exports"))
    assert "deployed ingest-contracts/ingest-contracts" in out
    _start_workers(team)

    parent_run_id, split = _batch(team)
    assert set(split) == {"worker-a", "worker-b"}, split  # both machines did work
    assert sorted(f for files in split.values() for f in files) == sorted(
        p.name for p in SAMPLE_DOCS.glob("*.pdf") if p.name != HELD_BACK)

    _drop_folder(team)
    web = _review_app_run(team)
    data, flow_run = web["data"], web["flow_run"]
    assert (data["status"], data["processed"], data["failed"]) == ("completed", 1, 0), data
    assert data["worker"].split(" on ")[0] in ("worker-a", "worker-b")
    assert flow_run["state"]["type"] == "COMPLETED" and flow_run["deployment_id"]
    assert flow_run["work_pool_name"] == POOL

    rows = _query(team, "SELECT source_file, sha256, status FROM document ORDER BY source_file")
    assert len(rows) == len({r.sha256 for r in rows}) == 10, rows  # each exactly once
    contracts = {r.source_file: r.status for r in rows if r.source_file != "Board minutes.pdf"}
    assert contracts == {p.name: "processed" for p in SAMPLE_DOCS.glob("*.pdf")}
    from flows.sources import parse_ref  # the upload travelled as a store reference

    assert parse_ref(_query(team, "SELECT path FROM document WHERE source_file = :f",
                            f=HELD_BACK)[0][0]) is not None

    team["processes"].stop_all()
    assert strays(team["marker"]) == []
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nteam integration: batch run {parent_run_id} split over the workers:")
        for worker, files in sorted(split.items()):
            print(f"  {worker}: {', '.join(sorted(files))}")
        print(f"  review-app run {data['run']} executed by {data['worker']}")
        print(f"  wall time after the Prefect server was up: {seconds:.0f} s", file=sys.stdout)
