"""Exporting a model version as a self-contained serving bundle, and verifying one."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from modelyard.errors import InvalidInputError, ModelyardError
from modelyard.registry.service import model_bytes
from modelyard.store import Store, models
from modelyard.store.blobs import sha256_file
from modelyard.store.entities import Deployment, ModelVersion

MANIFEST = "manifest.json"
BUNDLE_FORMAT = "modelyard-bundle/1"
TEMPLATE = Path(__file__).parent / "template"
SERVING_PACKAGES = (
    "fastapi",
    "uvicorn",
    "pydantic",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "skops",
)


@dataclass(frozen=True)
class Bundle:
    path: Path
    files: dict[str, dict[str, Any]]

    @property
    def size(self) -> int:
        return sum(f["size"] for f in self.files.values())


@dataclass
class Verification:
    path: Path
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added)

    def describe(self) -> str:
        if self.ok:
            return f"{self.path}: all files match manifest.json."
        parts = [f"changed: {name}" for name in self.changed]
        parts += [f"missing: {name}" for name in self.missing]
        parts += [f"added: {name}" for name in self.added]
        text = f"{self.path} does not match manifest.json — " + "; ".join(parts)
        if any("__pycache__/" in name for name in self.added):
            text += " (bytecode caches appear when the app runs without PYTHONDONTWRITEBYTECODE=1)"
        return text


def requirements() -> str:
    lines = []
    for package in SERVING_PACKAGES:
        lines.append(f"{package}=={metadata.version(package)}")
    return "\n".join(lines) + "\n"


def _example_record(version: ModelVersion) -> dict[str, Any]:
    samples = {"integer": 1, "float": 0.5, "boolean": True, "categorical": "a"}
    return {c["name"]: samples.get(c["kind"], "a") for c in version.signature.get("inputs", [])}


def _render(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def manifest_for(version: ModelVersion, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": BUNDLE_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "name": version.model_name,
            "version": version.version,
            "kind": version.model_kind,
            "task": version.task,
            "format": version.format,
            "metrics": version.metrics,
        },
        "lineage": {
            "run_id": version.run_id,
            "dataset": {
                "name": version.dataset.dataset_name,
                "version": version.dataset.version,
                "content_hash": version.dataset.content_hash,
                "source_name": version.dataset.source_name,
            },
        },
        "files": files,
    }


def _write_contents(store: Store, version: ModelVersion, folder: Path) -> None:
    from modelyard.registry import runtime

    data = model_bytes(store, version)
    try:
        runtime.load_model(data)  # refuse to ship a model that would not load
    except runtime.ModelLoadError as exc:
        raise ModelyardError(f"{version.label} cannot be exported: {exc}.") from exc
    (folder / "model.skops").write_bytes(data)
    (folder / "signature.json").write_text(json.dumps(version.signature, indent=2))
    shutil.copyfile(TEMPLATE / "serve.py", folder / "serve.py")
    shutil.copyfile(Path(runtime.__file__), folder / "modelyard_runtime.py")
    (folder / "requirements.txt").write_text(requirements())
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "Dockerfile").write_text(
        _render((TEMPLATE / "Dockerfile").read_text(), {"python_version": python})
    )
    image = re.sub(r"[^a-z0-9._-]+", "-", version.model_name.lower()).strip("-._") or "model"
    values = {
        "title": f"{version.model_name} v{version.version}",
        "kind": version.model_kind,
        "task": version.task,
        "dataset": version.dataset.label,
        "run_id": str(version.run_id),
        "image": f"{image}:{version.version}",
        "example": json.dumps({"records": [_example_record(version)]}),
        "columns": ", ".join(f"`{c['name']}` ({c['kind']})" for c in version.signature["inputs"]),
    }
    (folder / "README.md").write_text(_render((TEMPLATE / "README.md").read_text(), values))


def _hash_tree(folder: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST:
            files[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return files


def export_bundle(
    store: Store, version: ModelVersion, out: Path | str, overwrite: bool = False
) -> Bundle:
    """Write the bundle to a temporary folder beside `out`, then rename it into place."""
    out = Path(out).expanduser().resolve()
    _check_destination(store, out, overwrite)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise InvalidInputError(
            f"The bundle folder {out} cannot be created: {exc.strerror or exc}."
        ) from exc
    try:
        _write_contents(store, version, staging)
        files = _hash_tree(staging)
        manifest = manifest_for(version, files)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        os.chmod(staging, 0o755)
        if out.exists():
            trash = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, trash)
            os.replace(staging, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidInputError(
            f"The bundle could not be written to {out}: {exc.strerror or exc}."
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    bundle = Bundle(out, files)
    with store.session() as session:
        session.add(
            models.Deployment(
                model_version_id=version.id, path=str(out), n_files=len(files) + 1, size=bundle.size
            )
        )
    return bundle


def is_bundle(folder: Path) -> bool:
    try:
        return json.loads((folder / MANIFEST).read_text()).get("format") == BUNDLE_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _check_destination(store: Store, out: Path, overwrite: bool) -> None:
    """Refuse any destination whose replacement could destroy something that is not a bundle."""
    if store.home is not None:
        home = Path(store.home).resolve()
        if out == home or home.is_relative_to(out) or out.is_relative_to(home):
            raise InvalidInputError(
                f"{out} is inside or above Modelyard's data folder {home}; choose another folder."
            )
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    if not overwrite:
        raise InvalidInputError(
            f"{out} already exists; choose a new folder or allow overwriting (--force)."
        )
    if not out.is_dir() or not is_bundle(out):
        raise InvalidInputError(
            f"{out} exists and is not a Modelyard bundle; only a bundle folder can be replaced."
        )


def _safe_relative(name: str) -> bool:
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in name


def verify_bundle(folder: Path | str) -> Verification:
    """Compare every file in the folder with the sha256 recorded in its manifest."""
    folder = Path(folder).expanduser().resolve()
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder.")
    if not manifest_path.is_file():
        raise InvalidInputError(f"{folder} has no {MANIFEST}; it is not a Modelyard bundle.")
    try:
        manifest = json.loads(manifest_path.read_text())
        recorded = manifest["files"]
        if not isinstance(recorded, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in recorded.values()
        ):
            raise ValueError("files must map names to {sha256, size}")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{manifest_path} is damaged and cannot be read.") from exc
    unsafe = [name for name in recorded if not _safe_relative(name)]
    if unsafe:
        raise InvalidInputError(
            f"{manifest_path} names files outside the bundle ({', '.join(unsafe)}); refusing it."
        )
    result = Verification(folder)
    for name, entry in sorted(recorded.items()):
        path = folder / name
        if path.is_symlink():  # a link can point anywhere and does not survive `docker build`
            result.changed.append(name)
        elif not path.is_file():
            result.missing.append(name)
        elif sha256_file(path) != entry["sha256"]:
            result.changed.append(name)
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if (path.is_file() or path.is_symlink()) and rel != MANIFEST and rel not in recorded:
            result.added.append(rel)
    return result


def list_deployments(store: Store) -> list[Deployment]:
    from sqlalchemy import select

    with store.session() as session:
        rows = session.scalars(
            select(models.Deployment).order_by(models.Deployment.id.desc())
        ).all()
        return [Deployment.from_row(r) for r in rows]
