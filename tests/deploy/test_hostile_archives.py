"""A gzip-bomb manifest is refused after reading a bounded prefix, never loaded whole."""

import io
import tarfile
import tracemalloc

import pytest

from modelyard.deploy.archive import MAX_MANIFEST_BYTES
from modelyard.deploy.bundle import is_bundle, verify_bundle
from modelyard.errors import InvalidInputError

BOMB = 8 * MAX_MANIFEST_BYTES  # 128 MB of zeros: about 128 kB on disk


class Zeros(io.RawIOBase):
    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def test_a_huge_manifest_in_an_archive_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("bundle/manifest.json")
        info.size = BOMB
        tar.addfile(info, io.BufferedReader(Zeros(BOMB)))
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError, match="larger than 16 MB"):
            verify_bundle(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_MANIFEST_BYTES  # a bounded prefix, never the whole bomb
    assert not is_bundle(path)


def test_a_huge_manifest_in_a_folder_is_refused(tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    with open(folder / "manifest.json", "wb") as f:
        f.truncate(MAX_MANIFEST_BYTES + 1)  # sparse: no disk used
    with pytest.raises(InvalidInputError, match="larger than 16 MB"):
        verify_bundle(folder)
    assert not is_bundle(folder)


def test_an_export_removes_what_a_killed_export_to_the_same_place_left(store, version, tmp_path):
    import subprocess
    import sys

    from modelyard.deploy.bundle import export_bundle

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that no longer exists
    staging = tmp_path / f".bundle.{dead.pid}.abcd_123"
    (staging / "bundle").mkdir(parents=True)  # killed while writing
    old = tmp_path / f".bundle.old-{dead.pid}"
    export_bundle(
        store, version, old, onnx=False
    )  # killed between moving the old bundle and the new one
    mine = tmp_path / f".bundle.{dead.pid}.notmine"  # a folder of the user's, not our pattern
    mine.mkdir()
    export_bundle(store, version, tmp_path / "bundle", onnx=False)
    assert not staging.exists() and not old.exists()
    assert mine.exists() and verify_bundle(tmp_path / "bundle").ok
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".bundle")) == [mine.name]
