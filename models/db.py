"""Engine and sessions. ``--db`` / ``OBLIGATIONS_DATABASE_URL``, else a SQLite file here."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

DEFAULT_URL = "sqlite:///obligations.db"
# How long a SQLite connection waits for another process's lock before it gives up.
SQLITE_BUSY_S = 30
ENV_VAR = "OBLIGATIONS_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    url = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    # Accept the URL people copy from psql docs; we ship psycopg 3, not psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_S * 1000}")
    _wal(cur)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _wal(cur) -> None:
    """Write-ahead logging, which the database file keeps once set. Switching to it needs the
    database to itself, and SQLite answers "database is locked" at once, without its busy
    handler, while another process holds a transaction (first runs creating the schema
    together, seen in CI): wait and try again until ``SQLITE_BUSY_S`` has passed."""
    deadline = time.monotonic() + SQLITE_BUSY_S
    delay = 0.02
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")  # an in-memory database stays "memory"
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


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
SCHEMA_REVISION = "0005"
# The revision whose schema create_all() made before migrations existed.
BASELINE_REVISION = "0001"
# Any number, the same in every process: the PostgreSQL advisory lock that serialises schema
# changes ("obligations" in ASCII).
SCHEMA_LOCK_KEY = 0x6F626C6967617469
SCHEMA_LOCK_TIMEOUT_S = 120


def init_db(engine: Engine) -> None:
    """Bring the schema to ``SCHEMA_REVISION`` through Alembic, creating the tables of a new
    database on first use. Concurrent first runs are safe: the migration runs under a lock
    (an advisory lock on PostgreSQL, an immediate transaction on SQLite), and whoever gets
    the lock second finds the work done. A database already at the head costs one query."""
    if _revision(engine) == SCHEMA_REVISION:
        return
    with _schema_lock(engine) as conn:
        current = _revision(conn)
        if current == SCHEMA_REVISION:
            return
        if current is None and inspect(conn).has_table("document"):
            # Made by create_all() before migrations existed: that schema is the baseline.
            _stamp(conn, BASELINE_REVISION)
        _upgrade_on(conn)


def _revision(bind) -> str | None:
    """The revision recorded in ``alembic_version``, or None (no table, or empty)."""
    try:
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                return _revision(conn)
        if not inspect(bind).has_table("alembic_version"):
            return None
        return bind.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError:
        if isinstance(bind, Engine):
            raise
        return None


@contextmanager
def _schema_lock(engine: Engine) -> Iterator:
    """A connection in a transaction that no other process can share while it lasts."""
    if engine.dialect.name == "sqlite":
        # pysqlite would start the transaction lazily (and DDL outside it); a private engine
        # that begins IMMEDIATE takes SQLite's write lock at once, so a second process
        # waits here (busy_timeout) instead of racing on CREATE TABLE.
        private = create_engine(engine.url, poolclass=NullPool)

        @event.listens_for(private, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            dbapi_conn.execute(f"PRAGMA busy_timeout={SCHEMA_LOCK_TIMEOUT_S * 1000}")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(private, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with private.begin() as conn:
                yield conn
        finally:
            private.dispose()
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        yield conn


def _upgrade_on(conn) -> None:
    from alembic import command

    config = alembic_config(conn.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _stamp(conn, revision: str) -> None:
    """What ``alembic stamp`` writes, in the caller's transaction."""
    conn.execute(text(
        "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    ))
    conn.execute(text("DELETE FROM alembic_version"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


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


# --- SQLite housekeeping ---------------------------------------------------------------------


def checkpoint(engine: Engine) -> bool:
    """Move SQLite's write-ahead log into the database file and empty it, so that the
    ``.db`` file alone holds everything (what a plain file copy takes). Returns False when
    a reader kept part of the log in use (it is moved by a later checkpoint). PostgreSQL:
    nothing to do."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        busy, _log, _moved = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return not busy


class BackupError(Exception):
    """The database cannot be backed up this way."""


def backup_sqlite(engine: Engine, target: Path) -> int:
    """A consistent copy of a SQLite database taken with SQLite's online backup API while
    others may be writing, written beside ``target`` and moved into place. Returns the size
    in bytes. Raises ``BackupError`` for other databases (PostgreSQL: ``pg_dump``)."""
    import os
    import sqlite3

    if engine.dialect.name != "sqlite":
        raise BackupError(
            f"{engine.dialect.name} databases are backed up with their own tools "
            "(PostgreSQL: pg_dump, see README.md 'Backups')"
        )
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    target = Path(target)
    partial = target.with_name(f".{target.name}.partial")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            # One self-contained file: no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, target)
    return target.stat().st_size
