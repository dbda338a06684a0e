"""``watch-drop-folder``: PDFs dropped into a folder are ingested, then filed away.

On its schedule (``prefect.yaml``) the flow takes the PDFs at the top of the drop folder
(``folder``, else ``$OBLIGATIONS_DROP_FOLDER``) that nobody has touched for
``settle_seconds`` — a file still being copied keeps changing and waits for the next round —
and runs ``ingest-contracts`` on them. Then each file moves:

- to ``processed/`` when it was stored (or had been already);
- to ``failed/`` when it failed, with a note beside it (``<name>.txt``) saying what went
  wrong and what to do, in words a lawyer understands (``flows.explain``);
- nowhere when the run stopped before reaching it: the next round takes it again.

A name already taken in ``processed/`` or ``failed/`` gets a number: nothing is overwritten.
The deployment allows one run at a time, so two rounds never take the same file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed

from flows.explain import failure_note
from flows.files import is_pdf_name
from flows.ingest import IngestFailed, ingest_contracts
from flows.ingest_report import IngestSummary
from models.db import get_engine, init_db, session_scope
from models.models import utcnow
from models.team_runs import fail_queued

FLOW_NAME = "watch-drop-folder"
DROP_ENV = "OBLIGATIONS_DROP_FOLDER"
PROCESSED, FAILED = "processed", "failed"
SETTLE_SECONDS = 30.0


class DropFolderMissing(ValueError):
    """No drop folder given, or it is not a folder this machine can read."""


@dataclass(frozen=True)
class Move:
    source: str  # the file's name in the drop folder
    to: str  # processed | failed
    target: Path
    note: Path | None = None  # the failure note beside a failed file


def drop_folder(folder: str | None) -> Path:
    chosen = folder or os.environ.get(DROP_ENV)
    if not chosen:
        raise DropFolderMissing(f"no drop folder: give folder=… or set {DROP_ENV}")
    path = Path(chosen)
    if not path.is_dir():
        raise DropFolderMissing(f"the drop folder {path} is not a folder this machine can "
                                "see (is the share mounted?)")
    return path


def ready_files(folder: Path, settle_seconds: float, now: float | None = None) -> list[Path]:
    """The PDFs at the top of ``folder`` (not in ``processed/`` or ``failed/``) last changed
    at least ``settle_seconds`` ago, oldest first."""
    now = time.time() if now is None else now
    ready = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file() or not is_pdf_name(entry.name) or entry.name.startswith("."):
                continue
            changed = entry.stat().st_mtime
            if now - changed >= settle_seconds:
                ready.append((changed, Path(os.path.abspath(entry.path))))
    return [path for _changed, path in sorted(ready)]


def free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``stem (2).pdf``, ``stem (3).pdf`` … if it is taken."""
    target, number = folder / name, 1
    stem, suffix = os.path.splitext(name)
    while target.exists() or target.with_name(target.name + ".txt").exists():
        number += 1
        target = folder / f"{stem} ({number}){suffix}"
    return target


def file_away(folder: Path, summary: IngestSummary, when: str) -> list[Move]:
    """Move each file the run finished with to ``processed/`` or ``failed/``."""
    moves = []
    for outcome in summary.documents:
        source = Path(outcome.path)
        if outcome.status == "pending" or source.parent != folder or not source.exists():
            continue
        to = FAILED if outcome.status == "failed" else PROCESSED
        (folder / to).mkdir(exist_ok=True)
        target = free_name(folder / to, source.name)
        note = None
        if to == FAILED:
            note = target.with_name(target.name + ".txt")
            note.write_text(failure_note(source.name, outcome.error_code, outcome.reason,
                                         run_id=summary.run_id, when=when), encoding="utf-8")
        os.replace(source, target)
        moves.append(Move(source.name, to, target, note))
    return moves


def _report(folder: Path, summary: IngestSummary, moves: list[Move]) -> str:
    lines = [f"# Drop folder {folder}", "", f"Ingest run {summary.run_id}: "
             f"{summary.state_message()}.", ""]
    lines += [f"- `{m.source}` → `{m.to}/{m.target.name}`"
              + (f" (why: `{m.to}/{m.note.name}`)" if m.note else "") for m in moves]
    return "\n".join(lines) + "\n"


@flow(name=FLOW_NAME, persist_result=False, log_prints=False)
def watch_drop_folder(
    folder: str | None = None,
    contract_type: str | None = None,
    counterparty: str | None = None,
    workers: int | None = None,
    chunk_size: int = 0,
    settle_seconds: float = SETTLE_SECONDS,
    db_url: str | None = None,
    run_id: int | None = None,
):
    """Ingest the PDFs waiting in the drop folder, then move each to processed/ or failed/
    (with a note saying why). ``run_id``: a run the review app queued for this."""
    logger = get_run_logger()
    try:
        path = drop_folder(folder)
        files = ready_files(path, settle_seconds)
    except (DropFolderMissing, OSError) as exc:
        return _nothing(db_url, run_id, str(exc), failed=True)
    if not files:
        logger.info("nothing new in %s", path)
        return _nothing(db_url, run_id, f"no PDF waiting in the drop folder {path}",
                        failed=run_id is not None)
    logger.info("%d PDF(s) waiting in %s: %s", len(files), path, ", ".join(f.name for f in files))
    state = ingest_contracts(
        paths=[str(f) for f in files], db_url=db_url, contract_type=contract_type,
        counterparty=counterparty, workers=workers, chunk_size=chunk_size, run_id=run_id,
        origin="drop-folder", return_state=True)
    value = state.result(raise_on_failure=False)
    summary = value.summary if isinstance(value, IngestFailed) else value
    if not isinstance(summary, IngestSummary):
        raise RuntimeError(f"ingest-contracts ended without a summary: {value!r}")
    moves = file_away(path, summary, utcnow().strftime("%Y-%m-%d %H:%M UTC"))
    for m in moves:
        logger.info("%s: moved to %s/%s", m.source, m.to, m.target.name)
    create_markdown_artifact(key="drop-folder", markdown=_report(path, summary, moves),
                             description=f"Files moved by drop-folder run {summary.run_id}")
    message = (f"{summary.state_message()}; {sum(m.to == PROCESSED for m in moves)} moved to "
               f"{PROCESSED}/, {sum(m.to == FAILED for m in moves)} to {FAILED}/")
    return Completed(message=message) if summary.ok else Failed(message=message)


def _nothing(db_url: str | None, run_id: int | None, problem: str, failed: bool):
    """No file to take. A scheduled round with nothing new is a success; a run someone
    asked for (``run_id``) with nothing to ingest, or no folder at all, is not."""
    if run_id is not None:
        engine = get_engine(db_url)
        init_db(engine)
        with session_scope(engine) as session:
            fail_queued(session=session, run_id=run_id, problem=problem)
    if failed:
        get_run_logger().error(problem)
        return Failed(message=problem)
    return Completed(message=problem)
