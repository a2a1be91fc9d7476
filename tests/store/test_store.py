from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from modelyard.store import open_store
from modelyard.store.migrations import HEAD_REVISION, alembic_config
from modelyard.store.models import Base


def test_head_revision_constant_matches_alembic():
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_migrated_schema_equals_models(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert store.schema_revision() == HEAD_REVISION


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(store):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_reopening_an_up_to_date_store_keeps_its_data(home, churn):
    again = open_store()
    try:
        from modelyard.datasets.service import list_datasets

        assert [d.name for d in list_datasets(again)] == ["customer_churn"]
    finally:
        again.close()


def test_change_probe_sees_commits_from_other_connections(store, sample_csv):
    from modelyard.datasets.service import import_file

    probe = store.change_probe()
    try:
        probe.changed()  # first question sets the baseline
        assert not probe.changed()
        import_file(store, sample_csv)
        assert probe.changed()
        assert not probe.changed()
    finally:
        probe.close()


def test_blob_store_is_content_addressed(store):
    sha = store.blobs.put_bytes(b"hello")
    assert store.blobs.put_bytes(b"hello") == sha
    assert store.blobs.open_path(sha).read_bytes() == b"hello"
    assert list(store.blobs._tmp.iterdir()) == []


def test_unusable_store_urls_are_clear_errors(home, monkeypatch):
    import pytest

    from modelyard.errors import StoreError

    for url, message in [
        ("garbage", "check MODELYARD_STORE_URL"),
        ("postgresql://nobody@localhost/none", "No module named"),
    ]:
        monkeypatch.setenv("MODELYARD_STORE_URL", url)
        with pytest.raises(StoreError, match=message):
            open_store()


def test_a_corrupt_database_is_one_clear_sentence(home, monkeypatch, tmp_path):
    import pytest

    from modelyard.errors import StoreError

    corrupt = tmp_path / "corrupt.db"
    corrupt.write_text("this is not SQLite")
    monkeypatch.setenv("MODELYARD_STORE_URL", f"sqlite:///{corrupt}")
    with pytest.raises(StoreError, match="file is not a database") as info:
        open_store()
    assert "\n" not in str(info.value) and "sqlalche.me" not in str(info.value)


def test_a_store_from_a_newer_modelyard_is_refused(store):
    import pytest

    from modelyard.errors import StoreError

    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer Modelyard"):
        open_store()


def test_a_data_home_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    import pytest

    from modelyard.errors import StoreError

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    monkeypatch.setenv("MODELYARD_HOME", str(not_a_folder))
    with pytest.raises(StoreError, match="set MODELYARD_HOME"):
        open_store()
