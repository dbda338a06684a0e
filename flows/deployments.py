"""Registering the team's deployments on a Prefect server (``obligations deploy``).

What is set up, all of it Prefect's own:

- the process **work pool** (``obligations`` unless named), with two queues: ``default``
  for the parts of a batch and for small runs, and ``batches`` for the runs that split a
  batch and wait for its parts (``ingest-contracts`` started from the Prefect UI, the
  scheduled ``watch-drop-folder``). ``batches`` runs one at a time: a run that waits for its
  parts holds a worker slot, and if every slot were held by such runs, no part could ever
  start. One at a time, the pool needs two slots in all (``prefect worker start --limit``)
  to always make progress;
- the **global concurrency limit** ``obligations-database`` (``flows.limits``): how many
  documents may be written to the database at once, across every machine;
- the **deployments** of ``prefect.yaml``, through ``prefect deploy --all``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from flows.launch import prefect_api_url
from flows.limits import DEFAULT_DATABASE_SLOTS, ensure_database_limit

DEFAULT_POOL = "obligations"
BATCH_QUEUE = "batches"
PREFECT_FILE = Path(__file__).resolve().parent.parent / "prefect.yaml"


class DeployError(Exception):
    """The deployments could not be registered; the message says why."""


@dataclass(frozen=True)
class DeployOptions:
    pool: str = DEFAULT_POOL
    export_dir: str = "exports"
    database_slots: int = DEFAULT_DATABASE_SLOTS
    prefect_file: Path = PREFECT_FILE


def ensure_pool(client, pool: str) -> bool:
    """The process work pool and its queues; True when the pool was created."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    created = False
    try:
        found = client.read_work_pool(pool)
        if found.type != "process":
            raise DeployError(f"the work pool {pool!r} is of type {found.type!r}; the "
                              "deployments need a process pool (give another --pool)")
    except ObjectNotFound:
        client.create_work_pool(WorkPoolCreate(
            name=pool, type="process",
            base_job_template=ProcessWorker.get_default_base_job_template()))
        created = True
    try:
        queue = client.read_work_queue_by_name(BATCH_QUEUE, work_pool_name=pool)
        client.update_work_queue(queue.id, concurrency_limit=1)
    except ObjectNotFound:
        client.create_work_queue(BATCH_QUEUE, work_pool_name=pool, concurrency_limit=1,
                                 description="runs that split a batch and wait for its parts")
    return created


def deploy(options: DeployOptions = DeployOptions()) -> list[str]:
    """Set everything up (see the module's docstring); returns the deployments' names."""
    from prefect.client.orchestration import get_client

    api = prefect_api_url()
    if not api:
        raise DeployError("no Prefect server configured: set PREFECT_API_URL (for example "
                          "http://prefect.internal:4200/api) or `prefect config set "
                          "PREFECT_API_URL=…`")
    if options.database_slots < 1:
        raise DeployError("--database-slots must be at least 1")
    if not options.prefect_file.is_file():
        raise DeployError(f"no deployment file at {options.prefect_file}")
    try:
        with get_client(sync_client=True) as client:
            ensure_pool(client, options.pool)
            ensure_database_limit(client, options.database_slots)
    except DeployError:
        raise
    except Exception as exc:  # noqa: BLE001  connection refused, a server error …
        raise DeployError(f"the Prefect server at {api} did not answer: {exc}") from None
    _prefect_deploy(options, api)
    return deployment_names(options.prefect_file)


def _prefect_deploy(options: DeployOptions, api: str) -> None:
    env = {**os.environ, "PREFECT_API_URL": api, "OBLIGATIONS_WORK_POOL": options.pool,
           "OBLIGATIONS_EXPORT_DIR": str(Path(options.export_dir).resolve())}
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all",
         "--prefect-file", str(options.prefect_file)],
        cwd=options.prefect_file.parent, env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise DeployError(f"prefect deploy failed (exit {done.returncode}):\n"
                          f"{(done.stdout + done.stderr).strip()[-3000:]}")


def deployment_names(prefect_file: Path = PREFECT_FILE) -> list[str]:
    import yaml

    config = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    return [f"{_flow_name(d['entrypoint'])}/{d['name']}" for d in config["deployments"]]


def _flow_name(entrypoint: str) -> str:
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(entrypoint).name
