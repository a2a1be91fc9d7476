"""Validation rules per column, and the report that checks a version against them and against
the previous version's schema."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models

KINDS = ("not_null", "range", "allowed", "unique", "pattern")
NUMERIC = ("integer", "float")
# integers with a missing value load as floats, and strings are called categorical or text by
# their number of distinct values: the same data, not a schema change
WIDENINGS = {("integer", "float"), ("categorical", "text"), ("text", "categorical")}


@dataclass(frozen=True)
class Rule:
    id: int
    column: str
    kind: str
    params: dict

    def describe(self) -> str:
        p = self.params
        if self.kind == "range":
            low = "" if p.get("min") is None else f"{p['min']:g}"
            high = "" if p.get("max") is None else f"{p['max']:g}"
            return f"{self.column} in {low}..{high}"
        if self.kind == "allowed":
            return f"{self.column} in {{{', '.join(p['values'])}}}"
        if self.kind == "pattern":
            return f"{self.column} matches /{p['regex']}/"
        return f"{self.column} {self.kind.replace('_', ' ')}"


def parse_rule(spec: str) -> tuple[str, str, dict]:
    """`COLUMN:KIND[=ARG]`: age:not_null, age:range=0..120, plan:allowed=a,b, id:unique,
    email:pattern=REGEX."""
    column, sep, rest = spec.rpartition(":") if "=" not in spec else spec.partition(":")
    if not sep or not column.strip():
        raise InvalidInputError(
            f"'{spec}' is not a rule; write COLUMN:KIND[=ARG], e.g. age:range=0..120."
        )
    kind, _, arg = rest.partition("=")
    return column.strip(), kind.strip(), rule_params(kind.strip(), arg)


def rule_params(kind: str, arg: str) -> dict:
    if kind not in KINDS:
        raise InvalidInputError(f"'{kind}' is not a rule kind; use one of {', '.join(KINDS)}.")
    if kind == "range":
        low, sep, high = arg.partition("..")
        try:
            params = {
                "min": float(low) if low.strip() else None,
                "max": float(high) if high.strip() else None,
            }
        except ValueError:
            params = None
        if not sep or params is None or params == {"min": None, "max": None}:
            raise InvalidInputError(
                f"A range is written MIN..MAX (either may be left out), not '{arg}'."
            )
        if None not in params.values() and params["min"] > params["max"]:
            raise InvalidInputError(f"The range {arg} is empty: its minimum is above its maximum.")
        return params
    if kind == "allowed":
        values = [v.strip() for v in arg.split(",") if v.strip()]
        if not values:
            raise InvalidInputError("An allowed-values rule needs values, e.g. plan:allowed=a,b,c.")
        return {"values": values}
    if kind == "pattern":
        try:
            re.compile(arg)
        except re.error as exc:
            raise InvalidInputError(f"'{arg}' is not a valid regular expression ({exc}).") from exc
        if not arg:
            raise InvalidInputError("A pattern rule needs a regular expression.")
        return {"regex": arg}
    return {}


def _dataset_row(session, name: str):
    dataset = session.scalar(select(models.Dataset).where(models.Dataset.name == name))
    if dataset is None:
        raise NotFoundError(f"There is no dataset '{name}'.")
    return dataset


def add_rule(store: Store, version, column: str, kind: str, params: dict) -> Rule:
    """Store a rule on the version's dataset; the column must exist and suit the rule."""
    col = version.column(column)
    if col is None:
        raise InvalidInputError(f"{version.label} has no column '{column}'.")
    if kind not in KINDS:
        raise InvalidInputError(f"'{kind}' is not a rule kind; use one of {', '.join(KINDS)}.")
    if kind == "range" and col.kind not in NUMERIC:
        raise InvalidInputError(f"A range rule needs a number column; {column} is {col.kind}.")
    with store.session() as session:
        dataset = _dataset_row(session, version.dataset_name)
        row = models.DatasetRule(dataset_id=dataset.id, column=column, kind=kind, params=params)
        session.add(row)
        session.flush()
        return Rule(row.id, row.column, row.kind, dict(row.params))


