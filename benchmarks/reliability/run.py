"""The figures of docs/RELIABILITY.md: each check prints its own, `--write-doc` puts them in
the doc's table (between its markers; rows of checks not run now are kept).

    PYTHONPATH=desktop nice -n 10 .venv/bin/python benchmarks/reliability/run.py CHECK... \
        [--full] [--seed N] [--write-doc]

CHECK: crash, load, fuzz, schema, archives, refusals, or all. Without --full each check runs
at a size that finishes in a few minutes on two busy cores; --full is the size the issue
names (see the doc for both).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import ROOT, Figure  # noqa: E402

DOC = ROOT / "docs" / "RELIABILITY.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
HEADER = "| key | check | size | result | verdict |\n|---|---|---|---|---|"
CHECKS = ["crash", "load", "fuzz", "schema", "archives", "refusals"]


def run_check(name: str, full: bool, seed: int) -> list[Figure]:
    if name == "crash":
        import crash

        return crash.main(full, seed)
    if name == "load":
        import load

        return [load.main(full)]
    import hostile

    return [getattr(hostile, name)(full, seed)]


def write_doc(figures: list[Figure]) -> None:
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    table, after = rest.split(END, 1)
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in table.strip().splitlines()[2:]
        if line.startswith("| `")
    }
    rows.update({f.key: f.row() for f in figures})
    stamp = time.strftime("%Y-%m-%d")
    body = "\n".join(rows[k] for k in sorted(rows, key=_order))
    DOC.write_text(
        f"{before}{START}\n{HEADER}\n{body}\n\n_Last written {stamp} by "
        f"`benchmarks/reliability/run.py`._\n{END}{after}"
    )


def _order(key: str) -> tuple[int, str]:
    prefix = key.split("-")[0]
    groups = {"crash": 0, "load": 1, "fuzz": 2, "schema": 3, "archives": 4, "refusals": 5}
    return groups.get(prefix, 9), key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checks", nargs="+", choices=[*CHECKS, "all"])
    parser.add_argument("--full", action="store_true", help="the sizes the issue names")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--write-doc", action="store_true", help="update docs/RELIABILITY.md")
    args = parser.parse_args(argv)
    names = CHECKS if "all" in args.checks else args.checks
    figures: list[Figure] = []
    for name in names:
        started = time.monotonic()
        print(f"== {name} ({'full' if args.full else 'quick'} size)", flush=True)
        for figure in run_check(name, args.full, args.seed):
            figures.append(figure)
            print(
                f"{figure.key}: {figure.result} [{figure.size}] "
                f"{'PASS' if figure.passed else 'FAIL'}",
                flush=True,
            )
            for detail in figure.details[:20]:
                print(f"    {detail}")
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    if args.write_doc:
        write_doc(figures)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
