"""Files a run keeps — plots, reports, checkpoints — stored once by content, listed per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from sqlalchemy import delete, select

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models
from modelyard.store.entities import Artifact

MAX_FILES = 10_000


def _clean_name(name: str) -> str:
    """An artifact's name inside its run: a relative path with / separators, never above it."""
    text = str(name).replace("\\", "/").strip()
    parts = PurePosixPath(text).parts
    if not text or text.startswith("/") or any(p in ("..", ".") for p in parts) or len(text) > 500:
        raise InvalidInputError(
            f"'{name}' cannot name an artifact: use a relative path of at most 500 characters "
            "without '..'."
        )
    return "/".join(parts)


def _files(path: Path, name: str | None) -> list[tuple[Path, str]]:
    path = path.resolve()  # "." and "..": named after the folder they are
    if path.is_file():
        return [(path, _clean_name(name or path.name))]
    if path.is_dir():
        base = _clean_name(name) if name else path.name
        found = sorted(p for p in path.rglob("*") if p.is_file())
        if len(found) > MAX_FILES:
            raise InvalidInputError(f"{path} holds more than {MAX_FILES:,} files; log fewer.")
        return [(p, _clean_name(f"{base}/{p.relative_to(path).as_posix()}")) for p in found]
    raise NotFoundError(f"There is no file or folder {path} to keep as an artifact.")


def log_artifact(store: Store, run_id: int, path: str | os.PathLike, name: str | None = None):
    """Keep a file (or every file in a folder) with the run; the same name again replaces it."""
    files = _files(Path(path), name)
    stored = [(store.blobs.put_file(source), target) for source, target in files]
    with store.session() as session:
        if session.get(models.Run, run_id) is None:
            raise NotFoundError(f"There is no run {run_id}.")
        for (sha, size), target in stored:
            session.execute(
                delete(models.RunArtifact).where(
                    models.RunArtifact.run_id == run_id, models.RunArtifact.path == target
                )
            )
            session.add(models.RunArtifact(run_id=run_id, path=target, blob=sha, size=size))
    return [target for _, target in stored]


def list_artifacts(store: Store, run_id: int) -> list[Artifact]:
    with store.session() as session:
        rows = session.scalars(
            select(models.RunArtifact)
            .where(models.RunArtifact.run_id == run_id)
            .order_by(models.RunArtifact.path)
        ).all()
        return [Artifact(r.run_id, r.path, r.blob, r.size, r.created_at) for r in rows]


def get_artifact(store: Store, run_id: int, name: str) -> Artifact:
    for artifact in list_artifacts(store, run_id):
        if artifact.path == name:
            return artifact
    raise NotFoundError(f"Run {run_id} has no artifact '{name}'.")


def save_artifact(store: Store, run_id: int, name: str, destination: str | os.PathLike) -> Path:
    """Copy an artifact out: into `destination` if it is a folder, else to that file name."""
    artifact = get_artifact(store, run_id, name)
    source = store.blobs.open_path(artifact.blob)
    target = Path(destination)
    if target.is_dir():
        target = target / PurePosixPath(artifact.path).name
    tmp = target.with_name(f".{target.name}.modelyard-tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(f"{target} cannot be written: {exc.strerror or exc}.") from exc
    return target
