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


LOCAL_CONFIG = "config.json"  # in the data dir: what must be known before the store opens
LOCAL_KEYS = ("store_url", "blob_dir")


def local_config(home: Path | None = None) -> dict[str, str]:
    """The team-store choices saved in Settings (store URL, shared blob folder), or {}."""
    import json

    path = (home or data_home()) / LOCAL_CONFIG
    try:
        values = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in values.items() if k in LOCAL_KEYS and isinstance(v, str) and v}


def save_local_config(home: Path | None = None, **values: str | None) -> None:
    """Save (an empty value removes) the store URL / blob folder, written atomically."""
    import json
    import tempfile

    home = home or data_home()
    config = local_config(home)
    for key, value in values.items():
        if key not in LOCAL_KEYS:
            raise KeyError(key)
        if value:
            config[key] = value
        else:
            config.pop(key, None)
    handle, name = tempfile.mkstemp(dir=home, suffix=".partial")
    with os.fdopen(handle, "w") as out:
        json.dump(config, out, indent=2)
    os.chmod(name, 0o600)  # a server URL may hold a password
    os.replace(name, home / LOCAL_CONFIG)


def store_url(home: Path | None = None) -> str:
    """The SQLAlchemy URL of the store: ``MODELYARD_STORE_URL``, else the one saved in
    Settings (a team's PostgreSQL), else SQLite in the data dir."""
    override = os.environ.get("MODELYARD_STORE_URL")
    if override:
        return override
    home = home or data_home()
    return local_config(home).get("store_url") or f"sqlite:///{home / 'modelyard.db'}"


def blob_dir(home: Path | None = None) -> Path:
    """Where blobs live: ``MODELYARD_BLOB_DIR``, else the folder saved in Settings (a mounted
    path shared by a team and its workers), else ``blobs`` in the data dir."""
    override = os.environ.get("MODELYARD_BLOB_DIR")
    if override:
        return Path(override).expanduser()
    home = home or data_home()
    saved = local_config(home).get("blob_dir")
    return Path(saved).expanduser() if saved else home / "blobs"


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
