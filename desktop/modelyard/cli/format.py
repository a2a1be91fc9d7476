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


def finished_text(run: Run) -> str:
    """One line for a finished run: holdout scores first, then the training part's."""
    selection = ((run.signature or {}).get("validation") or {}).get("selection") or {}
    summary = selection.get("summary") or {}
    holdout = {k: v for k, v in run.metrics.items() if k in summary}
    if not holdout:
        return f"Run {run.id} finished: {metrics_text(run.metrics)}"
    std = selection["method"] == "cross-validation"
    trained = ", ".join(
        f"{k} {stats['mean']:.4g}" + (f" ± {stats['std']:.2g}" if std else "")
        for k, stats in summary.items()
    )
    how = "cross-validated" if std else "validation split"
    return (
        f"Run {run.id} finished: {metrics_text(holdout)} (holdout, scored once); "
        f"{how}: {trained} ({selection['text']})"
    )


def run_detail(run: Run) -> str:
    lines = [
        f"Run {run.id}: {run.status}" + (f" — {run.name}" if run.name else ""),
        f"  experiment {run.experiment}",
    ]
    if run.source != "trainer":
        lines.append(f"  source   {_source_text(run)}")
    if run.dataset is not None:
        lines.append(f"  dataset  {run.dataset.label} ({run.dataset.content_hash[:12]})")
    if run.target:
        lines.append(f"  target   {run.target} ({run.task})")
    lines += [
        f"  model    {run.model_kind}",
        f"  params   {', '.join(f'{k}={v}' for k, v in run.params.items()) or '-'}",
    ]
    if run.source == "trainer":
        lines.append(f"  seed     {run.seed}")
    lines.append(f"  created  {run.created_at:%Y-%m-%d %H:%M:%S} UTC")
    if run.duration_s is not None:
        lines.append(f"  duration {run.duration_s:.1f} s")
    if run.resource and run.resource != "dask":
        lines.append(f"  worker   {run.resource.replace('gpu:', 'GPU ')}")
    if run.where:
        attempts = f", attempt {run.attempts}" if run.attempts > 1 else ""
        lines.append(f"  executed {run.where}{attempts}")
    lines += feature_lines(run)
    lines += quality_lines(run)
    if run.tags:
        lines.append(f"  tags     {', '.join(f'{k}={v}' for k, v in run.tags.items())}")
    if run.notes:
        lines.append("  notes    " + run.notes.replace("\n", "\n           "))
    if run.environment:
        env = run.environment
        packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
        code = env.get("code") or {}
        if code.get("git"):
            git = code["git"]
            dirty = " with uncommitted changes" if git.get("dirty") else ""
            lines.append(f"  git      {git['commit'][:12]} ({git.get('branch')}){dirty}")
        lines.append(f"  python   {env.get('python')} on {env.get('platform')}")
        lines.append(f"  packages {packages}")
    if run.error:
        lines.append("  error    " + run.error.replace("\n", "\n           "))
    return "\n".join(lines)


def feature_lines(run: Run) -> list[str]:
    """What the model learned from: its input columns (a date column with the parts it was
    expanded into), then every column it did not use and why."""
    signature = run.signature or {}
    inputs = signature.get("inputs")
    if not inputs:
        return []
    plain = [c["name"] + (" (date)" if c["kind"] == "datetime" else "") for c in inputs]
    lines = [
        f"  features {len(inputs)} column{'s' if len(inputs) != 1 else ''}: {', '.join(plain)}"
    ]
    for c in inputs:
        if c["kind"] == "datetime":
            lines.append(
                f"    {c['name']} (date) → {', '.join(c['parts'])} "
                f"(elapsed days since {c['origin'][:19]})"
            )
    unused = signature.get("unused") or []
    if unused:
        lines.append("  not used")
        lines += [f"    {c['name']:<14} {c['reason']}" for c in unused]
    return lines


def quality_lines(run: Run) -> list[str]:
    """The run's scores: the training part's (CV mean ± std, or the MLP's validation split)
    beside the holdout's, which is scored once; then every other metric."""
    validation = (run.signature or {}).get("validation") or {}
    selection, holdout = validation.get("selection"), validation.get("holdout")
    shown: set[str] = set()
    lines: list[str] = []
    if selection and holdout:
        fold_hash = selection.get("fold_sha256")
        lines.append(
            f"  selection {selection['text']} on {holdout['training_rows']:,} training rows"
            + (f" (folds sha256 {fold_hash[:12]})" if fold_hash else "")
        )
        lines.append(
            f"  holdout   {holdout['rows']:,} rows ({holdout['fraction']:.0%}, seed "
            f"{holdout['seed']}{', stratified' if holdout.get('stratified') else ''}), "
            "scored once by the final model"
        )
        head = "CV mean ± std" if selection["method"] == "cross-validation" else "validation"
        rows = []
        for key, stats in selection["summary"].items():
            spread = f" ± {stats['std']:.3g}" if stats.get("std") is not None else ""
            value = run.metrics.get(key)
            rows.append(
                (key, f"{stats['mean']:.4g}{spread}", "" if value is None else f"{value:.4g}")
            )
            shown.update({key, f"cv_{key}", f"cv_{key}_std", f"val_best_{key}"})
        lines += ["    " + line for line in table(("metric", head, "holdout"), rows).splitlines()]
    rest = {k: v for k, v in run.metrics.items() if k not in shown}
    if rest:
        lines.append("  metrics" if not shown else "  other metrics")
        lines += [f"    {k:<14} {v:.6g}" for k, v in rest.items()]
    return lines


def _source_text(run: Run) -> str:
    command = run.command or {}
    if run.source == "script":
        args = " ".join(command.get("args") or [])
        return f"script {command.get('script')}" + (f" {args}" if args else "")
    script = command.get("script")
    return f"SDK run from {script}" if script else "SDK run (a notebook or interactive session)"


def compare_text(runs: Sequence[Run]) -> str:
    """Params and final metrics of several runs side by side; `*` marks rows that differ."""
    from modelyard.tracking.compare import diff_rows

    rows = [("*" if row.differs else "", row.name, *row.values) for row in diff_rows(runs)]
    headers = ("", "", *(f"run {r.id}" for r in runs))
    return table(headers, rows) + "\n* differs between the runs"
