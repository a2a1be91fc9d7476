"""The `modelyard` entry point: the app with no arguments, the command line with any."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """With `argv`, the exit code; with none (the `modelyard` program itself), the process
    leaves with it through `exits.leave`, so no exit can end in a native abort."""
    if argv is None:
        from modelyard.exits import run_and_leave

        run_and_leave(_dispatch, sys.argv[1:])
    return _dispatch(argv)


def _dispatch(args: list[str]) -> int:
    files = _data_files(args)
    if not args or files:  # `Modelyard data.csv` (Open with… in a file manager): import flow
        if not _display_available():
            print(
                "error: no display to open the app on; use a subcommand instead "
                "(`modelyard --help` lists them).",
                file=sys.stderr,
            )
            return 2
        from modelyard.gui.app import run

        return run(open_files=files)
    if args[0] == "--self-test":
        from modelyard.gui.self_test import run as self_test

        return self_test()
    if args[0] == "_worker":  # frozen builds start workers through the app binary
        from modelyard.training.worker import main as worker_main

        return worker_main(args[1:])
    if args[0] == "_script":
        from modelyard.training.script_runner import main as script_main

        return script_main(args[1:])
    if args[0] == "_sweep":
        from modelyard.training.sweep_driver import main as sweep_main

        return sweep_main(args[1:])
    if args[0] == "_serve":  # a bundle's app, served from the bundle folder (the cwd)
        return _serve(int(args[1]))
    from modelyard.cli.main import main as cli_main

    return cli_main(args)


def _data_files(args: list[str]) -> list[str]:
    """The arguments when every one is an existing data file the app imports, else []."""
    from pathlib import Path

    from modelyard.datasets.readers import is_supported

    if not args or any(a.startswith("-") for a in args):
        return []
    paths = [Path(a) for a in args]
    ok = all(p.is_file() and is_supported(p) for p in paths)
    return [str(p.resolve()) for p in paths] if ok else []


def _serve(port: int) -> int:
    import uvicorn

    sys.path.insert(0, os.getcwd())
    uvicorn.run("serve:app", host="127.0.0.1", port=port)
    return 0


def _display_available() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    sys.exit(main())
