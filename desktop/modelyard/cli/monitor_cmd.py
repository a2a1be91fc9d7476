"""`modelyard monitor …`: drift checks, history, alert rules, feedback labels, retraining."""

from __future__ import annotations

import sys
from pathlib import Path

from modelyard.cli.format import table
from modelyard.errors import InvalidInputError

DRIFT_EXIT = 3  # --fail-on-drift: the data drifts (1 stays "refused with a sentence")


def _version(store, ref: str):
    from modelyard.registry.aliases import resolve

    return resolve(store, ref)


def _summary(check) -> str:
    r = check.report
    lines = [
        f"Check {check.id if check.id is not None else '(not saved)'} of {check.model} v{check.version} "
        f"on {r['current']} ({r['current_rows']:,} rows) against {r['reference']} ({r['reference_rows']:,} rows):",
        f"  {'DATASET DRIFT' if r['dataset_drift'] else 'no dataset drift'}: "
        f"{r['n_drifted']} of {r['n_columns']} columns drift ({r['drift_share']:.0%}; threshold {r['drift_share_threshold']:.0%})",
    ]
    for key, title in (("missing_columns", "missing columns"), ("new_columns", "new columns")):
        if r[key]:
            lines.append(f"  {title}: {', '.join(r[key])}")
    for row in r["retyped_columns"]:
        lines.append(f"  retyped: {row['column']}: {row['found']}")
    rows = [
        (
            c["column"], c["test"], "—" if c["statistic"] is None else f"{c['statistic']:.4g}",
            "—" if c["threshold"] is None else f"{c['threshold']:g}", "DRIFT" if c["drifted"] else "no",
            f"{c['missing_reference']:.1%} → {c['missing_current']:.1%}", c.get("note") or "",
        )
        for c in r["columns"]
    ]  # fmt: skip
    lines.append(
        table(("column", "test", "statistic", "threshold", "drift", "missing", "note"), rows)
    )
    measured = r.get("performance")
    if measured:
        lines.append(
            f"Performance ({measured['source']}, {measured.get('labelled_rows', 0):,} labelled rows; tolerance {measured['tolerance']:.0%}):"
        )
        lines.append(table(
            ("metric", "holdout", "current", "worse by", ""),
            [(m["metric"], f"{m['holdout']:.4g}", f"{m['current']:.4g}", f"{m['drop']:.1%}", "DEGRADED" if m["degraded"] else "ok") for m in measured["metrics"]],
        ))  # fmt: skip
    estimated = r.get("estimated")
    if estimated:
        text = ", ".join(f"{k} {v:.4g}" for k, v in estimated["metrics"].items())
        lines.append(
            f"Estimated without labels ({estimated['method']}{', calibrated on the holdout' if estimated['calibrated'] else ''}): {text}"
        )
    lines.extend(f"note: {n}" for n in r.get("notes") or [])
    return "\n".join(lines)


def cmd_check(store, args) -> int:
    from modelyard.monitoring.checks import check
    from modelyard.monitoring.report_html import write_report
    from modelyard.monitoring.retrain import act_on_alerts
    from modelyard.monitoring.rules import list_alerts
    from modelyard.monitoring.settings import get_settings

    version = _version(store, args.model)
    settings = get_settings(store, version.model_name)
    if args.method:
        from dataclasses import replace

        settings = replace(settings, method=args.method)
    result = check(
        store,
        version,
        data=args.data,
        requests=args.requests,
        target=args.target,
        settings=settings,
    )
    alerts = [a.message for a in list_alerts(store, ids=list(result.alert_ids))]
    for path, kind in ((args.json, "json"), (args.html, "html")):
        if path:
            write_report(result.report, Path(path), kind, alerts)
    print(_summary(result))
    for alert_id, message in zip(result.alert_ids, alerts, strict=True):
        print(f"ALERT {alert_id}: {message}")
    for line in act_on_alerts(store, version, result):
        print(line)
    for path in (args.json, args.html):
        if path:
            print(f"Wrote {path}.")
    return DRIFT_EXIT if args.fail_on_drift and result.dataset_drift else 0


