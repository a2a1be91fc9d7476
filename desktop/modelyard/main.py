"""The `modelyard` entry point: the app with no arguments, the command line with any."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from modelyard.gui.app import run

        return run()
    if args[0] == "_worker":  # frozen builds start workers through the app binary
        from modelyard.training.worker import main as worker_main

        return worker_main(args[1:])
    from modelyard.cli.main import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
