"""Registering runs' models as numbered versions, and using them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from modelyard.errors import InvalidInputError, ModelyardError, NotFoundError
from modelyard.registry.audit import record
from modelyard.store import Store, models
from modelyard.store.entities import ModelVersion
from modelyard.tracking.runs import get_run

MODEL_FORMAT = "skops"


@dataclass(frozen=True)
class RegisteredModel:
    id: int
    name: str
    versions: tuple[ModelVersion, ...]

    @property
    def latest(self) -> ModelVersion | None:
        return self.versions[-1] if self.versions else None


def check_model_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(c in name for c in "/\\:"):
        raise InvalidInputError(
            f"'{name}' cannot be a model name: use 1 to 200 characters without / \\ or :."
        )
    return name


def _version_query():
    return select(models.ModelVersion).options(
        selectinload(models.ModelVersion.model),
        selectinload(models.ModelVersion.run)
        .selectinload(models.Run.dataset_version)
        .selectinload(models.DatasetVersion.dataset),
    )


def register(store: Store, run_ref: int | str, name: str) -> ModelVersion:
    """Make a finished run's model the next version of the named model."""
    name = check_model_name(name)
    run = get_run(store, run_ref)
    # a script's run registers what it logged while it still runs (`run.log_model`)
    usable = run.status == "finished" or (run.source != "trainer" and run.status == "running")
    if not usable or not run.model_blob:
        if run.source != "trainer" and run.status == "finished":
            raise InvalidInputError(
                f"Run {run.id} logged no model; call run.log_model(model, name=…) in the script."
            )
        raise InvalidInputError(
            f"Run {run.id} is {run.status}; only a finished run has a model to register."
        )
    store.blobs.open_path(run.model_blob)
    from modelyard.store.db import get_or_create_id

    # created if new and locked while the next version number is taken (see store.session)
    with store.session(write=True) as session:
        model_id = get_or_create_id(session, models.RegisteredModel, name=name)
        model = session.get(models.RegisteredModel, model_id, with_for_update=True)
        already = session.scalar(  # the same model again; a script may log a new one later
            select(models.ModelVersion.version).where(
                models.ModelVersion.model_id == model.id,
                models.ModelVersion.run_id == run.id,
                models.ModelVersion.blob == run.model_blob,
            )
        )
        if already is not None:
            raise InvalidInputError(f"Run {run.id} is already registered as {name} v{already}.")
        latest = session.scalar(
            select(models.ModelVersion.version)
            .where(models.ModelVersion.model_id == model.id)
            .order_by(models.ModelVersion.version.desc())
            .limit(1)
        )
        row = models.ModelVersion(
            model_id=model.id,
            version=(latest or 0) + 1,
            run_id=run.id,
            blob=run.model_blob,
            format=MODEL_FORMAT,
            signature=run.signature or {},
            metrics=run.metrics,
        )
        session.add(row)
        session.flush()
        record(session, name, "register", {}, {"version": row.version, "run_id": run.id})
        return ModelVersion.from_row(
            session.scalar(_version_query().where(models.ModelVersion.id == row.id))
        )


def list_models(store: Store) -> list[RegisteredModel]:
    with store.session() as session:
        names = session.execute(
            select(models.RegisteredModel.id, models.RegisteredModel.name).order_by(
                models.RegisteredModel.name
            )
        ).all()
        rows = session.scalars(_version_query().order_by(models.ModelVersion.version)).all()
        by_model: dict[int, list[ModelVersion]] = {}
        for row in rows:
            by_model.setdefault(row.model_id, []).append(ModelVersion.from_row(row))
        return [RegisteredModel(i, n, tuple(by_model.get(i, []))) for i, n in names]


def get_model_version(store: Store, name: str, version: int | None = None) -> ModelVersion:
    with store.session() as session:
        query = (
            _version_query().join(models.RegisteredModel).where(models.RegisteredModel.name == name)
        )
        if version is not None:
            query = query.where(models.ModelVersion.version == version)
        row = session.scalar(query.order_by(models.ModelVersion.version.desc()).limit(1))
        if row is None:
            if version is None:
                raise NotFoundError(f"There is no registered model '{name}'.")
            raise NotFoundError(f"Model '{name}' has no version {version}.")
        return ModelVersion.from_row(row)


def sample_rows(store: Store, version: ModelVersion, n: int, columns: list[str] | None = None):
    """The first `n` rows the version knows: of its dataset, or of the input example a script
    logged with it (a model from a script may have no dataset, or one without the columns its
    code computed)."""
    import pandas as pd

    inputs = {c["name"] for c in version.signature.get("inputs", [])}
    if version.dataset is not None and inputs <= {c.name for c in version.dataset.columns}:
        from modelyard.datasets.service import load_frame

        return load_frame(store, version.dataset, columns=columns).head(n)
    # no dataset, or one without the model's own columns (a script made them)
    frame = pd.DataFrame.from_records(version.signature.get("examples") or [])
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame.head(n)


def model_bytes(store: Store, version: ModelVersion) -> bytes:
    return store.blobs.open_path(version.blob).read_bytes()


def load_model(store: Store, version: ModelVersion) -> Any:
    from modelyard.registry import runtime

    try:
        return runtime.load_model(model_bytes(store, version))
    except runtime.ModelLoadError as exc:
        raise ModelyardError(f"{version.label} cannot be loaded: {exc}.") from exc


def predict(store: Store, version: ModelVersion, frame) -> dict[str, Any]:
    """Predict for the rows of a DataFrame, exactly as a bundle of this version would."""
    from modelyard.registry import runtime

    model = load_model(store, version)
    try:
        features = runtime.prepare_features(frame, version.signature["inputs"])
    except runtime.InputError as exc:
        raise InvalidInputError(f"These rows do not fit {version.label}: {exc}.") from exc
    return runtime.predict(model, features, version.signature)
