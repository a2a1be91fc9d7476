"""Re-run: a new run from a run's record — same data version, target, trainer, params and seed,
or the same script with the same arguments."""

from __future__ import annotations

from modelyard.errors import InvalidInputError
from modelyard.store import Store
from modelyard.store.entities import Run
from modelyard.tracking.runs import get_run
from modelyard.training.jobs import create_run


def rerun(store: Store, ref: int | str) -> Run:
    """Record a queued copy of the run (tagged `rerun_of`); the caller starts its worker."""
    source = get_run(store, ref)
    tags = {**source.tags, "rerun_of": str(source.id)}
    if source.source == "script":
        from modelyard.tracking.scripts import create_script_run

        command = source.command or {}
        return create_script_run(
            store,
            command.get("script", ""),
            command.get("args"),
            experiment=source.experiment,
            name=source.name,
            tags=tags,
            gpu=bool(command.get("gpu")),
            cwd=command.get("cwd"),
        )
    if source.source != "trainer":
        raise InvalidInputError(
            f"Run {source.id} was opened by a script or notebook of its own "
            "(modelyard.start_run); run that code again to repeat it."
        )
    return create_run(
        store,
        source.dataset,
        source.target,
        source.model_kind,
        dict(source.params),
        source.seed,
        source.task,
        experiment=source.experiment,
        name=source.name,
        tags=tags,
    )
