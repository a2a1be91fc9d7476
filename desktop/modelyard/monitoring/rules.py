"""Alert rules of a model, and the alerts raised when a check meets one.

A rule is written as one short spec, on the command line and in the app alike:

    drift_share>=0.3            at least 30% of the input columns drift
    column=tenure_months        that column drifts
    drop>=0.05                  a measured metric is 5% worse than on the holdout
    drop:accuracy>=0.05         ... that metric
    estimated:accuracy<0.8      the estimated (label-free) metric falls below 0.8

followed by options: `,action=notify|retrain|promote` (retrain: start a retraining run;
promote: also promote it when it clearly beats the current version) and `,data=merge` (retrain
on the new rows together with the training data instead of the new rows alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.store import Store, models

ACTIONS = ("notify", "retrain", "promote")
_SPEC = re.compile(
    r"^\s*(?P<kind>drift_share|column|drop|estimated)(?::(?P<metric>[\w.\-]+))?\s*"
    r"(?P<op>>=|<|=)\s*(?P<value>[^,]+?)\s*(?P<options>(,.*)?)$"
)


@dataclass(frozen=True)
class Rule:
    id: int
    model: str
    kind: str
    column: str | None
    threshold: float | None
    action: str
    merge: bool

    @property
    def spec(self) -> str:
        if self.kind == "column":
            text = f"column={self.column}"
        elif self.kind == "drift_share":
            text = f"drift_share>={self.threshold:g}"
        elif self.kind == "drop":
            text = f"drop{':' + self.column if self.column else ''}>={self.threshold:g}"
        else:
            text = f"estimated:{self.column}<{self.threshold:g}"
        if self.action != "notify":
            text += f",action={self.action}"
        return text + (",data=merge" if self.merge else "")

    @property
    def retrains(self) -> bool:
        return self.action in ("retrain", "promote")


@dataclass(frozen=True)
class Alert:
    id: int
    model: str
    version: int
    check_id: int
    rule_id: int | None
    message: str
    acknowledged: bool
    retrain_run_id: int | None
    outcome: str | None
    created_at: datetime


def parse_spec(spec: str) -> dict[str, Any]:
    match = _SPEC.match(spec or "")
    if not match:
        raise InvalidInputError(
            f"'{spec}' is not a rule; write e.g. drift_share>=0.3, column=age, drop>=0.05, "
            "drop:accuracy>=0.05 or estimated:accuracy<0.8, optionally followed by "
            ",action=retrain or ,action=promote and ,data=merge."
        )
    kind, metric, op, value = (match[k] for k in ("kind", "metric", "op", "value"))
    expected_op = {"drift_share": ">=", "column": "=", "drop": ">=", "estimated": "<"}[kind]
    if op != expected_op:
        raise InvalidInputError(f"A {kind} rule is written {kind}{expected_op}VALUE.")
    rule: dict[str, Any] = {"kind": kind, "column": None, "threshold": None}
    if kind == "column":
        rule["column"] = value.strip()
    else:
        try:
            rule["threshold"] = float(value)
        except ValueError:
            raise InvalidInputError(f"'{value}' is not a number in rule '{spec}'.") from None
        if kind == "estimated" and not metric:
            raise InvalidInputError("Name the estimated metric: estimated:accuracy<0.8.")
        rule["column"] = metric
        if kind == "drift_share" and not 0 < rule["threshold"] <= 1:
            raise InvalidInputError("A drift share is above 0 and at most 1 (0.3 is 30%).")
    rule["action"], rule["merge"] = "notify", False
    for option in filter(None, (o.strip() for o in match["options"].split(","))):
        key, _, val = option.partition("=")
        if key == "action" and val in ACTIONS:
            rule["action"] = val
        elif key == "data" and val in ("new", "merge"):
            rule["merge"] = val == "merge"
        else:
            raise InvalidInputError(
                f"'{option}' is not a rule option; use action={'|'.join(ACTIONS)} or data=new|merge."
            )
    return rule


def _model_id(session, model: str) -> int:
    found = session.scalar(
        select(models.RegisteredModel.id).where(models.RegisteredModel.name == model)
    )
    if found is None:
        raise NotFoundError(f"There is no registered model '{model}'.")
    return found


def add_rule(store: Store, model: str, spec: str) -> Rule:
    fields = parse_spec(spec)
    with store.session() as session:
        row = models.MonitoringRule(model_id=_model_id(session, model), **fields)
        session.add(row)
        session.flush()
        return Rule(row.id, model, row.kind, row.column, row.threshold, row.action, row.merge)


def remove_rule(store: Store, model: str, rule_id: int) -> None:
    with store.session() as session:
        row = session.get(models.MonitoringRule, rule_id)
        if row is None or row.model_id != _model_id(session, model):
            raise NotFoundError(f"Model '{model}' has no rule {rule_id}.")
        session.delete(row)


def list_rules(store: Store, model: str) -> list[Rule]:
    with store.session() as session:
        rows = session.scalars(
            select(models.MonitoringRule)
            .where(models.MonitoringRule.model_id == _model_id(session, model))
            .order_by(models.MonitoringRule.id)
        ).all()
        return [Rule(r.id, model, r.kind, r.column, r.threshold, r.action, r.merge) for r in rows]


def met(rule: Rule, report: dict[str, Any]) -> str | None:
    """The alert's sentence when the report meets the rule, else None."""
    if rule.kind == "drift_share":
        share = report["drift_share"]
        if share >= rule.threshold:
            return f"{share:.0%} of the input columns drift ({report['n_drifted']} of {report['n_columns']}; rule: at least {rule.threshold:.0%})."
    elif rule.kind == "column":
        hit = next((c for c in report["columns"] if c["column"] == rule.column), None)
        if hit is not None and hit["drifted"]:
            return f"Column '{rule.column}' drifts ({hit['test']})."
    elif rule.kind == "drop":
        rows = (report.get("performance") or {}).get("metrics") or []
        for row in rows:
            if (rule.column in (None, row["metric"])) and row["drop"] >= rule.threshold:
                return (
                    f"{row['metric']} is {row['drop']:.1%} worse than on the holdout "
                    f"({row['current']:.4g} vs {row['holdout']:.4g}; rule: {rule.threshold:.1%})."
                )
    elif rule.kind == "estimated":
        value = ((report.get("estimated") or {}).get("metrics") or {}).get(rule.column)
        if value is not None and value < rule.threshold:
            return f"Estimated {rule.column} is {value:.4g}, below {rule.threshold:g} (no labels: estimated from the model's confidence)."
    return None


