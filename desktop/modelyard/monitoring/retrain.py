"""Retraining that closes the loop: the version's own trainer spec on new data, a champion /
challenger verdict on rows the challenger never saw, and a promotion only when it clearly wins.

The chain stays visible: the run is tagged with the version it retrains (and the alert that
asked for it), the alert records the run and the outcome, a merged dataset version names both
of its sources, and a promotion is an audited alias change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelyard.errors import InvalidInputError
from modelyard.progress import NO_PROGRESS, Progress
from modelyard.store import Store, models
from modelyard.store.entities import DatasetVersion, ModelVersion, Run

PRODUCTION = "production"


@dataclass(frozen=True)
class Retraining:
    run: Run
    new_version: ModelVersion | None
    verdict: str
    promoted: bool
    dataset: DatasetVersion

    @property
    def message(self) -> str:
        if self.new_version is None:
            return (
                f"Retraining run {self.run.id} {self.run.status}: {self.run.error or 'no model'}."
            )
        promoted = f" {self.new_version.label} is now {PRODUCTION}." if self.promoted else ""
        return f"Run {self.run.id} trained {self.new_version.label} on {self.dataset.label}. {self.verdict}{promoted}"


def merge_versions(store: Store, training: DatasetVersion, new: DatasetVersion) -> DatasetVersion:
    """The training rows and the new rows as the next version of the training dataset,
    recorded with both as its sources."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from modelyard.datasets.service import store_table

    old = pq.read_table(store.blobs.open_path(training.content_hash))
    added = pq.read_table(store.blobs.open_path(new.content_hash))
    missing = [n for n in old.column_names if n not in added.column_names]
    if missing:
        raise InvalidInputError(
            f"{new.label} lacks column(s) {', '.join(missing[:5])} of {training.label}, so the two cannot be merged."
        )
    try:
        added = added.select(old.column_names).cast(old.schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidInputError(
            f"{new.label} has columns of other types than {training.label} ({exc})."
        ) from exc
    merged = pa.concat_tables([old, added])
    source = Path(f"{training.label}+{new.label}")
    result = store_table(
        store, merged, source, training.source_size + new.source_size, training.dataset_name
    )
    if result.created:
        with store.session() as session:
            session.get(models.DatasetVersion, result.version.id).merged_from_id = new.id
    return result.version


def retrain(
    store: Store,
    version: ModelVersion,
    data: str,
    merge: bool = False,
    promote_if_better: bool = False,
    alert_id: int | None = None,
    timeout: float | None = None,
    progress: Progress = NO_PROGRESS,
) -> Retraining:
    """Train `version`'s spec on dataset version `data` (NAME[:V]) in a worker, register the
    result as the model's next version and compare it with `version`."""
    from modelyard.datasets.service import get_version
    from modelyard.monitoring.rules import record_outcome
    from modelyard.registry.aliases import set_alias
    from modelyard.registry.comparison import compare
    from modelyard.registry.service import register
    from modelyard.tracking.runs import get_run
    from modelyard.training import launcher
    from modelyard.training.jobs import create_run

    source = get_run(store, version.run_id)
    if source.source != "trainer" or source.dataset is None:
        raise InvalidInputError(
            f"{version.label} was trained by your own code, so Modelyard cannot repeat its "
            "training; run your script on the new data and log the model again."
        )
    new = get_version(store, data)
    if new.column(source.target) is None:
        raise InvalidInputError(
            f"{new.label} has no column '{source.target}', the target of {version.label}; retraining needs labelled rows."
        )
    progress.report(0.05, "Preparing the data")
    dataset = merge_versions(store, source.dataset, new) if merge else new
    tags = {"retrain_of": version.label}
    if alert_id is not None:
        tags["alert"] = str(alert_id)
    run = create_run(
        store, dataset, source.target, source.model_kind, source.params, source.seed,
        source.task, experiment=source.experiment, name=f"retrain {version.label}", tags=tags,
    )  # fmt: skip
    if alert_id is not None:
        record_outcome(store, alert_id, f"retraining in run {run.id}", run.id)
    from modelyard.training import executors

    executors.submit(store, run.id)  # where Settings → Execution says
    progress.report(0.1, f"Training run {run.id} in a worker")
    while True:
        try:
            ended = launcher.wait_for_run(store, run.id, timeout=1.0)
            break
        except TimeoutError:
            if progress.cancelled:
                launcher.cancel(store, run.id, "Retraining was cancelled.")
            progress.check()
            if timeout is not None:
                timeout -= 1.0
                if timeout <= 0:
                    raise InvalidInputError(
                        f"Retraining run {run.id} is still going; follow it on the Runs page."
                    ) from None
    if ended.status != "finished":
        result = Retraining(ended, None, "", False, dataset)
        if alert_id is not None:
            record_outcome(store, alert_id, result.message, run.id)
        return result
    progress.report(0.7, "Registering the challenger")
    challenger = register(store, run.id, version.model_name)
    progress.report(0.75, f"Comparing {challenger.label} with {version.label}")
    comparison = compare(store, version, challenger)
    promoted = False
    if promote_if_better and comparison.challenger_wins:
        set_alias(store, version.model_name, PRODUCTION, challenger.version)
        promoted = True
    result = Retraining(ended, challenger, comparison.verdict, promoted, dataset)
    if alert_id is not None:
        record_outcome(store, alert_id, result.message, run.id)
    progress.report(1.0, "Done")
    return result


def labelled_data(store: Store, version: ModelVersion, check) -> str:
    """A dataset version (NAME:V) of the checked rows with their labels, to retrain on."""
    import pyarrow as pa

    from modelyard.datasets.service import import_file, store_table

    target = version.signature.get("target")
    if check.source_kind == "dataset":
        return check.source
    if check.source_kind == "file":
        path = Path(check.source)
        if not path.exists():
            raise InvalidInputError(
                f"{path} is gone, so it cannot be retrained on; import it again."
            )
        return import_file(store, path, name=f"{version.model_name}-monitoring").version.label
    from modelyard.monitoring.feedback import stored_labels
    from modelyard.monitoring.requests import read_request_log

    rows = read_request_log(Path(check.source), version.model_name, version.version)
    labels = {**rows.labels, **stored_labels(store, version)}
    keep = [i for i, row_id in enumerate(rows.ids) if row_id in labels]
    if not keep:
        raise InvalidInputError(
            f"No prediction in {check.source} has a label yet; send labels with POST /feedback "
            "or `modelyard monitor feedback` before retraining on served data."
        )
    frame = rows.inputs.iloc[keep].reset_index(drop=True)
    frame[target] = [labels[rows.ids[i]] for i in keep]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    name = f"{version.model_name}-feedback"
    return store_table(store, table, Path(f"{name}.jsonl"), 0, name).version.label


def act_on_alerts(
    store: Store, version: ModelVersion, check, progress: Progress = NO_PROGRESS
) -> list[str]:
    """Start the retraining that the check's alerts' rules ask for; one line per alert."""
    from modelyard.monitoring.rules import get_rule, list_alerts, record_outcome

    lines = []
    for alert in list_alerts(store, ids=list(check.alert_ids)):
        rule = get_rule(store, alert.rule_id) if alert.rule_id is not None else None
        if rule is None or not rule.retrains:
            continue
        try:
            data = labelled_data(store, version, check)
            result = retrain(
                store, version, data, merge=rule.merge, promote_if_better=rule.action == "promote",
                alert_id=alert.id, progress=progress,
            )  # fmt: skip
            lines.append(f"Alert {alert.id}: {result.message}")
        except InvalidInputError as exc:
            record_outcome(store, alert.id, f"Not retrained: {exc}")
            lines.append(f"Alert {alert.id}: not retrained: {exc}")
    return lines
