"""Leaving a Modelyard process with its exit code, never with an abort.

At a normal exit, after Python's own shutdown, the C library runs the exit-time teardown of
native libraries: C++ static destructors, `atexit` hooks of shared objects. pyarrow's global
CPU and I/O thread pools are torn down there; when one of their threads is still joinable
(a multi-threaded CSV read that ended in an error leaves them busy for a moment), the
`std::thread` destructor calls `std::terminate` and the process dies with SIGABRT (134,
"terminate called without an active exception") after the right message was printed
(apache/arrow#34314, #39862). That teardown frees nothing the operating system would not
free anyway, so a process entry point does everything a normal exit does that matters —
wait for its own threads, run Python's atexit handlers, flush output — and then ends with
`os._exit`, which skips the native teardown.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_code(status: object) -> int:
    """The number a `SystemExit(status)` would leave with (a text is printed, then 1)."""
    if status is None:
        return 0
    if isinstance(status, int):
        return status & 0xFF
    print(status, file=sys.stderr)
    return 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) has nothing left to take
            pass


def leave(code: int) -> NoReturn:
    """End the process with `code` as a normal exit would, minus the native teardown."""
    try:
        current = threading.current_thread()
        for thread in threading.enumerate():  # what Python's shutdown waits for
            if thread is not current and not thread.daemon and thread.is_alive():
                thread.join()
        atexit._run_exitfuncs()  # the SDK's run flush, logging, temporary folders
    except KeyboardInterrupt:
        code = 130
    except BaseException as exc:  # noqa: BLE001 - an exit handler's failure must not abort
        print(f"error while exiting: {exc}", file=sys.stderr)
        code = code or 1
    finally:
        _flush()
        os._exit(code)


def run_and_leave(main, *args) -> NoReturn:
    """Run an entry point's `main` and leave with its code: on success, on a refusal, on an
    unexpected error (its traceback printed) and on Ctrl-C (130) alike."""
    try:
        code = exit_code(main(*args))
    except SystemExit as exc:  # argparse's --help and usage errors
        code = exit_code(exc.code)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        code = 130
    except BaseException:  # noqa: BLE001 - printed as Python would, then a plain exit 1
        import traceback

        traceback.print_exc()
        code = 1
    leave(code)
