"""Bundles as .tar.gz archives: writing one, and checking one without unpacking it."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path, PurePosixPath

from modelyard.errors import InvalidInputError

ARCHIVE_SUFFIX = ".tar.gz"


def is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIX)


def safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in name


def write_archive(folder: Path, out: Path, top: str) -> None:
    """Pack `folder` under the single top directory `top`, with owner and times normalised."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, "w:gz") as tar:
        tar.add(folder, arcname=top, filter=clean)


SIGNATURE_MEMBER = "manifest.sig"
MAX_SIGNATURE_BYTES = 64 * 1024
# a manifest of 10,000 files is about 1.5 MB; a larger one is a gzip bomb, never read whole
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def too_large_manifest(where) -> InvalidInputError:
    return InvalidInputError(
        f"{where}: manifest.json is larger than {MAX_MANIFEST_BYTES >> 20} MB; "
        "it is not a Modelyard bundle's manifest."
    )


def read_members(path: Path) -> tuple[dict[str, str], dict, dict[str, bytes]]:
    """sha256 of every file under the archive's top folder, its manifest.json, and the raw bytes
    of manifest.json and (when there) manifest.sig, the signature over them.

    Names that are absolute or contain `..`, links and device files are refused before
    anything is read, so a crafted archive cannot point outside itself.
    """
    try:
        tar = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInputError(f"{path} is not a readable .tar.gz archive.") from exc
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InvalidInputError(f"{path} is damaged and cannot be read.") from exc
        unsafe = [m.name for m in members if not safe_member_name(m.name)]
        if unsafe:
            raise InvalidInputError(
                f"{path} has members outside the bundle ({', '.join(unsafe[:5])}); refusing it."
            )
        odd = [m.name for m in members if not (m.isfile() or m.isdir())]
        if odd:
            raise InvalidInputError(
                f"{path} has links or special files ({', '.join(odd[:5])}); refusing it."
            )
        tops = {PurePosixPath(m.name).parts[0] for m in members}
        if len(tops) != 1:
            raise InvalidInputError(f"{path} must hold exactly one bundle folder.")
        top = tops.pop()
        hashes: dict[str, str] = {}
        raw: dict[str, bytes] = {}
        manifest = None
        for member in members:
            if not member.isfile():
                continue
            rel = PurePosixPath(member.name).relative_to(top).as_posix()
            data = tar.extractfile(member)
            assert data is not None
            if rel == "manifest.json":
                raw[rel] = data.read(MAX_MANIFEST_BYTES + 1)
                if len(raw[rel]) > MAX_MANIFEST_BYTES:
                    raise too_large_manifest(path)
                try:
                    manifest = json.loads(raw[rel])
                except ValueError as exc:
                    raise InvalidInputError(f"{path}: manifest.json is damaged.") from exc
                continue
            if rel == SIGNATURE_MEMBER:
                raw[rel] = data.read(MAX_SIGNATURE_BYTES + 1)  # longer is damaged, never read
                continue
            digest = hashlib.sha256()
            while chunk := data.read(1 << 20):
                digest.update(chunk)
            hashes[rel] = digest.hexdigest()
    if manifest is None:
        raise InvalidInputError(f"{path} has no manifest.json; it is not a Modelyard bundle.")
    return hashes, manifest, raw
