"""Re-run: a new run from a run's record — same data version, target, trainer, params, seed."""

from __future__ import annotations

from modelyard.store import Store
from modelyard.store.entities import Run
from modelyard.tracking.runs import create_run, get_run


def rerun(store: Store, ref: int | str) -> Run:
    """Record a queued copy of the run (tagged `rerun_of`); the caller starts its worker."""
    source = get_run(store, ref)
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
        tags={**source.tags, "rerun_of": str(source.id)},
    )
