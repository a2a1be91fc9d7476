"""Exporting a model version as a self-contained serving bundle, and verifying one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelyard.deploy.archive import (
    ARCHIVE_SUFFIX,
    MAX_MANIFEST_BYTES,
    is_archive,
    read_members,
    safe_member_name,
    too_large_manifest,
    write_archive,
)
from modelyard.deploy.files import write_text_files
from modelyard.errors import InvalidInputError, ModelyardError
from modelyard.registry.service import model_bytes
from modelyard.store import Store, models
from modelyard.store.blobs import sha256_file
from modelyard.store.entities import Deployment, ModelVersion

MANIFEST = "manifest.json"
SIGNATURE_FILE = "manifest.sig"  # the signature over manifest.json; not listed in it
BUNDLE_FORMAT = "modelyard-bundle/1"
SHOWN_NAMES = 5


@dataclass(frozen=True)
class Bundle:
    path: Path
    files: dict[str, dict[str, Any]]
    onnx: dict[str, Any] = field(default_factory=dict)
    signed_by: str | None = None  # the signing key's id
    routing: dict[str, Any] = field(default_factory=dict)  # A/B and shadow versions, if any

    def routing_text(self) -> str | None:
        if not self.routing:
            return None
        parts = [f"v{self.routing['champion']['version']} answers"]
        if "challenger" in self.routing:
            c = self.routing["challenger"]
            parts = [
                f"v{self.routing['champion']['version']} answers "
                f"{self.routing['champion']['percent']:g}% of requests, challenger v{c['version']} "
                f"{c['percent']:g}% (the same X-Request-Key header always reaches the same version)"
            ]
        if "shadow" in self.routing:
            parts.append(
                f"shadow v{self.routing['shadow']['version']} answers every request in the "
                "background, into the request log only"
            )
        return "Routing: " + "; ".join(parts) + "."

    def onnx_text(self) -> str:
        if self.onnx.get("status") == "exported":
            precision = f" ({self.onnx['precision']})" if self.onnx.get("precision") else ""
            return (
                f"ONNX: exported{precision}, max absolute difference "
                f"{self.onnx['max_abs_diff']:.2g} on {self.onnx['rows_checked']} rows."
            )
        if self.onnx.get("status") == "not supported":
            return f"ONNX: not supported ({self.onnx['reason']})."
        return "ONNX: not requested."

    def quantization_text(self) -> str | None:
        q = self.onnx.get("quantization")
        if not q:
            return None
        change = (q["size_after"] - q["size_before"]) / q["size_before"]
        return (
            f"Quantized ({q['mode']}): model.onnx {q['size_before']:,} → {q['size_after']:,} "
            f"bytes ({change:+.0%}), single-row latency {q['latency_before_ms']:.3f} → "
            f"{q['latency_after_ms']:.3f} ms, {q['metric']} {q['before']:.4f} → {q['after']:.4f} "
            f"on {q['rows']:,} holdout rows (tolerance {q['tolerance']:g})."
        )

    def signature_text(self) -> str:
        if self.signed_by is None:
            return "Not signed."
        return (
            f"Signed with key {self.signed_by}; give the team that deploys the public key "
            "(`modelyard bundle key --out FILE`) to check it with `modelyard bundle verify --key`."
        )

    @property
    def size(self) -> int:
        return sum(f["size"] for f in self.files.values())


@dataclass
class Verification:
    path: Path
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signed_by: str | None = None  # the key id manifest.sig names, checked or not
    signature_ok: bool | None = None  # None: no key was given to check it with
    signature: str = ""  # the outcome of the check, as a clause

    @property
    def files_ok(self) -> bool:
        return not (self.changed or self.missing or self.added)

    @property
    def ok(self) -> bool:
        return self.files_ok and self.signature_ok is not False

    def describe(self) -> str:
        if self.ok:
            text = f"{self.path}: all files match manifest.json"
            if self.signature_ok:
                return f"{text}, and its {self.signature}."
            if self.signed_by:
                return (
                    f"{text} (signed with key {self.signed_by}; check the signature with "
                    "`modelyard bundle verify --key PUBKEY`)."
                )
            return text + "."
        if self.files_ok:
            return f"{self.path}: the files match manifest.json, but {self.signature}."
        parts = [
            _summarise(kind, names)
            for kind, names in (
                ("changed", self.changed),
                ("missing", self.missing),
                ("added", self.added),
            )
            if names
        ]
        if self.signature_ok is False:
            parts.append(f"and {self.signature}")
        elif self.signature_ok:
            parts.append(f"the manifest's {self.signature}, so these files changed after signing")
        text = f"{self.path} does not match manifest.json — " + "; ".join(parts)
        if any("__pycache__/" in name for name in self.added):
            text += " (bytecode caches appear when the app runs without PYTHONDONTWRITEBYTECODE=1)"
        venvs = sorted(
            {name.rpartition("/")[0] for name in self.added if name.endswith("pyvenv.cfg")}
        )
        if venvs:
            text += (
                f" ({', '.join(v or '.' for v in venvs)} is a virtual environment inside the bundle;"
                " create it beside the bundle instead, e.g. python -m venv ../bundle-venv)"
            )
        return text


def _summarise(kind: str, names: list[str]) -> str:
    """All names when there are a few; else the count and the first few, so a `.venv` or a
    log folder left in a bundle does not print a megabyte of names."""
    if len(names) <= SHOWN_NAMES:
        return f"{kind}: {', '.join(names)}"
    first = ", ".join(names[:SHOWN_NAMES])
    return f"{kind}: {len(names):,} files ({first} and {len(names) - SHOWN_NAMES:,} more)"


def manifest_for(
    version: ModelVersion, files: dict[str, dict[str, Any]], onnx: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "onnx": onnx or {"status": "not requested"},
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
            "dataset": (
                {
                    "name": version.dataset.dataset_name,
                    "version": version.dataset.version,
                    "content_hash": version.dataset.content_hash,
                    "source_name": version.dataset.source_name,
                }
                if version.dataset is not None
                else None
            ),
        },
        "files": files,
    }


def _first_row(store: Store, version: ModelVersion) -> dict[str, Any] | None:
    from modelyard.registry.service import sample_rows

    names = [c["name"] for c in version.signature.get("inputs", [])]
    try:
        frame = sample_rows(store, version, 1, columns=names).dropna(axis=1)
    except Exception:  # noqa: BLE001 - the README falls back to made-up sample values
        return None
    if frame.empty or len(frame.columns) != len(names):
        return None
    row = json.loads(frame.to_json(orient="records", date_format="iso"))[0]
    texts = [str(v) for v in row.values()] + list(row)
    if any(ch in text for text in texts for ch in "',\\\n\r\""):
        return None  # keep the README's shell lines and CSV example unbroken
    return row


def _write_contents(
    store: Store,
    version: ModelVersion,
    folder: Path,
    onnx: bool,
    quantize: str | None = None,
    tolerance: float | None = None,
) -> dict:
    """Write every file but the manifest; return the ONNX outcome for the manifest."""
    from modelyard.registry import runtime

    data = model_bytes(store, version)
    try:
        model = runtime.load_model(data)  # refuse to ship a model that would not load
    except runtime.ModelLoadError as exc:
        raise ModelyardError(f"{version.label} cannot be exported: {exc}.") from exc
    (folder / "model.skops").write_bytes(data)
    network = model[-1] if hasattr(model, "steps") else model
    if isinstance(network, runtime.NumpyMLP):  # the PyTorch weights, for PyTorch users
        from safetensors.numpy import save_file

        save_file(network.tensors(), str(folder / "model.safetensors"))
        (folder / "model_architecture.json").write_text(json.dumps(network.architecture, indent=2))
    outcome: dict[str, Any] = {"status": "not requested"}
    if onnx:
        from modelyard.registry.onnx_export import export_version_onnx

        result = export_version_onnx(store, version)
        outcome = result.to_json()
        graph = result.data
        if quantize and not result.supported:
            from modelyard.deploy.quantize import QuantizationRefused

            raise QuantizationRefused(
                f"{version.label} cannot be quantized: it has no ONNX model ({result.reason})."
            )
        if quantize:
            from modelyard.deploy.quantize import DEFAULT_TOLERANCE, quantize_version_onnx

            limit = DEFAULT_TOLERANCE if tolerance is None else tolerance
            quantized = quantize_version_onnx(store, version, graph, quantize, limit)
            graph = quantized.data
            outcome["quantization"] = quantized.to_json()
        if graph is not None:
            (folder / "model.onnx").write_bytes(graph)
    write_text_files(version, folder, (folder / "model.onnx").exists(), _first_row(store, version))
    from modelyard.registry.card import write_card

    write_card(store, version, folder)  # MODEL_CARD.md and .html: the governance record
    return outcome


def _write_variants(
    store: Store, version: ModelVersion, folder: Path, onnx: bool, routing: dict[str, Any]
) -> None:
    """The challenger's and the shadow's models under versions/N/, beside the champion's."""
    from modelyard.registry import runtime
    from modelyard.registry.onnx_export import export_version_onnx

    for role, spec in routing.items():
        if role == "champion":
            continue
        other = _other_version(store, version, spec["version"], role)
        data = model_bytes(store, other)
        try:
            runtime.load_model(data)
        except runtime.ModelLoadError as exc:
            raise ModelyardError(f"{other.label} cannot be exported: {exc}.") from exc
        place = folder / "versions" / str(other.version)
        place.mkdir(parents=True, exist_ok=True)
        (place / "model.skops").write_bytes(data)
        spec["metrics"] = other.metrics
        if onnx:
            result = export_version_onnx(store, other)
            spec["onnx"] = result.to_json()
            if result.supported:
                (place / "model.onnx").write_bytes(result.data)
        if (folder / "model.onnx").exists() != (place / "model.onnx").exists():
            spec["note"] = "serves on the other runtime than the champion (ONNX for one only)"
    if "challenger" in routing:
        _write_split_manifest(version, folder, routing)


