"""Modelyard: the whole machine-learning lifecycle on your own machine.

For your own scripts and notebooks: ``modelyard.start_run(...)`` records params, metrics,
artifacts and models into the same store the app shows (see ``modelyard.sdk``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelyard.version import __version__

__all__ = ["__version__", "active_run", "start_run"]

if TYPE_CHECKING:
    from modelyard.sdk import active_run, start_run


def __getattr__(name: str):
    # loaded on first use, so that `import modelyard` (and the app's start-up) stays light
    if name in ("start_run", "active_run"):
        from modelyard import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'modelyard' has no attribute {name!r}")
