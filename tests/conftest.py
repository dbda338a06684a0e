"""Shared fixtures. Each test module may add its own; keep this file small."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = ROOT / "sample_docs"
GOLD = SAMPLE_DOCS / "gold"
CUAD = Path(os.environ.get("OBLIGATIONS_CUAD_DIR", ROOT.parent / "shared" / "cuad"))
PG_URL = os.environ.get(
    "OBLIGATIONS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite file per test."""
    return f"sqlite:///{tmp_path / 'obligations.db'}"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=2
        ):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> str:
    """An empty schema of its own on the PostgreSQL server, where one is reachable."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL server reachable at {PG_URL}")
    import uuid

    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (~10 s to start, NOTES.md),
    shared by every flow test; analytics and flow heartbeats off (NOTES.md)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), temporary_settings(
        updates={"flows.heartbeat_frequency": None}
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def document_store(tmp_path_factory):
    """Every ingest keeps its PDFs in the document store (models.docstore): in the tests, a
    folder of the session's own, never the user's store; subprocesses inherit it."""
    previous = os.environ.get("OBLIGATIONS_DOCUMENT_STORE")
    store = tmp_path_factory.mktemp("document-store")
    os.environ["OBLIGATIONS_DOCUMENT_STORE"] = str(store)
    yield store
    if previous is None:
        os.environ.pop("OBLIGATIONS_DOCUMENT_STORE", None)
    else:
        os.environ["OBLIGATIONS_DOCUMENT_STORE"] = previous
