"""Bundles follow the user's umask: nothing forced open (0755/0644) or shut."""

import os
import stat
import tarfile

import pytest

from modelyard.deploy.bundle import export_bundle

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


@pytest.fixture(params=[0o022, 0o027, 0o077])
def umask(request):
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_bundle_folder_follows_the_umask(store, version, tmp_path, umask):
    bundle = export_bundle(store, version, tmp_path / "bundle")
    assert mode(bundle.path) == 0o777 & ~umask
    files = [p for p in bundle.path.rglob("*") if p.is_file()]
    assert files and {mode(p) for p in files} == {0o666 & ~umask}


def test_an_archive_and_its_members_follow_the_umask(store, version, tmp_path, umask):
    archive = export_bundle(store, version, tmp_path / "bundle", archive=True)
    assert mode(archive.path) == 0o666 & ~umask
    with tarfile.open(archive.path) as tar:
        modes = {m.mode for m in tar.getmembers() if m.isfile()}
    assert modes == {0o666 & ~umask}
