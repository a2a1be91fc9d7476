"""Electricity price, hardware amortisation, cloud equivalent and carbon intensity.

Kept in the store's settings (one JSON value), so the GUI, the CLI and the workers use the same
figures. `save_prices` validates everything first and writes nothing if any value is wrong.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.telemetry.power import MEMORY_W_PER_GB

SETTING_KEY = "telemetry.prices"
WORLD_CARBON_G_PER_KWH = 475.0


@dataclass(frozen=True)
class Prices:
    price_per_kwh: float = 0.30
    currency: str = "EUR"
    amortisation_per_hour: float = 0.0  # what the machine costs per hour of use, beyond power
    cloud_hourly: float | None = None  # what a comparable cloud machine would cost per hour
    carbon_g_per_kwh: float = WORLD_CARBON_G_PER_KWH
    cpu_tdp_w: float | None = None  # None: from the CPU's name (or the stated fallback)
    memory_w_per_gb: float = MEMORY_W_PER_GB


LABELS = {
    "price_per_kwh": "Electricity price per kWh",
    "currency": "Currency",
    "amortisation_per_hour": "Hardware amortisation per hour",
    "cloud_hourly": "Cloud-equivalent price per hour",
    "carbon_g_per_kwh": "Carbon intensity (g CO2 per kWh)",
    "cpu_tdp_w": "CPU TDP (W)",
    "memory_w_per_gb": "Memory power (W per GB)",
}
OPTIONAL = {"cloud_hourly", "cpu_tdp_w"}
LIMITS = {
    "price_per_kwh": 100.0,
    "amortisation_per_hour": 1e6,
    "cloud_hourly": 1e6,
    "carbon_g_per_kwh": 5000.0,
    "cpu_tdp_w": 2000.0,
    "memory_w_per_gb": 100.0,
}


def _number(name: str, value: Any) -> float | None:
    label = LABELS[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        if name in OPTIONAL:
            return None
        raise InvalidInputError(f"{label} is required.")
    if isinstance(value, bool):
        raise InvalidInputError(f"{label} must be a number, not {value!r}.")
    try:
        number = (
            float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        raise InvalidInputError(f"{label} must be a number, not '{value}'.") from None
    if not math.isfinite(number) or number < 0:
        raise InvalidInputError(f"{label} must be 0 or more, not {value}.")
    if name == "cpu_tdp_w" and number == 0:
        raise InvalidInputError(f"{label} must be more than 0 W (leave it empty for the default).")
    if number > LIMITS[name]:
        raise InvalidInputError(
            f"{label} of {number:g} is implausible; the most allowed is {LIMITS[name]:g}."
        )
    return number


def validate(values: dict[str, Any], base: Prices | None = None) -> Prices:
    """Prices from user input (strings or numbers); unknown keys are refused."""
    unknown = set(values) - set(LABELS)
    if unknown:
        raise InvalidInputError(
            f"Unknown setting {', '.join(sorted(unknown))}; the settings are {', '.join(LABELS)}."
        )
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name == "currency":
            text = str(value or "").strip()
            if not (1 <= len(text) <= 8) or any(c.isspace() for c in text):
                raise InvalidInputError(
                    "Currency must be a short code or symbol such as EUR, USD or €."
                )
            changes[name] = text
        else:
            changes[name] = _number(name, value)
    return replace(base or Prices(), **changes)


def load_prices(store) -> Prices:
    from modelyard.store.settings import get_setting

    stored = get_setting(store, SETTING_KEY, {}) or {}
    known = {f.name for f in fields(Prices)}
    try:
        return validate({k: v for k, v in stored.items() if k in known})
    except InvalidInputError:
        return Prices()  # a hand-edited store with a bad value must not stop every run


def save_prices(store, values: dict[str, Any]) -> Prices:
    from modelyard.store.settings import set_setting

    prices = validate(values, load_prices(store))
    set_setting(store, SETTING_KEY, asdict(prices))
    return prices


@dataclass(frozen=True)
class Cost:
    energy_cost: float
    amortisation_cost: float
    cloud_equivalent: float | None
    co2_g: float
    currency: str

    @property
    def total(self) -> float:
        return self.energy_cost + self.amortisation_cost


def cost_of(energy_wh: float, duration_s: float, prices: Prices) -> Cost:
    kwh = energy_wh / 1000.0
    hours = duration_s / 3600.0
    return Cost(
        energy_cost=kwh * prices.price_per_kwh,
        amortisation_cost=hours * prices.amortisation_per_hour,
        cloud_equivalent=hours * prices.cloud_hourly if prices.cloud_hourly is not None else None,
        co2_g=kwh * prices.carbon_g_per_kwh,
        currency=prices.currency,
    )
