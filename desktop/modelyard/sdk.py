"""The Python SDK: a script or notebook records its params, metrics, artifacts and models.

A facade over tracking, training, registry and telemetry, so it sits above all of them (the
runs it has open live in `tracking.open_runs`, where a worker can close them).

    import modelyard
    with modelyard.start_run(experiment="churn", name="try-3") as run:
        run.log_params({"lr": 0.01})
        run.log_metric("loss", 0.42, step=1)
        run.log_model(model, name="churn-model", input_example=x_train.head())

The same code records into the same store whether Modelyard started the script (`modelyard
run`, *Run script…*: the run already exists and is attached to) or a terminal or notebook did
(a new run). Metrics are buffered and written in batches about twice a second, so logging a
point costs microseconds and a chart is at most a second behind; everything logged is durable
once `end()` (or the `with` block) returns.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidInputError, ModelyardError, StoreError

FLUSH_S = 0.5
MAX_BUFFER = 100_000  # points held before a write is forced
JOB_ENV = "MODELYARD_RUN_ID"  # set by the worker queue for a script it started

from modelyard.tracking.open_runs import LOCK as _lock  # noqa: E402
from modelyard.tracking.open_runs import OPEN as _active  # noqa: E402

_job_attached = False
_uncaught: list[BaseException] = []
_forked_child = False
_FORKED = (
    "This is a forked child process (multiprocessing): a run records from the process that "
    "started it; return the values to that process and log them there."
)


def _after_fork_in_child() -> None:
    # the parent's writer thread and database connections do not exist here
    global _forked_child
    _forked_child = True
    _active.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    *,
    tags: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    dataset: str | None = None,
    home: str | os.PathLike | None = None,
    capture_output: bool = True,
    system_metrics: bool = True,
) -> ActiveRun:
    """Open a run (or, in a script Modelyard started, take over the run it made for it).

    `dataset` ("NAME" or "NAME:VERSION") links the run to a stored dataset version for lineage;
    `capture_output` keeps what the code prints as the run's log; `system_metrics` samples this
    process's CPU, memory and GPU once a second and records its energy and cost.
    """
    from modelyard import paths
    from modelyard.store import open_store
    from modelyard.tracking import runs

    if _forked_child:
        raise InvalidInputError(_FORKED)
    if home is not None:  # that folder's own store, whatever a job's environment names
        home = Path(home).expanduser()
        store = open_store(home, url=f"sqlite:///{home / 'modelyard.db'}", blob_root=home / "blobs")
    else:
        store = open_store(paths.data_home())
    try:
        job = _take_job(store) if home is None else None
        attach = job is not None
        version = None
        if dataset is not None:
            from modelyard.datasets.service import get_version

            version = get_version(store, dataset)
        if attach:
            run = _adopt(store, job, experiment, name, tags, params, version)
        else:
            from modelyard.tracking.environment import capture, capture_code

            script = sys.argv[0] if sys.argv and sys.argv[0].endswith(".py") else None
            run = runs.create_tracked_run(
                store,
                "sdk",
                experiment=experiment,
                name=name,
                tags=tags,
                params=params,
                dataset=version,
                status="running",
                command={"script": script, "script_name": Path(script).name if script else None},
            )
            import psutil

            me = psutil.Process()
            runs.set_process(store, run.id, me.pid, me.create_time(), resource=None)
            from modelyard.tracking.experiments import set_environment

            set_environment(store, run.id, {**capture(run), "code": capture_code(script)})
    except BaseException:
        store.close()
        raise
    active = ActiveRun(store, run.id, attached=attach)
    if not attach:
        active._start_extras(capture_output, system_metrics)
    with _lock:
        _active.append(active)
    return active


def active_run() -> ActiveRun | None:
    """The run most recently started in this process and not yet ended."""
    with _lock:
        return _active[-1] if _active else None


def _take_job(store) -> int | None:
    """The script run this very process is the worker of, once: Modelyard's script runner sets
    MODELYARD_RUN_ID; it is taken (and removed, so the script's own child processes start runs
    of their own) only if that run is a running script run whose worker is this process."""
    global _job_attached
    from modelyard.tracking.runs import get_run

    with _lock:
        if _job_attached:
            return None
        text = os.environ.pop(JOB_ENV, "")
        if not text.isdigit():
            return None
        try:
            run = get_run(store, int(text))
        except ModelyardError:
            return None
        if run.source != "script" or run.status != "running" or run.pid != os.getpid():
            return None
        _job_attached = True
        return run.id


def _adopt(store, run_id: int, experiment, name, tags, params, version):
    """The script's own arguments fill in what the queued job left open (GUI/CLI values win)."""
    from sqlalchemy import update

    from modelyard.store import models
    from modelyard.store.entities import DEFAULT_EXPERIMENT
    from modelyard.tracking import runs
    from modelyard.tracking.experiments import check_name, experiment_id, tag_run

    run = runs.get_run(store, run_id)
    values: dict[str, Any] = {}
    if name and not run.name:
        values["name"] = name.strip()[:200] or None
    if version is not None and run.dataset is None:
        values["dataset_version_id"] = version.id
    with store.session() as session:
        if experiment and run.experiment == DEFAULT_EXPERIMENT:
            values["experiment_id"] = experiment_id(session, check_name(experiment))
        if values:
            session.execute(update(models.Run).where(models.Run.id == run_id).values(**values))
    if tags:
        tag_run(store, run_id, {k: v for k, v in tags.items() if k not in run.tags})
    if params:
        runs.update_params(store, run_id, params)
    return runs.get_run(store, run_id)


