"""A check as one self-contained HTML file: tables and inline SVG charts, no script, no link
to fetch, so it opens offline and can be mailed or kept as a CI artifact."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

REFERENCE_COLOUR, CURRENT_COLOUR = "#4c78a8", "#f58518"
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}.note{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee;padding:.5em}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return _e(value)


def _bars_svg(hist: dict[str, Any], width: int = 320, height: int = 140) -> str:
    ref, cur = hist.get("reference") or [], hist.get("current") or []
    if not ref:
        return ""
    top = max(max(ref), max(cur), 1e-9)
    n = len(ref)
    slot = (width - 10) / n
    parts = [f'<svg width="{width}" height="{height + 30}" role="img">']
    for i, (a, b) in enumerate(zip(ref, cur, strict=True)):
        x = 5 + i * slot
        for j, (value, colour) in enumerate(((a, REFERENCE_COLOUR), (b, CURRENT_COLOUR))):
            h = value / top * height
            parts.append(
                f'<rect x="{x + j * slot / 2:.1f}" y="{height - h:.1f}" width="{max(slot / 2 - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{value:.1%}</title></rect>'
            )
    labels = hist.get("categories")
    if labels:
        for i, label in enumerate(labels):
            parts.append(
                f'<text x="{5 + (i + 0.5) * slot:.1f}" y="{height + 12}" font-size="9" '
                f'text-anchor="middle">{_e(str(label)[:8])}</text>'
            )
    else:
        edges = hist.get("edges") or []
        if edges:
            parts.append(f'<text x="5" y="{height + 12}" font-size="9">{edges[0]:.4g}</text>')
            parts.append(
                f'<text x="{width - 5}" y="{height + 12}" font-size="9" text-anchor="end">{edges[-1]:.4g}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _performance(report: dict[str, Any]) -> str:
    out = []
    measured = report.get("performance")
    if measured:
        out.append(
            f"<h2>Performance ({_e(measured['source'])}, {measured.get('labelled_rows', 0):,} labelled rows)</h2>"
        )
        out.append(
            "<table><tr><th>metric</th><th>holdout</th><th>current</th><th>change for the worse</th><th></th></tr>"
        )
        for row in measured["metrics"]:
            flag = (
                '<span class="bad">degraded</span>'
                if row["degraded"]
                else '<span class="ok">ok</span>'
            )
            out.append(
                f"<tr><td>{_e(row['metric'])}</td><td class=num>{_number(row['holdout'])}</td>"
                f"<td class=num>{_number(row['current'])}</td><td class=num>{row['drop']:.1%}</td><td>{flag}</td></tr>"
            )
        out.append(f"</table><p class=note>Tolerance {measured['tolerance']:.0%}.</p>")
        if measured.get("over_time"):
            out.append(
                "<table><tr><th>day</th><th>metric</th><th>value</th><th>labelled rows</th></tr>"
            )
            for row in measured["over_time"]:
                out.append(
                    f"<tr><td>{_e(row['day'])}</td><td>{_e(row['metric'])}</td><td class=num>{_number(row['value'])}</td><td class=num>{row['rows']:,}</td></tr>"
                )
            out.append("</table>")
    estimated = report.get("estimated")
    if estimated:
        calibrated = "calibrated on the holdout" if estimated["calibrated"] else "not calibrated"
        out.append(
            f"<h2>Estimated performance <small>(no labels: {_e(estimated['method'])}, {calibrated})</small></h2>"
        )
        out.append(
            "<table><tr><th>metric</th><th>holdout (measured)</th><th>current (estimated)</th></tr>"
        )
        for name, value in estimated["metrics"].items():
            out.append(
                f"<tr><td>{_e(name)}</td><td class=num>{_number(estimated['holdout'].get(name))}</td><td class=num>{_number(value)}</td></tr>"
            )
        out.append("</table>")
    return "".join(out)


def render(report: dict[str, Any], alerts: list[str] | None = None) -> str:
    verdict = (
        '<span class="bad">the data drifts</span>'
        if report["dataset_drift"]
        else '<span class="ok">no dataset drift</span>'
    )
    out = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Drift report: {_e(report['model'])} v{_e(report['version'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(report['model'])} v{_e(report['version'])}: {verdict}</h1>",
        f"<p>{report['n_drifted']} of {report['n_columns']} input columns drift ({report['drift_share']:.0%}; "
        f"the dataset drifts at {report['drift_share_threshold']:.0%}). Current: {_e(report['current'])} "
        f"({report['current_rows']:,} rows); reference: {_e(report['reference'])} ({report['reference_rows']:,} rows). "
        f"Checked {_e(report.get('created_at', ''))}.</p>",
    ]
    for key, title in (("missing_columns", "Missing columns"), ("new_columns", "New columns")):
        if report.get(key):
            out.append(f"<p><b>{title}:</b> {_e(', '.join(report[key]))}</p>")
    if report.get("retyped_columns"):
        out.append(
            "<p><b>Retyped columns:</b> "
            + _e("; ".join(f"{r['column']}: {r['found']}" for r in report["retyped_columns"]))
            + "</p>"
        )
    for line in alerts or []:
        out.append(f'<p class="bad">Alert: {_e(line)}</p>')
    out.append(
        "<h2>Columns</h2><table><tr><th>column</th><th>kind</th><th>test</th><th>statistic</th>"
        "<th>threshold</th><th>drift</th><th>missing (ref → cur)</th><th>note</th></tr>"
    )
    for c in report["columns"]:
        flag = '<span class="bad">drift</span>' if c["drifted"] else '<span class="ok">no</span>'
        out.append(
            f"<tr><td>{_e(c['column'])}</td><td>{_e(c['kind'])}</td><td>{_e(c['test'])}</td>"
            f"<td class=num>{_number(c['statistic'])}</td><td class=num>{_number(c['threshold'])}</td><td>{flag}</td>"
            f"<td class=num>{c['missing_reference']:.1%} → {c['missing_current']:.1%}</td><td class=note>{_e(c.get('note') or '')}</td></tr>"
        )
    out.append("</table>")
    out.append(_performance(report))
    out.append(
        f'<h2>Distributions</h2><p class="legend"><span style="background:{REFERENCE_COLOUR}"></span>reference'
        f'<span style="background:{CURRENT_COLOUR}"></span>current</p><div class="charts">'
    )
    for c in report["columns"]:
        if c.get("histogram"):
            out.append(
                f"<div class=chart><b>{_e(c['column'])}</b><br>{_bars_svg(c['histogram'])}</div>"
            )
    out.append("</div>")
    for note in report.get("notes") or []:
        out.append(f"<p class=note>{_e(note)}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(
    report: dict[str, Any], path: Path, kind: str, alerts: list[str] | None = None
) -> None:
    """Write the report as `kind` (html or json), atomically."""
    path = Path(path).expanduser()
    text = render(report, alerts) if kind == "html" else json.dumps(report, indent=2, default=str)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from modelyard.errors import InvalidInputError

        raise InvalidInputError(
            f"The report could not be written to {path} ({exc.strerror or exc})."
        ) from exc
