"""The database engine, sessions and migrations (Alembic, run from code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(async_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys, WAL (synchronous=NORMAL) and a busy timeout."""
    url = make_url(async_url)
    # Statement parameters are citizens' text: never in an error message or a log line.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if database and database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
                # With WAL, NORMAL syncs at checkpoints, not at every commit: a power cut may
                # lose the last transactions but never corrupts the database (SQLite docs).
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory: one session per incoming message or job run."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(_alembic_config(connection), revision)


def _revisions(connection: Connection) -> tuple[str | None, str | None]:
    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(_alembic_config(connection)).get_current_head()
    return current, head


SETUP_LOCK = 0x686F6370  # serialises schema and first-content setup across instances


async def setup_lock(conn: AsyncConnection) -> None:
    """On PostgreSQL, wait for the setup lock (released when the transaction ends)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SETUP_LOCK})


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent; instances starting together take turns)."""
    async with engine.begin() as conn:
        await setup_lock(conn)
        await conn.run_sync(_upgrade, revision)


async def schema_revisions(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """(current revision of the database, newest revision this code knows)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_revisions)
