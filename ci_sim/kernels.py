"""Vectorised kernels of the model's mechanisms, as pure functions on numpy arrays.

The model calls these functions every step; the classic models they generalise can be
run through the very same functions:

* :func:`confidence_pull` and :func:`sequential_confidence`: Deffuant, Neau, Amblard &
  Weisbuch (2000) bounded-confidence opinion dynamics (mindsets, C2.20).
* :func:`mobilise`: Granovetter (1978) threshold mobilisation (shared will, C2.1, C2.8).
* :func:`socialise` and :func:`learn_code`: March (1991) mutual learning between
  members and an organisational code (the shared problem analysis, C2.3, C3.12).
* :func:`gain_trust`, :func:`decay`, :func:`relax_practice`: trust and routines
  (C2.21, C2.23, C2.15, C4.3); functional forms are modelling assumptions.

Every random kernel takes a ``numpy.random.Generator``; none touches global state.
Loops that must run in order (:func:`sequential_confidence`) are compiled with numba;
their random draws are made in numpy by the caller.
"""

from __future__ import annotations

import functools

import numba
import numpy as np


def per_step(rate_per_year: float | np.ndarray, steps_per_year: int) -> float | np.ndarray:
    """Convert yearly probabilities (clipped to [0, 1]) into per-step probabilities.

    A Python float is looked up in a small cache of earlier results (the model asks for
    the same few rates every step); the value is the one numpy computes.
    """
    if type(rate_per_year) is float and type(steps_per_year) is int:
        return _scalar_per_step(rate_per_year, steps_per_year)
    rate = np.clip(rate_per_year, 0.0, 1.0)
    return 1.0 - (1.0 - rate) ** (1.0 / steps_per_year)


@functools.lru_cache(maxsize=256)
def _scalar_per_step(rate_per_year: float, steps_per_year: int) -> np.float64:
    rate = np.clip(rate_per_year, 0.0, 1.0)
    return 1.0 - (1.0 - rate) ** (1.0 / steps_per_year)


def mean(values: np.ndarray) -> float:
    """Return the mean of a non-empty 1-D array (float or bool) as a float.

    Bit for bit ``float(values.mean())`` (the same pairwise sum divided by the count),
    without the overhead of ``ndarray.mean`` on the small arrays the model averages
    every step.
    """
    return float(np.add.reduce(values, dtype=np.float64)) / values.shape[0]


# --- Deffuant et al. (2000): bounded confidence ---------------------------------------


def confidence_pull(
    own: np.ndarray, other: np.ndarray, confidence: np.ndarray | float, convergence: float
) -> np.ndarray:
    """Return the opinion change of agents holding ``own`` who meet holders of ``other``.

    An agent moves ``convergence`` of the way toward the other opinion only when the two
    differ by less than ``confidence`` (Deffuant et al. 2000, eq. 1).
    """
    diff = other - own
    return np.where(np.abs(diff) < confidence, convergence * diff, 0.0)


