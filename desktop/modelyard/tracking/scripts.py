"""Runs of a user's own Python script: recorded first, then started by the worker queue."""

from __future__ import annotations

from pathlib import Path

from modelyard.errors import InvalidInputError
from modelyard.store import Store
from modelyard.store.entities import Run
from modelyard.tracking.runs import create_tracked_run


def create_script_run(
    store: Store,
    script: str | Path,
    args: list[str] | None = None,
    *,
    experiment: str | None = None,
    name: str | None = None,
    tags: dict[str, str] | None = None,
    gpu: bool = False,
    cwd: str | Path | None = None,
) -> Run:
    """A queued run that will execute `script` with `args` (in its own folder unless `cwd`)."""
    path = Path(script).expanduser()
    if not path.is_file():
        raise InvalidInputError(f"There is no script {path}; give the path of a .py file.")
    if path.suffix.lower() != ".py":
        raise InvalidInputError(f"{path.name} is not a Python script (.py).")
    path = path.resolve()
    folder = Path(cwd).expanduser().resolve() if cwd else path.parent
    if not folder.is_dir():
        raise InvalidInputError(f"The working folder {folder} does not exist.")
    args = [str(a) for a in (args or [])]
    return create_tracked_run(
        store,
        "script",
        experiment=experiment,
        name=name,
        tags=tags,
        params={},
        command={
            "script": str(path),
            "script_name": path.name,
            "args": args,
            "cwd": str(folder),
            "gpu": bool(gpu),
        },
    )
