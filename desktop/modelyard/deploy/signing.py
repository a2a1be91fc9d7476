"""Signed bundles: the user's ed25519 key, a signature over manifest.json, and its check.

The manifest holds the sha256 of every file, so a valid signature over its exact bytes vouches
for the whole bundle: whoever edits a file and re-hashes it in the manifest cannot re-sign it.
The private key lives in the data folder (user-only, made on first use); the public key is what
the team that deploys gets, from `modelyard bundle key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from modelyard import paths
from modelyard.errors import InvalidInputError
from modelyard.private_files import private_dir

SIGNATURE_FILE = "manifest.sig"
SIGNATURE_FORMAT = "modelyard-signature/1"
KEY_FILE = "bundle-signing-key.pem"
MAX_SIGNATURE_BYTES = 64 * 1024


def key_path() -> Path:
    return paths.data_home() / "keys" / KEY_FILE


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its raw bytes' sha256."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _create_key(path: Path) -> None:
    """Write a new key under a temporary name (0600), then link it into place.

    The link fails when another process made the key first; its key is then the one used.
    """
    private_dir(path.parent)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, tmp = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def signing_key() -> Ed25519PrivateKey:
    """The user's bundle-signing key, made on first use."""
    path = key_path()
    try:
        if not path.exists():
            _create_key(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise InvalidInputError(
            f"The signing key {path} cannot be made or read: {exc.strerror or exc}."
        ) from exc
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidInputError(
            f"The signing key {path} is damaged; move it away and a new one is made "
            "(bundles signed with the old key then no longer verify with the new public key)."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(f"The signing key {path} is not an ed25519 key.")
    return key


def public_key_pem() -> str:
    public = signing_key().public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_id() -> str:
    return key_id(signing_key().public_key())


def sign_manifest(manifest: bytes) -> bytes:
    """The content of manifest.sig for these exact manifest.json bytes."""
    key = signing_key()
    entry = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "ed25519",
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(key.sign(manifest)).decode(),
    }
    return (json.dumps(entry, indent=2) + "\n").encode()


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    """A public key file: PEM as `modelyard bundle key` writes it, or an OpenSSH ed25519 line."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"The key {path} cannot be read: {exc.strerror or exc}.") from exc
    for load in (serialization.load_pem_public_key, serialization.load_ssh_public_key):
        try:
            key = load(data.strip())
        except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
            continue
        if isinstance(key, Ed25519PublicKey):
            return key
    raise InvalidInputError(
        f"{path} is not an ed25519 public key; get one with `modelyard bundle key --out FILE`."
    )


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    text: str


def signer(signature: bytes | None) -> str | None:
    """The key id a manifest.sig names, without checking it (None when unreadable or absent)."""
    entry = _entry(signature)
    return entry.get("key_id") if entry else None


def _entry(signature: bytes | None) -> dict | None:
    if signature is None or len(signature) > MAX_SIGNATURE_BYTES:
        return None
    try:
        entry = json.loads(signature)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != SIGNATURE_FORMAT:
        return None
    if not isinstance(entry.get("key_id"), str) or not isinstance(entry.get("signature"), str):
        return None
    return entry


def check_signature(
    manifest: bytes, signature: bytes | None, public: Ed25519PublicKey
) -> SignatureCheck:
    expected = key_id(public)
    if signature is None:
        return SignatureCheck(False, f"it is not signed ({SIGNATURE_FILE} is missing)")
    entry = _entry(signature)
    if entry is None:
        return SignatureCheck(False, f"{SIGNATURE_FILE} is damaged")
    if entry["key_id"] != expected:
        return SignatureCheck(
            False, f"it is signed with key {entry['key_id']}, not with the given key {expected}"
        )
    try:
        public.verify(base64.b64decode(entry["signature"], validate=True), manifest)
    except (InvalidSignature, binascii.Error, ValueError):
        return SignatureCheck(
            False, "its signature does not match manifest.json (changed after signing)"
        )
    return SignatureCheck(True, f"signature by key {expected} is valid")