def cmd_history(store, args) -> int:
    from modelyard.monitoring.checks import history

    version = _version(store, args.model)
    checks = history(store, version)
    if not checks:
        print(
            f"{version.label} has not been checked yet; run `modelyard monitor check {version.model_name}:{version.version} --data FILE`."
        )
        return 0
    rows = []
    for c in checks:
        time, kind, data, n_rows, *rest = c.overview()
        rows.append((c.id, time, kind, data, f"{n_rows:,}", *rest[:2], rest[2][:40], *rest[3:]))
    print(
        table(
            (
                "check",
                "time",
                "source",
                "data",
                "rows",
                "drift share",
                "drift",
                "drifted columns",
                "measured",
                "estimated",
            ),
            rows,
        )
    )
    return 0


def cmd_rules(store, args) -> int:
    from modelyard.monitoring.rules import add_rule, list_rules, remove_rule

    if args.add:
        rule = add_rule(store, args.model, args.add)
        print(f"Rule {rule.id} added to {args.model}: {rule.spec}")
    elif args.remove is not None:
        remove_rule(store, args.model, args.remove)
        print(f"Rule {args.remove} removed from {args.model}.")
    rules = list_rules(store, args.model)
    if not rules:
        print(f"{args.model} has no alert rules; add one with --add 'drift_share>=0.3'.")
        return 0
    print(table(("rule", "spec", "action"), [(r.id, r.spec, r.action) for r in rules]))
    return 0


def cmd_feedback(store, args) -> int:
    from modelyard.monitoring.feedback import add_feedback, read_labels

    version = _version(store, args.model)
    n = add_feedback(store, version, read_labels(Path(args.file)))
    print(
        f"Kept {n:,} labels for {version.label}; the next check of its request log joins them with its predictions."
    )
    return 0


def cmd_compare(store, args) -> int:
    from modelyard.monitoring.feedback import stored_labels
    from modelyard.monitoring.served import compare_served
    from modelyard.registry.service import get_model_version

    champion = _version(store, args.model)
    challenger = get_model_version(store, champion.model_name, args.challenger)
    labels = {**stored_labels(store, champion), **stored_labels(store, challenger)}
    result = compare_served(Path(args.requests), champion, challenger, labels)
    kind = "shadow (same rows)" if result.mode == "shadow" else "split (each its own rows)"
    print(f"{champion.label} vs {challenger.label}, {kind}, on {result.metric}:")
    print(
        f"  {champion.label:24} {result.champion_score:.4g}  ({result.champion_rows:,} labelled rows)"
    )
    print(
        f"  {challenger.label:24} {result.challenger_score:.4g}  ({result.challenger_rows:,} labelled rows)"
    )
    print(result.verdict)
    return 0


def cmd_retrain(store, args) -> int:
    from modelyard.monitoring.retrain import retrain
    from modelyard.progress import Progress

    version = _version(store, args.model)
    progress = Progress(lambda _f, message: print(message, file=sys.stderr))
    result = retrain(
        store,
        version,
        args.data,
        merge=args.merge,
        promote_if_better=args.promote_if_better,
        progress=progress,
    )
    print(result.message)
    return 0 if result.new_version is not None else 1


def cmd_alerts(store, args) -> int:
    from modelyard.monitoring.rules import acknowledge, list_alerts

    if args.ack:
        n = acknowledge(store, args.model)
        print(f"Acknowledged {n} alert{'s' if n != 1 else ''}.")
        return 0
    alerts = list_alerts(store, args.model)
    if not alerts:
        print("No alerts.")
        return 0
    print(table(
        ("alert", "time", "model", "message", "seen", "outcome"),
        [(a.id, f"{a.created_at:%Y-%m-%d %H:%M}", f"{a.model} v{a.version}", a.message[:70], "yes" if a.acknowledged else "NEW", (a.outcome or "")[:50]) for a in alerts],
    ))  # fmt: skip
    return 0


