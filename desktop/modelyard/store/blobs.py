"""Content-addressed blob folder: every file is stored once, under its own sha256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from modelyard.errors import NotFoundError
from modelyard.private_files import make_read_only, private_dir

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    """Files named by their sha256, written to a temporary name and renamed into place.

    Folders are user-only and blobs read-only for their owner alone (0700 and 0400 on POSIX).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        private_dir(self.root)
        private_dir(self._tmp)

    def path(self, sha: str) -> Path:
        if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
            raise NotFoundError(f"'{sha}' is not a blob address.")
        return self.root / sha[:2] / sha

    def open_path(self, sha: str) -> Path:
        """The path of an existing blob, or a clear error when it is missing."""
        path = self.path(sha)
        if not path.exists():
            raise NotFoundError(
                f"The stored file {sha[:12]}… is missing from {self.root}; "
                "the data folder was changed outside Modelyard."
            )
        return path

    def exists(self, sha: str) -> bool:
        return self.path(sha).exists()

    def temp_path(self, suffix: str = "") -> Path:
        """A fresh path on the blob folder's file system, for writing before `ingest`."""
        handle, name = tempfile.mkstemp(dir=self._tmp, suffix=suffix)
        os.close(handle)
        return Path(name)

    def ingest(self, tmp: Path, sha: str | None = None) -> tuple[str, bool]:
        """Move a finished temporary file into the store; return (sha, newly_created)."""
        sha = sha or sha256_file(tmp)
        final = self.path(sha)
        if final.exists():
            try:
                os.utime(final)  # reused: an orphan sweep looking at it now keeps it
            except FileNotFoundError:
                pass  # swept a moment ago: stored again below
            else:
                tmp.unlink(missing_ok=True)
                return sha, False
        private_dir(final.parent)
        make_read_only(tmp)
        os.replace(tmp, final)
        return sha, True

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy a file in (hashing it on the way); return (sha, size)."""
        tmp = self.temp_path()
        digest, size = hashlib.sha256(), 0
        try:
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        sha, _ = self.ingest(tmp, digest.hexdigest())
        return sha, size

    def put_bytes(self, data: bytes) -> str:
        tmp = self.temp_path()
        tmp.write_bytes(data)
        sha, _ = self.ingest(tmp, hashlib.sha256(data).hexdigest())
        return sha

    def delete(self, sha: str) -> None:
        self.path(sha).unlink(missing_ok=True)
