"""What an ingest run says as each document finishes: one line in the flow run's log (through
Prefect's run logger, the document's name first, so a line read alone in the Prefect UI or a
worker's terminal still says which contract it is about), and one row in the run's progress
(``models.team_runs``), which the review app's progress page reads while the run goes on."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from flows.ingest_report import Outcome
from models.db import session_scope
from models.team_runs import record_progress, set_total


def progress_row(outcome: Outcome) -> dict:
    return {
        "file": outcome.source_file, "sha256": outcome.sha256 or None,
        "status": outcome.status, "code": outcome.error_code, "reason": outcome.reason,
        "document_id": outcome.document_id, "pages": outcome.pages,
    }


def describe(outcome: Outcome) -> str:
    """``calloff_order_form.pdf: processed, 3 pages in 2.1 s`` and the like."""
    name = outcome.source_file
    if outcome.status == "failed":
        return f"{name}: failed ({outcome.error_code}): {outcome.reason}"
    if outcome.status == "skipped":
        return f"{name}: skipped: {outcome.reason}"
    pages = f", {outcome.pages} page{'s' if outcome.pages != 1 else ''}" if outcome.pages else ""
    flags = f", flagged: {', '.join(outcome.flags)}" if outcome.flags else ""
    return f"{name}: {outcome.status}{pages} in {outcome.seconds:.1f} s{flags}"


def log_outcome(logger, outcome: Outcome) -> None:
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    logger.log(level, "%s", describe(outcome))


def report_outcome(engine, run_id: int | None, outcome: Outcome, logger=None) -> None:
    """Log the finished document and add it to its run's progress. A progress row that
    cannot be written is not worth failing the document for: the run's end records all."""
    if logger is not None:
        log_outcome(logger, outcome)
    if run_id is None:
        return
    try:
        with session_scope(engine) as session:
            record_progress(session=session, run_id=run_id, document=progress_row(outcome))
    except OperationalError:
        pass


def announce_total(engine, run_id: int | None, total: int) -> None:
    if run_id is None:
        return
    with session_scope(engine) as session:
        set_total(session=session, run_id=run_id, total=total)
