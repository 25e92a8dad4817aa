"""Engine creation and migrations, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from worker.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def connect(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created, foreign keys enforced."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as e:
        raise ConfigError(f"database_url: not a database URL: {url!r}") from e
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the one writer
    # In WAL mode NORMAL is still safe from corruption; it skips an fsync per commit, which
    # made a poll of 500 unchanged feeds (a few commits each) take 1.6 s longer.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def has_schema(engine: Engine) -> bool:
    """Whether the schema was ever created here (a command that only reads needs it)."""
    return sa.inspect(engine).has_table("alembic_version")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to run every start)."""
    from alembic import command  # loaded by the processes that migrate only
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several workers starting together: one migrates, the others wait for it.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(7201931)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def insert_ignoring_conflicts(conn: Connection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in this connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


T = TypeVar("T")


def chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """`values` in lists of `size`: one statement each stays under the databases' limits
    on bound parameters (SQLite's 32,766, PostgreSQL's 65,535)."""
    it = iter(values)
    while batch := list(islice(it, size)):
        yield batch
