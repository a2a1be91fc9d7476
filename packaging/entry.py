"""The frozen app's entry point: the same `main` as the `modelyard` command (GUI, CLI and the
hidden child verbs `_worker`, `_script`, `_sweep`, `_serve`)."""

import sys

from modelyard.main import main

if __name__ == "__main__":
    sys.exit(main())
