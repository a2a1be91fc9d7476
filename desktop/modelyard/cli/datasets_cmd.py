"""`modelyard datasets import|list|show|profile|diff|validate|delete …`: the Datasets page without a display."""

from __future__ import annotations

import sys

from modelyard.cli.format import table
from modelyard.datasets.profile import format_value
from modelyard.errors import ModelyardError


def _overrides(types: list[str], roles: list[str]) -> dict[str, dict]:
    """--type COLUMN=KIND and --role COLUMN=ROLE, as the review dialog would set them."""
    chosen: dict[str, dict] = {}
    for option, pairs in (("kind", types), ("role", roles)):
        for pair in pairs:
            column, sep, value = pair.rpartition("=")
            if not sep or not column.strip():
                raise ModelyardError(f"Write COLUMN={option.upper()}, not '{pair}'.")
            chosen.setdefault(column.strip(), {})[option] = value.strip()
    return chosen


def cmd_import(store, args) -> int:
    from modelyard.datasets.drops import expand_paths
    from modelyard.datasets.privacy import parse_choices
    from modelyard.datasets.service import import_file

    choices = parse_choices(args.privacy)
    overrides = _overrides(args.type, args.role)
    files, skipped = expand_paths(args.paths)
    failures = list(skipped)
    for message in skipped:
        print(f"error: {message}", file=sys.stderr)
    for path in files:
        try:
            result = import_file(store, path, args.name, privacy=choices, overrides=overrides)
            print(result.message)
        except ModelyardError as exc:
            failures.append(str(exc))
            print(f"error: {exc}", file=sys.stderr)
    if len(files) + len(skipped) > 1:
        print(
            f"Imported {len(files) + len(skipped) - len(failures)} of {len(files) + len(skipped)} files."
        )
    return 1 if failures else 0


def cmd_show(store, args) -> int:
    from modelyard.datasets.service import get_version
    from modelyard.datasets.versions import parent_of, users_of

    v = get_version(store, args.ref)
    parent = parent_of(store, v)
    print(f"{v.label}  {v.n_rows:,} rows × {v.n_cols} columns")
    print(f"  parent   {parent.label if parent else '(first version)'}")
    print(f"  used by  {', '.join(users_of(store, v)) or 'nothing yet'}")
    print(f"  source   {v.source_name} ({v.source_size:,} bytes)")
    print(f"  sha256   {v.content_hash}")
    print(f"  created  {v.created_at:%Y-%m-%d %H:%M:%S}")
    rows = [(c.name, c.kind, "yes" if c.nullable else "no", c.n_unique) for c in v.columns]
    print(table(("column", "type", "nullable", "distinct"), rows))
    return 0


def cmd_profile(store, args) -> int:
    from modelyard.datasets.profile import describe_column, get_profile
    from modelyard.datasets.service import get_version

    version = get_version(store, args.ref)
    profile = get_profile(store, version)
    stats = profile["column_stats"]
    if args.column:
        if args.column not in stats:
            raise ModelyardError(f"{version.label} has no column '{args.column}'.")
        print(describe_column(args.column, stats[args.column], profile["privacy"].get(args.column)))
        return 0
    print(
        f"{version.label}: {profile['rows']:,} rows, {profile['columns']} columns, "
        f"{profile['duplicate_rows']:,} duplicate rows, {profile['memory_bytes'] / 1e6:,.1f} MB in memory"
    )
    rows = [
        (
            name,
            s["kind"],
            s["count"],
            s["missing"],
            s["unique"],
            format_value(s.get("min")),
            format_value(s.get("max")),
            format_value(s.get("mean")),
            format_value(s.get("std")),
            profile["privacy"].get(name, {}).get("kind", ""),
        )
        for name, s in stats.items()
    ]
    headers = (
        "column",
        "type",
        "count",
        "missing",
        "unique",
        "min",
        "max",
        "mean",
        "std",
        "personal",
    )
    print(table(headers, rows))
    return 0


def cmd_diff(store, args) -> int:
    from modelyard.datasets.service import get_version
    from modelyard.datasets.versions import diff_versions, parent_of

    new = get_version(store, args.new if args.new else args.old)
    if args.new:
        old = get_version(store, args.old)
    else:
        old = parent_of(store, new)
        if old is None:
            raise ModelyardError(f"{new.label} has no previous version; name two versions.")
    print("\n".join(diff_versions(store, old, new).lines()))
    return 0


