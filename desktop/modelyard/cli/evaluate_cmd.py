"""`modelyard evaluate MODEL[:N|@ALIAS] [--dataset NAME[:V]] [--against MODEL[:N|@ALIAS]]`."""

from __future__ import annotations

from modelyard.cli.format import table


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def evaluation_text(result) -> str:
    lines = [f"{result.version.label} on {result.data_label} ({result.n_rows:,} rows)"]
    intervals = result.intervals
    rows = [
        (k, _fmt(v), f"{intervals[k][0]:.4g} – {intervals[k][1]:.4g}" if k in intervals else "")
        for k, v in result.metrics.items()
    ]
    lines.append(table(("metric", "value", "95% interval"), rows))
    if result.intervals_note:
        lines.append(result.intervals_note)
    if result.per_class:
        lines.append("")
        lines.append(
            table(
                ("class", "precision", "recall", "f1", "support"),
                [
                    (
                        r["class"],
                        _fmt(r["precision"]),
                        _fmt(r["recall"]),
                        _fmt(r["f1"]),
                        r["support"],
                    )
                    for r in result.per_class
                ],
            )
        )
        lines.append("")
        lines.append("confusion matrix (rows: actual, columns: predicted)")
        lines.append(
            table(
                ("", *map(str, result.classes)),
                [(c, *row) for c, row in zip(result.classes, result.confusion, strict=True)],
            )
        )
    if result.importance:
        lines.append("")
        lines.append(
            table(
                ("feature", "importance", "± std"),
                [(n, _fmt(m), _fmt(s)) for n, m, s in result.importance[:10]],
            )
        )
        lines.append(result.importance_note)
    shap = result.explanations
    if shap.get("mean_abs"):
        lines.append("")
        lines.append(
            f"SHAP: {shap['method']}, explains the {shap['output']} "
            f"(expected {shap['expected']:.4g}); {shap['rows']:,} of {shap['of_rows']:,} rows "
            f"in {shap['seconds']:.2f} s"
        )
        lines.append(
            table(("feature", "mean |SHAP|"), [(n, _fmt(v)) for n, v in shap["mean_abs"][:10]])
        )
    elif shap.get("note"):
        lines.append("")
        lines.append(shap["note"])
    for sliced in result.slices:
        lines.append("")
        lines += slice_lines(sliced)
    if result.worst:
        lines.append("")
        lines.append("worst predictions")
        keys = [
            k for k in result.worst[0] if k in ("row", "actual", "predicted", "p(actual)", "error")
        ]
        lines.append(table(keys, [[w[k] for k in keys] for w in result.worst[:5]]))
    return "\n".join(lines)


def slice_lines(sliced: dict) -> list[str]:
    """One column's slice table, its gaps and (two classes) its fairness differences."""
    groups = sliced["groups"]
    metrics = list(dict.fromkeys(k for g in groups for k in g["metrics"]))
    rows = [
        (g["group"], f"{g['rows']:,}" + (" (small)" if g["small"] else ""),
         *(_fmt(g["metrics"].get(m)) for m in metrics))
        for g in groups
    ]  # fmt: skip
    lines = [f"slices by {sliced['column']}", table(("group", "rows", *metrics), rows)]
    gaps = sliced["gaps"]
    if gaps:
        parts = []
        for metric, gap in gaps.items():
            ratio = "-" if gap["ratio"] is None else f"{gap['ratio']:.3g}"
            parts.append(f"{metric} {gap['gap']:.3g} (ratio {ratio})")
        lines.append(
            f"largest gap among groups of {sliced['min_group']}+ rows: " + ", ".join(parts)
        )
    else:
        lines.append(f"fewer than two groups of {sliced['min_group']}+ rows: no gap to judge")
    fair = sliced["fairness"]
    if "demographic_parity_difference" in fair:
        lines.append(
            f"demographic parity difference {fair['demographic_parity_difference']:.3g}"
            + (
                f", equalised odds difference {fair['equalized_odds_difference']:.3g}"
                if "equalized_odds_difference" in fair
                else ""
            )
            + f" (positive class {fair['positive_class']})"
        )
    small = [g["group"] for g in groups if g["small"]]
    if small:
        lines.append(
            f"small groups (under {sliced['min_group']} rows, too few to judge): {', '.join(small)}"
        )
    return lines


def cmd_evaluate(store, args) -> int:
    from modelyard.registry.aliases import resolve

    version = resolve(store, args.model)
    if args.against:
        from modelyard.registry.comparison import compare

        champion = resolve(store, args.against)
        result = compare(store, champion, version, args.dataset)
        rows = [(name, _fmt(a), _fmt(b)) for name, a, b in result.rows()]
        print(table(("metric", f"champion {champion.label}", f"challenger {version.label}"), rows))
        print(result.verdict)
        return 0
    from modelyard.registry.evaluation import evaluate

    print(evaluation_text(evaluate(store, version, args.dataset, by=tuple(args.by), save=True)))
    return 0


def add_evaluate_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model version on its holdout or a dataset")
    p.add_argument("model", help="MODEL, MODEL:N or MODEL@ALIAS")
    p.add_argument("--dataset", help="NAME[:VERSION] instead of the run's holdout")
    p.add_argument("--against", metavar="CHAMPION", help="compare with this version (MODEL:N)")
    p.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="COLUMN",
        help="also score every group of this column (repeatable): slices and fairness gaps",
    )
    p.set_defaults(func=cmd_evaluate)
