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

from modelyard.errors import InvalidInputError
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
        return f"{self.path} does not match manifest.json — " + "; ".join(parts)


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
    runtime.load_model(data)  # refuse to ship a model that would not load
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
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInputError(
            f"{out} already exists; choose a new folder or allow overwriting (--force)."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
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
        assert isinstance(recorded, dict)
    except (ValueError, KeyError, AssertionError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{manifest_path} is damaged and cannot be read.") from exc
    unsafe = [name for name in recorded if not _safe_relative(name)]
    if unsafe:
        raise InvalidInputError(
            f"{manifest_path} names files outside the bundle ({', '.join(unsafe)}); refusing it."
        )
    result = Verification(folder)
    for name, entry in sorted(recorded.items()):
        path = folder / name
        if not path.is_file():
            result.missing.append(name)
        elif sha256_file(path) != entry.get("sha256"):
            result.changed.append(name)
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST and rel not in recorded:
            result.added.append(rel)
    return result


def list_deployments(store: Store) -> list[Deployment]:
    from sqlalchemy import select

    with store.session() as session:
        rows = session.scalars(
            select(models.Deployment).order_by(models.Deployment.id.desc())
        ).all()
        return [Deployment.from_row(r) for r in rows]