def replica_split(percent: float, most: int = 20) -> tuple[int, int]:
    """Champion and challenger replica counts (at least one each, at most `most` in all) whose
    ratio comes closest to the challenger's `percent`."""
    best = (1, 1)
    for total in range(2, most + 1):
        for challenger in range(1, total):
            if abs(challenger / total - percent / 100) < abs(best[1] / sum(best) - percent / 100):
                best = (total - challenger, challenger)
    return best


def _write_split_manifest(version: ModelVersion, folder: Path, routing: dict[str, Any]) -> None:
    """kubernetes-split.yaml: the champion and the challenger as two Deployments behind one
    Service, weighted by their replica counts."""
    from modelyard.deploy.files import TEMPLATE, render, template_values

    percent = float(routing["challenger"]["percent"])
    champion, challenger = replica_split(percent)
    values = template_values(version) | {
        "challenger_version": str(int(routing["challenger"]["version"])),
        "champion_replicas": str(champion),
        "challenger_replicas": str(challenger),
        "challenger_percent": f"{100 * challenger / (champion + challenger):.3g}",
        "split": f"{percent:g}",
    }
    text = render((TEMPLATE / "kubernetes-split.yaml").read_text(), values)
    (folder / "kubernetes-split.yaml").write_text(text)


def _other_version(store: Store, version: ModelVersion, number: int, role: str) -> ModelVersion:
    from modelyard.registry.service import get_model_version

    if number == version.version:
        raise InvalidInputError(f"The {role} must be another version than {version.label}.")
    other = get_model_version(store, version.model_name, number)
    same = [(c["name"], c["kind"]) for c in version.signature.get("inputs", [])]
    theirs = [(c["name"], c["kind"]) for c in other.signature.get("inputs", [])]
    if same != theirs or other.task != version.task:
        raise InvalidInputError(
            f"{other.label} takes other input columns or does another task than "
            f"{version.label}; a {role} must answer the same requests."
        )
    return other


