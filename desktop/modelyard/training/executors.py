"""Where runs execute: this machine's worker processes, or a Dask cluster. Chosen here only.

Both run the same worker code (`python -m modelyard.training.worker RUN_ID` or the script
runner) in its own process; they differ only in which machine starts that process. Metrics,
system metrics, energy and the end of the run reach the store from the worker itself, as
locally. Cancelling is the same call for both (`launcher.cancel`): the run is marked
cancelled in the store, and whoever started its process — this machine or the cluster task
watching it — ends its process tree.
"""

from __future__ import annotations

import re
import socket
from typing import Protocol

from modelyard.errors import InvalidInputError, ModelyardError
from modelyard.store import Store

EXECUTOR_KEY = "execution.executor"  # setting: "local" or a Dask scheduler address
RETRY_KEY = "execution.retry_lost_worker"  # setting: give a lost worker's run one more try
LOCAL = "local"
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


class Executor(Protocol):
    """Starts queued runs somewhere; `name` is what each run records as its executor."""

    name: str

    def submit(self, store: Store, run_id: int) -> dict:
        """Returns {run id: process} for workers started here at once ({} otherwise)."""
        ...


class LocalExecutor:
    """Today's worker processes on this machine, through the run queue's slots."""

    name = LOCAL

    def submit(self, store: Store, run_id: int) -> dict:
        from modelyard.tracking.runs import set_placement
        from modelyard.training import launcher

        set_placement(store, run_id, LOCAL, host=socket.gethostname())
        return launcher.submit(store, run_id)


def check_address(value: str) -> str:
    """'local' or a scheduler address like tcp://host:8786; anything else is refused."""
    text = (value or "").strip()
    if text.lower() in ("", LOCAL, "this machine"):
        return LOCAL
    if not _ADDRESS.match(text):
        raise InvalidInputError(
            f"'{text}' is not a Dask scheduler address; write it as tcp://HOST:8786 "
            "(or 'local' for this machine)."
        )
    return text


def chosen(store: Store, flag: str | None = None) -> str:
    """The executor a new run uses: the --executor flag, else Settings → Execution."""
    if flag is not None:
        return check_address(flag)
    from modelyard.store.settings import get_setting

    return check_address(get_setting(store, EXECUTOR_KEY, LOCAL) or LOCAL)


def save_choice(store: Store, address: str, retry_lost_worker: bool | None = None) -> str:
    from modelyard.store.settings import set_setting

    address = check_address(address)
    set_setting(store, EXECUTOR_KEY, address)
    if retry_lost_worker is not None:
        set_setting(store, RETRY_KEY, bool(retry_lost_worker))
    return address


def retry_lost_worker(store: Store) -> bool:
    from modelyard.store.settings import get_setting

    return bool(get_setting(store, RETRY_KEY, False))


def executor_for(address: str) -> Executor:
    """The one place that turns a choice into an implementation."""
    if check_address(address) == LOCAL:
        return LocalExecutor()
    from modelyard.training.dask_executor import DaskExecutor

    return DaskExecutor(address)


def submit(store: Store, run_id: int, executor: str | None = None) -> dict:
    """Start a queued run with the chosen executor (the flag, else the setting).

    A run that cannot be handed over (a scheduler that cannot be reached) is failed with the
    reason, which is raised as one sentence.
    """
    address = chosen(store, executor)
    try:
        return executor_for(address).submit(store, run_id)
    except ModelyardError as exc:
        from modelyard.tracking import runs

        runs.fail(store, run_id, str(exc))
        raise


def submitted_text(store: Store, run_id: int, started: dict) -> str:
    """'started', 'queued' or 'submitted to the Dask cluster at …', for the CLI's sentence."""
    if run_id in started:
        return "started"
    from modelyard.tracking.runs import get_run

    run = get_run(store, run_id)
    return f"submitted to the Dask cluster at {run.executor}" if run.on_cluster else "queued"


def record_sweep_executor(store: Store, sweep_id: int, address: str) -> None:
    """The executor a sweep's driver hands its trials to."""
    from sqlalchemy import update

    from modelyard.store import models

    with store.session() as session:
        session.execute(
            update(models.Sweep).where(models.Sweep.id == sweep_id).values(executor=address)
        )


def sweep_executor(store: Store, sweep_id: int) -> str:
    from sqlalchemy import select

    from modelyard.store import models

    with store.session() as session:
        value = session.scalar(select(models.Sweep.executor).where(models.Sweep.id == sweep_id))
    return check_address(value) if value else chosen(store)  # none recorded: Settings