def cmd_delete(store, args) -> int:
    from modelyard.datasets.service import get_version
    from modelyard.datasets.versions import delete_version, users_of

    version = get_version(store, args.ref)
    if not args.yes:
        users = users_of(store, version)
        if users or not sys.stdin.isatty():
            if users:
                delete_version(store, version)  # refuses and names the users
            raise ModelyardError(f"Deleting {version.label} needs confirmation: add --yes.")
        answer = input(f"Delete {version.label} ({version.n_rows:,} rows)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was deleted.")
            return 1
    print(delete_version(store, version))
    return 0


def cmd_validate(store, args) -> int:
    from modelyard.datasets.service import get_version
    from modelyard.datasets.validation import (
        add_rule,
        list_rules,
        parse_rule,
        remove_rule,
        report_lines,
        validate_version,
    )

    version = get_version(store, args.ref)
    specs = [parse_rule(spec) for spec in args.rule]  # all checked before any is stored
    for rule_id in args.remove:
        remove_rule(store, version.dataset_name, rule_id)
    for column, kind, params in specs:
        add_rule(store, version, column, kind, params)
    rules = list_rules(store, version.dataset_name)
    if rules:
        print(table(("id", "rule"), [(r.id, r.describe()) for r in rules]))
    else:
        print(f"{version.dataset_name} has no rules yet; add one with --rule COLUMN:KIND[=ARG].")
    report = validate_version(store, version)
    print(f"{version.label}: " + "\n".join(report_lines(report)))
    return 1 if report["failures"] else 0


def add_parser(sub, cmd_list) -> None:
    p = sub.add_parser("datasets", help="list, import, show and profile datasets")
    p.set_defaults(func=cmd_list)
    actions = p.add_subparsers(dest="datasets_command", metavar="ACTION")
    a = actions.add_parser("list", help="every dataset version (the default)")
    a.set_defaults(func=cmd_list)
    a = actions.add_parser("import", help="import files or folders, each as a dataset version")
    a.add_argument("paths", nargs="+", metavar="PATH")
    a.add_argument("--name", help="dataset name (default: each file's name)")
    a.add_argument(
        "--privacy",
        action="append",
        default=[],
        metavar="[COLUMN=]ACTION",
        help="drop, mask or hash a column at import; without COLUMN: every column that looks "
        "like e-mail, phone, card or IBAN numbers",
    )
    a.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="COLUMN=KIND",
        help="override an inferred type: integer, float, boolean, categorical, text, datetime",
    )
    a.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="COLUMN=ROLE",
        help="feature (default), target (preselected for new runs) or ignore (not stored)",
    )
    a.set_defaults(func=cmd_import)
    a = actions.add_parser("show", help="a version's source, hash and columns")
    a.add_argument("ref", metavar="NAME[:VERSION]")
    a.set_defaults(func=cmd_show)
    a = actions.add_parser("profile", help="statistics of every column, or of one")
    a.add_argument("ref", metavar="NAME[:VERSION]")
    a.add_argument("column", nargs="?")
    a.set_defaults(func=cmd_profile)
    a = actions.add_parser("diff", help="schema, rows and moved distributions between versions")
    a.add_argument("old", metavar="NAME[:VERSION]", help="alone: compare with its parent")
    a.add_argument("new", nargs="?", metavar="NAME[:VERSION]")
    a.set_defaults(func=cmd_diff)
    a = actions.add_parser("validate", help="add or remove rules, then check a version")
    a.add_argument("ref", metavar="NAME[:VERSION]")
    a.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="COLUMN:KIND[=ARG]",
        help="age:not_null, age:range=0..120, plan:allowed=a,b, id:unique, email:pattern=REGEX",
    )
    a.add_argument("--remove", action="append", default=[], type=int, metavar="RULE_ID")
    a.set_defaults(func=cmd_validate)
    a = actions.add_parser("delete", help="delete a version that no run or model used")
    a.add_argument("ref", metavar="NAME:VERSION")
    a.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    a.set_defaults(func=cmd_delete)
