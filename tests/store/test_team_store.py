"""A team's store: the URL and shared blob folder saved in Settings, and blobs written by
several processes at once."""

import multiprocessing
import os
from pathlib import Path

from modelyard import paths
from modelyard.store import open_store


def test_store_url_and_blob_folder_come_from_settings_unless_the_environment_says(
    home, tmp_path, monkeypatch
):
    shared = tmp_path / "mounted" / "blobs"
    team_db = tmp_path / "team.db"
    home.mkdir(parents=True)
    paths.save_local_config(home, store_url=f"sqlite:///{team_db}", blob_dir=str(shared))
    assert oct((home / paths.LOCAL_CONFIG).stat().st_mode & 0o777) == "0o600"
    store = open_store()
    try:
        assert store.url == f"sqlite:///{team_db}" and store.blobs.root == shared
        sha = store.blobs.put_bytes(b"shared")
        assert (shared / sha[:2] / sha).read_bytes() == b"shared"
    finally:
        store.close()
    monkeypatch.setenv("MODELYARD_BLOB_DIR", str(tmp_path / "other"))
    assert paths.blob_dir(home) == tmp_path / "other"
    paths.save_local_config(home, store_url=None, blob_dir="")
    monkeypatch.delenv("MODELYARD_BLOB_DIR")
    assert paths.store_url(home).endswith("home/modelyard.db")
    assert paths.blob_dir(home) == home / "blobs"


def _write_same_blob(root: str, data: bytes, barrier, results) -> None:
    from modelyard.store.blobs import BlobStore

    blobs = BlobStore(Path(root))
    barrier.wait()
    shas = {blobs.put_bytes(data) for _ in range(20)}
    results.put(sorted(shas))


def test_several_processes_writing_the_same_blob_never_corrupt_it(tmp_path):
    data = os.urandom(3 << 20)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(3), context.Queue()
    children = [
        context.Process(target=_write_same_blob, args=(str(tmp_path), data, barrier, results))
        for _ in range(3)
    ]
    for child in children:
        child.start()
    shas = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=30)
    assert len({tuple(s) for s in shas}) == 1 and len(shas[0]) == 1
    from modelyard.store.blobs import BlobStore

    blobs = BlobStore(tmp_path)
    assert blobs.open_path(shas[0][0]).read_bytes() == data
    assert list(blobs._tmp.iterdir()) == []  # no partial file left behind
