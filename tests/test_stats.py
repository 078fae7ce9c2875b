"""Paired statistics: d_z of exact shifts, refusal of NaN, bootstrap CI, Holm correction."""

import math

import numpy as np
import pytest

from ci_sim.stats import bootstrap_ci, cohen_dz, holm, paired_effect, wilcoxon_p


def test_identical_nonzero_differences_are_not_read_as_no_effect():
    e = paired_effect([1, 2, 3], [2, 3, 4])
    assert e.dz == math.inf and e.mean_diff == pytest.approx(1.0)
    assert "dz +inf" in str(e)
    down = paired_effect([2, 3, 4], [1, 2, 3])
    assert down.dz == -math.inf and down.share_b_greater == 0.0


def test_all_zero_differences_read_dz_zero_and_p_one():
    e = paired_effect([0.1, 0.5, 0.9], [0.1, 0.5, 0.9])
    assert e.dz == 0.0 and e.p_value == 1.0 and e.share_b_greater == 0.0


def test_rounding_level_spread_counts_as_an_exact_shift():
    a = np.array([0.1, 0.2, 0.3, 0.7])
    assert cohen_dz((a + 0.3) - a) == math.inf  # float rounding, no real spread


def test_dz_is_mean_over_sd_of_differences():
    d = np.array([0.1, 0.3, 0.2, 0.6])
    assert cohen_dz(d) == pytest.approx(1.38873, abs=1e-5)  # 0.3 / sqrt(0.14 / 3)
    assert math.isnan(cohen_dz([0.5]))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_infinite_input_is_refused_with_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"paired_effect: b holds 1 NaN or infinite value.*2"):
        paired_effect([1.0, 2.0, 3.0], [1.0, 2.0, bad])
    with pytest.raises(ValueError, match="bootstrap_ci: x holds"):
        bootstrap_ci([1.0, bad, 2.0])
    with pytest.raises(ValueError, match="wilcoxon_p: d holds"):
        wilcoxon_p([bad, 1.0, 2.0])


def test_paired_effect_refuses_unequal_or_short_arrays():
    with pytest.raises(ValueError, match="equal length"):
        paired_effect([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="equal length >= 2"):
        paired_effect([1], [2])


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    rng = np.random.default_rng(3)
    x = rng.normal(0.4, 1.0, 40)
    low, high = bootstrap_ci(x, seed=5)
    assert (low, high) == bootstrap_ci(x, seed=5)
    assert low < x.mean() < high
    assert bootstrap_ci(x, seed=6) != (low, high)
    wide = bootstrap_ci(x, confidence=0.99, seed=5)
    assert wide[0] < low and wide[1] > high


def test_bootstrap_ci_of_constant_or_tiny_samples():
    assert bootstrap_ci([0.25, 0.25, 0.25]) == (0.25, 0.25)
    assert all(math.isnan(v) for v in bootstrap_ci([1.0]))
    low, high = bootstrap_ci([0.0, 0.0, 1.0])  # BCa is degenerate here: percentile used
    assert 0.0 <= low <= high <= 1.0
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([1.0, 2.0], confidence=1.0)


def test_holm_matches_the_step_down_definition():
    p = [0.01, 0.04, 0.03, 0.5]
    # sorted 0.01, 0.03, 0.04, 0.5 -> 4*0.01, 3*0.03, 2*0.04 (raised to 0.09), 1*0.5
    np.testing.assert_allclose(holm(p), [0.04, 0.09, 0.09, 0.5])
    np.testing.assert_allclose(holm([0.6, 0.5]), [1.0, 1.0])


def test_holm_ignores_nan_and_refuses_bad_p():
    out = holm([math.nan, 0.02, 0.04])
    assert math.isnan(out[0])
    np.testing.assert_allclose(out[1:], [0.04, 0.04])
    assert np.isnan(holm([math.nan])).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.2, 1.5])


def test_wilcoxon_matches_paired_effect():
    a = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    b = [x + 0.1 + 0.01 * i for i, x in enumerate(a)]
    d = np.subtract(b, a)
    assert wilcoxon_p(d) == paired_effect(a, b).p_value < 0.01
