"""`modelyard settings`: the Settings page's app-wide choices, from the command line.

Prices and the queue have their own commands (`modelyard prices`, `modelyard queue`); this
one shows where the data lives and sets the Python that user scripts run with.
"""

from __future__ import annotations

OWN = "the app's own Python"


def cmd_settings(store, args) -> int:
    from modelyard import paths
    from modelyard.training import executors
    from modelyard.training.launcher import script_python
    from modelyard.training.script_python import set_script_python

    if args.script_python is not None:
        saved = set_script_python(store, args.script_python)
        print(f"User scripts now run with {saved or OWN}.")
    rows = [
        ("data folder", str(paths.data_home())),
        ("store", store.engine.url.render_as_string(hide_password=True)),
        ("blob folder", str(store.blobs.root)),
        ("execution", executors.chosen(store)),
        ("script python", script_python(store) or OWN),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(
        "(prices: `modelyard prices`; runs at a time: `modelyard queue`; "
        "where runs execute: `modelyard execution`)"
    )
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("settings", help="show the data folder and store; set the scripts' Python")
    p.add_argument(
        "--script-python",
        metavar="PATH",
        help="the Python that user scripts (`modelyard run script.py`) run with; '' for the app's own",
    )
    p.set_defaults(func=cmd_settings)
