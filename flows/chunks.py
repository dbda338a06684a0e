"""A batch too large for one machine, spread over the work pool.

When ``ingest-contracts`` runs with ``chunk_size`` N and finds more than N documents, it
becomes the batch's *parent*: it puts every document in the document store (so that any
machine can read it), splits them into parts of at most N (balanced by size, biggest first),
starts the ``ingest-contracts`` deployment once per part with ``run_deployment`` — each part a
flow run of its own, taken by whichever worker of the pool is free — waits for them, and
reports the batch as one run. Prefect does the distributing; nothing here imitates a worker.

Without a Prefect server, or without the deployment, the batch is ingested in place.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from flows.document import read_file
from flows.files import collect_pdfs
from flows.ingest_report import IngestSummary, Outcome
from flows.progress import announce_total, report_outcome
from flows.sources import DocumentStoreError, keep, split_refs, store_ref
from models.db import session_scope
from models.team_runs import children
from pipeline.errors import PipelineError

FLOW_NAME = "ingest-contracts"
DEPLOYMENT = f"{FLOW_NAME}/{FLOW_NAME}"  # as prefect.yaml names it
DEFAULT_CHUNK_SIZE = 20  # prefect.yaml's default for the deployments
PARTS_QUEUE = "default"  # the work pool's queue for parts (flows.deployments)
POLL_SECONDS = 2.0


@dataclass
class Staged:
    """A document of the batch, in the store: what a part's flow run is given."""

    ref: str
    size: int
    outcome: Outcome


def plan_chunks(items: list, size_of, chunk_size: int) -> list[list]:
    """``items`` in ``ceil(n / chunk_size)`` parts of at most ``chunk_size``, balanced by
    ``size_of``: biggest first, each into the lightest part that has room."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be at least 1")
    count = -(-len(items) // chunk_size)
    parts: list[list] = [[] for _ in range(count)]
    weights = [0] * count
    for item in sorted(items, key=size_of, reverse=True):
        open_parts = [i for i in range(count) if len(parts[i]) < chunk_size]
        lightest = min(open_parts, key=lambda i: (weights[i], i))
        parts[lightest].append(item)
        weights[lightest] += size_of(item)
    return [p for p in parts if p]


def split_target(logger) -> str | None:
    """The deployment the parts are started from, or None when there is none to use (no
    Prefect server, or the deployment is not registered): the batch then runs here."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(DEPLOYMENT)
    except Exception as exc:  # noqa: BLE001  ObjectNotFound, no server: ingest in place
        logger.warning("not splitting the batch: no deployment %s (%s); ingesting here",
                       DEPLOYMENT, type(exc).__name__)
        return None
    return DEPLOYMENT


def stage(paths: list[str], summary: IngestSummary, max_bytes: int) -> list[Staged]:
    """Every document of the batch into the store; a file that cannot be read fails here,
    with the same codes a part would give it, and the same content twice is skipped."""
    refs, local = split_refs(paths)
    listing = collect_pdfs(local)
    summary.skipped_entries, summary.other_files = listing.skipped, listing.other_files
    staged: list[Staged] = []
    seen: dict[str, str] = {}
    for path in listing.files:
        outcome = Outcome(str(path), path.name)
        summary.documents.append(outcome)
        try:
            data = read_file(Path(path), max_bytes)
            outcome.sha256 = hashlib.sha256(data).hexdigest()
            keep(outcome.sha256, data)
        except (PipelineError, DocumentStoreError) as exc:
            outcome.status, outcome.error_code, outcome.reason = "failed", exc.code, exc.message
            continue
        if outcome.sha256 in seen:
            outcome.status, outcome.reason = "skipped", f"same content as {seen[outcome.sha256]}"
            continue
        seen[outcome.sha256] = path.name
        staged.append(Staged(store_ref(outcome.sha256, path.name), len(data), outcome))
    for ref in refs:
        outcome = Outcome(str(ref), ref.name, sha256=ref.sha256)
        summary.documents.append(outcome)
        if ref.sha256 in seen:
            outcome.status, outcome.reason = "skipped", f"same content as {seen[ref.sha256]}"
            continue
        seen[ref.sha256] = ref.name
        staged.append(Staged(str(ref), 0, outcome))
    return staged


