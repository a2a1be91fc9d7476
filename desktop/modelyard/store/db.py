"""Opening the store: engine, SQLite pragmas, migrations, and managed sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from modelyard import paths
from modelyard.errors import ModelyardError, StoreError
from modelyard.private_files import private_dir, private_file
from modelyard.store.blobs import BlobStore
from modelyard.store.migrations import HEAD_REVISION


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def display_url(url: str) -> str:
    """The URL as a message or a log may show it: the password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL at all: show only its scheme, if any
        scheme, sep, _ = url.partition("://")
        return f"{scheme}://…" if sep else "(not a URL)"


def _where(engine: Engine) -> str:
    """'host:port/db' of a server database, for messages (never the password)."""
    url = engine.url
    host = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}"
    return f"the PostgreSQL server at {host} (database '{url.database}')"


def make_engine(url: str) -> Engine:
    is_sqlite = url.startswith("sqlite")
    try:
        engine = _create(url, is_sqlite)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        hint = ""
        if isinstance(exc, ImportError) and url.startswith("postgresql"):
            hint = " — install the PostgreSQL driver with pip install 'modelyard[postgres]'"
        reason = str(exc).replace(url, display_url(url))
        raise StoreError(
            f"The store URL '{display_url(url)}' cannot be used ({type(exc).__name__}: "
            f"{reason}){hint}; check MODELYARD_STORE_URL."
        ) from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _create(url: str, is_sqlite: bool) -> Engine:
    return create_engine(
        url,
        # Sessions are short and each thread checks out its own connection from the pool.
        connect_args={"timeout": 30, "check_same_thread": False}
        if is_sqlite
        else {"connect_timeout": 10},
        pool_pre_ping=not is_sqlite,
        hide_parameters=True,
    )


def _connection_failure(engine: Engine, exc: SQLAlchemyError) -> str | None:
    """One sentence for a server that cannot be reached or refuses us, else None."""
    from sqlalchemy.exc import OperationalError

    if engine.dialect.name == "sqlite" or not isinstance(exc, OperationalError):
        return None
    first = _reason(exc)
    password = engine.url.password
    if password:
        first = first.replace(str(password), "***")
    return (
        f"Modelyard cannot connect to {_where(engine)}: {first.rstrip('.')}; "
        "check the host, user, password and database in MODELYARD_STORE_URL (or Settings)."
    )


def _reason(exc: SQLAlchemyError) -> str:
    """The database's own words, without SQLAlchemy's statement dump and help link."""
    return str(getattr(exc, "orig", None) or exc).split("\n")[0]


def fetch_tuples(session: Session, statement) -> list[tuple]:
    """Run a Core SELECT straight through the driver: plain tuples, no result processing.

    For wide reads of many rows (the runs table) where SQLAlchemy's per-row work would cost
    more than the query; columns come back as the driver gives them (JSON and times as text
    when the statement casts them).
    """
    connection = session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    values = compiled.construct_params()
    if compiled.positional:
        parameters: tuple | dict = tuple(values[name] for name in compiled.positiontup)
    else:
        parameters = values
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:  # the driver's own, unwrapped
        raise StoreError(f"The store could not be read: {str(exc).splitlines()[0]}") from exc
    finally:
        cursor.close()


