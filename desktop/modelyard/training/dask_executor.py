"""Runs on a Dask cluster: each run is one Dask task that starts the same worker process as
this machine would, on the Dask worker's machine, and watches it.

The task records where the run executes (scheduler, host, worker address), ends the process
tree when the run is cancelled in the store, and, if its Dask worker was lost mid-run (the
scheduler then hands the task to another worker), fails the run with the reason — or gives it
one more attempt when Settings → Execution says so. Workers need Modelyard installed, the
store URL reachable and the blob folder mounted at the same path (or MODELYARD_BLOB_DIR set).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from modelyard.errors import ModelyardError
from modelyard.store import Store

POLL_S = 0.5
CONNECT_TIMEOUT_S = 10
_clients: dict[str, object] = {}  # one client per scheduler and process


def _client(address: str):
    try:
        from distributed import Client
    except ImportError as exc:
        raise ModelyardError(
            "Running on a Dask cluster needs dask and distributed: "
            "pip install 'modelyard[cluster]'."
        ) from exc
    client = _clients.get(address)
    if client is not None and client.status == "running":
        return client
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ModelyardError(
            f"The Dask scheduler at {address} cannot be reached ({type(exc).__name__}); "
            "start it (`dask scheduler`) or choose this machine in Settings → Execution."
        ) from None
    _clients[address] = client
    return client


def close_clients() -> None:
    while _clients:
        _, client = _clients.popitem()
        try:
            client.close()
        except Exception:  # noqa: BLE001, S110 - closing at exit; the scheduler keeps the tasks
            pass


class DaskExecutor:
    def __init__(self, address: str) -> None:
        self.name = address

    def submit(self, store: Store, run_id: int) -> dict:
        """Hand the run to the scheduler; it keeps running if this process ends."""
        from distributed import fire_and_forget

        from modelyard.tracking.runs import set_placement
        from modelyard.training.executors import retry_lost_worker

        client = _client(self.name)
        set_placement(store, run_id, self.name, resource="dask")
        future = client.submit(
            execute_run,
            run_id,
            store.url,
            str(store.blobs.root),
            str(store.home) if store.home else None,
            self.name,
            retry_lost_worker(store),
            key=f"modelyard-run-{run_id}-{uuid.uuid4().hex[:8]}",
            pure=False,
        )
        fire_and_forget(future)
        return {}  # nothing started here: the cluster starts it when a worker is free


# ---- what runs on the Dask worker -------------------------------------------------------


def execute_run(
    run_id: int,
    url: str,
    blob_dir: str,
    home: str | None,
    scheduler: str,
    retry: bool,
) -> dict:
    """The Dask task of one run: start its worker process here, watch it, settle it.

    It never raises: Dask would log a failed task with its arguments, the store URL (and its
    password) among them. What went wrong is the run's error instead.
    """
    try:
        return _execute(run_id, url, blob_dir, home, scheduler, retry)
    except Exception as exc:  # noqa: BLE001 - becomes the run's error, without the URL
        from modelyard.store.db import display_url

        reason = str(exc).replace(url, display_url(url))
        print(f"Run {run_id} could not be run here: {reason}", file=sys.stderr, flush=True)
        try:  # the store may be the very thing that failed
            from modelyard.tracking import runs

            store = Store(url, Path(blob_dir), home=None)
            try:
                runs.fail(store, run_id, f"On {socket.gethostname()}: {reason}")
            finally:
                store.close()
        except Exception:  # noqa: BLE001, S110 - reported above; nothing more to do here
            pass
        return {"run": run_id, "status": "error", "error": reason}


def _execute(
    run_id: int, url: str, blob_dir: str, home: str | None, scheduler: str, retry: bool
) -> dict:
    from modelyard import paths
    from modelyard.tracking import runs

    local_home = Path(home) if home and Path(home).is_dir() else paths.data_home()
    store = Store(url, Path(blob_dir), home=local_home)
    try:
        me = _worker_address()
        run = runs.get_run(store, run_id)
        if run.is_terminal:  # cancelled while it waited, or finished by a lost attempt
            return {"run": run_id, "status": run.status, "worker": me}
        if run.attempts >= 1:  # an earlier attempt's worker was lost
            lost = f"The Dask worker {run.worker} on {run.host} was lost while running it"
            if not retry or run.attempts >= 2:
                runs.fail(store, run_id, f"{lost} (the cluster may have restarted it).")
                return {"run": run_id, "status": "failed", "worker": me}
            runs.requeue_after_lost_worker(store, run_id)
            print(f"{lost}; starting it again on {me}.", flush=True)
        runs.set_placement(
            store,
            run_id,
            scheduler,
            host=socket.gethostname(),
            worker=me,
            resource="dask",
            new_attempt=True,
        )
        return _watch(store, run, _start(store, run, scheduler), me)
    finally:
        store.close()


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"process {os.getpid()}"


def _child_env(store: Store, run_id: int, scheduler: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MODELYARD_STORE_URL=store.url,
        MODELYARD_BLOB_DIR=str(store.blobs.root),
        MODELYARD_RUN_ID=str(run_id),
        MODELYARD_EXECUTOR=scheduler,  # the worker then leaves this machine's queue alone
        PYTHONUNBUFFERED="1",
    )
    if store.home is not None:
        env["MODELYARD_HOME"] = str(store.home)
    return env


def _die_with_parent() -> None:
    """In the child, before exec: a Dask worker killed outright takes its run with it."""
    import ctypes
    import signal

    os.setsid()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start(store: Store, run, scheduler: str) -> subprocess.Popen:
    import psutil

    from modelyard.tracking import runs
    from modelyard.training import launcher

    python = launcher.script_python(store) if run.source == "script" else None
    path = launcher.log_path(store, run.id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as log:
            proc = subprocess.Popen(
                launcher.worker_command(run.id, run.source, python),
                env=_child_env(store, run.id, scheduler),
                cwd=(run.command or {}).get("cwd") or None,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                start_new_session=not sys.platform.startswith("linux"),
            )
    except OSError as exc:
        message = f"The worker process could not be started on {socket.gethostname()}: {exc}."
        runs.fail(store, run.id, message)
        raise ModelyardError(message) from exc
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:
        created = time.time()
    runs.set_process(store, run.id, proc.pid, created, "dask")
    return proc


def _status(store: Store, run_id: int) -> str | None:
    from sqlalchemy import select

    from modelyard.store import models

    with store.session() as session:
        return session.scalar(select(models.Run.status).where(models.Run.id == run_id))


def _watch(store: Store, run, proc: subprocess.Popen, me: str) -> dict:
    """Wait for the worker process; a run cancelled in the store loses its process tree."""
    from modelyard.training import launcher

    while proc.poll() is None:
        if _status(store, run.id) == "cancelled":
            launcher._kill_tree(proc.pid)
            proc.wait()
            launcher._record_energy(store, run.id)
            return {"run": run.id, "status": "cancelled", "worker": me}
        time.sleep(POLL_S)
    launcher.settle(store, run.id, proc.returncode)  # a no-op for a run that ended itself
    return {"run": run.id, "status": _status(store, run.id), "worker": me}
