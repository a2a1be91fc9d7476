"""The worker process: trains one run and records everything in the store.

Started as ``python -m modelyard.training.worker RUN_ID`` with MODELYARD_HOME (and optionally
MODELYARD_STORE_URL) naming the store. It never shares memory with the GUI: a crash here is a
failed run, not a closed window.
"""

from __future__ import annotations

import sys
import traceback

from modelyard.errors import ModelyardError
from modelyard.store import open_store
from modelyard.tracking import runs


def train(run_id: int) -> int:
    store = open_store()
    try:
        run = runs.get_run(store, run_id)
        if not runs.mark_running(store, run_id):
            print(f"Run {run_id} is {run.status}; not starting it.", file=sys.stderr)
            return 0
        print(f"Training run {run_id}: {run.what} → {run.target}")
        from modelyard.tracking.environment import capture
        from modelyard.tracking.experiments import set_environment

        set_environment(store, run_id, capture(run))
        from modelyard.telemetry.run_monitor import start_monitor, stop_monitor

        monitor = start_monitor(store, run_id, on_budget_stop=lambda: stop_for_budget(store))
        try:
            from modelyard.datasets.service import load_frame
            from modelyard.registry.runtime import dumps_model
            from modelyard.training.fit import fit_run

            def log_epoch(epoch: int, values: dict[str, float]) -> None:
                runs.log_metrics(store, run_id, values, step=epoch)

            from modelyard.datasets.profile import get_profile

            roles = get_profile(store, run.dataset).get("roles", {})
            ignored = frozenset(c for c, r in roles.items() if r == "ignore")
            frame = load_frame(store, run.dataset)
            model, metrics, signature = fit_run(run, frame, log_epoch, ignored)
            blob = store.blobs.put_bytes(dumps_model(model))
            if not runs.finish(store, run_id, blob, signature, metrics):
                print(f"Run {run_id} was stopped before it could finish.", file=sys.stderr)
                return 1
        except ModelyardError as exc:
            runs.fail(store, run_id, str(exc))
            print(str(exc), file=sys.stderr)
            return 1
        except Exception as exc:  # noqa: BLE001 - any failure must become a failed run
            traceback.print_exc()
            runs.fail(store, run_id, f"Training failed: {type(exc).__name__}: {exc}")
            return 1
        finally:
            stop_monitor(monitor)
        print(f"Run {run_id} finished: {metrics}")
        return 0
    finally:
        hand_over(store)
        store.close()


def stop_for_budget(store) -> None:
    """The run's budget is used up and it is recorded as cancelled: start the next queued run
    and end this process (the training itself cannot be interrupted more gently)."""
    import os

    hand_over(store)
    store.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(3)


def hand_over(store) -> None:
    """This worker's slot is free: start the next queued runs' workers (not on a cluster
    machine: this machine's queue belongs to the people who use it)."""
    import os

    from modelyard.training.launcher import dispatch

    if os.environ.get("MODELYARD_EXECUTOR", "local") != "local":
        return

    try:
        dispatch(store)
    except Exception as exc:  # noqa: BLE001 - the next dispatcher (GUI, CLI) will start them
        print(f"Could not start the next queued run: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m modelyard.training.worker RUN_ID", file=sys.stderr)
        return 2
    return train(int(args[0]))


if __name__ == "__main__":
    from modelyard.exits import run_and_leave

    run_and_leave(main)