def start_parts(target: str, parts: list[list[Staged]], parameters: dict, run_id: int,
                logger) -> list:
    """One flow run of the deployment per part; returns them (started, not waited for)."""
    from prefect.deployments import run_deployment

    flow_runs = []
    for number, part in enumerate(parts, 1):
        flow_run = run_deployment(
            target, timeout=0, as_subflow=True, work_queue_name=PARTS_QUEUE,
            flow_run_name=f"run-{run_id}-part-{number}-of-{len(parts)}",
            parameters={**parameters, "paths": [s.ref for s in part], "chunk_size": 0,
                        "parent_run_id": run_id, "origin": "chunk", "run_id": None},
        )
        logger.info("part %d of %d (%d documents: %s): flow run %s", number, len(parts),
                    len(part), ", ".join(s.outcome.source_file for s in part), flow_run.name)
        flow_runs.append(flow_run)
    return flow_runs


def wait_for_parts(flow_runs: list, logger, poll: float = POLL_SECONDS) -> dict[str, object]:
    """Wait until every part's flow run has ended; their final states, by flow run id."""
    from prefect.client.orchestration import get_client

    pending = {str(fr.id): fr for fr in flow_runs}
    ended: dict[str, object] = {}
    with get_client(sync_client=True) as client:
        while pending:
            for flow_run_id in list(pending):
                state = client.read_flow_run(pending[flow_run_id].id).state
                if state is not None and state.is_final():
                    ended[flow_run_id] = state
                    logger.info("flow run %s ended: %s", pending.pop(flow_run_id).name,
                                state.name)
            if pending:
                time.sleep(poll)
    return ended


def gather(engine, summary: IngestSummary, staged: list[Staged], states: dict) -> None:
    """Each staged document's outcome, as the part that read it recorded it."""
    with session_scope(engine) as session:
        parts = children(session=session, run_id=summary.run_id)
    rows: dict[str, dict] = {}
    for part in parts:
        for row in (part.progress or {}).get("documents", []):
            if row.get("sha256"):
                rows[row["sha256"]] = {**row, "part": part}
    for s in staged:
        o, row = s.outcome, rows.get(s.outcome.sha256)
        if row is None:
            o.status, o.error_code = "failed", "part_failed"
            o.reason = ("The flow run that was to read it ended before it did: "
                        + _states_text(states))
            continue
        o.status, o.error_code, o.reason = row["status"], row.get("code"), row.get("reason")
        o.document_id, o.pages = row.get("document_id"), row.get("pages")


def _states_text(states: dict) -> str:
    bad = [f"{getattr(s, 'name', s)} ({getattr(s, 'message', '') or ''})".strip()
           for s in states.values() if not getattr(s, "is_completed", lambda: False)()]
    return "; ".join(bad) or "no part reported it"


def ingest_in_parts(engine, paths: list[str], parameters: dict, summary: IngestSummary,
                    chunk_size: int, logger) -> bool:
    """The parent's work (see the module's docstring). False, having done nothing, when
    the batch fits in one part or cannot be split: the caller ingests it in place."""
    if chunk_size <= 0:
        return False
    refs, local = split_refs(paths)
    if len(refs) + len(collect_pdfs(local).files) <= chunk_size:
        return False
    target = split_target(logger)
    if target is None:
        return False
    staged = stage(paths, summary, parameters["max_bytes"])
    announce_total(engine, summary.run_id, len(summary.documents))
    for outcome in summary.documents:
        if outcome.status != "pending":  # read failures and duplicates, known already
            report_outcome(engine, summary.run_id, outcome, logger)
    parts = plan_chunks(staged, lambda s: s.size, chunk_size)
    logger.info("%d documents in %d parts of at most %d, over the work pool",
                len(staged), len(parts), chunk_size)
    states = wait_for_parts(start_parts(target, parts, parameters, summary.run_id, logger),
                            logger)
    gather(engine, summary, staged, states)
    return True