def raise_alerts(
    session, version_id: int, check_id: int, model: str, report: dict[str, Any]
) -> list[int]:
    """Record an alert for every rule of the model the report meets; their ids."""
    rules = session.scalars(
        select(models.MonitoringRule)
        .where(models.MonitoringRule.model_id == _model_id(session, model))
        .order_by(models.MonitoringRule.id)
    ).all()
    ids = []
    for row in rules:
        rule = Rule(row.id, model, row.kind, row.column, row.threshold, row.action, row.merge)
        message = met(rule, report)
        if message:
            alert = models.MonitoringAlert(
                model_version_id=version_id, check_id=check_id, rule_id=row.id, message=message
            )
            session.add(alert)
            session.flush()
            ids.append(alert.id)
    return ids


def _alert(row: models.MonitoringAlert, model: str, version: int) -> Alert:
    return Alert(
        row.id, model, version, row.check_id, row.rule_id, row.message, row.acknowledged,
        row.retrain_run_id, row.outcome, row.created_at,
    )  # fmt: skip


def _alert_query():
    return (
        select(models.MonitoringAlert, models.RegisteredModel.name, models.ModelVersion.version)
        .join(
            models.ModelVersion, models.MonitoringAlert.model_version_id == models.ModelVersion.id
        )
        .join(models.RegisteredModel, models.ModelVersion.model_id == models.RegisteredModel.id)
    )


def list_alerts(
    store: Store, model: str | None = None, ids: list[int] | None = None, limit: int = 200
) -> list[Alert]:
    query = _alert_query().order_by(models.MonitoringAlert.id.desc()).limit(limit)
    if model is not None:
        query = query.where(models.RegisteredModel.name == model)
    if ids is not None:
        query = query.where(models.MonitoringAlert.id.in_(ids))
    with store.session() as session:
        return [_alert(row, name, version) for row, name, version in session.execute(query)]


def get_alert(store: Store, alert_id: int) -> Alert:
    found = list_alerts(store, ids=[alert_id])
    if not found:
        raise NotFoundError(f"There is no alert {alert_id}.")
    return found[0]


def get_rule(store: Store, rule_id: int) -> Rule | None:
    with store.session() as session:
        row = session.get(models.MonitoringRule, rule_id)
        if row is None:
            return None
        name = session.get(models.RegisteredModel, row.model_id).name
        return Rule(row.id, name, row.kind, row.column, row.threshold, row.action, row.merge)


def acknowledge(store: Store, model: str | None = None, alert_ids: list[int] | None = None) -> int:
    with store.session() as session:
        query = update(models.MonitoringAlert).where(models.MonitoringAlert.acknowledged.is_(False))
        if alert_ids is not None:
            query = query.where(models.MonitoringAlert.id.in_(alert_ids))
        if model is not None:
            versions = select(models.ModelVersion.id).where(
                models.ModelVersion.model_id == _model_id(session, model)
            )
            query = query.where(models.MonitoringAlert.model_version_id.in_(versions))
        return session.execute(query.values(acknowledged=True)).rowcount


def open_alert_counts(store: Store) -> dict[int, int]:
    """Unacknowledged alerts per model version id: the badges on the Models and Monitoring pages."""
    with store.session() as session:
        rows = session.execute(
            select(models.MonitoringAlert.model_version_id, func.count())
            .where(models.MonitoringAlert.acknowledged.is_(False))
            .group_by(models.MonitoringAlert.model_version_id)
        ).all()
        return {version_id: n for version_id, n in rows}


def record_outcome(store: Store, alert_id: int, outcome: str, run_id: int | None = None) -> None:
    with store.session() as session:
        row = session.get(models.MonitoringAlert, alert_id)
        if row is not None:
            row.outcome = outcome
            if run_id is not None:
                row.retrain_run_id = run_id
