"""``python -m flows.background RUN_ID [--db URL]``: run a queued run here, without a
Prefect server (``flows.launch`` starts it when the review app has none to send it to).

The flow takes the queued Run up, so its progress and result land where the review app
looks. Exit status: 0 the run completed, 1 it did not.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # NOTES.md

from flows.drop_folder import watch_drop_folder  # noqa: E402
from flows.ingest import ingest_contracts, quick_local_settings  # noqa: E402
from flows.launch import MANUAL_SETTLE_SECONDS  # noqa: E402
from models.db import get_engine, init_db, session_scope  # noqa: E402
from models.models import Run  # noqa: E402
from models.team_runs import fail_queued  # noqa: E402


def run_queued(run_id: int, db_url: str | None) -> bool:
    engine = get_engine(db_url)
    init_db(engine)
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is None or run.status != "queued":
            return False
        parameters = dict(run.parameters)
    options = {k: parameters.get(k) for k in ("contract_type", "counterparty")}
    try:
        with quick_local_settings():
            if parameters.get("kind") == "drop-folder":
                state = watch_drop_folder(db_url=db_url, run_id=run_id, return_state=True,
                                          settle_seconds=MANUAL_SETTLE_SECONDS, **options)
            else:
                state = ingest_contracts(paths=parameters.get("paths", []), db_url=db_url,
                                         run_id=run_id, origin="web", return_state=True,
                                         **options)
    except BaseException as exc:
        with session_scope(engine) as session:  # it never got as far as starting
            fail_queued(session=session, run_id=run_id, problem=f"{type(exc).__name__}: {exc}")
        raise
    return state.is_completed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.background")
    parser.add_argument("run_id", type=int)
    parser.add_argument("--db", default=None)
    args = parser.parse_args(argv)
    return 0 if run_queued(args.run_id, args.db) else 1


if __name__ == "__main__":
    sys.exit(main())
