"""Each model's monitoring settings, kept in the store beside the app's other settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.monitoring import stattests
from modelyard.monitoring.drift import DRIFT_SHARE
from modelyard.monitoring.performance import TOLERANCE
from modelyard.store import Store
from modelyard.store.settings import get_setting, set_setting

DEFAULT_INTERVAL_MIN = 15


@dataclass(frozen=True)
class MonitorSettings:
    method: str = "auto"  # auto, psi or ks (see stattests.METHODS)
    thresholds: dict[str, float] = field(default_factory=dict)  # test name -> threshold
    drift_share: float = DRIFT_SHARE
    tolerance: float = TOLERANCE
    watch_folder: str | None = None  # new data files here are checked while the app runs
    requests_folder: str | None = None  # a served bundle's request log, checked every N minutes
    interval_min: int = DEFAULT_INTERVAL_MIN


def _key(model: str) -> str:
    return f"monitoring.{model}"


def get_settings(store: Store, model: str) -> MonitorSettings:
    saved = get_setting(store, _key(model)) or {}
    known = MonitorSettings.__dataclass_fields__
    return MonitorSettings(**{k: v for k, v in saved.items() if k in known})


def update_settings(store: Store, model: str, **changes: Any) -> MonitorSettings:
    settings = replace(get_settings(store, model), **changes)
    check(settings)
    set_setting(store, _key(model), asdict(settings))
    return settings


def check(settings: MonitorSettings) -> None:
    if settings.method not in stattests.METHODS:
        raise InvalidInputError(
            f"The drift method must be one of {', '.join(stattests.METHODS)}, not '{settings.method}'."
        )
    for test, value in settings.thresholds.items():
        if test not in stattests.TESTS:
            raise InvalidInputError(
                f"'{test}' is not a drift test; use one of {', '.join(stattests.TESTS)}."
            )
        if not 0 < float(value) < 100:
            raise InvalidInputError(f"The threshold of {test} must be a positive number.")
    if not 0 < settings.drift_share <= 1:
        raise InvalidInputError("The dataset drift share must be above 0 and at most 1.")
    if not 0 <= settings.tolerance < 1:
        raise InvalidInputError("The performance tolerance must be from 0 to 1 (0.05 is 5%).")
    if not 1 <= int(settings.interval_min) <= 24 * 60:
        raise InvalidInputError("Check the request log every 1 to 1440 minutes.")
    for folder in (settings.watch_folder, settings.requests_folder):
        if folder and not Path(folder).expanduser().is_dir():
            raise InvalidInputError(f"{folder} is not a folder.")
