"""Regenerate resources/samples/customer_churn.csv, the sample dataset shipped with the app.

The data is synthetic (seeded), so it can be shipped and rebuilt without any download.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "resources" / "samples" / "customer_churn.csv"


def make(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n)
    contract = rng.choice(["month-to-month", "one year", "two year"], n, p=[0.55, 0.25, 0.2])
    internet = rng.choice(["fiber", "dsl", "none"], n, p=[0.45, 0.4, 0.15])
    monthly = np.round(
        20 + (internet == "fiber") * 45 + (internet == "dsl") * 25 + rng.normal(0, 8, n), 2
    )
    support_calls = rng.poisson(1.5, n)
    paperless = rng.random(n) < 0.6
    senior = rng.random(n) < 0.16
    logit = (
        -1.2
        + 1.4 * (contract == "month-to-month")
        - 0.035 * tenure
        + 0.02 * (monthly - 60)
        + 0.35 * support_calls
        + 0.4 * senior
        + rng.normal(0, 0.6, n)
    )
    churn = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(n)],
            "tenure_months": tenure,
            "contract": contract,
            "internet": internet,
            "monthly_charges": monthly,
            "total_charges": np.round(monthly * tenure * rng.uniform(0.95, 1.05, n), 2),
            "support_calls": support_calls,
            "paperless_billing": paperless,
            "senior": senior,
            "churn": churn,
        }
    )
    frame.loc[rng.random(n) < 0.02, "total_charges"] = np.nan
    return frame


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    make().to_csv(OUT, index=False)
    print(f"wrote {OUT}")
