import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from modelyard.store import open_store
from modelyard.store.migrations import HEAD_REVISION, alembic_config
from modelyard.store.models import Base
from tests.conftest import DIALECTS


def test_head_revision_constant_matches_alembic():
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


@pytest.mark.parametrize("dialect", DIALECTS)
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


@pytest.mark.parametrize("dialect", DIALECTS)
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


@pytest.mark.parametrize("dialect", DIALECTS)
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
        ("postgresql+pg8000://nobody@localhost/none", "No module named"),
        ("mysql://ana:pw-in-url@localhost/none", "mysql://ana:\\*\\*\\*@localhost"),
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


@pytest.mark.parametrize("dialect", DIALECTS)
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


@pytest.mark.postgres
def test_an_unreachable_postgres_server_is_one_sentence_naming_the_host(home, monkeypatch):
    from modelyard.errors import StoreError

    monkeypatch.setenv(
        "MODELYARD_STORE_URL", "postgresql+psycopg://ana:hunter2-secret@127.0.0.1:1/team"
    )
    with pytest.raises(StoreError) as info:
        open_store()
    message = str(info.value)
    assert "127.0.0.1:1" in message and "\n" not in message
    assert "hunter2-secret" not in message


@pytest.mark.postgres
def test_a_wrong_postgres_password_is_one_sentence_without_the_password(
    home, monkeypatch, pg_server
):
    from modelyard.errors import StoreError

    url = pg_server.url().replace(":s3cret", ":wrong-pass-s3cret")
    monkeypatch.setenv("MODELYARD_STORE_URL", url)
    with pytest.raises(StoreError, match="password authentication failed") as info:
        open_store()
    message = str(info.value)
    assert "wrong-pass" not in message and "\n" not in message
    assert f"127.0.0.1:{pg_server.port}" in message


@pytest.mark.postgres
def test_a_missing_postgres_database_is_a_clear_error(home, monkeypatch, pg_server):
    from modelyard.errors import StoreError

    monkeypatch.setenv("MODELYARD_STORE_URL", pg_server.url("no_such_db"))
    with pytest.raises(StoreError, match="no_such_db") as info:
        open_store()
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_store_url_is_shown_without_its_password(store):
    from modelyard.store.db import display_url

    assert "s3cret" not in display_url(store.url)
    assert "s3cret" not in repr(store) and "s3cret" not in str(store.engine.url)


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"])
def test_postgres_sees_commits_from_other_connections(store, sample_csv):
    from modelyard.datasets.service import import_file

    probe = store.change_probe()
    try:
        probe.changed()
        import_file(store, sample_csv)
        assert probe.changed()
    finally:
        probe.close()
