"""Engine and sessions. ``--db`` / ``OBLIGATIONS_DATABASE_URL``, else a SQLite file here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine

DEFAULT_URL = "sqlite:///obligations.db"
ENV_VAR = "OBLIGATIONS_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    url = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    # Accept the URL people copy from psql docs; we ship psycopg 3, not psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration in models/migrations/versions (a test checks it is Alembic's head).
SCHEMA_REVISION = "0004"
# The revision whose schema create_all() made before migrations existed.
BASELINE_REVISION = "0001"


def init_db(engine: Engine) -> None:
    """Create the tables if they are missing (idempotent), and record the schema revision
    for Alembic, so that ``alembic upgrade head`` can take the database on from there."""
    from models import models  # noqa: F401  (registers the tables)

    inspector = inspect(engine)
    versioned = inspector.has_table("alembic_version")
    fresh = not versioned and not inspector.has_table("document")
    SQLModel.metadata.create_all(engine)
    if not versioned:
        _stamp(engine, SCHEMA_REVISION if fresh else BASELINE_REVISION)


def _stamp(engine: Engine, revision: str) -> None:
    """What ``alembic stamp`` writes, without loading Alembic on every start."""
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            ))
            if conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0:
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                             {"v": revision})
    except IntegrityError:
        pass  # another process stamped it at the same moment


def alembic_config(url: str | None = None):
    """The Alembic configuration for ``url`` (``--db``'s rules), for ``command.upgrade``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_db(url: str | None = None, revision: str = "head") -> None:
    """Apply the migrations to ``url`` (what ``alembic upgrade head`` does)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
