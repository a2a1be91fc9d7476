"""Where Modelyard keeps its files: the one place paths come from."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from modelyard.private_files import private_dir

APP_NAME = "Modelyard"


def data_home() -> Path:
    """The data directory: ``MODELYARD_HOME`` if set, else the platform's user data dir.

    It is made user-only (0700 on POSIX), and tightened to that if it was left open.
    """
    override = os.environ.get("MODELYARD_HOME")
    if override:
        home = Path(override).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    try:
        private_dir(home)
    except OSError as exc:
        from modelyard.errors import StoreError

        raise StoreError(
            f"The data folder {home} cannot be created ({exc.strerror or exc}); "
            "set MODELYARD_HOME to a folder you can write."
        ) from exc
    return home


def store_url(home: Path | None = None) -> str:
    """The SQLAlchemy URL of the store: ``MODELYARD_STORE_URL`` or SQLite in the data dir."""
    override = os.environ.get("MODELYARD_STORE_URL")
    if override:
        return override
    return f"sqlite:///{(home or data_home()) / 'modelyard.db'}"


def blob_dir(home: Path | None = None) -> Path:
    return (home or data_home()) / "blobs"


def resources_dir() -> Path:
    """Shipped resources: icons, themes, sample data.

    Found in a PyInstaller build (beside the binary's modules), a checkout (the top-level
    resources/ folder) or an installed wheel (the `modelyard.resources` package).
    """
    override = os.environ.get("MODELYARD_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    checkout = Path(__file__).resolve().parents[2] / "resources"
    if (checkout / "themes").is_dir():
        return checkout
    return Path(__file__).resolve().parent / "resources"


def sample_dataset() -> Path:
    return resources_dir() / "samples" / "customer_churn.csv"
