"""Classic models reproduced through the model's own kernels (validation).

Each function runs a classic model of the literature with the very functions of
:mod:`ci_sim.kernels` that the simulation calls every step; no update rule is copied
here. If a kernel drifts away from the rule it implements, the reproductions in
``tests/test_validation.py`` fail.

* :func:`deffuant`: bounded-confidence opinion dynamics of Deffuant, Neau, Amblard &
  Weisbuch (2000), "Mixing beliefs among interacting agents", Advances in Complex
  Systems 3: 87-98, through :func:`ci_sim.kernels.sequential_confidence`; with
  :func:`count_clusters` and :func:`deffuant_convergence_time`.
* :func:`granovetter`: threshold model of Granovetter (1978), "Threshold models of
  collective behavior", American Journal of Sociology 83(6): 1420-1443, through
  :func:`ci_sim.kernels.mobilise`; with :func:`normal_thresholds`.
* :func:`march1991`: mutual learning of March (1991), "Exploration and exploitation in
  organizational learning", Organization Science 2(1): 71-87, through
  :func:`ci_sim.kernels.socialise`, :func:`ci_sim.kernels.learn_code` and
  :func:`ci_sim.kernels.knowledge`; with the seed average :func:`march1991_mean`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from statistics import NormalDist

import numpy as np

from ci_sim import kernels

__all__ = [
    "count_clusters",
    "deffuant",
    "deffuant_convergence_time",
    "granovetter",
    "march1991",
    "march1991_mean",
    "normal_thresholds",
]


# --- Deffuant et al. (2000): bounded confidence ---------------------------------------


def _matching(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return a random perfect matching of ``n`` agents as two index arrays."""
    order = rng.permutation(n)
    half = n // 2
    return order[:half], order[half : 2 * half]


def _settled_opinions(
    opinions: np.ndarray, confidence: float, tol: float, min_share: float
) -> bool:
    """Whether the major clusters of the Deffuant model have settled.

    Agents split into groups that can no longer interact: neighbouring sorted opinions
    at least ``confidence`` apart lie in different groups. The model has settled when
    every group holding at least ``min_share`` of the agents has a spread below ``tol``.
    Smaller groups (Deffuant et al.'s minor clusters of a few agents, which meet one
    another only rarely and converge slowly) are ignored.
    """
    x = np.sort(opinions)
    cuts = np.flatnonzero(np.diff(x) >= confidence) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [x.size])) - 1
    major = (ends - starts + 1) >= min_share * x.size
    return bool(np.all((x[ends] - x[starts])[major] < tol))


def deffuant(
    n_agents: int = 1000,
    confidence: float = 0.2,
    convergence: float = 0.5,
    steps: int = 2000,
    seed: int = 0,
) -> np.ndarray:
    """Run the bounded-confidence model of Deffuant et al. (2000) and return final opinions.

    Opinions start uniform on [0, 1] ("complete mixing": anyone may meet anyone). Each
    step draws a random perfect matching, so the ``n_agents // 2`` encounters of a step
    are disjoint, and :func:`ci_sim.kernels.sequential_confidence` (the kernel the
    model's meetings use) runs them as the classic model does:
    partners closer than ``confidence`` both move ``convergence`` of the way toward
    each other.

    Args:
        n_agents: number of agents N.
        confidence: confidence bound (threshold) d.
        convergence: convergence parameter mu in (0, 0.5].
        steps: number of matchings (each holds ``n_agents // 2`` encounters).
        seed: seed of the random generator (initial opinions and matchings).

    Returns:
        Array of shape ``(n_agents,)`` with the opinions after ``steps`` matchings.
    """
    rng = np.random.default_rng(seed)
    opinions = rng.random(n_agents)
    for _ in range(steps):
        i, j = _matching(n_agents, rng)
        opinions = kernels.sequential_confidence(opinions, i, j, confidence, convergence)
    return opinions


def deffuant_convergence_time(
    n_agents: int = 1000,
    confidence: float = 0.2,
    convergence: float = 0.5,
    tol: float = 1e-3,
    min_share: float = 0.05,
    max_steps: int = 20_000,
    seed: int = 0,
) -> int:
    """Return the number of matchings until the Deffuant model has settled.

    The run is the one of :func:`deffuant` with the same arguments. It has settled when
    the opinions of every major cluster (a group of agents that can still interact,
    holding at least ``min_share`` of all agents) lie within ``tol`` of each other.

    Args:
        n_agents: number of agents N.
        confidence: confidence bound d.
        convergence: convergence parameter mu.
        tol: spread below which agents count as holding the same opinion.
        min_share: smallest share of all agents in a cluster that must settle.
        max_steps: cap on the number of matchings.
        seed: seed of the random generator.

    Returns:
        The first step count at which the opinions are settled, or ``max_steps``.
    """
    rng = np.random.default_rng(seed)
    opinions = rng.random(n_agents)
    for step in range(1, max_steps + 1):
        i, j = _matching(n_agents, rng)
        opinions = kernels.sequential_confidence(opinions, i, j, confidence, convergence)
        if _settled_opinions(opinions, confidence, tol, min_share):
            return step
    return max_steps


