"""``export-registry``: the changes since the last run → one dated JSONL increment.

The flow only sequences the work; the protocol (what goes into an increment, how the
high-water mark moves, why a scheduled run never skips or repeats a change) is
``models.export.export_increment`` and is documented in the README ("Increments"):

1. record a ``Run``;
2. write ``obligations-<UTC time>.jsonl`` into ``out_dir`` with every export record changed
   since the high-water mark (``ExportState`` "registry") and move the mark, in one step;
3. finish the ``Run`` and publish a markdown artifact saying what was written.

Nothing changed: no file is written and the mark stays (``write_empty=True`` writes an empty
file instead, for a registry that wants one file per run).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # NOTES.md

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from models import get_engine, init_db, session_scope  # noqa: E402
from models.export import (  # noqa: E402
    DEFAULT_SAFETY_LAG,
    REGISTRY,
    export_increment,
    format_timestamp,
)
from models.runs import create_run, finish_run  # noqa: E402

FLOW_NAME = "export-registry"


def _transient(task, task_run, state) -> bool:
    """Retry on I/O only: a database that was briefly unreachable or locked, a full disk
    that someone freed. A concurrent run (ConcurrentExport) or a bad record is not retried."""
    try:
        state.result()
    except (OperationalError, OSError):
        return True
    except Exception:
        return False
    return False


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def write_increment(
    db_url: str | None, out_dir: str, safety_lag_seconds: float, write_empty: bool
) -> dict:
    """One increment; returns what it did as plain data."""
    increment = export_increment(
        engine=get_engine(db_url),
        out_dir=Path(out_dir),
        name=REGISTRY,
        safety_lag=timedelta(seconds=safety_lag_seconds),
        write_empty=write_empty,
    )
    return {
        "file": str(increment.path) if increment.path else None,
        "records": increment.count,
        "since": format_timestamp(increment.since),
        "mark": format_timestamp(increment.mark),
        "until": format_timestamp(increment.until),
    }


@flow(name=FLOW_NAME, persist_result=False, log_prints=False)
def export_registry(
    out_dir: str,
    db_url: str | None = None,
    safety_lag_seconds: float = DEFAULT_SAFETY_LAG.total_seconds(),
    write_empty: bool = False,
) -> dict:
    """Write the export records changed since the last run to a dated JSONL file in
    ``out_dir`` and record the new high-water mark."""
    engine = get_engine(db_url)
    init_db(engine)
    parameters = {"out_dir": str(out_dir), "safety_lag_seconds": safety_lag_seconds,
                  "write_empty": write_empty}
    with session_scope(engine) as session:
        run_id = create_run(
            session=session, parameters=parameters, flow_run_id=_flow_run_id(), flow=FLOW_NAME
        ).id
    failures: list[dict] = []
    result: dict = {}
    try:
        result = write_increment(db_url, str(out_dir), safety_lag_seconds, write_empty)
    except Exception as exc:
        failures.append({"error": type(exc).__name__, "message": str(exc)})
        raise
    finally:
        with session_scope(engine) as session:
            finish_run(session=session, run_id=run_id, counts=result, failures=failures)
    _report(result)
    return result


def _flow_run_id() -> str | None:
    value = flow_run.get_id()
    return str(value) if value else None


def _report(result: dict) -> None:
    if result["file"]:
        line = f"Wrote **{result['records']}** records to `{result['file']}`."
    else:
        line = "Nothing changed since the last increment: no file written."
    get_run_logger().info(line.replace("**", "").replace("`", ""))
    create_markdown_artifact(
        key="export-registry",
        markdown=(
            f"# export-registry\n\n{line}\n\n"
            f"| | |\n|---|---|\n| high-water mark before | {result['since'] or '—'} |\n"
            f"| high-water mark after | {result['mark'] or '—'} |\n"
            f"| changes newer than this wait for the next run | {result['until']} |\n"
        ),
        description="Registry export increment",
    )


if __name__ == "__main__":
    import sys

    print(export_registry(out_dir=sys.argv[1] if len(sys.argv) > 1 else "exports"))