def routing_for(
    version: ModelVersion,
    challenger: int | None = None,
    split: float | None = None,
    shadow: int | None = None,
) -> dict[str, Any]:
    """The manifest's `routing`: which version answers which share of the requests."""
    if split is not None and challenger is None:
        raise InvalidInputError("--split needs --challenger: the version that gets that share.")
    if challenger is None and shadow is None:
        return {}
    routing: dict[str, Any] = {"champion": {"version": version.version}}
    if challenger is not None:
        percent = 10.0 if split is None else float(split)
        if not 0 < percent < 100:
            raise InvalidInputError(
                f"--split is the challenger's percentage of requests, above 0 and below 100, not {split:g}."
            )
        routing["champion"]["percent"] = 100 - percent
        routing["challenger"] = {"version": challenger, "percent": percent}
    if shadow is not None:
        if shadow == challenger:
            raise InvalidInputError("The shadow and the challenger must be different versions.")
        routing["shadow"] = {"version": shadow}
    return routing


def _hash_tree(folder: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST:
            files[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return files


def export_bundle(
    store: Store,
    version: ModelVersion,
    out: Path | str,
    overwrite: bool = False,
    archive: bool = False,
    onnx: bool = True,
    sign: bool = False,
    quantize: str | None = None,
    quantize_tolerance: float | None = None,
    challenger: int | None = None,
    split: float | None = None,
    shadow: int | None = None,
) -> Bundle:
    """Write the bundle to a temporary folder beside `out`, then rename it into place.

    With `archive`, `out` becomes a `.tar.gz` (the suffix is added when missing) holding the
    bundle under one top folder; the archive is also written under a temporary name first.
    With `sign`, manifest.sig holds the user's ed25519 signature over manifest.json.
    With `quantize` (`int8` or `float16`), model.onnx is the quantized graph, judged on the
    holdout: past `quantize_tolerance` it is refused (QuantizationRefused) and nothing is written.
    """
    routing = routing_for(version, challenger, split, shadow)
    for role in ("challenger", "shadow"):  # refused before anything is written
        if role in routing:
            _other_version(store, version, routing[role]["version"], role)
    if quantize and not onnx:
        raise InvalidInputError(
            "Quantization works on the ONNX model; do not combine it with --no-onnx."
        )
    out = Path(out).expanduser().resolve()
    if archive and not is_archive(out):
        out = out.with_name(out.name + ARCHIVE_SUFFIX)
    _check_destination(store, out, overwrite, archive)
    signed_by = None
    if sign:  # the key is made or read before anything is written
        from modelyard.deploy import signing

        signed_by = signing.public_key_id()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_staging(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", dir=out.parent))
    except OSError as exc:
        raise InvalidInputError(
            f"The bundle folder {out} cannot be created: {exc.strerror or exc}."
        ) from exc
    try:
        folder = staging / "bundle"
        folder.mkdir()
        onnx_outcome = _write_contents(store, version, folder, onnx, quantize, quantize_tolerance)
        if routing:
            _write_variants(store, version, folder, onnx, routing)
        files = _hash_tree(folder)
        manifest = manifest_for(version, files, onnx_outcome)
        if routing:
            manifest["routing"] = routing
        manifest_bytes = json.dumps(manifest, indent=2).encode()
        (folder / MANIFEST).write_bytes(manifest_bytes)
        if sign:
            (folder / SIGNATURE_FILE).write_bytes(signing.sign_manifest(manifest_bytes))
        if archive:
            packed = staging / "bundle.tar.gz"
            write_archive(folder, packed, out.name[: -len(ARCHIVE_SUFFIX)] or "bundle")
            os.replace(packed, out)
        elif out.exists():
            trash = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, trash)
            os.replace(folder, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(folder, out)
    except OSError as exc:
        raise InvalidInputError(
            f"The bundle could not be written to {out}: {exc.strerror or exc}."
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    bundle = Bundle(out, files, onnx_outcome, signed_by, routing)
    n_files = len(files) + (2 if sign else 1)
    size = out.stat().st_size if archive else bundle.size
    with store.session() as session:
        session.add(
            models.Deployment(
                model_version_id=version.id, path=str(out), n_files=n_files, size=size
            )
        )
    return bundle


def _remove_abandoned_staging(out: Path) -> None:
    """Remove what an export to `out` left when its process was killed: its staging folder
    (`.NAME.PID.XXXXXXXX` holding only `bundle` or `bundle.tar.gz`) or the old bundle it was
    replacing (`.NAME.old-PID`). Only when that process is gone; anything else is left alone.
    """
    import re

    import psutil

    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(?:(\d+)\.[a-z0-9_]{{8}}|old-(\d+))$")
    for leftover in out.parent.glob(f".{out.name}.*"):
        match = pattern.match(leftover.name)
        if match is None or leftover.is_symlink() or not leftover.is_dir():
            continue
        pid = int(match.group(1) or match.group(2))
        if pid == os.getpid() or psutil.pid_exists(pid):
            continue
        ours = (
            {p.name for p in leftover.iterdir()} <= {"bundle", "bundle.tar.gz"}
            if match.group(1)
            else is_bundle(leftover)
        )
        if ours:
            shutil.rmtree(leftover, ignore_errors=True)


def is_bundle(path: Path) -> bool:
    """True for a folder or .tar.gz whose manifest says it is a Modelyard bundle."""
    try:
        if path.is_file() and is_archive(path):
            manifest = read_members(path)[1]
        else:
            if (path / MANIFEST).stat().st_size > MAX_MANIFEST_BYTES:
                return False
            manifest = json.loads((path / MANIFEST).read_text())
        return manifest.get("format") == BUNDLE_FORMAT
    except (OSError, ValueError, AttributeError, InvalidInputError):
        return False


def _check_destination(store: Store, out: Path, overwrite: bool, archive: bool) -> None:
    """Refuse any destination whose replacement could destroy something that is not a bundle."""
    if store.home is not None:
        home = Path(store.home).resolve()
        if out == home or home.is_relative_to(out) or out.is_relative_to(home):
            raise InvalidInputError(
                f"{out} is inside or above Modelyard's data folder {home}; choose another folder."
            )
    if archive and out.is_dir():
        raise InvalidInputError(f"{out} is a folder; choose a file name for the archive.")
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    if not overwrite:
        raise InvalidInputError(
            f"{out} already exists; choose a new name or allow overwriting (--force)."
        )
    if (out.is_dir() == archive) or not is_bundle(out):
        raise InvalidInputError(
            f"{out} exists and is not a Modelyard bundle; only a bundle can be replaced."
        )


def _recorded_files(manifest: Any, where: Path) -> dict[str, Any]:
    try:
        recorded = manifest["files"]
        if not isinstance(recorded, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in recorded.values()
        ):
            raise ValueError("files must map names to {sha256, size}")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{where} is damaged and cannot be read.") from exc
    unsafe = [name for name in recorded if not safe_member_name(name)]
    if unsafe:
        raise InvalidInputError(
            f"{where} names files outside the bundle ({', '.join(unsafe)}); refusing it."
        )
    return recorded


def _compare(path: Path, recorded: dict[str, Any], actual: dict[str, str]) -> Verification:
    result = Verification(path)
    for name, entry in sorted(recorded.items()):
        if name not in actual:
            result.missing.append(name)
        elif actual[name] != entry.get("sha256"):
            result.changed.append(name)
    result.added = sorted(name for name in actual if name not in recorded)
    return result


def _check_signature(
    result: Verification, manifest: bytes, signature: bytes | None, key: Path | str | None
) -> Verification:
    from modelyard.deploy import signing

    result.signed_by = signing.signer(signature)
    if key is not None:
        check = signing.check_signature(manifest, signature, signing.load_public_key(key))
        result.signature_ok, result.signature = check.ok, check.text
    return result


def verify_bundle(path: Path | str, key: Path | str | None = None) -> Verification:
    """Compare every file of a bundle folder or .tar.gz with the sha256 in its manifest.

    With `key` (an ed25519 public key file), manifest.sig must also be a valid signature over
    manifest.json by that key: checksums catch accidents, the signature catches re-hashing.
    """
    path = Path(path).expanduser().resolve()
    if key is not None:
        from modelyard.deploy import signing

        signing.load_public_key(key)  # a bad key file is an error, not a failed verification
    if path.is_file() and is_archive(path):
        actual, manifest, raw = read_members(path)
        result = _compare(path, _recorded_files(manifest, path), actual)
        return _check_signature(result, raw[MANIFEST], raw.get(SIGNATURE_FILE), key)
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise InvalidInputError(f"{path} is neither a bundle folder nor a .tar.gz bundle.")
    if not manifest_path.is_file():
        raise InvalidInputError(f"{path} has no {MANIFEST}; it is not a Modelyard bundle.")
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise too_large_manifest(path)
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{manifest_path} is damaged and cannot be read.") from exc
    recorded = _recorded_files(manifest, manifest_path)
    actual = {}
    signature = None
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path).as_posix()
        if file.is_symlink():
            actual[rel] = "symlink"  # never matches a recorded sha256
        elif file.is_file() and rel == SIGNATURE_FILE:
            with file.open("rb") as f:
                signature = f.read(64 * 1024 + 1)  # longer is damaged, never read whole
        elif file.is_file() and rel != MANIFEST:
            actual[rel] = sha256_file(file)
    return _check_signature(_compare(path, recorded, actual), manifest_bytes, signature, key)


def list_deployments(store: Store) -> list[Deployment]:
    from sqlalchemy import select

    with store.session() as session:
        rows = session.scalars(
            select(models.Deployment).order_by(models.Deployment.id.desc())
        ).all()
        return [Deployment.from_row(r) for r in rows]