def count_clusters(opinions: np.ndarray, min_share: float = 0.05, gap: float = 0.01) -> int:
    """Return the number of major opinion clusters.

    Definition: sort the opinions and cut wherever two neighbouring opinions lie more
    than ``gap`` apart; each piece is a cluster. A cluster is major when it holds at
    least ``min_share`` of the agents; the small clusters of a few agents that
    Deffuant et al. (2000) call minor clusters (often near the extremes) are not
    counted.

    Args:
        opinions: 1-D array of final opinions.
        min_share: smallest share of all agents that makes a cluster major.
        gap: largest distance between neighbouring opinions of one cluster; it should
            lie well below the confidence bound and above the spread within a cluster.

    Returns:
        The number of major clusters.
    """
    x = np.sort(np.asarray(opinions, dtype=float))
    if x.size == 0:
        return 0
    cuts = np.flatnonzero(np.diff(x) > gap) + 1
    sizes = np.diff(np.concatenate(([0], cuts, [x.size])))
    return int(np.count_nonzero(sizes >= min_share * x.size))


# --- Granovetter (1978): thresholds ----------------------------------------------------


def granovetter(thresholds: Sequence[int | float] | np.ndarray) -> int:
    """Return the equilibrium number of participants of Granovetter's threshold model.

    Each person's threshold is the number of others who must act before he or she
    does. Starting from nobody, :func:`ci_sim.kernels.mobilise` (hysteresis 0, the
    classic rule) is applied with exposure = number of OTHER participants until
    nobody changes. The sequence of participant sets only grows, so it reaches the
    smallest equilibrium in at most ``len(thresholds)`` rounds.

    Args:
        thresholds: one threshold per person (counts of others; may be fractional or
            negative, a threshold <= 0 acts alone).

    Returns:
        The number of participants at equilibrium.
    """
    threshold = np.asarray(thresholds, dtype=float)
    active = np.zeros(threshold.shape[0], dtype=bool)
    for _ in range(threshold.shape[0] + 1):
        exposure = active.sum() - active  # others who take part
        new = kernels.mobilise(exposure, threshold, active)
        if np.array_equal(new, active):
            break
        active = new
    return int(active.sum())


def normal_thresholds(sd: float, n: int = 100, mean: float = 25.0) -> np.ndarray:
    """Return ``n`` deterministic thresholds that follow a normal distribution.

    The k-th threshold is the quantile ``(k + 0.5) / n`` of Normal(``mean``, ``sd``):
    the population that represents the distribution best, with no sampling noise.
    Granovetter's (1978) Figure 2 uses ``n = 100`` and ``mean = 25``.

    Args:
        sd: standard deviation (in persons, like the thresholds).
        n: population size.
        mean: mean threshold.

    Returns:
        Sorted array of shape ``(n,)``.
    """
    dist = NormalDist(mean, sd)
    return np.array([dist.inv_cdf((k + 0.5) / n) for k in range(n)])


# --- March (1991): mutual learning ---------------------------------------------------


def _settled(code: np.ndarray, beliefs: np.ndarray, reality: np.ndarray) -> bool:
    """Whether neither socialisation nor code learning can change anything any more.

    Socialisation is spent when every member holds the code's view wherever the code
    has one; code learning is spent when no member knows more than the code. (March's
    equilibrium, where all members share the code's beliefs, is a special case.)
    """
    held = code != 0
    socialised = bool(np.all(beliefs[:, held] == code[held]))
    superior = kernels.knowledge(beliefs, reality) > kernels.knowledge(code, reality)
    return socialised and not superior.any()


def march1991(
    m: int = 30,
    n: int = 50,
    p1: float = 0.1,
    p2: float = 0.5,
    periods: int = 5000,
    seed: int = 0,
) -> float:
    """Run March's (1991) mutual-learning model and return the code's equilibrium knowledge.

    Reality is drawn from {-1, 1}^m, the organisational code starts neutral (all 0)
    and each member's beliefs are drawn from {-1, 0, 1} with equal probability. Each
    period the members are socialised into the code (:func:`ci_sim.kernels.socialise`,
    rate ``p1``) and, "at the same time" (March 1991, p. 74), the code learns from the
    members who know more than it does (:func:`ci_sim.kernels.learn_code`, rate
    ``p2``). Both updates read the state at the start of the period, as March's
    original program does and as the simulation model does
    (``ci_sim.dynamics.learn_together``).

    The run stops at equilibrium, when no update can change anything (see
    :func:`_settled`), or after ``periods`` periods.

    Args:
        m: number of dimensions of reality.
        n: number of members.
        p1: socialisation rate (members learning from the code).
        p2: code-learning rate (the code learning from its superior members).
        periods: cap on the number of periods.
        seed: seed of the random generator.

    Returns:
        The code's knowledge, the share of the ``m`` dimensions it gets right.
    """
    rng = np.random.default_rng(seed)
    reality = rng.choice(np.array([-1, 1]), size=m)
    code = np.zeros(m, dtype=int)
    beliefs = rng.integers(-1, 2, size=(n, m))
    for _ in range(periods):
        if _settled(code, beliefs, reality):
            break
        socialised = kernels.socialise(beliefs, code, p1, rng)
        code = kernels.learn_code(code, beliefs, reality, p2, rng)
        beliefs = socialised
    return float(kernels.knowledge(code, reality))


def march1991_mean(
    p1: float,
    p2: float,
    seeds: Iterable[int] = range(80),
    m: int = 30,
    n: int = 50,
    periods: int = 5000,
) -> float:
    """Return the equilibrium knowledge of :func:`march1991` averaged over ``seeds``.

    March (1991, Figure 1) averages 80 runs per point.

    Args:
        p1: socialisation rate.
        p2: code-learning rate.
        seeds: seeds of the runs to average.
        m: number of dimensions of reality.
        n: number of members.
        periods: cap on the number of periods of each run.

    Returns:
        The mean equilibrium knowledge of the code.
    """
    runs = [march1991(m, n, p1, p2, periods, seed) for seed in seeds]
    return float(np.mean(runs))
