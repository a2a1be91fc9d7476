"""The runs this process has open through the SDK (`modelyard.start_run`).

Kept here, below the SDK, so that a worker (the script runner) can write and close what a
user's script left open without importing the SDK facade that sits above it.
"""

from __future__ import annotations

import threading

LOCK = threading.RLock()
OPEN: list = []  # the SDK's ActiveRun objects, oldest first: each has flush() and end()