def sequential_confidence(
    opinions: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    confidence: np.ndarray | float,
    convergence: float,
    susceptibility: np.ndarray | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Return new opinions after the pairs ``(i[k], j[k])`` meet one after another.

    The classic sequential model (Deffuant et al. 2000): in the order ``order`` (a
    permutation of the pairs; default as listed), partners whose current opinions differ
    by less than their pair's ``confidence`` both move ``convergence`` of the way
    toward each other. An agent in several pairs meets them in turn, each meeting seeing
    the opinions the earlier ones left, so how meetings fall into model steps does not
    change how far opinions move. ``susceptibility`` (one per agent, in [0, 1]; default
    1) scales how far each agent moves: committed agents hold their view (Deffuant et
    al. 2002's less uncertain agents, in a simpler form).

    Raises:
        ValueError: when ``order`` holds an index outside the pairs.
    """
    x = np.array(opinions, dtype=np.float64)
    m = int(np.shape(i)[0])
    conf = np.ascontiguousarray(np.broadcast_to(np.asarray(confidence, dtype=np.float64), (m,)))
    s = (
        np.ones(x.shape[0])
        if susceptibility is None
        else np.ascontiguousarray(susceptibility, dtype=np.float64)
    )
    order = np.arange(m) if order is None else np.asarray(order, dtype=np.int64)
    if order.size and (order.min() < 0 or order.max() >= m):
        raise ValueError(f"order: indices must lie in [0, {m - 1}]")
    ia, ja = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    return _meet_in_order(x, ia, ja, conf, float(convergence), s, order)


@numba.njit(cache=True)
def _meet_in_order(x, i, j, confidence, convergence, susceptibility, order):  # noqa: D103
    for k in order:
        a, b = i[k], j[k]
        d = x[b] - x[a]
        if abs(d) < confidence[k]:
            x[a] += convergence * susceptibility[a] * d
            x[b] -= convergence * susceptibility[b] * d
    return x


# --- Granovetter (1978): thresholds ----------------------------------------------------


def mobilise(
    exposure: np.ndarray, threshold: np.ndarray, active: np.ndarray, hysteresis: float = 0.0
) -> np.ndarray:
    """Return who is active after one threshold update.

    A person becomes active when ``exposure >= threshold`` (Granovetter 1978); an active
    person stays active until exposure falls below ``threshold - hysteresis`` (setbacks
    do not undo will at once, C2.1; hysteresis 0 is the classic model).
    """
    return (exposure >= threshold) | (active & (exposure >= threshold - hysteresis))


# --- March (1991): mutual learning ---------------------------------------------------


def knowledge(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Return the share of dimensions on which each row of ``beliefs`` matches reality.

    Args:
        beliefs: (n, m) beliefs, or (m,) for one row (then a scalar is returned).
        reality: (m,) the true values.

    Raises:
        ValueError: when the rows and ``reality`` differ in length.
    """
    b, r = np.asarray(beliefs), np.ascontiguousarray(reality)
    rows = np.ascontiguousarray(b.reshape(1, -1) if b.ndim == 1 else b)
    if rows.ndim != 2 or r.shape != (rows.shape[1],):
        raise ValueError(f"beliefs {b.shape} and reality {r.shape} do not match")
    share = _matches(rows, r) / rows.shape[1]  # whole counts: the exact shares
    return share[0] if b.ndim == 1 else share


@numba.njit(cache=True)
def _matches(beliefs, reality):  # noqa: D103
    n, m = beliefs.shape
    count = np.zeros(n)
    for i in range(n):
        k = 0
        for j in range(m):
            k += beliefs[i, j] == reality[j]
        count[i] = k
    return count


def socialise(
    beliefs: np.ndarray,
    code: np.ndarray,
    rate: np.ndarray | float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return beliefs after members adopt the code (March 1991, socialisation ``p1``).

    On every dimension where the code holds a view (non-zero) that differs from a
    member's belief, the member adopts it with probability ``rate`` (scalar or one per
    member).
    """
    rate = np.broadcast_to(np.asarray(rate, dtype=float).reshape(-1, 1), (beliefs.shape[0], 1))
    u = rng.random(beliefs.shape)
    out = np.empty(beliefs.shape, dtype=np.result_type(code, beliefs))
    _adopt(np.ascontiguousarray(beliefs), np.ascontiguousarray(code), u, rate[:, 0].copy(), out)
    return out


@numba.njit(cache=True)
def _adopt(beliefs, code, u, rate, out):  # noqa: D103
    n, m = beliefs.shape
    for i in range(n):
        for j in range(m):
            c, b = code[j], beliefs[i, j]
            out[i, j] = c if (c != 0 and b != c and u[i, j] < rate[i]) else b


def learn_code(
    code: np.ndarray,
    beliefs: np.ndarray,
    reality: np.ndarray,
    rate: float,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Return the code after it learns from its superior members (March 1991, ``p2``).

    The superior group holds the members whose knowledge exceeds the code's. On each
    dimension the code adopts the belief that dominates in that group with probability
    ``1 - (1 - rate) ** k``, ``k`` being the (weighted) majority margin.

    Args:
        code: (m,) values in {-1, 0, 1}.
        beliefs: (n, m) values in {-1, 0, 1}.
        reality: (m,) values in {-1, 1}.
        rate: code-learning probability ``p2``.
        rng: random generator.
        weights: optional (n,) voice of each member (1 in the classic model); zero
            excludes a member.
    """
    code_k = knowledge(code, reality)
    superior = knowledge(beliefs, reality) > code_k
    w = np.ones(beliefs.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    w = np.where(superior, w, 0.0)
    if not w.any():
        return code
    margin = weighted_margin(w, beliefs)  # (#+1) - (#-1), weighted
    dominant = np.sign(margin)
    k = np.abs(margin)
    change = (dominant != 0) & (dominant != code) & (rng.random(code.shape) < 1 - (1 - rate) ** k)
    return np.where(change, dominant, code).astype(code.dtype)


def weighted_margin(weights: np.ndarray, beliefs: np.ndarray) -> np.ndarray:
    """Return, per dimension, the weighted sum of members' beliefs: ``weights @ beliefs``.

    Summed member after member in a compiled loop (numba) rather than by a BLAS matrix
    product, so that no BLAS helper thread spins and the result does not depend on the
    number of BLAS threads. Members with zero weight are skipped (adding zero changes no
    sum).

    Args:
        weights: (n,) weight of each member.
        beliefs: (n, m) beliefs, values in {-1, 0, 1}.
    """
    w = np.ascontiguousarray(weights, dtype=np.float64)
    b = np.ascontiguousarray(beliefs)
    if b.ndim != 2 or w.shape != (b.shape[0],):
        raise ValueError(f"weights {w.shape} and beliefs {b.shape} do not match")
    return _weighted_margin(w, b)


@numba.njit(cache=True)
def _weighted_margin(w, beliefs):  # noqa: D103
    n, m = beliefs.shape
    margin = np.zeros(m)
    for i in range(n):
        wi = w[i]
        if wi == 0.0:
            continue
        for j in range(m):
            margin[j] += wi * beliefs[i, j]
    return margin


def belief_counts(
    beliefs: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per group and dimension, how many members hold +1 and -1, and group sizes.

    One compiled pass over the members (numba).

    Args:
        beliefs: (n, m) beliefs, values in {-1, 0, 1}.
        group: (n,) each member's group, in ``[0, n_groups)``.
        n_groups: number of groups.

    Returns:
        ``(plus, minus, size)``: (n_groups, m) counts of +1 and of -1 beliefs and the
        (n_groups,) number of members of each group, all integers.

    Raises:
        ValueError: when the shapes disagree or a group lies outside ``[0, n_groups)``.
    """
    b = np.ascontiguousarray(beliefs)
    g = np.ascontiguousarray(group, dtype=np.int64)
    if b.ndim != 2 or g.shape != (b.shape[0],):
        raise ValueError(f"beliefs {b.shape} and group {g.shape} do not match")
    if g.size and (g.min() < 0 or g.max() >= n_groups):
        raise ValueError(f"group: values must lie in [0, {n_groups - 1}]")
    return _belief_counts(b, g, int(n_groups))


@numba.njit(cache=True)
def _belief_counts(beliefs, group, n_groups):  # noqa: D103
    n, m = beliefs.shape
    plus = np.zeros((n_groups, m), dtype=np.int64)
    minus = np.zeros((n_groups, m), dtype=np.int64)
    size = np.zeros(n_groups, dtype=np.int64)
    for i in range(n):
        g = group[i]
        size[g] += 1
        for j in range(m):
            plus[g, j] += beliefs[i, j] > 0
            minus[g, j] += beliefs[i, j] < 0
    return plus, minus, size


# --- Trust and routines (assumed functional forms) ------------------------------------


def gain_trust(
    trust: np.ndarray, quality: np.ndarray | float, gain: float, meetings: np.ndarray | int = 1
) -> np.ndarray:
    """Return trust after ``meetings`` meetings: each a saturating step ``gain * quality``.

    ``k`` meetings leave ``(1 - gain * quality) ** k`` of the distance to full trust.
    """
    step = np.clip(gain * np.asarray(quality, dtype=float), 0.0, 1.0)
    if np.all(np.asarray(meetings) == 1):
        return trust + step * (1.0 - trust)
    won = -np.expm1(np.asarray(meetings) * np.log1p(-np.minimum(step, 1.0 - 1e-15)))
    return trust + won * (1.0 - trust)


def direct_meeting_rates(
    a: np.ndarray,
    b: np.ndarray,
    cross: np.ndarray,
    trust: np.ndarray,
    org_a: np.ndarray,
    org_b: np.ndarray,
    lead: np.ndarray,
    dependence: np.ndarray | None,
    engaged: np.ndarray,
    per_year: float,
    crowding: float,
    dt: float,
) -> np.ndarray:
    """Return the expected number of direct meetings of each tie in one step.

    A cross tie meets at ``per_year * (0.3 + trust + 0.5 * convened)`` a year,
    ``convened`` being the larger leadership of its two organisations, times ``1 -
    crowding * 0.5 * (dep_a + dep_b)`` when ``dependence`` is given; colleagues meet 12
    times a year. The rate is scaled by ``dt`` and by whether both ends are engaged.
    One compiled pass over the ties (numba), each operation in the order of the numpy
    expression it replaces (so the same floats).

    Args:
        a: (t,) one end of each tie (a person).
        b: (t,) the other end.
        cross: (t,) whether the tie crosses organisations.
        trust: (t,) trust on the tie.
        org_a: (t,) organisation of ``a``.
        org_b: (t,) organisation of ``b``.
        lead: (orgs,) local leadership per organisation.
        dependence: (people,) each person's dependence on the backbone, or None (no
            crowding out).
        engaged: (people,) 1.0 for people whose organisation takes part, else 0.0.
        per_year: direct meetings per year of a cross tie at unit rate.
        crowding: how far dependence on the backbone crowds out direct meetings.
        dt: step length in years.
    """
    f64 = np.float64
    dep = np.zeros(0) if dependence is None else np.ascontiguousarray(dependence, dtype=f64)
    return _direct_meeting_rates(
        np.ascontiguousarray(a, dtype=np.int64),
        np.ascontiguousarray(b, dtype=np.int64),
        np.ascontiguousarray(cross, dtype=np.bool_),
        np.ascontiguousarray(trust, dtype=f64),
        np.ascontiguousarray(org_a, dtype=np.int64),
        np.ascontiguousarray(org_b, dtype=np.int64),
        np.ascontiguousarray(lead, dtype=f64),
        dep,
        dependence is not None,
        np.ascontiguousarray(engaged, dtype=f64),
        float(per_year),
        float(crowding) * 0.5,
        float(dt),
    )


@numba.njit(cache=True)
def _direct_meeting_rates(  # noqa: D103
    a, b, cross, trust, org_a, org_b, lead, dep, crowding_out, engaged, per_year, half, dt
):
    out = np.empty(a.shape[0])
    for t in range(a.shape[0]):
        la, lb = lead[org_a[t]], lead[org_b[t]]
        convened = la if la >= lb or la != la else lb  # np.maximum (NaN wins)
        rate = per_year * (0.3 + trust[t] + 0.5 * convened)
        if crowding_out:
            rate = rate * (1.0 - half * (dep[a[t]] + dep[b[t]]))
        if not cross[t]:
            rate = 12.0
        out[t] = rate * dt * engaged[a[t]] * engaged[b[t]]
    return out


def cumulative_meeting_weights(
    weight: np.ndarray,
    taking_part: np.ndarray,
    org: np.ndarray,
    quality: np.ndarray,
    host: np.ndarray,
    power: np.ndarray,
    lean: float,
) -> np.ndarray:
    """Return the running sum of the backbone's weights for meeting each person.

    Person ``i`` weighs ``weight * engaged * quality * (1 + 2 * host) * (1 + lean *
    power)``, ``engaged`` being whether their organisation takes part and ``power`` their
    organisation's power relative to the largest. One compiled pass (numba), each
    product in the order of the numpy expression it replaces and the running sum as
    ``np.cumsum``'s (so the same floats).

    Args:
        weight: (n,) task-specific weight of each person.
        taking_part: (orgs,) whether each organisation takes part.
        org: (n,) each person's organisation.
        quality: (n,) quality of a backbone meeting with each person.
        host: (n,) 1.0 for people of the host organisations, else 0.0.
        power: (orgs,) power relative to the most powerful organisation.
        lean: ``2 * (1 - independence)``, how much more a powerful person is met.
    """
    f64 = np.float64
    return _cumulative_meeting_weights(
        np.ascontiguousarray(weight, dtype=f64),
        np.ascontiguousarray(taking_part, dtype=np.bool_),
        np.ascontiguousarray(org, dtype=np.int64),
        np.ascontiguousarray(quality, dtype=f64),
        np.ascontiguousarray(host, dtype=f64),
        np.ascontiguousarray(power, dtype=f64),
        float(lean),
    )


@numba.njit(cache=True)
def _cumulative_meeting_weights(weight, taking_part, org, quality, host, power, lean):  # noqa: D103
    cum = np.empty(weight.shape[0])
    total = 0.0
    for i in range(weight.shape[0]):
        engaged = 1.0 if taking_part[org[i]] else 0.0
        w = weight[i] * engaged * quality[i] * (1.0 + 2.0 * host[i])
        w = w * (1.0 + lean * power[org[i]])
        total = w if i == 0 else total + w
        cum[i] = total
    return cum


def decay(value: np.ndarray, rate: np.ndarray | float) -> np.ndarray:
    """Return ``value`` shrunk by the share ``rate`` (trust without contact, C2.23)."""
    return value * (1.0 - rate)


def meeting_quality(distance: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """Return how much a meeting between logics ``distance`` apart builds trust (C5.2).

    ``exp(-distance / scale)``: a wider ``scale`` (facilitation, shared understanding)
    lets people of distant logics connect more easily.
    """
    return np.exp(-distance / scale)


def relax_practice(
    practice: np.ndarray,
    habit: np.ndarray,
    routine: np.ndarray,
    disturbance: np.ndarray,
    pull: float,
) -> np.ndarray:
    """Return practice after the pull of routines (C1.1, C2.15, C4.3).

    Practice relaxes toward the anchored ``habit`` at the rate ``pull * routine``; the
    disturbance in [0, 1] weakens the pull. When disturbance stops, practice relapses
    to the habit: only what has become routine stays.
    """
    rate = np.clip(pull * routine * (1.0 - disturbance), 0.0, 1.0)
    return practice - rate * (practice - habit)
