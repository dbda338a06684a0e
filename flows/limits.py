"""How many flow runs may write to the database at once, across every machine.

A team's batch spreads over many workers; each stores a document in one transaction, and
without a cap a thousand-contract batch would keep every database connection busy while
reviewers wait for their pages. The cap is Prefect's own: a *global concurrency limit* named
``obligations-database`` on the Prefect server (``obligations deploy`` creates it,
``prefect gcl update obligations-database --limit N`` changes it). Each document's store
transaction holds one slot. Without a Prefect server, or without the limit, nothing waits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

DATABASE_LIMIT = "obligations-database"
DEFAULT_DATABASE_SLOTS = 4
# A slot not had in this time fails the document (stored again by the next ingest), rather
# than hang a run behind a limit someone set to 0.
SLOT_TIMEOUT_S = 900

_state = {"enabled": False}
log = logging.getLogger(__name__)


def database_limit_active() -> bool:
    """Whether the Prefect server this process reports to has the limit, and it is active.
    Asked once at the start of each run (a missing limit would warn on every document)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(DATABASE_LIMIT)
    except ObjectNotFound:
        return False
    except Exception as exc:  # noqa: BLE001  no server to ask: nothing to limit
        log.debug("no global concurrency limit: %s", exc)
        return False
    return bool(limit.active)


def prepare() -> bool:
    """Look the limit up for this run; returns whether store transactions will wait for it."""
    _state["enabled"] = database_limit_active()
    return _state["enabled"]


@contextmanager
def database_slot() -> Iterator[None]:
    """One slot of ``obligations-database`` while the block runs (when the limit is on)."""
    if not _state["enabled"]:
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency(DATABASE_LIMIT, occupy=1, timeout_seconds=SLOT_TIMEOUT_S, strict=False):
        yield


def ensure_database_limit(client, slots: int = DEFAULT_DATABASE_SLOTS) -> None:
    """Create the limit with ``slots`` slots, or set an existing one to that number."""
    client.upsert_global_concurrency_limit_by_name(DATABASE_LIMIT, slots)
