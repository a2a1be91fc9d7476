"""`modelyard models …`: list, show, alias, unalias, rollback, card, audit."""

from __future__ import annotations

from modelyard.cli.format import metrics_text, table


def cmd_models_list(store, _args) -> int:
    from modelyard.registry.aliases import all_aliases
    from modelyard.registry.service import list_models

    by_version = all_aliases(store)
    rows = [
        (
            v.model_name,
            v.version,
            ", ".join(by_version.get(v.id, [])),
            v.model_kind,
            v.task,
            v.dataset.label if v.dataset else "-",
            metrics_text(v.metrics),
        )
        for m in list_models(store)
        for v in m.versions
    ]
    if not rows:
        print(
            "No models yet. Register a finished run with `modelyard register --run RUN --name NAME`."
        )
        return 0
    print(table(("model", "version", "aliases", "kind", "task", "dataset", "metrics"), rows))
    return 0


def cmd_models_show(store, args) -> int:
    from modelyard.registry.aliases import resolve
    from modelyard.registry.details import version_details

    details = version_details(store, resolve(store, args.ref), events=10)
    print(details.text())
    if details.events:
        print("  recent changes")
        for event in details.events:
            print(f"    {event.time:%Y-%m-%d %H:%M:%S}  {event.action:<12} {event.describe()}")
    return 0


def cmd_models_alias(store, args) -> int:
    from modelyard.registry.aliases import set_alias

    print(set_alias(store, args.model, args.alias, args.version).describe())
    return 0


def cmd_models_unalias(store, args) -> int:
    from modelyard.registry.aliases import remove_alias

    print(remove_alias(store, args.model, args.alias).describe())
    return 0


def cmd_models_rollback(store, args) -> int:
    from modelyard.registry.aliases import rollback

    print(rollback(store, args.model).describe())
    return 0


def cmd_models_audit(store, args) -> int:
    from modelyard.registry.audit import audit_log

    events = audit_log(store, args.model, limit=args.limit)
    if not events:
        print("No registry changes yet.")
        return 0
    rows = [(f"{e.time:%Y-%m-%d %H:%M:%S}", e.model_name, e.action, e.describe()) for e in events]
    print(table(("time (UTC)", "model", "action", "before → after"), rows))
    return 0


def cmd_models_card(store, args) -> int:
    from pathlib import Path

    from modelyard.registry.aliases import resolve
    from modelyard.registry.card import model_card, set_notes

    version = resolve(store, args.ref)
    if args.intended_use is not None or args.limitations is not None:
        set_notes(store, version, args.intended_use, args.limitations)
    folder = Path(args.out)
    stem = f"{version.model_name}-v{version.version}-card"
    md, page = model_card(store, version).write(folder, stem)
    print(f"Wrote the model card of {version.label}: {md} and {page}")
    return 0


def add_models_parser(sub) -> None:
    p = sub.add_parser("models", help="registered models: list, show, alias, rollback, audit")
    p.set_defaults(func=cmd_models_list)
    actions = p.add_subparsers(dest="models_command", metavar="ACTION")
    a = actions.add_parser("list", help="models, versions and their aliases")
    a.set_defaults(func=cmd_models_list)
    a = actions.add_parser("show", help="one version: run, params, data, signature, lineage")
    a.add_argument("ref", help="MODEL, MODEL:N or MODEL@ALIAS")
    a.set_defaults(func=cmd_models_show)
    a = actions.add_parser("alias", help="point an alias (staging, production, …) at version N")
    a.add_argument("model")
    a.add_argument("version", type=int)
    a.add_argument("alias")
    a.set_defaults(func=cmd_models_alias)
    a = actions.add_parser("unalias", help="remove an alias")
    a.add_argument("model")
    a.add_argument("alias")
    a.set_defaults(func=cmd_models_unalias)
    a = actions.add_parser("rollback", help="move production back to its previous version")
    a.add_argument("model")
    a.set_defaults(func=cmd_models_rollback)
    a = actions.add_parser("card", help="write a version's model card as Markdown and HTML")
    a.add_argument("ref", help="MODEL, MODEL:N or MODEL@ALIAS")
    a.add_argument("--out", default=".", help="folder for MODEL-vN-card.md and .html")
    a.add_argument("--intended-use", help="keep this note as the card's intended use")
    a.add_argument("--limitations", help="keep this note among the card's known limitations")
    a.set_defaults(func=cmd_models_card)
    a = actions.add_parser("audit", help="every registry change, newest first")
    a.add_argument("model", nargs="?")
    a.add_argument("--limit", type=int, default=100)
    a.set_defaults(func=cmd_models_audit)
