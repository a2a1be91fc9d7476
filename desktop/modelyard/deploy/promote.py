"""Promote or roll back an A/B or shadow bundle: one action that writes a new, single-version bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.store import Store

ACTIONS = ("promote", "rollback")


def _manifest(bundle: Path) -> dict[str, Any]:
    from modelyard.deploy.archive import is_archive, read_members

    try:
        if bundle.is_file() and is_archive(bundle):
            return read_members(bundle)[1]
        return json.loads((bundle / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInputError(
            f"{bundle} is not a Modelyard bundle (no readable manifest.json)."
        ) from exc


def kept_version(bundle: Path | str, action: str) -> tuple[str, int]:
    """The model name and the version that `action` keeps: the challenger (or shadow) for
    promote, the champion for rollback."""
    if action not in ACTIONS:
        raise InvalidInputError(f"The action is promote or rollback, not '{action}'.")
    bundle = Path(bundle).expanduser().resolve()
    manifest = _manifest(bundle)
    routing = manifest.get("routing") or {}
    other = routing.get("challenger") or routing.get("shadow")
    if not other:
        raise InvalidInputError(
            f"{bundle} serves one version only; promote and rollback work on bundles exported "
            "with --challenger or --shadow."
        )
    keep = other["version"] if action == "promote" else routing["champion"]["version"]
    return manifest["model"]["name"], int(keep)


def rewrite_bundle(
    store: Store, bundle: Path | str, action: str, out: Path | str, overwrite: bool = False
):
    """Export the kept version alone to `out`, with the same ONNX choice as `bundle`."""
    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import get_model_version

    name, keep = kept_version(bundle, action)
    manifest = _manifest(Path(bundle).expanduser().resolve())
    onnx = (manifest.get("onnx") or {}).get("status") != "not requested"
    version = get_model_version(store, name, keep)
    return export_bundle(store, version, out, overwrite=overwrite, onnx=onnx)
