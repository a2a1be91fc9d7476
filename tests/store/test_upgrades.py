"""Upgrading a store that holds data: every step applies, or none does."""

import pytest
from alembic import command
from sqlalchemy import text

from modelyard.errors import StoreError
from modelyard.store import open_store
from modelyard.store.migrations import HEAD_REVISION, _sqlite_migration_engine, alembic_config
from modelyard.tracking.runs import get_run


def _downgrade(store, revision: str) -> None:
    config = alembic_config()
    with _sqlite_migration_engine(store.engine).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _tables(store) -> set[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        return {r[0] for r in rows}


def test_a_store_with_runs_and_models_upgrades_and_keeps_every_row(store, finished_run):
    from modelyard.registry.service import register

    register(store, finished_run.id, "churn")
    _downgrade(store, "0004")
    assert store.schema_revision() == "0004" and "experiments" not in _tables(store)
    store.engine.dispose()
    again = open_store()
    try:
        assert again.schema_revision() == HEAD_REVISION
        run = get_run(again, finished_run.id)
        assert run.experiment == "Default" and run.metrics == finished_run.metrics
        with again.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("SELECT count(*) FROM model_versions")).scalar() == 1
    finally:
        again.close()


def test_a_failing_upgrade_leaves_the_store_as_it_was(store, finished_run):
    _downgrade(store, "0004")
    with store.engine.connect() as conn:  # a row pointing nowhere: the check after the upgrade
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql(
            "INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (999, 'x', 1, 0, 0)"
        )
        conn.commit()
    store.engine.dispose()
    with pytest.raises(StoreError, match="left unchanged"):
        open_store()
    assert store.schema_revision() == "0004"
    assert "experiments" not in _tables(store)


def test_downgrading_0007_drops_script_runs_with_their_models(store, finished_run, monkeypatch):
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    import modelyard

    monkeypatch.delenv("MODELYARD_RUN_ID", raising=False)
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with modelyard.start_run(capture_output=False, system_metrics=False) as run:
        run.log_metric("loss", 0.5)
        run.log_model(LinearRegression().fit(frame, [1, 2, 3]), "sdk", input_example=frame)
    _downgrade(store, "0006")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM runs")).scalars().all() == [finished_run.id]
        assert conn.execute(text("SELECT count(*) FROM model_versions")).scalar() == 0
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    store.engine.dispose()
    again = open_store()  # and up again
    try:
        assert get_run(again, finished_run.id).metrics == finished_run.metrics
    finally:
        again.close()


def _store_at_first_revision(home):
    """A store made by the first Modelyard (schema 0001) that holds a dataset and a run."""
    from sqlalchemy import create_engine

    from modelyard import paths

    home.mkdir(parents=True, exist_ok=True)
    engine = create_engine(paths.store_url(home))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "INSERT INTO datasets (id, name, created_at) VALUES (1, 'churn', '2025-01-01 10:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO dataset_versions (id, dataset_id, version, content_hash, source_name,"
            " source_size, n_rows, n_cols, columns, created_at) VALUES (1, 1, 1, 'ab', 'c.csv',"
            " 10, 5, 2, '[]', '2025-01-01 10:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO runs (id, dataset_version_id, target, task, model_kind, params, seed,"
            " status, created_at) VALUES (1, 1, 'y', 'classification', 'random_forest', '{}',"
            " 0, 'finished', '2025-01-01 10:00:00')"
        )
    engine.dispose()


def test_a_first_revision_store_is_backed_up_then_migrated_with_its_data(home):
    _store_at_first_revision(home)
    store = open_store(home)
    try:
        assert store.schema_revision() == HEAD_REVISION
        run = get_run(store, 1)
        assert run.status == "finished" and run.model_kind == "random_forest"
        assert "schema 0001" in store.upgrade_notice
        backups = list(home.glob("*.backup-0001-*"))
        assert len(backups) == 1 and str(backups[0]) in store.upgrade_notice
    finally:
        store.close()
    import sqlite3

    kept = sqlite3.connect(backups[0])
    try:
        assert kept.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert kept.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    finally:
        kept.close()
    again = open_store(home)  # already at head: no second backup, no notice
    try:
        assert again.upgrade_notice is None and len(list(home.glob("*.backup-*"))) == 1
    finally:
        again.close()


def test_a_store_from_a_newer_modelyard_is_refused_and_left_unchanged(store, home):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0042'")
    store.engine.dispose()
    database = next(home.glob("*.db"))
    before = database.read_bytes()
    with pytest.raises(StoreError) as refused:
        open_store(home)
    message = str(refused.value)
    assert "newer Modelyard (schema 0042)" in message and f"reads schema {HEAD_REVISION}" in message
    assert "\n" not in message
    assert database.read_bytes() == before
    assert not list(home.glob("*.backup-*"))