def _dialect_insert(session: Session, model):
    """The dialect's own INSERT (with ON CONFLICT) where it has one, else None."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        return None
    return dialect_insert(model)


def insert_missing(session: Session, model, values: dict, key: list[str]) -> None:
    """Insert a row unless one with the same `key` columns exists, in one statement: two
    processes creating the same row at once both succeed (INSERT … ON CONFLICT DO NOTHING on
    SQLite and PostgreSQL; elsewhere a savepoint that swallows the duplicate)."""
    statement = _dialect_insert(session, model)
    if statement is not None:
        session.execute(statement.values(**values).on_conflict_do_nothing(index_elements=key))
        return
    try:
        with session.begin_nested():
            session.execute(insert(model).values(**values))
    except IntegrityError:
        pass  # someone else created it first: the caller reads theirs


def upsert(session: Session, model, values: dict, key: list[str]) -> None:
    """Insert a row or, when its `key` exists, update its other columns — one statement."""
    statement = _dialect_insert(session, model)
    if statement is None:
        insert_missing(session, model, values, key)
        session.execute(
            model.__table__.update()
            .where(*(getattr(model, k) == values[k] for k in key))
            .values(**{c: v for c, v in values.items() if c not in key})
        )
        return
    changes = {c: statement.excluded[c] for c in values if c not in key}
    session.execute(
        statement.values(**values).on_conflict_do_update(index_elements=key, set_=changes)
    )


def get_or_create_id(session: Session, model, **key) -> int:
    """The id of the row with these unique `key` values, created on first use; safe when
    several processes ask for the same new row at the same moment."""
    found = session.scalar(select(model.id).filter_by(**key))
    if found is None:
        insert_missing(session, model, key, list(key))
        found = session.scalar(select(model.id).filter_by(**key))
    return found


class ChangeProbe:
    """Tells cheaply whether anyone (another process included) has committed since last asked.

    SQLite's ``PRAGMA data_version`` changes on a connection whenever another connection
    commits; other databases have no such counter, so there every question answers yes.
    """

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.raw_connection() if engine.dialect.name == "sqlite" else None
        self._last: int | None = None

    def changed(self) -> bool:
        if self._connection is None:
            return True
        cursor = self._connection.cursor()
        try:
            version = cursor.execute("PRAGMA data_version").fetchone()[0]
        finally:
            cursor.close()
        changed, self._last = version != self._last, version
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    if database.startswith("file:"):  # a URI filename: SQLite's to interpret
        return None
    return Path(database)


def _keep_database_file_private(engine: Engine) -> None:
    """A SQLite store file (and its -wal and -shm) user-only, made so before SQLite opens it."""
    database = _sqlite_file(engine)
    if database is not None:
        private_file(database, companions=("-wal", "-shm", "-journal"))


class Store:
    """The records (SQL) and blobs (files) of one Modelyard data directory."""

    def __init__(self, url: str, blob_root: Path, home: Path | None = None) -> None:
        self.url = url
        self.home = home
        self.engine = make_engine(url)
        _keep_database_file_private(self.engine)
        self.blobs = BlobStore(blob_root)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error.

        `write=True` for a read-then-write (the next version number, merging tags): on SQLite
        the transaction takes the write lock before its first read (BEGIN IMMEDIATE, waiting
        up to the busy timeout), so no other process writes between its read and its write;
        on PostgreSQL the reads lock their rows with SELECT … FOR UPDATE (`with_for_update`).
        """
        session = self._sessions()
        try:
            if write and self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session
            session.commit()
        except ModelyardError:
            session.rollback()
            raise
        except SQLAlchemyError as exc:
            session.rollback()
            raise StoreError(
                _connection_failure(self.engine, exc)
                or f"The store at {display_url(self.url)} could not be updated: {_reason(exc)}"
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def __repr__(self) -> str:
        return f"Store({display_url(self.url)!r})"

    def schema_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None

    def _revision_or_refusal(self) -> str | None:
        """The schema revision (None for an empty store); a server that cannot be reached
        is one sentence naming its host, before anything else is tried."""
        try:
            with self.engine.connect() as conn:
                if not self.engine.dialect.has_table(conn, "alembic_version"):
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError as exc:
            failure = _connection_failure(self.engine, exc)
            if failure:
                raise StoreError(failure) from None
            return None

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (a no-op when it is already there).

        An older store is copied next to itself first (`upgrade_notice` then says where); a
        store from a newer Modelyard is refused before anything is touched.
        """
        current = self._revision_or_refusal()
        if current == HEAD_REVISION:
            return
        from alembic.util import CommandError

        from modelyard.store.migrations import known_revisions, upgrade_to_head

        if current is not None and current not in known_revisions():
            raise StoreError(_newer_store_message(display_url(self.url), current))
        backup = self._backup(current) if current is not None else None
        try:
            upgrade_to_head(self.engine)
        except CommandError as exc:
            raise StoreError(_newer_store_message(display_url(self.url), current)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(
                _connection_failure(self.engine, exc)
                or f"The store at {display_url(self.url)} cannot be opened: {_reason(exc)}"
            ) from exc
        except RuntimeError as exc:
            raise StoreError(
                f"The store at {display_url(self.url)} cannot be upgraded ({exc}); "
                "it was left unchanged."
            ) from exc
        if backup is not None:
            self.upgrade_notice = (
                f"The store was upgraded from schema {current} to {HEAD_REVISION}; "
                f"the old one is kept at {backup}."
            )

    upgrade_notice: str | None = None  # a sentence for the user after an upgrade, else None

    def _backup(self, revision: str) -> Path | None:
        """A consistent copy of a SQLite store file beside it, named after its revision."""
        import sqlite3
        import time

        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
            return None  # a server database is backed up by its own tools
        source = Path(database)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = source.with_name(f"{source.stem}.backup-{revision}-{stamp}{source.suffix}")
        partial = target.with_name(target.name + ".partial")
        try:
            private_file(partial)  # a copy of all the data: as private as the store
            src, dst = sqlite3.connect(source), sqlite3.connect(partial)
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
            partial.replace(target)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            raise StoreError(
                f"The store at {self.url} needs an upgrade, but no backup could be written "
                f"beside it ({exc}); it was left unchanged."
            ) from exc
        return target

    def change_probe(self) -> ChangeProbe:
        return ChangeProbe(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def _newer_store_message(url: str, revision: str | None) -> str:
    from modelyard.version import __version__

    return (
        f"The store at {url} was made by a newer Modelyard (schema {revision}); Modelyard "
        f"{__version__} reads schema {HEAD_REVISION} and older, so it was left unchanged — "
        "update Modelyard to open it."
    )


def open_store(
    home: Path | None = None, url: str | None = None, blob_root: Path | None = None
) -> Store:
    """Open (creating or upgrading as needed) the store of a data directory; its blobs live
    where `blob_root` (else MODELYARD_BLOB_DIR, else Settings, else home/blobs) says."""
    home = private_dir(home) if home is not None else paths.data_home()
    store = Store(url or paths.store_url(home), blob_root or paths.blob_dir(home), home=home)
    store.upgrade()
    from modelyard.store.orphans import sweep_now_and_then

    sweep_now_and_then(store)  # what killed processes left behind, once a day
    return store
