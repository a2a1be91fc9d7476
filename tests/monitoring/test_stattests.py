"""Each drift test against SciPy on known distributions, and its false-alarm rate."""

import numpy as np
import pytest
from scipy import spatial, stats

from modelyard.monitoring import stattests


def _codes(rng, n, p):
    return rng.choice(len(p), size=n, p=p)


@pytest.mark.parametrize(("n", "m"), [(1000, 1000), (1000, 737), (5, 9), (40_001, 12_345)])
def test_wasserstein_matches_scipy(n, m):
    rng = np.random.default_rng(n + m)
    u, v = rng.normal(size=n), rng.gamma(2.0, size=m)
    expected = stats.wasserstein_distance(u, v)
    assert stattests.wasserstein_distance_sorted(np.sort(u), np.sort(v)) == pytest.approx(expected)
    normed = stattests.run_test("wasserstein", u, v).statistic
    assert normed == pytest.approx(expected / np.std(u))


def test_ks_matches_scipy():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=500), rng.normal(0.2, size=400)
    result = stattests.run_test("ks", u, v)
    assert result.statistic == pytest.approx(stats.ks_2samp(u, v).pvalue)
    assert result.drifted == (result.statistic < 0.05)


def test_chisquare_is_scipys_homogeneity_test():
    rng = np.random.default_rng(2)
    ref, cur = _codes(rng, 700, [0.5, 0.3, 0.2]), _codes(rng, 600, [0.4, 0.4, 0.2])
    result = stattests.run_test("chisquare", ref, cur, n_categories=3)
    table = np.vstack([np.bincount(ref, minlength=3), np.bincount(cur, minlength=3)])
    assert result.statistic == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)


def test_z_test_is_a_two_proportion_test():
    ref, cur = np.array([0] * 300 + [1] * 700), np.array([0] * 380 + [1] * 620)
    result = stattests.run_test("z", ref, cur, n_categories=2)
    pooled = 680 / 2000
    z = (0.38 - 0.30) / np.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert result.statistic == pytest.approx(2 * stats.norm.sf(z))
    assert result.drifted


def test_jensenshannon_matches_scipy():
    ref, cur = np.array([0] * 50 + [1] * 30 + [2] * 20), np.array([0] * 20 + [1] * 30 + [2] * 50)
    result = stattests.run_test("jensenshannon", ref, cur, n_categories=3)
    assert result.statistic == pytest.approx(spatial.distance.jensenshannon([5, 3, 2], [2, 3, 5]))
    assert result.drifted


def test_psi_of_known_shares():
    ref, cur = np.array([0] * 50 + [1] * 50), np.array([0] * 80 + [1] * 20)
    expected = (0.5 - 0.8) * np.log(0.5 / 0.8) + (0.5 - 0.2) * np.log(0.5 / 0.2)
    result = stattests.run_test("psi", ref, cur, n_categories=2)
    assert result.statistic == pytest.approx(expected)
    assert result.drifted


def test_numeric_psi_bins_both_samples_alike():
    rng = np.random.default_rng(3)
    same = stattests.run_test("psi", rng.normal(size=5000), rng.normal(size=5000))
    moved = stattests.run_test("psi", rng.normal(size=5000), rng.normal(1.0, size=5000))
    assert not same.drifted and moved.drifted


@pytest.mark.parametrize(
    ("test", "draw"),
    [
        ("ks", lambda rng, n: rng.normal(size=n)),
        ("chisquare", lambda rng, n: _codes(rng, n, [0.4, 0.3, 0.2, 0.1])),
        ("z", lambda rng, n: _codes(rng, n, [0.3, 0.7])),
    ],
)
def test_same_distribution_false_alarms_at_the_stated_rate(test, draw):
    """Two seeded samples of one distribution drift in about 5% of 400 tries (p < 0.05):
    a binomial(400, 0.05) count stays below 35 with probability above 0.9999."""
    rng = np.random.default_rng(4)
    alarms = sum(
        stattests.run_test(test, draw(rng, 300), draw(rng, 400), n_categories=4).drifted
        for _ in range(400)
    )
    assert 2 <= alarms <= 35


def test_choose_test_follows_size_and_kind():
    assert stattests.choose_test("numeric", 1000, 50) == "ks"
    assert stattests.choose_test("numeric", 1001, 50) == "wasserstein"
    assert stattests.choose_test("numeric", 5000, 2) == "jensenshannon"
    assert stattests.choose_test("numeric", 100, 4) == "chisquare"
    assert stattests.choose_test("categorical", 100, 2) == "z"
    assert stattests.choose_test("categorical", 100, 3) == "chisquare"
    assert stattests.choose_test("categorical", 5000, 3) == "jensenshannon"
    assert stattests.choose_test("categorical", 5000, 3, method="ks") == "chisquare"
    assert stattests.choose_test("numeric", 5000, 300, method="psi") == "psi"