class _Tee:
    """Writes go to the terminal (or notebook) as before and to the run's log file."""

    def __init__(self, stream, log) -> None:
        self._stream, self._log = stream, log

    def write(self, text: str) -> int:
        try:
            self._log.write(text)
        except (OSError, ValueError):
            pass
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()
        try:
            self._log.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class ActiveRun:
    """A run being recorded by this process. Thread-safe; cheap to call in a training loop."""

    def __init__(self, store, run_id: int, attached: bool = False) -> None:
        self.store = store
        self.id = run_id
        self.attached = attached  # a script run Modelyard started: its runner ends it
        self._buffer: list[tuple[str, float, int, float]] = []
        self._next_step: dict[str, int] = {}
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()  # the run ends
        self._due = threading.Event()  # a full buffer, to write before the next tick
        self._ended = False
        self._warned = False
        self._monitor = None
        self._streams: tuple | None = None
        self._log = None
        self._flusher = threading.Thread(target=self._flush_loop, name="modelyard-sdk", daemon=True)
        self._flusher.start()
        _install_exit_hooks()

    # ---- what a script calls ----------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        from modelyard.tracking.runs import update_params

        self._check_open()
        update_params(self.store, self.id, dict(params))

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """One point; `step` defaults to one past this key's last step (0 first)."""
        if self._ended or _forked_child:
            self._check_open()
        number = _number(key, value)
        if key not in self._next_step:
            _check_key(key)
        when = time.time() if timestamp is None else _timestamp(timestamp)
        with self._buffer_lock:
            step = self._next_step.get(key, 0) if step is None else _step(step)
            self._next_step[key] = step + 1
            self._buffer.append((key, number, step, when))
            pending = len(self._buffer)
        if pending >= MAX_BUFFER:
            self._buffer_full(pending)

    def log_metrics(
        self, values: dict[str, float], step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Several metrics at the same step (default: one past the latest step among them).
        All are checked first: one bad value logs none of them."""
        if self._ended or _forked_child:
            self._check_open()
        checked = [(key, _number(key, value)) for key, value in values.items()]
        for key, _ in checked:
            if key not in self._next_step:
                _check_key(key)
        now = time.time() if timestamp is None else _timestamp(timestamp)
        step = None if step is None else _step(step)
        with self._buffer_lock:
            if step is None:
                step = max((self._next_step.get(k, 0) for k, _ in checked), default=0)
            for key, number in checked:
                self._next_step[key] = step + 1
                self._buffer.append((key, number, step, now))
            pending = len(self._buffer)
        if pending >= MAX_BUFFER:
            self._buffer_full(pending)

    def _buffer_full(self, pending: int) -> None:
        """Let the writer thread catch up; only a caller far ahead of it writes itself."""
        if pending >= 4 * MAX_BUFFER:
            self.flush()
        else:
            self._due.set()

    def set_tag(self, key: str, value: str) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, str]) -> None:
        from modelyard.tracking.experiments import tag_run

        self._check_open()
        tag_run(self.store, self.id, {str(k): str(v) for k, v in tags.items()})

    def note(self, text: str) -> None:
        from modelyard.tracking.experiments import note_run

        note_run(self.store, self.id, text)

    def log_artifact(self, path: str | os.PathLike, name: str | None = None) -> list[str]:
        """Keep a file, or every file of a folder, with the run; returns the stored names."""
        from modelyard.tracking.artifacts import log_artifact

        self._check_open()
        return log_artifact(self.store, self.id, path, name)

    def log_model(
        self,
        model: Any,
        name: str,
        input_example: Any = None,
        target: str | None = None,
    ):
        """Store a fitted scikit-learn model safely (skops) and register it as the next version
        of `name`; `input_example` (a few training rows) gives the registry its input columns."""
        from modelyard.registry.logged import log_model

        self._check_open()
        self.flush()  # the version's metrics are the run's latest
        return log_model(self.store, self.id, model, name, input_example, target)

    def flush(self) -> None:
        """Write every buffered point now (the background thread does this twice a second)."""
        from modelyard.tracking.runs import insert_metric_rows, merge_summary

        with self._write_lock:
            with self._buffer_lock:
                rows, self._buffer = self._buffer, []
            if not rows:
                return
            try:
                with self.store.session() as session:
                    insert_metric_rows(session, self.id, rows)
                    merge_summary(session, self.id, rows)
            except BaseException:
                with self._buffer_lock:  # nothing is lost: they go again with the next write
                    self._buffer[:0] = rows
                raise

    def end(self, status: str = "finished", error: str | None = None) -> None:
        """Write everything and close the run (a script Modelyard started is closed by its
        runner when the script exits; `end` then only writes)."""
        from modelyard.tracking import runs

        if self._ended:
            return
        self._ended = True
        self._wake.set()
        self._due.set()
        self._flusher.join(timeout=30)
        problem = None
        for attempt in range(3):
            try:
                self.flush()
                problem = None
                break
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                problem = exc
                time.sleep(0.5 * (attempt + 1))
        try:
            if self._monitor is not None:
                self._monitor.stop()  # records the run's energy and cost
        finally:
            self._stop_capture()
            with _lock:
                if self in _active:
                    _active.remove(self)
        if problem is not None:
            self.store.close()
            raise StoreError(f"Run {self.id}: its last metrics could not be written: {problem}")
        if not self.attached:
            if status == "finished":
                runs.complete(self.store, self.id)
            else:
                runs.fail(self.store, self.id, error or "The script stopped.", status=status)
        self.store.close()

    # ---- context manager -------------------------------------------------------------
    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or (isinstance(exc, SystemExit) and exc.code in (None, 0)):
            self.end()
        elif isinstance(exc, SystemExit):
            self.end("failed", f"The script exited with code {exc.code}.")
        elif isinstance(exc, KeyboardInterrupt):
            self.end("cancelled", "Interrupted (Ctrl-C).")
        else:
            self.end("failed", _describe(exc))
        return False

    # ---- inside ----------------------------------------------------------------------
    def _check_open(self) -> None:
        if _forked_child:
            raise InvalidInputError(_FORKED)
        if self._ended:
            raise InvalidInputError(f"Run {self.id} has ended; start a new run to log more.")

    def _flush_loop(self) -> None:
        while not self._wake.is_set():
            self._due.wait(FLUSH_S)
            self._due.clear()
            if self._wake.is_set():
                return  # end() writes the rest itself
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - kept buffered and retried; end() raises
                if not self._warned:
                    self._warned = True
                    print(f"Modelyard: metrics not written yet ({exc}); retrying.", file=sys.stderr)

    def _start_extras(self, capture_output: bool, system_metrics: bool) -> None:
        if capture_output:
            from modelyard.private_files import open_private_append
            from modelyard.training.launcher import log_path

            path = log_path(self.store, self.id)
            try:
                self._log = open_private_append(path, text=True, encoding="utf-8", buffering=1)
            except OSError:
                self._log = None
            if self._log is not None:
                self._streams = (sys.stdout, sys.stderr)
                sys.stdout, sys.stderr = _Tee(sys.stdout, self._log), _Tee(sys.stderr, self._log)
        if system_metrics:
            from modelyard.telemetry.run_monitor import start_monitor

            self._monitor = start_monitor(self.store, self.id, on_budget_stop=_interrupt_main)

    def _stop_capture(self) -> None:
        if self._streams is not None:
            if isinstance(sys.stdout, _Tee) and isinstance(sys.stderr, _Tee):
                sys.stdout, sys.stderr = self._streams
            self._streams = None
        if self._log is not None:
            self._log.close()
            self._log = None


MAX_STEP = 2**63 - 1


def _step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= MAX_STEP:
        raise InvalidInputError(
            f"A step must be a whole number from 0 to {MAX_STEP}, not {step!r}."
        )
    return step


def _timestamp(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(
            f"A timestamp must be seconds since the epoch (time.time()), not {value!r}."
        )
    return float(value)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise InvalidInputError(f"Metric '{key}' must be a number, not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"Metric '{key}' must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise InvalidInputError(f"Metric '{key}' must be a finite number, not {value!r}.")
    return number


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > 250:
        raise InvalidInputError("A metric name must be text of 1 to 250 characters.")
    if key.startswith("system/"):
        raise InvalidInputError("Metric names starting with 'system/' are Modelyard's own.")


def _describe(exc: BaseException) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(lines[-3:]).strip()
    return f"{type(exc).__name__}: {exc}\n{tail}"


def _interrupt_main() -> None:
    """The run's budget is used up: stop the code like Ctrl-C would (a notebook keeps going)."""
    import _thread

    _thread.interrupt_main()


_hooks_installed = False


def _install_exit_hooks() -> None:
    """Runs left open when the interpreter exits are ended: failed after an uncaught error."""
    global _hooks_installed
    with _lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    previous = sys.excepthook

    def remember(exc_type, exc, tb) -> None:
        _uncaught.append(exc)
        previous(exc_type, exc, tb)

    sys.excepthook = remember
    atexit.register(_end_all)


def _end_all() -> None:
    for run in list(_active):
        try:
            if _uncaught:
                run.end("failed", _describe(_uncaught[-1]))
            else:
                run.end()
        except Exception as exc:  # noqa: BLE001 - at exit, say it and go on
            print(f"Modelyard: run {run.id} could not be closed: {exc}", file=sys.stderr)
