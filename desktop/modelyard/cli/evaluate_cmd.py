"""`modelyard evaluate MODEL[:N|@ALIAS] [--dataset NAME[:V]] [--against MODEL[:N|@ALIAS]]`."""

from __future__ import annotations

from modelyard.cli.format import table


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def evaluation_text(result) -> str:
    lines = [f"{result.version.label} on {result.data_label} ({result.n_rows:,} rows)"]
    lines.append(table(("metric", "value"), [(k, _fmt(v)) for k, v in result.metrics.items()]))
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
    if result.worst:
        lines.append("")
        lines.append("worst predictions")
        keys = [
            k for k in result.worst[0] if k in ("row", "actual", "predicted", "p(actual)", "error")
        ]
        lines.append(table(keys, [[w[k] for k in keys] for w in result.worst[:5]]))
    return "\n".join(lines)


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

    print(evaluation_text(evaluate(store, version, args.dataset)))
    return 0


def add_evaluate_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model version on its holdout or a dataset")
    p.add_argument("model", help="MODEL, MODEL:N or MODEL@ALIAS")
    p.add_argument("--dataset", help="NAME[:VERSION] instead of the run's holdout")
    p.add_argument("--against", metavar="CHAMPION", help="compare with this version (MODEL:N)")
    p.set_defaults(func=cmd_evaluate)
