"""Starting a run for someone who is not at a terminal (the review app).

The run is recorded at once (``models.team_runs.queue_run``: queued, by whom, with what), so
it shows in ``obligations status``, on the Documents page and on its progress page before
anything has started. Then:

- with a Prefect server configured (``PREFECT_API_URL``, in the environment or the active
  Prefect profile), a flow run of the ``ingest-contracts`` deployment (or
  ``watch-drop-folder`` for the drop folder) is created: it is in the Prefect UI, and a
  worker of the pool takes it;
- without one, the flow runs in a background process on this machine
  (``python -m flows.background RUN_ID``), on Prefect's temporary server.

Either way the flow run takes the queued row up (``run_id``), so there is one Run.
Uploaded files go into the document store first: the worker that reads them may be on
another machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from flows.chunks import DEFAULT_CHUNK_SIZE, PARTS_QUEUE
from flows.sources import store_ref
from models.db import database_url, session_scope
from models.docstore import get_store
from models.team_runs import fail_queued, note_launch, queue_run

INGEST_DEPLOYMENT = "ingest-contracts/ingest-contracts"
DROP_DEPLOYMENT = "watch-drop-folder/watch-drop-folder"
MANUAL_SETTLE_SECONDS = 5.0  # a drop-folder run someone asked for: files copied just now


class LaunchError(Exception):
    """The run could not be started; the message says why and what to do."""


@dataclass(frozen=True)
class RunRequest:
    started_by: str
    refs: tuple[str, ...] = ()  # documents in the store (uploads)
    drop_folder: bool = False
    contract_type: str | None = None
    counterparty: str | None = None

    def parameters(self) -> dict:
        """What the run is given, as recorded on the queued Run."""
        kind = "drop-folder" if self.drop_folder else "ingest"
        return {"kind": kind, "paths": list(self.refs), "contract_type": self.contract_type,
                "counterparty": self.counterparty}


def keep_upload(name: str, data: bytes) -> str:
    """An uploaded file into the document store; its reference for the flow run."""
    return store_ref(get_store().put(data), os.path.basename(name) or "upload.pdf")


def prefect_api_url() -> str | None:
    """The Prefect server this process is configured for, if any (not a temporary one)."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    try:
        from prefect.settings import load_current_profile

        for setting, value in load_current_profile().settings.items():
            if getattr(setting, "name", "") == "PREFECT_API_URL" and value:
                return str(value)
    except Exception:  # noqa: BLE001  no readable profile: no server
        return None
    return None


def launch(engine, request: RunRequest) -> int:
    """Record the run and start it; returns the Run's id. ``LaunchError`` when it cannot
    start (the Run is then recorded as failed, with the reason)."""
    with session_scope(engine) as session:
        run_id = queue_run(session=session, parameters=request.parameters(), origin="web",
                           started_by=request.started_by, total=len(request.refs) or None,
                           flow="watch-drop-folder" if request.drop_folder
                           else "ingest-contracts").id
    try:
        if prefect_api_url():
            flow_run_id, pid = _start_deployment(request, run_id), None
        else:
            flow_run_id, pid = None, _start_background(engine, run_id)
    except LaunchError as exc:
        with session_scope(engine) as session:
            fail_queued(session=session, run_id=run_id, problem=str(exc))
        raise
    with session_scope(engine) as session:
        note_launch(session=session, run_id=run_id, flow_run_id=flow_run_id, pid=pid)
    return run_id


def _start_deployment(request: RunRequest, run_id: int) -> str:
    from prefect.deployments import run_deployment

    if request.drop_folder:
        name, parameters = DROP_DEPLOYMENT, {"settle_seconds": MANUAL_SETTLE_SECONDS}
    else:
        name, parameters = INGEST_DEPLOYMENT, {"paths": list(request.refs), "origin": "web"}
    parameters.update(run_id=run_id, **{k: v for k, v in (
        ("contract_type", request.contract_type), ("counterparty", request.counterparty))
        if v})
    # A run that will not split needs no place on the ``batches`` queue (flows.deployments):
    # an upload of a few contracts does not wait behind the estate's batch.
    small = not request.drop_folder and len(request.refs) <= DEFAULT_CHUNK_SIZE
    try:
        flow_run = run_deployment(name, parameters=parameters, timeout=0, as_subflow=False,
                                  tags=["review-app", f"by:{request.started_by}"],
                                  work_queue_name=PARTS_QUEUE if small else None,
                                  flow_run_name=f"run-{run_id}-{request.started_by}")
    except Exception as exc:  # noqa: BLE001  ObjectNotFound, connection refused …
        raise LaunchError(
            f"the Prefect server at {prefect_api_url()} did not start {name} "
            f"({type(exc).__name__}: {exc}); is the server up, and were the deployments "
            "registered (obligations deploy)?") from None
    return str(flow_run.id)


def _start_background(engine, run_id: int) -> int:
    url = engine.url.render_as_string(hide_password=False)
    log_dir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "obligations-runs")
    os.makedirs(log_dir, exist_ok=True)
    with open(os.path.join(log_dir, f"run-{run_id}.log"), "ab") as log:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "flows.background", str(run_id), "--db",
                 database_url(url)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives a restart of the review app
            )
        except OSError as exc:
            raise LaunchError(f"could not start a background process: {exc}") from None
    # Reaped when it ends, so that it leaves no zombie behind in a long-lived web server.
    threading.Thread(target=process.wait, name=f"run-{run_id}", daemon=True).start()
    return process.pid


def notice_lost_flow_run(engine, run) -> bool:
    """A queued run handed to a Prefect flow run that ended without taking it up (it
    crashed at start, someone cancelled it in the UI): record it as failed, with the flow
    run's state, rather than show it waiting for ever. True when it did so."""
    if run.status != "queued" or not run.flow_run_id or not prefect_api_url():
        return False
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run.flow_run_id).state
    except Exception:  # noqa: BLE001  the server is away: ask again at the next look
        return False
    if state is None or not state.is_final():
        return False
    with session_scope(engine) as session:
        fail_queued(session=session, run_id=run.id, problem=(
            f"its Prefect flow run ended {state.name} before it started"
            + (f": {state.message}" if state.message else "")))
    return True
