"""What holds the user's data is user-only on POSIX whatever the umask; bundles are not."""

from __future__ import annotations

import os
import stat
import sys

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


@pytest.fixture(autouse=True)
def permissive_umask():
    before = os.umask(0o022)  # what most desktops run with: 0755 folders, 0644 files
    yield
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def open_files(home) -> dict[str, int]:
    return {str(p.relative_to(home)): mode(p) for p in sorted(home.rglob("*"))}


def test_a_new_store_its_database_blobs_and_logs_are_user_only(home, sample_csv):
    import modelyard
    from modelyard.datasets.service import import_file
    from modelyard.store import open_store

    store = open_store()
    try:
        import_file(store, sample_csv)
        with modelyard.start_run(experiment="modes", system_metrics=False) as run:
            run.log_metric("loss", 0.5)
            print("a line for the run's log")
            (home.parent / "notes.txt").write_text("an artifact")
            run.log_artifact(home.parent / "notes.txt")
        db = home / "modelyard.db"
        assert (home / "modelyard.db-wal").exists() and (home / "modelyard.db-shm").exists()
        blobs = [p for p in (home / "blobs").glob("??/*") if p.is_file()]
        assert len(blobs) >= 2  # the dataset's Parquet and the artifact
        assert (home / "logs" / f"run-{run.id}.log").read_text().strip()
        files = open_files(home)
        assert mode(home) == 0o700
        assert {mode(p) for p in [db, home / "modelyard.db-wal", home / "modelyard.db-shm"]} == {
            0o600
        }
        assert {mode(p) for p in blobs} == {0o400}
        folders = [p for p in home.rglob("*") if p.is_dir()]
        assert {mode(p) for p in folders} == {0o700}, files
        loose = {name: m for name, m in files.items() if m & 0o077}
        assert loose == {}
    finally:
        store.close()


def test_a_worker_log_is_user_only(store, churn, monkeypatch):
    from modelyard.training import launcher
    from modelyard.training.jobs import create_run

    run = create_run(store, churn, "churn", "logistic_regression")
    # the launcher's own log handling, with a child that only prints instead of training
    monkeypatch.setattr(
        launcher, "worker_command", lambda *a: [sys.executable, "-c", "print('worker says hi')"]
    )
    proc = launcher.start(store, run.id)
    proc.wait(timeout=60)
    log = launcher.log_path(store, run.id)
    assert "worker says hi" in log.read_text()
    assert mode(log) == 0o600 and mode(log.parent) == 0o700


def test_the_signing_key_is_user_only(home):
    from modelyard.deploy import signing

    signing.signing_key()
    assert mode(signing.key_path()) == 0o600 and mode(signing.key_path().parent) == 0o700


def test_a_store_left_open_by_an_older_version_is_tightened(home):
    import sqlite3

    from modelyard.store import open_store

    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    sqlite3.connect(home / "modelyard.db").close()
    os.chmod(home / "modelyard.db", 0o644)
    (home / "blobs").mkdir(mode=0o755)
    os.chmod(home / "blobs", 0o755)
    store = open_store()
    store.close()
    assert mode(home) == 0o700 and mode(home / "modelyard.db") == 0o600
    assert mode(home / "blobs") == 0o700


def test_the_backup_before_an_upgrade_is_user_only(home, monkeypatch):
    from modelyard.store import Store, open_store

    store = open_store()
    store.close()
    store = Store(f"sqlite:///{home / 'modelyard.db'}", home / "blobs", home=home)
    try:
        target = store._backup("oldrev")
    finally:
        store.close()
    assert target.exists() and mode(target) == 0o600


def test_an_sdk_home_of_its_own_is_user_only(tmp_path):
    import modelyard

    own = tmp_path / "elsewhere"
    with modelyard.start_run(experiment="own", home=own, system_metrics=False) as run:
        run.log_metric("loss", 1.0)
    assert mode(own) == 0o700 and mode(own / "modelyard.db") == 0o600


def test_blobs_stay_read_only_and_are_still_stored_once(store, tmp_path):
    source = tmp_path / "data.bin"
    source.write_bytes(b"x" * 1000)
    first, _ = store.blobs.put_file(source)
    second, _ = store.blobs.put_file(source)
    path = store.blobs.open_path(first)
    assert first == second and mode(path) == 0o400
    if os.geteuid() != 0:  # root writes through any mode
        with pytest.raises(PermissionError):
            open(path, "ab")


def test_opening_the_store_again_keeps_the_locks_of_the_first(home):
    """Keeping the database private never opens the live file: a descriptor closed in this
    process drops the locks its SQLite connections hold, and another process that closes its
    own connection then believes it is the last one and removes the WAL under this one
    (commits lost, "disk I/O error")."""
    import subprocess

    from modelyard.store import models, open_store
    from modelyard.store.db import get_or_create_id

    def experiment(name):
        with store.session() as session:
            get_or_create_id(session, models.Experiment, name=name)

    store = open_store()
    try:
        experiment("before")  # this process has the database open
        open_store().close()  # a second store of the same folder, as a worker's code does
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("
                "'select count(*) from experiments').fetchall()",
                str(home / "modelyard.db"),
            ],
            check=True,
            timeout=60,
        )
        assert (home / "modelyard.db-wal").exists()  # still ours: nobody checkpointed it away
        experiment("after")
        seen = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
                ".execute('select name from experiments').fetchall())",
                str(home / "modelyard.db"),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    finally:
        store.close()
    assert "'after'" in seen.stdout
