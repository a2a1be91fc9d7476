"""The worker of a script run: runs the user's script in this process and records how it ended.

Started by the queue as ``python -m modelyard.training.script_runner RUN_ID`` with the script's
folder as working directory and stdout/stderr going to the run's log. The script runs with
``__name__ == "__main__"`` and its own arguments; `modelyard.start_run()` inside it takes over
this run. Whatever the script does — finish, raise, call sys.exit, get killed — the run ends
finished or failed with its last log lines, and its energy is recorded.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback

from modelyard.store import open_store
from modelyard.tracking import runs


def execute(run_id: int) -> int:
    from modelyard.training.launcher import pin_environment

    pin_environment()  # the next worker starts from this, not from what the script changes
    store = open_store()
    try:
        run = runs.get_run(store, run_id)
        if not runs.mark_running(store, run_id):
            print(f"Run {run_id} is {run.status}; not starting it.", file=sys.stderr)
            return 0
        try:
            _prepare(store, run)
        except Exception as exc:  # noqa: BLE001 - a run that cannot start fails, with why
            runs.fail(store, run_id, f"The script could not be started: {exc}")
            print(f"The script could not be started: {exc}", file=sys.stderr)
            return 1
        command = run.command or {}
        script = command["script"]
        print(f"Run {run_id}: python {script} {' '.join(command.get('args') or [])}", flush=True)
        from modelyard.telemetry.run_monitor import start_monitor, stop_monitor

        monitor = start_monitor(store, run_id, on_budget_stop=lambda: _budget_stop(store))
        code, error = 1, "The script runner stopped."
        try:
            code, error = _run_script(script, command.get("args") or [])
        finally:
            _close_sdk_runs(error if code else None)
            stop_monitor(monitor)
        if code == 0:
            runs.complete(store, run_id)
            print(f"Run {run_id} finished.", flush=True)
            return 0
        runs.fail(store, run_id, error)
        return 1
    finally:
        from modelyard.training.worker import hand_over

        hand_over(store)
        store.close()


def _budget_stop(store) -> None:
    """Out of budget: what the script logged so far is written, then the process ends."""
    from modelyard.tracking.open_runs import OPEN
    from modelyard.training.worker import stop_for_budget

    for active in list(OPEN):
        try:
            active.flush()
        except Exception:  # noqa: BLE001, S110 - stopping anyway; the run is recorded
            pass
    stop_for_budget(store)


def _prepare(store, run) -> None:
    """This process's own id (so the script's start_run knows it is this run's worker) and
    where the code came from."""
    import psutil

    from modelyard.tracking.environment import capture, capture_code
    from modelyard.tracking.experiments import set_environment

    me = psutil.Process()
    runs.set_process(store, run.id, me.pid, me.create_time(), run.resource or "cpu")
    script = (run.command or {})["script"]
    set_environment(store, run.id, {**capture(run), "code": capture_code(script)})


def _run_script(script: str, args: list[str]) -> tuple[int, str]:
    """(exit code, what went wrong) of running the script as __main__ in this process."""
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or exc.code == 0:
            return 0, ""
        if isinstance(exc.code, int):
            return exc.code, f"The script exited with code {exc.code}."
        print(exc.code, file=sys.stderr)
        return 1, f"The script exited: {exc.code}"
    except KeyboardInterrupt:
        return 130, "The script was interrupted."
    except ModuleNotFoundError as exc:
        traceback.print_exc()
        return 1, missing_package_message(exc.name or str(exc))
    except BaseException as exc:  # noqa: BLE001 - the script's failure is the run's failure
        text = traceback.format_exc()
        sys.stderr.write(text)
        frames = [ln.strip() for ln in text.splitlines() if ln.strip().startswith('File "')]
        own = [ln for ln in frames if ln.startswith(f'File "{script}"')]  # the user's own line
        where = (own or frames)[-1:]
        first = (str(exc).splitlines() or [""])[0]
        return 1, "\n".join([f"The script failed: {type(exc).__name__}: {first}", *where])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0, ""


def missing_package_message(name: str) -> str:
    top = name.split(".")[0]
    return (
        f"The script needs the package '{top}', which {sys.executable} does not have; install it "
        "there or choose a Python that has it in Settings → Python for user scripts."
    )


def _close_sdk_runs(error: str | None) -> None:
    """Write what the script logged through the SDK but did not end (its runs end here)."""
    from modelyard.tracking.open_runs import OPEN

    for active in list(OPEN):
        try:
            active.end("failed", error) if error else active.end()
        except Exception as exc:  # noqa: BLE001 - the script's own result still counts
            print(f"Could not close run {active.id}: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m modelyard.training.script_runner RUN_ID", file=sys.stderr)
        return 2
    return execute(int(args[0]))


if __name__ == "__main__":
    from modelyard.exits import run_and_leave

    run_and_leave(main)
