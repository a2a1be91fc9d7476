"""User-only folders and files for what Modelyard keeps of the user's data.

The data folder, the store database, blobs, run logs and the signing key hold people's data
and models: on POSIX they are made user-only (folders 0700, files 0600, blobs 0400) whatever
the umask, and ones left open by an older Modelyard are tightened when next used. Bundles and
files the user exports are theirs to share: those follow the umask and are not handled here.
Elsewhere (Windows) modes mean little and the platform's own permissions apply.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
READ_ONLY_MODE = 0o400  # blobs: never rewritten in place
ENFORCED = os.name == "posix"


def _tighten(path: Path | int, mode: int) -> None:
    """Set `mode` on a path (or an open descriptor) unless it has it already; best effort:
    a folder the user does not own, or a read-only file system, is left as it is."""
    if not ENFORCED:
        return
    try:
        current = os.stat(path).st_mode
        if stat.S_IMODE(current) != mode:
            os.chmod(path, mode)
    except OSError:
        pass


def private_dir(path: str | os.PathLike) -> Path:
    """Make a folder (and missing parents) that only its owner can enter; return it.

    Parents made on the way follow the umask (they are not ours: ~/.local/share, say); the
    folder itself is 0700, an existing one tightened to it.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: str | os.PathLike, companions: tuple[str, ...] = ()) -> None:
    """Create an empty user-only file if it is missing, or tighten an existing one.

    `companions` are suffixes of files that live beside it (a SQLite database's -wal and -shm):
    they are tightened if they exist. SQLite gives those the database file's own mode when it
    makes them, so a private database file keeps them private too.
    """
    path = Path(path)
    try:
        # only ever opened when new: closing a descriptor of a file drops every POSIX lock
        # this process holds on it, so opening a live SQLite database here would break its
        # connections' locks (SQLite's own warning: never open a database file beside it)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    except OSError:
        return  # a missing folder or a read-only place: whoever opens it says why
    _tighten(path, FILE_MODE)
    for suffix in companions:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _tighten(companion, FILE_MODE)


def open_private_append(path: str | os.PathLike, text: bool = False, **kwargs):
    """Open a log for appending, creating it (and its folder) user-only."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    _tighten(fd, FILE_MODE)
    try:
        return os.fdopen(fd, "a" if text else "ab", **kwargs)
    except BaseException:
        os.close(fd)
        raise


def make_read_only(path: str | os.PathLike) -> None:
    """A finished blob: readable by its owner alone, and by nobody written to again."""
    os.chmod(path, READ_ONLY_MODE if ENFORCED else 0o444)
