"""Everything known about one model version, gathered for the Models page and `models show`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.registry.aliases import aliases
from modelyard.registry.audit import RegistryEvent, audit_log
from modelyard.store import Store
from modelyard.store.entities import ModelVersion, Run
from modelyard.tracking.runs import get_run


@dataclass(frozen=True)
class VersionDetails:
    version: ModelVersion
    run: Run
    size: int
    aliases: tuple[str, ...]
    events: tuple[RegistryEvent, ...]

    @property
    def output(self) -> str:
        sig = self.version.signature
        if sig.get("task") == "classification":
            classes = ", ".join(str(c) for c in sig.get("classes", []))
            return f"class of '{sig.get('target')}' ({classes}) and class probabilities"
        return f"number: predicted '{sig.get('target')}'"

    def lineage(self) -> list[tuple[str, str]]:
        """Model version → run → dataset version → source file, as (kind, label) steps."""
        data = self.version.dataset
        steps = [("Model version", self.version.label), ("Run", self._run_label())]
        if data is None:
            return steps + [("Dataset version", "none recorded (logged from a script)")]
        return steps + [
            ("Dataset version", f"{data.label} (sha256 {data.content_hash[:12]}…)"),
            ("Source file", f"{data.source_name} ({data.source_size:,} bytes)"),
        ]

    def _run_label(self) -> str:
        if self.run.source == "trainer":
            return f"run {self.run.id}: {self.run.model_kind}, seed {self.run.seed}"
        return f"run {self.run.id}: {self.run.what}"

    def fields(self) -> list[tuple[str, str]]:
        """The version as (label, value) pairs: a form in the GUI, aligned lines in the CLI."""
        v, run, data = self.version, self.run, self.version.dataset
        params = ", ".join(f"{k}={val}" for k, val in run.params.items()) or "defaults"
        fields = [
            ("Model", f"{v.label} ({v.model_kind}, {v.task})"),
            ("Aliases", ", ".join(self.aliases) or "-"),
            ("Run", f"{run.id} (seed {run.seed}, target {run.target})"),
            ("Trainer", f"{run.model_kind}: {params}"),
        ]
        if data is not None:
            fields.append(("Dataset", f"{data.label}, sha256 {data.content_hash}"))
            fields.append(
                ("Source", f"{data.source_name} ({data.n_rows:,} rows × {data.n_cols} columns)")
            )
        else:
            fields.append(("Dataset", "none recorded (logged from a script)"))
        inputs = ", ".join(f"{c['name']} ({c['kind']})" for c in v.signature.get("inputs", []))
        metrics = ", ".join(f"{k}={val:.4g}" for k, val in v.metrics.items()) or "-"
        fields += [
            ("Format", f"{v.format}, {self.size:,} bytes"),
            ("Output", self.output),
            ("Inputs", inputs),
            ("Metrics", metrics),
            ("Lineage", " → ".join(label for _kind, label in self.lineage())),
        ]
        env = run.environment
        if env:
            packages = ", ".join(f"{k} {val}" for k, val in env.get("packages", {}).items())
            fields.append(("Python", f"{env.get('python')} on {env.get('platform')}"))
            fields.append(("Packages", packages))
        trained_on = v.signature.get("trained_on")
        if trained_on:
            fields.append(("Trained", f"on {trained_on['device']}, {trained_on['epochs']} epochs"))
        return fields

    def text(self) -> str:
        fields = self.fields()
        _, title = fields[0]
        return "\n".join([title, *(f"  {k.lower():<9} {val}" for k, val in fields[1:])])


def version_details(store: Store, version: ModelVersion, events: int = 200) -> VersionDetails:
    run = get_run(store, version.run_id)
    path = store.blobs.open_path(version.blob)
    names = tuple(a for a, n in aliases(store, version.model_name).items() if n == version.version)
    log: list[Any] = audit_log(store, version.model_name, limit=events)
    return VersionDetails(version, run, path.stat().st_size, names, tuple(log))