def list_rules(store: Store, dataset_name: str) -> list[Rule]:
    with store.session() as session:
        dataset = session.scalar(select(models.Dataset).where(models.Dataset.name == dataset_name))
        if dataset is None:
            return []
        rows = session.scalars(
            select(models.DatasetRule)
            .where(models.DatasetRule.dataset_id == dataset.id)
            .order_by(models.DatasetRule.id)
        ).all()
        return [Rule(r.id, r.column, r.kind, dict(r.params)) for r in rows]


def remove_rule(store: Store, dataset_name: str, rule_id: int) -> None:
    with store.session() as session:
        dataset = _dataset_row(session, dataset_name)
        row = session.get(models.DatasetRule, rule_id)
        if row is None or row.dataset_id != dataset.id:
            raise NotFoundError(f"{dataset_name} has no rule {rule_id}.")
        session.delete(row)


def failing_rows(rule: Rule, frame) -> int:
    import pandas as pd

    if rule.column not in frame.columns:
        return frame.attrs.get("n_rows", len(frame))
    s = frame[rule.column]
    present = s.notna()
    if rule.kind == "not_null":
        return int((~present).sum())
    if rule.kind == "unique":
        return int((s.duplicated(keep=False) & present).sum())
    if rule.kind == "range":
        numbers = pd.to_numeric(s, errors="coerce")
        bad = present & numbers.isna()
        if rule.params.get("min") is not None:
            bad |= numbers < rule.params["min"]
        if rule.params.get("max") is not None:
            bad |= numbers > rule.params["max"]
        return int(bad.sum())
    if rule.kind == "allowed":
        return int((present & ~s.astype(str).isin(rule.params["values"])).sum())
    if rule.kind == "pattern":
        matches = s.astype(str).str.fullmatch(rule.params["regex"]).fillna(False)
        return int((present & ~matches.astype(bool)).sum())
    raise InvalidInputError(f"Unknown rule kind '{rule.kind}'.")


def check(frame, columns, rules: list[Rule], previous=None, n_rows: int | None = None) -> dict:
    """The report: schema changes against `previous` and the rows failing each rule."""
    failures = []
    if previous is not None:
        kinds = {c.name: c.kind for c in columns}
        for c in previous.columns:
            if c.name not in kinds:
                failures.append(
                    {"check": f"column {c.name} of {previous.label} is missing", "rows": None}
                )
            elif kinds[c.name] != c.kind and (c.kind, kinds[c.name]) not in WIDENINGS:
                failures.append(
                    {
                        "check": f"column {c.name} changed type: {c.kind} → {kinds[c.name]}",
                        "rows": None,
                    }
                )
    passed = 0
    for rule in rules:
        n = failing_rows(rule, frame)
        if rule.column not in frame.columns:
            failures.append({"check": f"{rule.describe()}: column missing", "rows": n})
        elif n:
            failures.append({"check": rule.describe(), "rows": n})
        else:
            passed += 1
    return {
        "against": previous.label if previous is not None else None,
        "rules": len(rules),
        "passed": passed,
        "failures": failures,
        "rows": n_rows if n_rows is not None else len(frame),
    }


def report_lines(report: dict) -> list[str]:
    against = f" against {report['against']}'s schema" if report.get("against") else ""
    head = f"{report['passed']} of {report['rules']} rules passed{against}"
    if not report["failures"]:
        return [head + "; no problems."]
    lines = [head + f"; {len(report['failures'])} problem(s):"]
    for f in report["failures"]:
        rows = f" — {f['rows']:,} of {report['rows']:,} rows" if f["rows"] is not None else ""
        lines.append(f"  ✗ {f['check']}{rows}")
    return lines


def validate_version(store: Store, version) -> dict:
    """Check a stored version against its dataset's rules and its parent's schema; store it."""
    from modelyard.datasets.service import load_frame
    from modelyard.datasets.versions import parent_of

    report = check(
        load_frame(store, version),
        version.columns,
        list_rules(store, version.dataset_name),
        parent_of(store, version),
    )
    with store.session() as session:
        row = session.get(models.DatasetProfile, version.id)
        if row is not None:
            row.validation = report
    return report


def stored_report(store: Store, version) -> dict | None:
    with store.session() as session:
        row = session.get(models.DatasetProfile, version.id)
        return row.validation if row is not None else None
