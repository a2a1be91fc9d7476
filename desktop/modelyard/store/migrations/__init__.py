"""Alembic migrations shipped with the package and applied when the store opens.

HEAD_REVISION lets an up-to-date store open without importing Alembic (half a second of
start-up); a test checks that it names Alembic's real head.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

HEAD_REVISION = "0010"
SCRIPT_LOCATION = Path(__file__).parent
MIGRATION_LOCK = 0x6D6F64656C  # PostgreSQL advisory lock key held while migrating ("model")


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def known_revisions() -> set[str]:
    """The revisions this Modelyard ships (from the migration files' names, no Alembic)."""
    return {p.name.split("_", 1)[0] for p in (SCRIPT_LOCATION / "versions").glob("[0-9]*_*.py")}


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration in one transaction: all of them, or none."""
    from alembic import command

    config = alembic_config()
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                # several processes opening a new team store at once: one migrates, the
                # others wait here and then find it at head (DDL is transactional there)
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return
    with _sqlite_migration_engine(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:  # raising rolls every step back
            raise RuntimeError(f"the upgrade would break {len(broken)} references between rows")


def _sqlite_migration_engine(engine: Engine) -> Engine:
    """A connection where DDL is transactional and foreign keys are off while batch mode copies
    tables (SQLAlchemy's recipe for pysqlite, which otherwise commits before every CREATE)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    migrating = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(migrating, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # no implicit transactions: we BEGIN ourselves
        dbapi_connection.execute("PRAGMA busy_timeout=10000")
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction

    @event.listens_for(migrating, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating
