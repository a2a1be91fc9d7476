"""Starting worker processes on this machine and noticing the ones that died.

This is the local executor's machinery; `training.executors` decides whether a run comes here
or goes to a Dask cluster (`training.dask_executor`), whose tasks start the same worker
commands on their own machines. Cancelling works for both: the store says cancelled first.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from modelyard.errors import ModelyardError
from modelyard.private_files import open_private_append
from modelyard.store import Store
from modelyard.tracking import runs
from modelyard.training import queue

WORKER_MODULES = {
    "trainer": "modelyard.training.worker",
    "script": "modelyard.training.script_runner",
}
FROZEN_VERBS = {"trainer": "_worker", "script": "_script"}


SCRIPT_PYTHON = "script_python"  # setting: the interpreter user scripts run with


def worker_command(run_id: int, source: str = "trainer", python: str | None = None) -> list[str]:
    """The child's command line: the app binary's hidden verb when frozen, `python -m` otherwise.

    `python` (user scripts only) is another interpreter chosen in Settings; it runs the script
    runner as a module, so it needs Modelyard importable (the source tree is put on its path).
    """
    if source == "script" and python and python != sys.executable:
        return [python, "-m", WORKER_MODULES[source], str(run_id)]
    if getattr(sys, "frozen", False):  # PyInstaller: the app binary is the interpreter
        return [sys.executable, FROZEN_VERBS[source], str(run_id)]
    return [sys.executable, "-m", WORKER_MODULES[source], str(run_id)]


def script_python(store: Store) -> str | None:
    """The interpreter chosen for user scripts, or None for the app's own."""
    from modelyard.store.settings import get_setting

    return get_setting(store, SCRIPT_PYTHON) or None


def sweep_command(sweep_id: int) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, "_sweep", str(sweep_id)]
    return [sys.executable, "-m", "modelyard.training.sweep_driver", str(sweep_id)]


def _source_root() -> str | None:
    """The folder holding the modelyard package when it is plain files (not inside a build)."""
    if getattr(sys, "frozen", False):
        return None
    return str(Path(__file__).resolve().parents[2])


def log_path(store: Store, run_id: int) -> Path:
    return (store.home or Path.cwd()) / "logs" / f"run-{run_id}.log"


# The environment workers start from. A worker that ends starts the next one itself, after a
# user's script may have changed its own environment: the runner pins this before the script.
_base_env: dict[str, str] | None = None
CUDA_BEFORE = "MODELYARD_CUDA_VISIBLE_DEVICES_BEFORE"  # the user's own value, kept aside


def pin_environment() -> None:
    global _base_env
    _base_env = dict(os.environ)


def _worker_env(store: Store, run_id: int, resource: str) -> dict[str, str]:
    env = dict(_base_env if _base_env is not None else os.environ)
    if CUDA_BEFORE in env:  # we are a worker: give the next one the user's GPU setting back
        before = env.pop(CUDA_BEFORE)
        env.pop("CUDA_VISIBLE_DEVICES", None)
        if before != "<unset>":
            env["CUDA_VISIBLE_DEVICES"] = before
    if store.home is not None:
        env["MODELYARD_HOME"] = str(store.home)
    env["MODELYARD_STORE_URL"] = store.url
    env["MODELYARD_BLOB_DIR"] = str(store.blobs.root)
    env["MODELYARD_RUN_ID"] = str(run_id)
    env["PYTHONUNBUFFERED"] = "1"
    if resource.startswith("gpu:"):  # the worker sees only the GPU it was given, as cuda:0
        env[CUDA_BEFORE] = env.get("CUDA_VISIBLE_DEVICES", "<unset>")
        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # the order NVML numbers them in
        env["CUDA_VISIBLE_DEVICES"] = resource.split(":", 1)[1]
    elif queue.gpu_count():  # a CPU slot on a GPU machine keeps off the GPUs others were given
        env[CUDA_BEFORE] = env.get("CUDA_VISIBLE_DEVICES", "<unset>")
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def start(store: Store, run_id: int, resource: str = "cpu") -> subprocess.Popen:
    """Start the worker for a queued run now, in its own process and session.

    The queue (`submit`/`dispatch`) calls this once a slot is free; called directly it starts
    the run whatever else is running.
    """
    import psutil

    run = runs.get_run(store, run_id)
    python = script_python(store) if run.source == "script" else None
    env = _worker_env(store, run_id, resource)
    if python and python != sys.executable and _source_root():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_source_root(), env.get("PYTHONPATH")]))
    try:
        with open_private_append(log_path(store, run_id)) as log:
            proc = subprocess.Popen(
                worker_command(run_id, run.source, python),
                env=env,
                cwd=(run.command or {}).get("cwd") or None,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except OSError as exc:
        message = f"The worker process could not be started: {exc.strerror or exc}."
        runs.fail(store, run_id, message)
        raise ModelyardError(f"Run {run_id} failed: {message}") from exc
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:
        created = time.time()
    runs.set_process(store, run_id, proc.pid, created, resource)
    return proc


def submit(store: Store, run_id: int) -> dict[int, subprocess.Popen]:
    """Put a queued run in line and start every worker that has a free slot now.

    Raises if this run's own worker was due to start and could not (the run is failed).
    """
    queue.submit(store, run_id)
    started, errors = _dispatch(store)
    if run_id in errors:
        raise errors[run_id]
    return started


def dispatch(store: Store) -> dict[int, subprocess.Popen]:
    """Start workers for the oldest waiting runs while slots are free: {run id: process}.

    A run whose worker cannot start is failed with the reason; the others still start.
    """
    return _dispatch(store)[0]


def _dispatch(store: Store):
    started: dict[int, subprocess.Popen] = {}
    errors: dict[int, ModelyardError] = {}
    for run_id, resource in queue.claim(store, queue.load_limits(store)):
        try:
            started[run_id] = start(store, run_id, resource)
        except ModelyardError as exc:
            errors[run_id] = exc
            print(str(exc), file=sys.stderr)
    return started, errors


def wait_for_run(store: Store, run_id: int, timeout: float | None = None, poll_s: float = 0.25):
    """Block until the run has ended, wherever its worker runs; a worker that dies is seen.

    While waiting it also hands free slots to queued runs, so a queue advances even when no
    other Modelyard process is open.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    ticks = 0
    while True:
        run = runs.get_run(store, run_id)
        if run.is_terminal:
            return run
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} is still {run.status}")
        ticks += 1
        if ticks % 4 == 0:
            reap_orphans(store)
            dispatch(store)  # reads only, unless a run waits and a slot is free
        time.sleep(poll_s)


def last_log_lines(store: Store, run_id: int, count: int = 5) -> str:
    path = log_path(store, run_id)
    if not path.exists():
        return ""
    lines = path.read_text(errors="replace").strip().splitlines()
    return "\n".join(lines[-count:])


def settle(store: Store, run_id: int, returncode: int) -> None:
    """After a worker exited: a run it left unfinished failed, with the reason."""
    if returncode < 0:
        reason = f"The worker was killed by signal {-returncode}."
    else:
        reason = f"The worker exited with code {returncode} before finishing."
    tail = last_log_lines(store, run_id)
    runs.fail(store, run_id, f"{reason}\n{tail}" if tail else reason)
    _record_energy(store, run_id)


def _record_energy(store: Store, run_id: int) -> None:
    """A worker that was killed could not record its energy: take it from its samples."""
    from modelyard.telemetry.accounting import record_from_samples

    record_from_samples(store, run_id)


def wait(store: Store, proc: subprocess.Popen, run_id: int, timeout: float | None = None):
    returncode = proc.wait(timeout=timeout)
    settle(store, run_id, returncode)
    return runs.get_run(store, run_id)


def _alive(pid: int, started_at: float | None) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return started_at is None or abs(process.create_time() - started_at) < 1.0
    except psutil.NoSuchProcess:
        return False


def reap_orphans(store: Store) -> list[int]:
    """Mark failed every active run whose worker process no longer exists."""
    failed = []
    for run in runs.active_runs(store):
        if run.on_cluster:
            continue  # its cluster task watches it (and a lost worker's task is rescheduled)
        if run.pid is not None and not _alive(run.pid, run.pid_started_at):
            tail = last_log_lines(store, run.id)
            message = "The worker process ended unexpectedly (killed or crashed)."
            if runs.fail(store, run.id, f"{message}\n{tail}" if tail else message):
                failed.append(run.id)
                _record_energy(store, run.id)
    return failed


def cancel(store: Store, run_id: int, reason: str = "Cancelled by the user.") -> bool:
    """Stop a queued or running run: record it as cancelled, then end its worker and every
    process the worker started (a script's own children too)."""
    run = runs.get_run(store, run_id)
    if run.source == "sdk":
        raise ModelyardError(
            f"Run {run_id} belongs to a script or notebook of your own (process {run.pid}); "
            "stop it there (Ctrl-C). Modelyard never kills a process it did not start."
        )
    if not runs.fail(store, run_id, reason, status="cancelled"):
        return False
    if run.on_cluster and run.host != socket.gethostname():
        return True  # the cluster task watching it ends its process tree within a second
    if run.pid is not None and _alive(run.pid, run.pid_started_at):
        _kill_tree(run.pid)
        deadline = time.monotonic() + 10  # its last samples are in once it is gone
        while _alive(run.pid, run.pid_started_at) and time.monotonic() < deadline:
            time.sleep(0.02)
    _record_energy(store, run_id)
    return True


def _kill_tree(pid: int) -> None:
    """Workers lead their own session (start_new_session): the group goes with them."""
    import signal

    import psutil

    try:
        if hasattr(os, "killpg") and os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            for child in psutil.Process(pid).children(recursive=True):
                child.kill()
            psutil.Process(pid).kill()
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


def sweep_log_path(store: Store, sweep_id: int) -> Path:
    return (store.home or Path.cwd()) / "logs" / f"sweep-{sweep_id}.log"


def start_sweep(store: Store, sweep_id: int) -> subprocess.Popen:
    """Start a queued sweep's driver process; it starts the trials' workers itself."""
    from modelyard.training.sweeps import set_status

    command = sweep_command(sweep_id)
    env = dict(
        os.environ,
        MODELYARD_STORE_URL=store.url,
        MODELYARD_BLOB_DIR=str(store.blobs.root),
        PYTHONUNBUFFERED="1",
    )
    if store.home is not None:
        env["MODELYARD_HOME"] = str(store.home)
    path = sweep_log_path(store, sweep_id)
    try:
        with open_private_append(path) as log:
            proc = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except OSError as exc:
        message = f"The sweep process could not be started: {exc.strerror or exc}."
        set_status(store, sweep_id, "failed", message)
        raise ModelyardError(f"Sweep {sweep_id} failed: {message}") from exc
    set_status(store, sweep_id, None, pid=proc.pid)
    return proc


def cancel_sweep(store: Store, sweep_id: int) -> bool:
    """Stop a sweep: its driver stops starting trials, and its running trials are cancelled."""
    from modelyard.training.sweeps import set_status, trials

    if not set_status(store, sweep_id, "cancelled"):
        return False
    for run in trials(store, sweep_id):
        if not run.is_terminal:
            cancel(store, run.id)
    return True


def reap_sweeps(store: Store) -> list[int]:
    """Mark failed every queued or running sweep whose driver process no longer exists."""
    from sqlalchemy import select

    from modelyard.store import models
    from modelyard.training.sweeps import set_status

    with store.session() as session:
        rows = session.execute(
            select(models.Sweep.id, models.Sweep.pid).where(
                models.Sweep.status.in_(("queued", "running")), models.Sweep.pid.is_not(None)
            )
        ).all()
    failed = []
    for sweep_id, pid in rows:
        if not _alive(pid, None) and set_status(
            store, sweep_id, "failed", "The sweep process ended unexpectedly (killed or crashed)."
        ):
            failed.append(sweep_id)
    return failed
