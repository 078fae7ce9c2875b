"""Validation: the classic models behind the kernels, reproduced through the kernels.

Every run goes through ``ci_sim.kernels`` (see ``ci_sim/validation.py``), so these tests
fail when a kernel departs from the rule it implements. All runs use fixed seeds and
are deterministic; tolerances are stated in each test.
"""

from __future__ import annotations

import numpy as np
import pytest

from ci_sim.validation import (
    count_clusters,
    deffuant,
    deffuant_convergence_time,
    granovetter,
    march1991,
    march1991_mean,
    normal_thresholds,
)

SEEDS = range(5)

# --- Deffuant, Neau, Amblard & Weisbuch (2000) ---------------------------------------

CONFIDENCE_BOUNDS = (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)


@pytest.fixture(scope="module")
def deffuant_clusters() -> dict[float, list[int]]:
    """Major clusters (at least 5 % of the agents) for N = 1000, mu = 0.5, seeds 0-4."""
    return {
        d: [count_clusters(deffuant(1000, d, 0.5, steps=2000, seed=s)) for s in SEEDS]
        for d in CONFIDENCE_BOUNDS
    }


def test_deffuant_one_matching_is_the_sequential_model() -> None:
    """One step equals n/2 encounters of the classic model, applied one at a time.

    Deffuant et al. (2000), eq. (1): if |x - x'| < d, x += mu (x' - x) and
    x' += mu (x - x'). The matching is the permutation's first half against its second.
    """
    n, d, mu = 200, 0.3, 0.4
    rng = np.random.default_rng(7)
    x = rng.random(n)
    order = rng.permutation(n)
    for a, b in zip(order[: n // 2], order[n // 2 :], strict=True):
        if abs(x[a] - x[b]) < d:
            x[a], x[b] = x[a] + mu * (x[b] - x[a]), x[b] + mu * (x[a] - x[b])
    np.testing.assert_allclose(deffuant(n, d, mu, steps=1, seed=7), x, rtol=0, atol=1e-12)


def test_deffuant_conserves_the_mean_opinion() -> None:
    """The symmetric update moves both partners by opposite amounts: the mean is kept."""
    rng = np.random.default_rng(0)
    start = rng.random(1000)
    end = deffuant(1000, 0.3, 0.3, steps=200, seed=0)
    assert end.mean() == pytest.approx(start.mean(), abs=1e-12)
    assert end.min() >= start.min() and end.max() <= start.max()


@pytest.mark.parametrize("d", CONFIDENCE_BOUNDS)
def test_deffuant_cluster_count_follows_one_over_2d(
    d: float, deffuant_clusters: dict[float, list[int]]
) -> None:
    """Number of major clusters against the confidence bound d.

    Deffuant et al. (2000), Adv. Complex Syst. 3: 87-98, Sect. 2 (complete mixing,
    continuous opinions uniform on [0, 1], N = 1000, mu = 0.5): thresholds d above
    about 0.3 give consensus; below, the number of clusters is about the integer part
    of 1/(2d) (their cluster-count plot against d; the 1/(2d) rule is also how
    later reviews quote them). d = 0.5, 0.4, 0.3 -> 1; 0.25, 0.2 -> 2; 0.15 -> 3;
    0.1 -> 5 by the rule, while runs give 4 to 5.

    Tolerance: every seed lies in [floor(1/(2d)) - 1, floor(1/(2d))] (the rule is an
    approximation that overshoots at small d), and the median over seeds 0-4 equals
    floor(1/(2d)) for d >= 0.15. Measured (seeds 0-4): 1,1,1,2,2 and 3,3,3,2,3 at
    d = 0.15 and 4,4,4,4,4 at d = 0.1.
    """
    counts = deffuant_clusters[d]
    rule = int(1 / (2 * d))
    assert all(rule - 1 <= c <= rule for c in counts), counts
    if d >= 0.15:
        assert np.median(counts) == rule, counts


def test_deffuant_fewer_clusters_with_wider_confidence(
    deffuant_clusters: dict[float, list[int]],
) -> None:
    medians = [np.median(deffuant_clusters[d]) for d in CONFIDENCE_BOUNDS]  # d falls
    assert medians == sorted(medians)
    assert medians[0] == 1 and medians[-1] >= 4


@pytest.mark.parametrize("d", [0.3, 0.2, 0.1])
def test_deffuant_convergence_changes_time_not_clusters(d: float) -> None:
    """mu sets how fast opinions converge, not how many clusters form.

    Deffuant et al. (2000), Sect. 2: the convergence parameter mu (and N) mainly
    change the convergence time, the number of clusters is set by d. Measured
    (median over seeds 0-4 of matchings until every major cluster lies within 1e-3):
    d = 0.3: 40 / 48 / 121, d = 0.2: 79 / 96 / 231, d = 0.1: 174 / 198 / 509 for
    mu = 0.5 / 0.3 / 0.1; cluster counts equal for all mu.

    Tolerance: median cluster counts equal across mu; median time strictly grows as
    mu falls and is at least twice as long at mu = 0.1 as at mu = 0.5.
    """
    mus = (0.5, 0.3, 0.1)
    clusters = [
        np.median([count_clusters(deffuant(1000, d, mu, steps=2000, seed=s)) for s in SEEDS])
        for mu in mus
    ]
    times = [
        np.median([deffuant_convergence_time(1000, d, mu, seed=s) for s in SEEDS]) for mu in mus
    ]
    assert clusters == [clusters[0]] * len(mus), clusters
    assert times[0] < times[1] < times[2], times
    assert times[2] >= 2 * times[0], times
    assert times[2] < 20_000  # all runs settled before the cap


def test_count_clusters_definition() -> None:
    x = np.array([0.1] * 50 + [0.1004] * 10 + [0.5] * 38 + [0.9] * 2)
    assert count_clusters(x, min_share=0.05) == 2  # 0.9 holds only 2 % of the agents
    assert count_clusters(x, min_share=0.01) == 3
    assert count_clusters(x, min_share=0.05, gap=1e-4) == 3  # 0.1 and 0.1004 split
    assert count_clusters(np.array([])) == 0


# --- Granovetter (1978) --------------------------------------------------------------


def test_granovetter_uniform_crowd_riots_entirely() -> None:
    """Granovetter (1978), AJS 83: 1420-1443, pp. 1424-1425: 100 people with thresholds
    0, 1, ..., 99: the instigator triggers the person with threshold 1, and so on
    ("domino effect") until all 100 riot."""
    assert granovetter(range(100)) == 100


def test_granovetter_one_person_changed_stops_the_riot() -> None:
    """Granovetter (1978), pp. 1424-1425: replace the person with threshold 1 by one with
    threshold 2 and only the instigator acts: 1 rioter, though the two crowds are
    nearly identical."""
    thresholds = [0, 2, *range(2, 100)]
    assert granovetter(thresholds) == 1


def test_granovetter_small_cases() -> None:
    assert granovetter([]) == 0
    assert granovetter([1, 1, 1]) == 0  # nobody goes first
    assert granovetter([0, 0, 2, 5]) == 3  # two instigators bring the third along
    assert granovetter([0.5, 0]) == 2  # fractional thresholds: one other is enough


def _critical_sd(n: int) -> float:
    """Smallest sd (in % of the population) at which more than half riot (bisection)."""
    lo, hi = 10.0, 15.0
    for _ in range(30):
        mid = (lo + hi) / 2
        if granovetter(normal_thresholds(mid * n / 100, n, 0.25 * n)) > n / 2:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def test_granovetter_normal_thresholds_jump_near_sd_12_2() -> None:
    """Granovetter (1978), Figure 2 (p. 1428) and text: 100 people, normally
    distributed thresholds with mean 25; as the standard deviation rises the
    equilibrium number of rioters stays small, then jumps to nearly everyone at a
    critical sd of about 12.2 (replications quote sigma_c ~ 0.12 of the crowd and a
    jump from ~6 % to nearly 100 %). His cumulative-distribution map
    r -> 100 * F(r) jumps at sd = 12.22 (computed here), ~6 rioters just below.

    Thresholds here are the (k + 0.5)/n quantiles of the normal distribution
    (deterministic). Measured with 100 people: 4 rioters at sd 12.2, 5 at 12.5, 100
    from 12.6 (critical 12.55; the finite crowd shifts it); the critical sd tends to
    12.25 for 1 000 and 12.225 for 10 000 people, Granovetter's continuum value.

    Tolerance: with 100 people, at most 6 rioters for sd <= 12.2 and at least 95 for
    12.6 <= sd <= 30; the critical sd for 10 000 people within 0.05 of 12.22.
    """
    for sd in (1.0, 5.0, 10.0, 11.0, 12.0, 12.2):
        assert granovetter(normal_thresholds(sd)) <= 6, sd
    for sd in (12.6, 13.0, 15.0, 20.0, 30.0):
        assert granovetter(normal_thresholds(sd)) >= 95, sd
    assert 12.2 < _critical_sd(100) < 12.6
    assert _critical_sd(10_000) == pytest.approx(12.22, abs=0.05)


def test_normal_thresholds_are_quantiles() -> None:
    x = normal_thresholds(10.0, n=100, mean=25.0)
    assert x.shape == (100,) and np.all(np.diff(x) > 0)
    assert x.mean() == pytest.approx(25.0, abs=1e-9)
    assert np.median(x) == pytest.approx(25.0, abs=0.2)


# --- March (1991) --------------------------------------------------------------------

P_VALUES = (0.1, 0.5, 0.9)


@pytest.fixture(scope="module")
def march_grid() -> dict[tuple[float, float], float]:
    """Average equilibrium knowledge over 80 runs (seeds 0-79), m = 30, n = 50."""
    return {(p1, p2): march1991_mean(p1, p2, seeds=range(80)) for p1 in P_VALUES for p2 in P_VALUES}


def test_march_run_is_deterministic_and_in_range() -> None:
    a = march1991(p1=0.3, p2=0.7, seed=3)
    assert a == march1991(p1=0.3, p2=0.7, seed=3)
    assert 0.0 <= a <= 1.0
    # a code that never learns knows nothing
    assert march1991(p1=0.5, p2=0.0, periods=50, seed=1) == 0.0


def test_march_figure1_knowledge_falls_with_socialisation(
    march_grid: dict[tuple[float, float], float],
) -> None:
    """March (1991), Organization Science 2(1): 71-87, Figure 1 ("Effect of learning
    rates (p1, p2) on equilibrium knowledge", m = 30, n = 50, 80 runs per point) and
    p. 75: slower socialisation (lower p1) leads to greater knowledge at equilibrium.

    Measured (seeds 0-79), p1 = 0.1 / 0.5 / 0.9: p2 = 0.5: 0.842 / 0.731 / 0.682;
    p2 = 0.9: 0.860 / 0.764 / 0.682; p2 = 0.1: 0.744 / 0.680 / 0.665 (March's own
    p2 = 0.1 curve is nearly flat; see the level test).

    Tolerance: each step from p1 = 0.1 to 0.5 to 0.9 loses at least 0.02 for p2 = 0.5
    and 0.9 (0.02 is about two standard errors of an 80-run mean); never gains for
    p2 = 0.1.
    """
    for p2 in (0.5, 0.9):
        k = [march_grid[p1, p2] for p1 in P_VALUES]
        assert k[0] - k[1] >= 0.02 and k[1] - k[2] >= 0.02, (p2, k)
    k = [march_grid[p1, 0.1] for p1 in P_VALUES]
    assert k[0] >= k[1] >= k[2] - 0.02, k


def test_march_figure1_best_is_slow_socialisation_with_fast_code_learning(
    march_grid: dict[tuple[float, float], float],
) -> None:
    """March (1991), Figure 1 and p. 75: the highest equilibrium knowledge comes from
    slow socialisation (p1 = 0.1) with fast code learning (p2 = 0.9); at slow
    socialisation faster code learning helps.

    Tolerance 0.02 (two standard errors of an 80-run mean) for ties; measured at
    p1 = 0.1: 0.744 / 0.842 / 0.860 for p2 = 0.1 / 0.5 / 0.9.
    """
    best = max(march_grid.values())
    assert march_grid[0.1, 0.9] >= best - 0.02
    assert march_grid[0.1, 0.9] > march_grid[0.1, 0.5] - 0.02
    assert march_grid[0.1, 0.5] >= march_grid[0.1, 0.1] + 0.05
    assert all(march_grid[0.1, p2] > march_grid[0.9, p2] for p2 in P_VALUES)


# March's Figure 1 (m = 30, n = 50), as his original program reproduces it
# (Workiewicz's recreation following Christensen's note, 10 000 runs per point). Note:
# that recreation reports sum(code * reality) / m (dimensions right minus wrong, over m),
# not the share right that kernels.knowledge gives; which of the two March's figure
# plots could not be checked against the figure itself.
MARCH_FIGURE1 = {
    (0.1, 0.1): 0.86,
    (0.1, 0.5): 0.95,
    (0.1, 0.9): 0.97,
    (0.9, 0.1): 0.81,
    (0.9, 0.5): 0.74,
    (0.9, 0.9): 0.73,
}


def test_march_figure1_levels(march_grid: dict[tuple[float, float], float]) -> None:
    """Levels against March's (1991) Figure 1: about 0.97 / 0.95 / 0.86 at p1 = 0.1 and
    0.73 / 0.74 / 0.81 at p1 = 0.9 for p2 = 0.9 / 0.5 / 0.1 (values of his original
    program as recreated by Workiewicz 2019 from Rodan 2005 and Christensen 2015).

    The kernels follow March's text (superior members know more dimensions of reality
    than the code; socialisation adopts the code's view), while his program judged
    superiority by the performance of actions (a guess where a belief is 0) and moved
    beliefs one step at a time. That lowers the levels here by 0.05 to 0.15 (measured
    0.860 / 0.842 / 0.744 and 0.682 / 0.682 / 0.665). Tolerance: 0.16 everywhere,
    0.07 at fast socialisation with p2 >= 0.5.
    """
    for (p1, p2), published in MARCH_FIGURE1.items():
        assert march_grid[p1, p2] == pytest.approx(published, abs=0.16), (p1, p2)
    for p2 in (0.5, 0.9):
        assert march_grid[0.9, p2] == pytest.approx(MARCH_FIGURE1[0.9, p2], abs=0.07)


@pytest.mark.xfail(
    strict=True,
    reason="kernels follow March's text, not his program: levels at slow socialisation "
    "are about 0.1 below his Figure 1",
)
def test_march_figure1_level_at_slow_socialisation_fast_learning(
    march_grid: dict[tuple[float, float], float],
) -> None:
    assert march_grid[0.1, 0.9] == pytest.approx(MARCH_FIGURE1[0.1, 0.9], abs=0.05)