def cmd_settings(store, args) -> int:
    from dataclasses import asdict

    from modelyard.monitoring.settings import get_settings, update_settings

    changes = {}
    if args.method:
        changes["method"] = args.method
    if args.threshold:
        thresholds = dict(get_settings(store, args.model).thresholds)
        for pair in args.threshold:
            test, sep, value = pair.partition("=")
            try:
                thresholds[test.strip()] = float(value)
            except ValueError:
                raise InvalidInputError(f"--threshold takes TEST=NUMBER, not '{pair}'.") from None
            if not sep:
                raise InvalidInputError(f"--threshold takes TEST=NUMBER, not '{pair}'.")
        changes["thresholds"] = thresholds
    for key in ("drift_share", "tolerance", "interval_min"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    for key, value in (("watch_folder", args.watch), ("requests_folder", args.requests)):
        if value is not None:
            changes[key] = str(Path(value).expanduser().resolve()) if value else None
    from modelyard.registry.service import get_model_version

    get_model_version(store, args.model)  # the model must exist
    settings = (
        update_settings(store, args.model, **changes)
        if changes
        else get_settings(store, args.model)
    )
    for key, value in asdict(settings).items():
        print(f"{key:16} {value}")
    return 0


def add_parsers(sub) -> None:
    from modelyard.monitoring.stattests import METHODS

    p = sub.add_parser(
        "monitor", help="drift checks, alert rules, feedback and retraining of models"
    )
    monitor = p.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)

    c = monitor.add_parser(
        "check", help="check a model version for drift on new data or its request log"
    )
    c.add_argument("model", help="MODEL, MODEL:N or MODEL@ALIAS")
    source = c.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="a data file, or a dataset version NAME[:V]")
    source.add_argument("--requests", help="a served bundle's request log folder")
    c.add_argument("--target", help="the label column in the data (default: the model's target)")
    c.add_argument(
        "--method", choices=METHODS, help="drift tests (default: the model's setting, auto)"
    )
    c.add_argument("--json", help="also write the report as JSON here")
    c.add_argument("--html", help="also write the report as a self-contained HTML file here")
    c.add_argument(
        "--fail-on-drift", action="store_true", help=f"exit {DRIFT_EXIT} when the dataset drifts"
    )
    c.set_defaults(func=cmd_check)

    h = monitor.add_parser("history", help="every stored check of a model version")
    h.add_argument("model")
    h.set_defaults(func=cmd_history)

    r = monitor.add_parser("rules", help="list, add or remove a model's alert rules")
    r.add_argument("model")
    change = r.add_mutually_exclusive_group()
    change.add_argument(
        "--add", metavar="SPEC", help="e.g. 'drift_share>=0.3', 'column=age,action=retrain'"
    )
    change.add_argument("--remove", type=int, metavar="ID")
    r.set_defaults(func=cmd_rules)

    f = monitor.add_parser("feedback", help="keep late labels (a file with id and label columns)")
    f.add_argument("model", help="MODEL, MODEL:N or MODEL@ALIAS")
    f.add_argument("--file", required=True, help="LABELS.csv with the ids the bundle answered with")
    f.set_defaults(func=cmd_feedback)

    m = monitor.add_parser(
        "compare", help="compare an A/B or shadow bundle's two versions on the traffic they served"
    )
    m.add_argument("model", help="the champion: MODEL, MODEL:N or MODEL@ALIAS")
    m.add_argument("--challenger", type=int, required=True, metavar="M", help="the other version")
    m.add_argument("--requests", required=True, help="the bundle's request log folder")
    m.set_defaults(func=cmd_compare)

    t = monitor.add_parser("retrain", help="retrain a version's spec on new data and compare")
    t.add_argument("model", help="MODEL, MODEL:N or MODEL@ALIAS")
    t.add_argument("--data", required=True, help="the dataset version NAME[:V] with the new rows")
    t.add_argument(
        "--merge", action="store_true", help="train on the training data and the new rows"
    )
    t.add_argument(
        "--promote-if-better",
        action="store_true",
        help="move production to it when it clearly wins",
    )
    t.set_defaults(func=cmd_retrain)

    a = monitor.add_parser("alerts", help="raised alerts and what was done about them")
    a.add_argument("model", nargs="?")
    a.add_argument("--ack", action="store_true", help="mark them seen")
    a.set_defaults(func=cmd_alerts)

    s = monitor.add_parser("settings", help="a model's drift tests, thresholds and watched folders")
    s.add_argument("model")
    s.add_argument("--method", choices=METHODS)
    s.add_argument(
        "--threshold", action="append", metavar="TEST=X", help="e.g. wasserstein=0.2, ks=0.01"
    )
    s.add_argument("--drift-share", type=float, dest="drift_share")
    s.add_argument(
        "--tolerance", type=float, help="performance drop that flags concept drift (0.05 = 5%%)"
    )
    s.add_argument("--watch", help="a folder whose new data files the app checks ('' to stop)")
    s.add_argument(
        "--requests", help="a request log folder the app checks every --every minutes ('' to stop)"
    )
    s.add_argument(
        "--every", type=int, dest="interval_min", help="minutes between request log checks"
    )
    s.set_defaults(func=cmd_settings)
