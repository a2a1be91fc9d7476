"""The Python that user scripts run with: checked, saved and read in one place, for the
Settings page and `modelyard settings` alike."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from modelyard.errors import InvalidInputError

if TYPE_CHECKING:
    from modelyard.store import Store


def check_python(text: str | None) -> str | None:
    """The interpreter's path, or None for the app's own; a path that cannot run is refused."""
    text = (text or "").strip()
    if not text:
        return None
    found = shutil.which(os.path.expanduser(text)) or (
        os.path.expanduser(text) if os.access(os.path.expanduser(text), os.X_OK) else None
    )
    if not found or os.path.isdir(found):
        raise InvalidInputError(
            f"{text} is not a Python interpreter that can be run; give the full path to one "
            "(e.g. ~/venv/bin/python) or leave the field empty for the app's own."
        )
    return found


def set_script_python(store: Store, text: str | None) -> str | None:
    """Check and save the choice (empty: the app's own); returns what was saved."""
    from modelyard.store.settings import set_setting
    from modelyard.training.launcher import SCRIPT_PYTHON

    python = check_python(text)
    set_setting(store, SCRIPT_PYTHON, python)
    return python
