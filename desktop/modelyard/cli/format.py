"""Plain-text rendering of entities for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelyard.store.entities import Run


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def metrics_text(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())


def run_detail(run: Run) -> str:
    lines = [
        f"Run {run.id}: {run.status}" + (f" — {run.name}" if run.name else ""),
        f"  experiment {run.experiment}",
        f"  dataset  {run.dataset.label} ({run.dataset.content_hash[:12]})",
        f"  target   {run.target} ({run.task})",
        f"  model    {run.model_kind}",
        f"  params   {', '.join(f'{k}={v}' for k, v in run.params.items()) or '-'}",
        f"  seed     {run.seed}",
        f"  created  {run.created_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    if run.duration_s is not None:
        lines.append(f"  duration {run.duration_s:.1f} s")
    if run.metrics:
        lines.append("  metrics")
        lines += [f"    {k:<14} {v:.6g}" for k, v in run.metrics.items()]
    if run.tags:
        lines.append(f"  tags     {', '.join(f'{k}={v}' for k, v in run.tags.items())}")
    if run.notes:
        lines.append("  notes    " + run.notes.replace("\n", "\n           "))
    if run.environment:
        env = run.environment
        packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
        lines.append(f"  python   {env.get('python')} on {env.get('platform')}")
        lines.append(f"  packages {packages}")
    if run.error:
        lines.append("  error    " + run.error.replace("\n", "\n           "))
    return "\n".join(lines)
