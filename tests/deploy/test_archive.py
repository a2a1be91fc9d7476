"""Bundles as .tar.gz: export, verify without unpacking, and crafted archives refused."""

import io
import tarfile

import pytest

from modelyard.cli.main import main as cli
from modelyard.deploy.bundle import export_bundle, list_deployments, verify_bundle
from modelyard.errors import InvalidInputError


@pytest.fixture
def archive(store, version, tmp_path):
    return export_bundle(store, version, tmp_path / "churn-v1", archive=True)


def test_archive_export_holds_one_folder_that_verifies(store, archive):
    assert archive.path.name == "churn-v1.tar.gz"
    with tarfile.open(archive.path) as tar:
        names = tar.getnames()
    assert "churn-v1/manifest.json" in names and "churn-v1/serve.py" in names
    assert all(n == "churn-v1" or n.startswith("churn-v1/") for n in names)
    assert verify_bundle(archive.path).ok
    assert list_deployments(store)[0].path == str(archive.path)
    assert [p.name for p in archive.path.parent.iterdir() if p.name.startswith(".")] == []


def test_archive_export_refuses_to_overwrite(store, version, archive):
    with pytest.raises(InvalidInputError, match="already exists"):
        export_bundle(store, version, archive.path, archive=True)
    export_bundle(store, version, archive.path, archive=True, overwrite=True)
    assert verify_bundle(archive.path).ok


def repack(source, target, extra=None, skip=()):
    """Copy an archive's members into a new one, dropping some and adding crafted ones."""
    with tarfile.open(source) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            if member.name in skip:
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for info, data in extra or []:
            dst.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def file_member(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_verify_names_added_and_missing_members(archive, tmp_path):
    extra = [file_member("churn-v1/backdoor.py", b"print(1)")]
    tampered = repack(archive.path, tmp_path / "t.tar.gz", extra=extra, skip={"churn-v1/README.md"})
    result = verify_bundle(tampered)
    assert result.added == ["backdoor.py"] and result.missing == ["README.md"]


def test_verify_names_a_changed_member(archive, tmp_path):
    extra = [file_member("churn-v1/model.skops", b"evil")]
    tampered = repack(
        archive.path, tmp_path / "t.tar.gz", extra=extra, skip={"churn-v1/model.skops"}
    )
    assert verify_bundle(tampered).changed == ["model.skops"]


@pytest.mark.parametrize(
    "name", ["churn-v1/../../evil.py", "../evil.py", "/etc/cron.d/evil", "churn-v1/a/../../x"]
)
def test_members_escaping_the_bundle_are_refused(archive, tmp_path, name):
    crafted = repack(archive.path, tmp_path / "c.tar.gz", extra=[file_member(name)])
    with pytest.raises(InvalidInputError, match="outside the bundle"):
        verify_bundle(crafted)


def test_links_in_an_archive_are_refused(archive, tmp_path):
    link = tarfile.TarInfo("churn-v1/passwd")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    crafted = repack(archive.path, tmp_path / "l.tar.gz", extra=[(link, None)])
    with pytest.raises(InvalidInputError, match="links or special files"):
        verify_bundle(crafted)


def test_a_non_archive_is_a_clear_error(tmp_path):
    fake = tmp_path / "x.tar.gz"
    fake.write_bytes(b"not gzip")
    with pytest.raises(InvalidInputError, match="not a readable .tar.gz"):
        verify_bundle(fake)


def test_cli_exports_and_verifies_an_archive(store, version, tmp_path, capsys):
    from modelyard.registry.aliases import set_alias

    set_alias(store, "churn-model", "production", 1)
    out = tmp_path / "cli-bundle"
    assert cli(["export", "churn-model@production", "--out", str(out), "--archive"]) == 0
    assert "cli-bundle.tar.gz" in capsys.readouterr().out
    assert cli(["bundle", "verify", str(tmp_path / "cli-bundle.tar.gz")]) == 0
    assert "all files match" in capsys.readouterr().out
