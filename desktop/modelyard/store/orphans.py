"""Blobs no row refers to, and the sweep that removes them.

A blob is stored before the row that names it is committed (a file cannot join a database
transaction), so a process killed in between — an import, a worker saving its model, a run
keeping an artifact — leaves a blob nobody refers to, or a temporary file in blobs/tmp. They
are harmless but take space; `sweep` removes those older than a grace period, long enough
that no live operation is still between its blob and its commit. `open_store` runs it at most
once a day (a marker file's time says when it last ran).

A blob that an operation is about to reuse is touched by `BlobStore.ingest`; the sweep moves a
candidate aside before its last look at the time, so a blob touched meanwhile goes back.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from modelyard.private_files import private_file
from modelyard.store import models

GRACE = timedelta(hours=1)
EVERY = timedelta(days=1)
MARKER = ".swept"

# every column that holds a blob address; tests check that no other column looks like one
BLOB_COLUMNS = (
    models.DatasetVersion.content_hash,
    models.Run.model_blob,
    models.RunArtifact.blob,
    models.ModelVersion.blob,
)


@dataclass
class Orphans:
    blobs: list[Path] = field(default_factory=list)  # stored, but no row refers to them
    temporary: list[Path] = field(default_factory=list)  # left in blobs/tmp

    @property
    def count(self) -> int:
        return len(self.blobs) + len(self.temporary)


def referenced(store) -> set[str]:
    with store.session() as session:
        found: set[str] = set()
        for column in BLOB_COLUMNS:
            found.update(v for v in session.scalars(select(column).distinct()) if v)
        return found


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


def find(store, grace: timedelta = GRACE) -> Orphans:
    """Blob files no row names and temporary files, last changed more than `grace` ago."""
    cutoff = time.time() - grace.total_seconds()
    root = store.blobs.root
    # files are listed before the rows are read: a blob committed meanwhile is then known
    candidates = [
        entry
        for shard in root.iterdir()
        if shard.is_dir() and len(shard.name) == 2
        for entry in shard.iterdir()
        if entry.is_file() and _old(entry, cutoff)
    ]
    temporary = [p for p in store.blobs._tmp.iterdir() if p.is_file() and _old(p, cutoff)]
    known = referenced(store)
    return Orphans(sorted(p for p in candidates if p.name not in known), sorted(temporary))


def sweep(store, grace: timedelta = GRACE) -> Orphans:
    """Remove what `find` finds; return what was removed."""
    cutoff = time.time() - grace.total_seconds()
    found = find(store, grace)
    removed = Orphans(temporary=[])
    for path in found.temporary:
        path.unlink(missing_ok=True)
        removed.temporary.append(path)
    for path in found.blobs:
        aside = store.blobs._tmp / f"{path.name}.orphan"
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            continue
        if _old(aside, cutoff):
            aside.unlink(missing_ok=True)
            removed.blobs.append(path)
        else:  # reused while we looked: it goes back (the same bytes, whoever wrote them)
            os.replace(aside, path)
    return removed


def sweep_now_and_then(store, every: timedelta = EVERY) -> Orphans | None:
    """Sweep unless a sweep ran within `every`; never fails the caller."""
    marker = store.blobs.root / MARKER
    try:
        if marker.exists() and time.time() - marker.stat().st_mtime < every.total_seconds():
            return None
        private_file(marker)
        os.utime(marker)
        return sweep(store)
    except Exception:  # noqa: BLE001 - tidying up must never stop the store from opening
        return None
