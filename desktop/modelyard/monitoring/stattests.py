"""Two-sample drift tests, each computed once per column with NumPy/SciPy.

The defaults follow Evidently's: a reference of up to 1,000 rows gets the Kolmogorov-Smirnov
test for numbers and chi-squared for categories (a Z-test of proportions for two categories),
drifted at p < 0.05 (chi-squared as a two-sample test of homogeneity, where Evidently takes
the reference's shares as exact); a larger reference gets the normed Wasserstein distance for numbers and
the Jensen-Shannon distance for categories, drifted at 0.1. Numbers with at most five distinct
values are tested as categories. PSI is available for either kind (drifted at 0.1).

Every test takes plain arrays with missing values already removed: floats for numbers,
integer codes (0..k-1 over the union of both samples' categories) for categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMALL_REFERENCE = 1000
FEW_VALUES = 5
P_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
PSI_THRESHOLD = 0.1
METHODS = ("auto", "psi", "ks")  # ks: KS for numbers and chi-squared/Z for categories

TESTS = {
    "ks": ("Kolmogorov-Smirnov", "p_value"),
    "chisquare": ("chi-squared", "p_value"),
    "z": ("Z-test of proportions", "p_value"),
    "wasserstein": ("Wasserstein distance (normed)", "distance"),
    "jensenshannon": ("Jensen-Shannon distance", "distance"),
    "psi": ("population stability index", "distance"),
}


@dataclass(frozen=True)
class TestResult:
    test: str
    statistic: float  # a p-value for p_value tests, otherwise the distance
    threshold: float
    drifted: bool

    @property
    def kind(self) -> str:
        return TESTS[self.test][1]


def choose_test(kind: str, n_reference: int, n_values: int, method: str = "auto") -> str:
    """The test for a column: `kind` is numeric or categorical; `n_values` its distinct values
    in both samples together."""
    if method == "psi":
        return "psi"
    categorical = kind != "numeric" or n_values <= FEW_VALUES
    small = method == "ks" or n_reference <= SMALL_REFERENCE
    if categorical:
        if small:
            return "z" if n_values <= 2 else "chisquare"
        return "jensenshannon"
    return "ks" if small else "wasserstein"


def default_threshold(test: str) -> float:
    if test == "psi":
        return PSI_THRESHOLD
    return P_THRESHOLD if TESTS[test][1] == "p_value" else DISTANCE_THRESHOLD


def run_test(
    test: str,
    reference: np.ndarray,
    current: np.ndarray,
    n_categories: int = 0,
    threshold: float | None = None,
    sorted_inputs: bool = False,
) -> TestResult:
    """Run `test` on two samples; categorical tests take integer codes below `n_categories`."""
    threshold = default_threshold(test) if threshold is None else float(threshold)
    if test == "ks":
        statistic = ks_p_value(reference, current)
    elif test == "wasserstein":
        statistic = wasserstein_normed(reference, current, sorted_inputs)
    elif test in ("chisquare", "z", "jensenshannon") or (test == "psi" and n_categories):
        ref_counts = np.bincount(reference, minlength=n_categories).astype(np.float64)
        cur_counts = np.bincount(current, minlength=n_categories).astype(np.float64)
        statistic = {
            "chisquare": chisquare_p_value,
            "z": z_test_p_value,
            "jensenshannon": jensenshannon_from_counts,
            "psi": psi_from_counts,
        }[test](ref_counts, cur_counts)
    elif test == "psi":
        statistic = psi_from_counts(*numeric_bins(reference, current, sorted_inputs))
    else:
        raise ValueError(f"unknown drift test '{test}'")
    statistic = float(statistic)
    if TESTS[test][1] == "p_value":
        drifted = statistic < threshold
    else:
        drifted = statistic >= threshold
    return TestResult(test, statistic, threshold, bool(drifted))


def ks_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    from scipy import stats

    return float(stats.ks_2samp(reference, current).pvalue)


def wasserstein_distance_sorted(u: np.ndarray, v: np.ndarray) -> float:
    """First Wasserstein distance of two sorted samples, exactly, without another sort.

    It is the area between the quantile functions. Both are steps, at i/n and j/m: on the
    common denominator n*m those are the integers i*m and j*n, which a radix sort merges in
    linear time; on each piece between two steps both quantiles are known by index.
    """
    n, m = u.size, v.size
    if n == m:
        return float(np.mean(np.abs(u - v)))
    steps = np.concatenate([np.arange(n, dtype=np.int64) * m, np.arange(m, dtype=np.int64) * n])
    steps.sort(kind="stable")
    widths = np.diff(np.append(steps, n * m))
    starts, widths = steps[widths > 0], widths[widths > 0]
    return float(np.sum(np.abs(u[starts // m] - v[starts // n]) * widths) / (n * m))


def wasserstein_normed(
    reference: np.ndarray, current: np.ndarray, sorted_inputs: bool = False
) -> float:
    """Wasserstein distance in units of the reference's standard deviation (at least 0.001)."""
    if not sorted_inputs:
        reference, current = np.sort(reference), np.sort(current)
    norm = max(float(np.std(reference)), 0.001)
    return wasserstein_distance_sorted(reference, current) / norm


def chisquare_p_value(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Pearson's chi-squared test of homogeneity of the two samples' category counts.

    Both samples are treated as samples (a 2 x k table), not the reference as the truth:
    with a reference of a few hundred rows its own noise would otherwise raise false alarms
    far above the stated 5%.
    """
    from scipy import stats

    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def z_test_p_value(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Two-sided Z-test that the share of the first category is the same in both samples."""
    from scipy import stats

    n1, n2 = ref_counts.sum(), cur_counts.sum()
    if ref_counts.size < 2:
        return 1.0
    p1, p2 = ref_counts[0] / n1, cur_counts[0] / n2
    pooled = (ref_counts[0] + cur_counts[0]) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0 if p1 == p2 else 0.0
    return float(2 * stats.norm.sf(abs(p1 - p2) / spread))


def jensenshannon_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log, as scipy's default) of two count vectors."""
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        right = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(np.sqrt(max((left + right) / 2, 0.0)))


def _fill_zeroes(shares: np.ndarray) -> np.ndarray:
    nonzero = shares[shares > 0]
    floor = nonzero.min() / 1e6 if nonzero.size and nonzero.min() <= 0.0001 else 0.0001
    return np.where(shares == 0, floor, shares)


def psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    p = _fill_zeroes(ref_counts / ref_counts.sum())
    q = _fill_zeroes(cur_counts / cur_counts.sum())
    return float(np.sum((p - q) * np.log(p / q)))


def numeric_bins(
    reference: np.ndarray, current: np.ndarray, sorted_inputs: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both samples in shared bins (Sturges' rule over both samples' range)."""
    low = min(reference.min(), current.min())
    high = max(reference.max(), current.max())
    n_bins = int(np.ceil(np.log2(reference.size + current.size))) + 1
    edges = np.linspace(low, high, n_bins + 1) if high > low else np.array([low - 0.5, low + 0.5])
    if sorted_inputs:
        counts = [np.diff(np.searchsorted(s, edges, side="left")) for s in (reference, current)]
        for c, s in zip(counts, (reference, current), strict=True):
            c[-1] += int(np.count_nonzero(s == edges[-1]))  # the last bin is closed
        return counts[0].astype(np.float64), counts[1].astype(np.float64)
    return (
        np.histogram(reference, edges)[0].astype(np.float64),
        np.histogram(current, edges)[0].astype(np.float64),
    )
