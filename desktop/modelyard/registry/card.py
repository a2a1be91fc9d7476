"""The model card: one version's governance record, as Markdown and HTML.

Intended use and limitations (notes the user writes), the training data (version and
sha256), the features used and left out, metrics with their cross-validated spread beside
the holdout, the latest stored evaluation (intervals, slices and fairness gaps, top features),
known limitations found in those figures, the lineage and the audit trail.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.store import Store, models
from modelyard.store.entities import ModelVersion

WIDE_INTERVAL = 0.1  # a 95% interval wider than this on a 0–1 metric is called out
SMALL_HOLDOUT = 200


@dataclass(frozen=True)
class Card:
    markdown: str
    html: str

    def write(self, folder: Path, stem: str = "MODEL_CARD") -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        md, page = folder / f"{stem}.md", folder / f"{stem}.html"
        for path, text in ((md, self.markdown), (page, self.html)):
            temporary = path.with_suffix(path.suffix + ".tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)
        return md, page


def set_notes(
    store: Store,
    version: ModelVersion,
    intended_use: str | None = None,
    limitations: str | None = None,
) -> None:
    """Keep what the user wrote on the card (None: leave as it is); recorded in the audit log."""
    from modelyard.registry.audit import record

    for text in (intended_use, limitations):
        if text is not None and len(text) > 10_000:
            raise InvalidInputError("A card note holds at most 10,000 characters.")
    with store.session() as session:
        row = session.get(models.ModelCardNote, version.id)
        before = {}
        if row is None:
            row = models.ModelCardNote(model_version_id=version.id)
            session.add(row)
        else:
            before = {"intended_use": row.intended_use, "limitations": row.limitations}
        if intended_use is not None:
            row.intended_use = intended_use.strip() or None
        if limitations is not None:
            row.limitations = limitations.strip() or None
        row.updated_at = models.utcnow()
        after = {"intended_use": row.intended_use, "limitations": row.limitations}
        record(session, version.model_name, "card", {"version": version.version, **before},
               {"version": version.version, **after})  # fmt: skip


def notes(store: Store, version: ModelVersion) -> dict[str, str | None]:
    with store.session() as session:
        row = session.get(models.ModelCardNote, version.id)
        if row is None:
            return {"intended_use": None, "limitations": None}
        return {"intended_use": row.intended_use, "limitations": row.limitations}


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def card_markdown(store: Store, version: ModelVersion) -> str:
    from modelyard.registry.details import version_details
    from modelyard.registry.evaluation import latest_evaluation

    details = version_details(store, version, events=50)
    run, data, signature = details.run, version.dataset, version.signature
    written = notes(store, version)
    evaluation = latest_evaluation(store, version)
    out = [f"# Model card: {version.label}", ""]
    out.append(
        f"{version.model_kind} ({version.task}) predicting **{signature.get('target')}**; "
        f"registered {version.created_at:%Y-%m-%d %H:%M} UTC"
        + (f"; aliases: {', '.join(details.aliases)}" if details.aliases else "")
        + "."
    )
    out += ["", "## Intended use", ""]
    out.append(
        written["intended_use"]
        or "_Not written yet._ Write it with `modelyard models card "
        f'{version.model_name}:{version.version} --intended-use "…"`.'
    )
    out += ["", "## Training data", ""]
    if data is not None:
        out += [
            f"- Dataset version: **{data.label}**",
            f"- sha256: `{data.content_hash}`",
            f"- Source: {data.source_name} ({data.n_rows:,} rows × {data.n_cols} columns)",
        ]
    else:
        out.append("- No dataset recorded (the model was logged from a script).")
    holdout = (signature.get("validation") or {}).get("holdout")
    if holdout:
        out.append(
            f"- Split: {holdout['training_rows']:,} training rows, {holdout['rows']:,} holdout "
            f"rows ({holdout['fraction']:.0%}, seed {holdout['seed']}"
            f"{', stratified' if holdout.get('stratified') else ''})"
        )
    out += ["", "## Features", ""]
    for column in signature.get("inputs", []):
        extra = ""
        if column["kind"] == "datetime":
            extra = f" → {', '.join(column['parts'])}"
        out.append(f"- `{column['name']}` ({column['kind']}){extra}")
    unused = signature.get("unused") or []
    if unused:
        out += ["", "Not used:", ""]
        out += [f"- `{c['name']}`: {c['reason']}" for c in unused]
    out += ["", "## Metrics", ""]
    selection = (signature.get("validation") or {}).get("selection")
    if selection:
        head = "CV mean ± std" if selection["method"] == "cross-validation" else "validation"
        rows = []
        for key, stats in selection["summary"].items():
            spread = f" ± {stats['std']:.3g}" if stats.get("std") is not None else ""
            rows.append([key, f"{stats['mean']:.4g}{spread}", _fmt(version.metrics.get(key))])
        out += _table(["metric", head, "holdout (scored once)"], rows)
        out += ["", f"Model selection: {selection['text']} on the training part."]
    else:
        out += _table(["metric", "value"], [[k, _fmt(v)] for k, v in version.metrics.items()])
    limits = _limitations(version, signature, evaluation)
    if evaluation is not None:
        out += ["", "## Latest evaluation", ""]
        out.append(
            f"On {evaluation['data_label']} ({evaluation['n_rows']:,} rows), "
            f"{evaluation['created_at']:%Y-%m-%d %H:%M} UTC. {evaluation.get('intervals_note', '')}"
        )
        out.append("")
        intervals = evaluation.get("intervals", {})
        out += _table(
            ["metric", "value", "95% interval"],
            [
                [
                    k,
                    _fmt(v),
                    f"{intervals[k][0]:.4g} – {intervals[k][1]:.4g}" if k in intervals else "",
                ]
                for k, v in evaluation["metrics"].items()
            ],
        )
        out += ["", "## Slices", ""]
        if evaluation.get("slices"):
            for sliced in evaluation["slices"]:
                out += _slice_section(sliced)
        else:
            out.append(
                "_No slices evaluated._ Run `modelyard evaluate "
                f"{version.model_name}:{version.version} --by COLUMN` to add them."
            )
        out += ["", "## Top features", ""]
        shap = evaluation.get("explanations") or {}
        if shap.get("mean_abs"):
            out.append(f"Mean |SHAP| ({shap['method']}, {shap['output']}, {shap['rows']:,} rows):")
            out.append("")
            out += _table(
                ["feature", "mean |SHAP|"], [[n, _fmt(v)] for n, v in shap["mean_abs"][:10]]
            )
        elif evaluation.get("importance"):
            out.append(evaluation.get("importance_note", "Permutation importance") + ":")
            out.append("")
            out += _table(
                ["feature", "importance", "± std"],
                [[n, _fmt(m), _fmt(s)] for n, m, s in evaluation["importance"][:10]],
            )
    else:
        out += ["", "## Latest evaluation", ""]
        out.append(
            "_Not evaluated yet._ Run `modelyard evaluate "
            f"{version.model_name}:{version.version} [--by COLUMN]` for intervals, slices and "
            "top features."
        )
    out += ["", "## Known limitations", ""]
    if written["limitations"]:
        out += [written["limitations"], ""]
    out += [f"- {line}" for line in limits] or ["- None found in the figures above."]
    out += ["", "## Lineage", ""]
    out += [f"- {kind}: {label}" for kind, label in details.lineage()]
    env = run.environment or {}
    if env.get("packages"):
        packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
        out.append(
            f"- Environment: Python {env.get('python')} on {env.get('platform')}; {packages}"
        )
    out += ["", "## Audit trail", ""]
    if details.events:
        out += _table(
            ["time (UTC)", "action", "before → after"],
            [[f"{e.time:%Y-%m-%d %H:%M:%S}", e.action, e.describe()] for e in details.events],
        )
    else:
        out.append("No registry changes recorded.")
    out.append("")
    return "\n".join(out)


def _slice_section(sliced: dict[str, Any]) -> list[str]:
    groups = sliced["groups"]
    metrics = list(dict.fromkeys(k for g in groups for k in g["metrics"]))
    out = [f"### By {sliced['column']}", ""]
    out += _table(
        ["group", "rows", *metrics],
        [
            [g["group"], f"{g['rows']:,}" + (" (small)" if g["small"] else ""),
             *(_fmt(g["metrics"].get(m)) for m in metrics)]
            for g in groups
        ],
    )  # fmt: skip
    out.append("")
    for metric, gap in sliced["gaps"].items():
        ratio = "-" if gap["ratio"] is None else f"{gap['ratio']:.3g}"
        out.append(f"- Largest gap in {metric}: {gap['gap']:.3g} (ratio {ratio})")
    fair = sliced.get("fairness") or {}
    if "demographic_parity_difference" in fair:
        out.append(
            f"- Demographic parity difference: {fair['demographic_parity_difference']:.3g}"
            f" (positive class {fair['positive_class']})"
        )
    if "equalized_odds_difference" in fair:
        out.append(f"- Equalised odds difference: {fair['equalized_odds_difference']:.3g}")
    small = [g["group"] for g in groups if g["small"]]
    if small:
        out.append(f"- Too small to judge (under {sliced['min_group']} rows): {', '.join(small)}")
    out.append("")
    return out


def _limitations(version, signature, evaluation) -> list[str]:
    """What the recorded figures themselves say a reader should be careful about."""
    found = []
    holdout = (signature.get("validation") or {}).get("holdout")
    if holdout and holdout["rows"] < SMALL_HOLDOUT:
        found.append(
            f"The holdout holds only {holdout['rows']} rows: its scores move by several points "
            "from one split to another; read them with the CV spread."
        )
    selection = (signature.get("validation") or {}).get("selection") or {}
    for key, stats in (selection.get("summary") or {}).items():
        if stats.get("std") is not None and stats["std"] > 0.05 and key != "rmse":
            found.append(f"{key} varies by ± {stats['std']:.2g} across the CV folds.")
    for column in signature.get("unused") or []:
        if column["reason"].startswith("text"):
            found.append(f"The text column `{column['name']}` is not used by the model.")
    if evaluation is not None:
        for key, (low, high) in (evaluation.get("intervals") or {}).items():
            if key in ("accuracy", "f1_macro") and high - low > WIDE_INTERVAL:
                found.append(
                    f"The 95% interval of {key} on {evaluation['data_label']} is wide "
                    f"({low:.3g} – {high:.3g})."
                )
        for sliced in evaluation.get("slices") or []:
            small = [g["group"] for g in sliced["groups"] if g["small"]]
            if small:
                found.append(
                    f"Groups of {sliced['column']} too small to judge: {', '.join(small)}."
                )
            gap = sliced["gaps"].get("accuracy") or sliced["gaps"].get("rmse")
            if gap and gap["gap"] > 0.1 and "accuracy" in sliced["gaps"]:
                found.append(
                    f"Accuracy differs by {gap['gap']:.2g} between groups of {sliced['column']}."
                )
    if version.dataset is None:
        found.append("No training data is recorded, so drift cannot be checked against it.")
    return found


def markdown_to_html(text: str, title: str) -> str:
    """The subset of Markdown the card uses (headings, lists, tables, code, bold, italics)."""

    def inline(value: str) -> str:
        value = html.escape(value)
        value = re.sub(r"`([^`]+)`", r"<code>\1</code>", value)
        value = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", value)
        return re.sub(r"(?<!\w)_([^_]+)_(?!\w)", r"<em>\1</em>", value)

    body, in_list, table_rows = [], False, []

    def close() -> None:
        nonlocal in_list, table_rows
        if in_list:
            body.append("</ul>")
            in_list = False
        if table_rows:
            head, *rest = table_rows
            body.append(
                "<table><thead><tr>"
                + "".join(f"<th>{inline(c)}</th>" for c in head)
                + "</tr></thead><tbody>"
            )
            body.extend(
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rest
            )
            body.append("</tbody></table>")
            table_rows = []

    for line in text.splitlines():
        if line.startswith("|"):
            cells = [
                c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]
            ]
            if not all(set(c) <= {"-"} for c in cells):
                table_rows.append(cells)
            continue
        if line.startswith("- "):
            if table_rows:
                close()
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{inline(line[2:])}</li>")
            continue
        close()
        heading = re.match(r"(#{1,3}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    close()
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;"
        "padding:.25em .6em;text-align:left}th{background:#f3f3f3}code{background:#f3f3f3;"
        "padding:0 .2em}"
    )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def model_card(store: Store, version: ModelVersion) -> Card:
    text = card_markdown(store, version)
    return Card(text, markdown_to_html(text, f"Model card: {version.label}"))


def write_card(store: Store, version: ModelVersion, folder: Path) -> tuple[Path, Path]:
    return model_card(store, version).write(folder)
