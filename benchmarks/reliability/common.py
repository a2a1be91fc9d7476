"""What every reliability check shares: a throw-away home, child processes that run this
checkout's Modelyard, and the after-the-fact checks of a store (integrity, nothing
half-written, no orphaned blob)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "desktop"
if str(SOURCE) not in sys.path:
    sys.path.insert(0, str(SOURCE))


@dataclass
class Figure:
    """One row of the table in docs/RELIABILITY.md."""

    key: str  # stable name of the check, the row the doc's table keeps for it
    check: str
    size: str
    result: str
    passed: bool
    details: list[str] = field(default_factory=list)

    def row(self) -> str:
        verdict = "pass" if self.passed else "**FAIL**"
        return f"| `{self.key}` | {self.check} | {self.size} | {self.result} | {verdict} |"


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, MODELYARD_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("MODELYARD_STORE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
    return env


def use_home(home: Path) -> None:
    """This process's own store is the throw-away one too."""
    os.environ.update(MODELYARD_HOME=str(home))
    os.environ.pop("MODELYARD_STORE_URL", None)


def fresh_home(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"modelyard-{prefix}-")) / "home"


def cli(home: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "modelyard", *args],
        env=child_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **kwargs,
    )


def integrity(home: Path) -> str:
    with sqlite3.connect(home / "modelyard.db") as connection:
        return ", ".join(r[0] for r in connection.execute("PRAGMA integrity_check"))


def half_written(store) -> list[str]:
    """Rows whose files are missing or unreadable: a dataset version without its Parquet (or
    with another row count), a run or model version without its model, an artifact lost."""
    import pyarrow.parquet as pq
    from sqlalchemy import select

    from modelyard.store import models

    problems = []
    with store.session() as session:
        for vid, sha, n_rows in session.execute(
            select(
                models.DatasetVersion.id,
                models.DatasetVersion.content_hash,
                models.DatasetVersion.n_rows,
            )
        ):
            path = store.blobs.path(sha)
            try:
                if pq.read_metadata(path).num_rows != n_rows:
                    problems.append(f"dataset version {vid}: row count differs")
            except OSError as exc:
                problems.append(f"dataset version {vid}: {exc}")
        for what, column in [
            ("run", models.Run.model_blob),
            ("artifact", models.RunArtifact.blob),
            ("model version", models.ModelVersion.blob),
        ]:
            for sha in session.scalars(select(column).where(column.is_not(None))):
                if not store.blobs.path(sha).is_file():
                    problems.append(f"{what}: blob {sha[:12]} missing")
    return problems


def orphan_count(store) -> int:
    from datetime import timedelta

    from modelyard.store import orphans

    return orphans.find(store, grace=timedelta(0)).count


def sweep_all(store) -> int:
    """What the next open does once the grace period is over: sweep every orphan."""
    from datetime import timedelta

    from modelyard.store import orphans

    return orphans.sweep(store, grace=timedelta(0)).count


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
