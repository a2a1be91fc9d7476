"""Shared fixtures: every test gets its own Modelyard home; nothing touches the user's data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "customer_churn.csv"


# Store tests that matter run on both: `@pytest.mark.parametrize("dialect", DIALECTS)`.
DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the whole session; each test gets its own database."""
    from tests.pg_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl): apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture
def dialect() -> str:
    """The store's database: SQLite unless a test parametrises it over DIALECTS (or the
    developer runs everything on PostgreSQL: MODELYARD_TEST_DIALECT=postgresql pytest …)."""
    return os.environ.get("MODELYARD_TEST_DIALECT", "sqlite")


@pytest.fixture
def home(tmp_path, monkeypatch, request, dialect) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("MODELYARD_HOME", str(home))
    monkeypatch.delenv("MODELYARD_STORE_URL", raising=False)
    monkeypatch.delenv("MODELYARD_BLOB_DIR", raising=False)
    if dialect == "postgresql":
        url = request.getfixturevalue("pg_server").new_database()
        monkeypatch.setenv("MODELYARD_STORE_URL", url)
    return home


@pytest.fixture
def store(home):
    from modelyard.store import open_store

    store = open_store()
    yield store
    store.close()


@pytest.fixture
def sample_csv() -> Path:
    return SAMPLE


@pytest.fixture
def churn(store, sample_csv):
    """The sample dataset, imported."""
    from modelyard.datasets.service import import_file

    return import_file(store, sample_csv).version


def train_in_process(
    store, dataset, target="churn", kind="logistic_regression", params=None, seed=0
):
    """Create a run and train it right here (the worker's own code, without a process)."""
    from modelyard.tracking.runs import get_run
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    run = create_run(store, dataset, target, kind, params or {}, seed=seed)
    assert train(run.id) == 0
    return get_run(store, run.id)


@pytest.fixture
def finished_run(store, churn):
    return train_in_process(store, churn)


def store_snapshot(store) -> dict:
    """Row counts of every table and the blob files: to prove that nothing was written."""
    from sqlalchemy import func, select

    from modelyard.store.models import Base

    with store.engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in Base.metadata.sorted_tables
        }
    blobs = sorted(p.name for p in store.blobs.root.rglob("*") if p.is_file())
    return {"rows": counts, "blobs": blobs}
