"""Unit tests of the pure kernels against the classic models they implement."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ci_sim import kernels
from tests.property import FAST_SETTINGS

unit = st.floats(0.0, 1.0, allow_nan=False)


def unit_arrays(n: int | st.SearchStrategy[int]) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, n, elements=unit)


# --- per_step --------------------------------------------------------------------------


@FAST_SETTINGS
@given(rate=unit, steps=st.integers(1, 365))
def test_per_step_compounds_back_to_the_yearly_rate(rate: float, steps: int) -> None:
    p = kernels.per_step(rate, steps)
    assert 0.0 <= p <= rate + 1e-15
    assert pytest.approx(rate, abs=1e-12) == 1.0 - (1.0 - p) ** steps


@pytest.mark.parametrize("seed", range(4))
def test_mean_is_ndarray_mean_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n in (1, 2, 7, 8, 9, 120, 129, 1000, 10007):
        x = rng.random(n) * 10.0 ** rng.integers(-6, 6)
        assert kernels.mean(x) == float(x.mean())
        assert kernels.mean(x < 0.3 * x.max()) == float((x < 0.3 * x.max()).mean())
        assert type(kernels.mean(x)) is float


def test_cached_per_step_equals_numpy() -> None:
    for rate in (0.0, 0.05, 0.3, 0.75, 1.0, 5.0, -1.0, 0.123456789):
        for steps in (1, 2, 12, 52):
            want = 1.0 - (1.0 - np.clip(rate, 0.0, 1.0)) ** (1.0 / steps)
            for _ in range(2):  # computed, then from the cache
                got = kernels.per_step(rate, steps)
                assert type(got) is type(want) and got == want
    rates = np.array([0.1, 0.2])
    np.testing.assert_array_equal(kernels.per_step(rates, 12), 1.0 - (1.0 - rates) ** (1.0 / 12))


def test_per_step_examples() -> None:
    assert kernels.per_step(0.0, 12) == 0.0
    assert kernels.per_step(1.0, 12) == 1.0
    assert kernels.per_step(0.3, 1) == pytest.approx(0.3)
    assert kernels.per_step(0.75, 2) == pytest.approx(0.5)
    assert kernels.per_step(5.0, 12) == 1.0  # a share above one is capped
    assert kernels.per_step(-1.0, 12) == 0.0


# --- Deffuant bounded confidence --------------------------------------------------------


def deffuant(x: np.ndarray, pairs: list[tuple[int, int]], eps, mu: float) -> np.ndarray:
    """The textbook update for disjoint pairs, one pair at a time."""
    out = x.copy()
    eps = np.broadcast_to(np.asarray(eps, dtype=float), (len(pairs),))
    for k, (i, j) in enumerate(pairs):
        if abs(x[i] - x[j]) < eps[k]:
            out[i] = x[i] + mu * (x[j] - x[i])
            out[j] = x[j] + mu * (x[i] - x[j])
    return out


@st.composite
def disjoint_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 40))
    x = draw(unit_arrays(n))
    order = np.array(draw(st.permutations(range(n))))
    k = draw(st.integers(1, n // 2))
    return x, order[:k], order[k : 2 * k]


@FAST_SETTINGS
@given(
    data=disjoint_pairs(),
    eps=unit,
    mu=st.floats(0.0, 0.5),
)
def test_sequential_confidence_with_disjoint_pairs_is_deffuant(data, eps: float, mu: float):
    x, i, j = data
    got = kernels.sequential_confidence(x, i, j, eps, mu)
    expected = deffuant(x, list(zip(i, j, strict=True)), eps, mu)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@FAST_SETTINGS
@given(data=disjoint_pairs(), mu=st.floats(0.0, 0.5), seed=st.integers(0, 2**32 - 1))
def test_sequential_confidence_per_pair_confidence(data, mu: float, seed: int) -> None:
    x, i, j = data
    eps = np.random.default_rng(seed).random(i.shape[0])
    got = kernels.sequential_confidence(x, i, j, eps, mu)
    np.testing.assert_allclose(got, deffuant(x, list(zip(i, j, strict=True)), eps, mu))


def test_sequential_confidence_textbook_numbers() -> None:
    x = np.array([0.2, 0.4, 0.9, 0.5, 0.7])
    got = kernels.sequential_confidence(x, np.array([0, 2]), np.array([1, 3]), 0.3, 0.5)
    # 0 and 1 differ by 0.2 < 0.3 and meet in the middle; 2 and 3 differ by 0.4: no move
    np.testing.assert_allclose(got, [0.3, 0.3, 0.9, 0.5, 0.7])
    got = kernels.sequential_confidence(x, np.array([0]), np.array([1]), 0.3, 0.25)
    np.testing.assert_allclose(got, [0.25, 0.35, 0.9, 0.5, 0.7])


@FAST_SETTINGS
@given(data=disjoint_pairs(), mu=st.floats(0.0, 0.5))
def test_agents_beyond_confidence_do_not_move(data, mu: float) -> None:
    x, i, j = data
    gap = np.abs(x[i] - x[j])
    eps = float(gap.min())  # every pair differs by at least eps: nobody moves
    got = kernels.sequential_confidence(x, i, j, eps, mu)
    np.testing.assert_array_equal(got, x)
    # with per-pair bounds, only the pairs within their bound move
    eps_k = np.where(np.arange(i.shape[0]) % 2 == 0, gap + 0.01, gap)
    got = kernels.sequential_confidence(x, i, j, eps_k, mu)
    still = np.arange(i.shape[0]) % 2 == 1
    np.testing.assert_array_equal(got[i[still]], x[i[still]])
    np.testing.assert_array_equal(got[j[still]], x[j[still]])


@st.composite
def any_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 30))
    x = draw(unit_arrays(n))
    m = draw(st.integers(0, 60))
    i = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    j = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    return x, i, j


@FAST_SETTINGS
@given(data=any_pairs(), eps=unit, mu=st.floats(0.0, 1.0))
def test_opinions_stay_within_initial_range(data, eps: float, mu: float) -> None:
    x, i, j = data
    got = kernels.sequential_confidence(x, i, j, eps, mu)
    assert np.isfinite(got).all()
    assert got.min() >= x.min() - 1e-12
    assert got.max() <= x.max() + 1e-12
    untouched = np.setdiff1d(np.arange(x.shape[0]), np.r_[i, j])
    np.testing.assert_array_equal(got[untouched], x[untouched])


def meet_one_by_one(x, i, j, eps, mu, s, order) -> np.ndarray:
    """Reference for the sequential model: a plain Python loop over the meetings."""
    out = [float(v) for v in x]
    for k in order:
        a, b = int(i[k]), int(j[k])
        d = out[b] - out[a]
        if abs(d) < eps[k]:
            out[a] += mu * s[a] * d
            out[b] -= mu * s[b] * d
    return np.array(out)


@st.composite
def pairs_in_order(draw: st.DrawFn):
    x, i, j = draw(any_pairs())
    order = np.array(draw(st.permutations(range(i.shape[0]))), dtype=np.int64)
    eps = draw(hnp.arrays(np.float64, i.shape[0], elements=unit))
    s = draw(unit_arrays(x.shape[0]))
    return x, i, j, eps, s, order


@FAST_SETTINGS
@given(data=pairs_in_order(), mu=st.floats(0.0, 0.5))
def test_sequential_confidence_meets_in_the_given_order(data, mu: float) -> None:
    x, i, j, eps, s, order = data
    got = kernels.sequential_confidence(x, i, j, eps, mu, s, order)
    np.testing.assert_allclose(got, meet_one_by_one(x, i, j, eps, mu, s, order), atol=1e-12)
    assert got.min() >= x.min() - 1e-12 and got.max() <= x.max() + 1e-12
    np.testing.assert_array_equal(x, data[0])  # the input is not changed


@FAST_SETTINGS
@given(data=disjoint_pairs(), eps=unit, mu=st.floats(0.0, 0.5), seed=st.integers(0, 2**16))
def test_sequential_confidence_with_disjoint_pairs_does_not_depend_on_the_order(
    data, eps: float, mu: float, seed: int
) -> None:
    x, i, j = data
    order = np.random.default_rng(seed).permutation(i.shape[0])
    got = kernels.sequential_confidence(x, i, j, eps, mu, order=order)
    np.testing.assert_allclose(got, deffuant(x, list(zip(i, j, strict=True)), eps, mu), atol=1e-12)


@FAST_SETTINGS
@given(data=pairs_in_order(), mu=st.floats(0.0, 0.5), cut=st.floats(0.0, 1.0))
def test_sequential_confidence_does_not_depend_on_how_meetings_fall_into_steps(
    data, mu: float, cut: float
) -> None:
    x, i, j, eps, s, order = data
    whole = kernels.sequential_confidence(x, i, j, eps, mu, s, order)
    k = int(cut * order.shape[0])
    first, second = order[:k], order[k:]
    y = kernels.sequential_confidence(x, i[first], j[first], eps[first], mu, s)
    y = kernels.sequential_confidence(y, i[second], j[second], eps[second], mu, s)
    np.testing.assert_allclose(y, whole, atol=1e-12)


def test_sequential_confidence_examples() -> None:
    x = np.array([0.2, 0.4, 0.5])
    # 0 meets 1 (both to 0.3), then 1 meets 2: 0.3 and 0.5 differ by 0.2 < 0.25 -> 0.4, 0.4
    got = kernels.sequential_confidence(x, np.array([0, 1]), np.array([1, 2]), 0.25, 0.5)
    np.testing.assert_allclose(got, [0.3, 0.4, 0.4])
    # the other order: 1 meets 2 first (0.45, 0.45), then 0 (0.2) and 1 differ by 0.25: no move
    got = kernels.sequential_confidence(
        x, np.array([0, 1]), np.array([1, 2]), 0.25, 0.5, order=np.array([1, 0])
    )
    np.testing.assert_allclose(got, [0.2, 0.45, 0.45])
    # a committed agent (susceptibility 0) holds its view; its partner still moves
    got = kernels.sequential_confidence(
        x, np.array([0]), np.array([1]), 0.3, 0.5, susceptibility=np.array([0.0, 1.0, 1.0])
    )
    np.testing.assert_allclose(got, [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="order"):
        kernels.sequential_confidence(x, np.array([0]), np.array([1]), 0.3, 0.5, order=[1])


@FAST_SETTINGS
@given(own=unit_arrays(20), other=unit_arrays(20), eps=unit, mu=st.floats(0.0, 0.5))
def test_confidence_pull(own, other, eps: float, mu: float) -> None:
    got = kernels.confidence_pull(own, other, eps, mu)
    near = np.abs(other - own) < eps
    np.testing.assert_array_equal(got[~near], 0.0)
    np.testing.assert_allclose(got[near], mu * (other - own)[near])


# --- Granovetter thresholds -------------------------------------------------------------


def equilibrium(threshold: np.ndarray, hysteresis: float = 0.0) -> np.ndarray:
    """Iterate the threshold model on a fully mixed crowd until nobody changes."""
    n = threshold.shape[0]
    active = np.zeros(n, dtype=bool)
    for _ in range(n + 1):
        exposure = np.full(n, active.sum() / n)
        new = kernels.mobilise(exposure, threshold, active, hysteresis)
        if np.array_equal(new, active):
            return active
        active = new
    raise AssertionError("no equilibrium within n rounds")


def test_mobilise_granovetter_riot() -> None:
    n = 100
    uniform = np.arange(n) / n  # thresholds 0, 1, 2, ... of 100 people
    assert equilibrium(uniform).all()
    # Granovetter (1978): move the person with threshold 1 to 2 and only the
    # instigator riots.
    shifted = uniform.copy()
    shifted[1] = 2 / n
    final = equilibrium(shifted)
    assert final.sum() == 1
    assert final[0]


def test_mobilise_cascade_stops_at_the_first_gap() -> None:
    n = 10
    threshold = np.array([0, 1, 2, 3, 5, 6, 7, 8, 9, 9]) / n  # no one with threshold 4
    assert equilibrium(threshold).sum() == 4


def test_mobilise_hysteresis() -> None:
    threshold = np.array([0.5, 0.5, 0.5, 0.5])
    exposure = np.array([0.6, 0.45, 0.45, 0.3])
    active = np.array([False, False, True, True])
    got = kernels.mobilise(exposure, threshold, active, hysteresis=0.1)
    # joins above threshold; inactive below does not join; active within the
    # hysteresis band stays; active below threshold - hysteresis drops out
    np.testing.assert_array_equal(got, [True, False, True, False])
    classic = kernels.mobilise(exposure, threshold, active)
    np.testing.assert_array_equal(classic, [True, False, False, False])


# --- March mutual learning ---------------------------------------------------------------


def test_knowledge() -> None:
    reality = np.array([1, -1, 1, 1])
    beliefs = np.array([[1, -1, 1, 1], [0, 0, 0, 0], [1, 1, 0, -1]])
    np.testing.assert_allclose(kernels.knowledge(beliefs, reality), [1.0, 0.0, 0.25])


beliefs_strategy = st.tuples(st.integers(1, 12), st.integers(1, 15)).flatmap(
    lambda shape: hnp.arrays(np.int8, shape, elements=st.sampled_from([-1, 0, 1]))
)


@FAST_SETTINGS
@given(beliefs=beliefs_strategy, data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_socialise_with_rate_one_copies_the_nonzero_code(beliefs, data, seed: int) -> None:
    m = beliefs.shape[1]
    code = data.draw(hnp.arrays(np.int8, m, elements=st.sampled_from([-1, 0, 1])))
    rng = np.random.default_rng(seed)
    got = kernels.socialise(beliefs, code, 1.0, rng)
    expected = np.where(code != 0, code, beliefs)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(kernels.socialise(beliefs, code, 0.0, rng), beliefs)
    # one rate per member
    rates = np.arange(beliefs.shape[0]) % 2 == 0
    got = kernels.socialise(beliefs, code, rates.astype(float), rng)
    np.testing.assert_array_equal(got[rates], expected[rates])
    np.testing.assert_array_equal(got[~rates], beliefs[~rates])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "m"), [(1, 1), (9, 4), (500, 30)])
def test_socialise_equals_the_numpy_expression(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    beliefs = rng.integers(-1, 2, (n, m)).astype(np.int8)
    code = rng.integers(-1, 2, m).astype(np.int8)
    for rate in (rng.random(n), 0.4):
        got = kernels.socialise(beliefs, code, rate, np.random.default_rng(seed))
        # the earlier numpy expression, with the same draws
        r = np.broadcast_to(np.asarray(rate, dtype=float).reshape(-1, 1), (n, 1))
        u = np.random.default_rng(seed).random(beliefs.shape)
        want = np.where((code != 0) & (beliefs != code) & (u < r), code, beliefs)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("n", "m"), [(1, 1), (6, 3), (2000, 30), (9, 200)])
def test_knowledge_is_the_mean_match_bit_for_bit(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    beliefs = rng.integers(-1, 2, (n, m)).astype(np.int8)
    reality = rng.choice(np.array([-1, 1], dtype=np.int8), m)
    got, want = kernels.knowledge(beliefs, reality), (beliefs == reality).mean(axis=-1)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    one, want_one = kernels.knowledge(beliefs[0], reality), (beliefs[0] == reality).mean()
    assert one == want_one and type(one) is type(want_one)
    with pytest.raises(ValueError, match="do not match"):
        kernels.knowledge(beliefs, reality[:-1] if m > 1 else np.zeros(2, np.int8))


def test_learn_code_with_rate_one_adopts_the_superior_majority() -> None:
    reality = np.array([1, 1, 1, 1, 1, 1], dtype=np.int8)
    code = np.array([1, 0, 0, -1, 0, 0], dtype=np.int8)  # knowledge 1/6
    superior = np.array(
        [
            [1, 1, -1, 1, 0, 1],  # knowledge 4/6
            [1, 1, 1, -1, 0, -1],  # 3/6
            [1, -1, 1, 1, 0, 1],  # 4/6
        ],
        dtype=np.int8,
    )
    # many inferior members who would outvote the superior group if they counted
    inferior = np.tile(np.array([1, -1, -1, -1, -1, -1], dtype=np.int8), (7, 1))  # 1/6
    beliefs = np.vstack([superior, inferior])
    got = kernels.learn_code(code, beliefs, reality, 1.0, np.random.default_rng(0))
    # majorities of the superior group: dim 4 is a tie (all zero): keep the code
    np.testing.assert_array_equal(got, [1, 1, 1, 1, 0, 1])
    assert got.dtype == code.dtype


def test_learn_code_weights_give_voice() -> None:
    reality = np.ones(3, dtype=np.int8)
    code = np.zeros(3, dtype=np.int8)
    beliefs = np.array([[1, 1, -1], [1, -1, 1]], dtype=np.int8)  # both superior
    rng = np.random.default_rng(1)
    got = kernels.learn_code(code, beliefs, reality, 1.0, rng, weights=np.array([3.0, 1.0]))
    np.testing.assert_array_equal(got, [1, 1, -1])
    zero = kernels.learn_code(code, beliefs, reality, 1.0, rng, weights=np.zeros(2))
    np.testing.assert_array_equal(zero, code)


@st.composite
def no_superior_member(draw: st.DrawFn):
    m = draw(st.integers(1, 15))
    n = draw(st.integers(1, 12))
    reality = draw(hnp.arrays(np.int8, m, elements=st.sampled_from([-1, 1])))
    code = draw(hnp.arrays(np.int8, m, elements=st.sampled_from([-1, 0, 1])))
    # members never know a dimension the code gets wrong, and may miss ones it knows
    spoil = draw(hnp.arrays(np.int8, (n, m), elements=st.sampled_from([-1, 0, 1])))
    wrong = np.where(spoil == 1, 0, -reality)  # undecided or mistaken
    beliefs = np.where((code == reality) & (spoil == 1), code, wrong)
    return code, beliefs.astype(np.int8), reality


@FAST_SETTINGS
@given(case=no_superior_member(), seed=st.integers(0, 2**32 - 1), rate=unit)
def test_learn_code_never_changes_without_a_superior_member(case, seed: int, rate: float):
    code, beliefs, reality = case
    assert (kernels.knowledge(beliefs, reality) <= kernels.knowledge(code, reality)).all()
    got = kernels.learn_code(code, beliefs, reality, rate, np.random.default_rng(seed))
    np.testing.assert_array_equal(got, code)
    got = kernels.learn_code(code, beliefs, reality, 1.0, np.random.default_rng(seed))
    np.testing.assert_array_equal(got, code)


def test_learn_code_with_rate_zero_keeps_the_code() -> None:
    reality = np.ones(4, dtype=np.int8)
    code = np.zeros(4, dtype=np.int8)
    beliefs = np.ones((3, 4), dtype=np.int8)
    got = kernels.learn_code(code, beliefs, reality, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(got, code)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "m"), [(1, 1), (7, 5), (120, 30), (2000, 30)])
def test_weighted_margin_sums_members_in_order(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    beliefs = rng.integers(-1, 2, (n, m)).astype(np.int8)
    w = rng.random(n) * (rng.random(n) < 0.6)  # some members without voice
    got = kernels.weighted_margin(w, beliefs)
    want = np.zeros(m)
    for i in range(n):  # brute force: member after member, in order
        want = want + w[i] * beliefs[i].astype(float)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, w @ beliefs.astype(float), rtol=1e-12, atol=1e-12)
    assert got.dtype == np.float64


def test_weighted_margin_of_integer_weights_is_exact() -> None:
    rng = np.random.default_rng(3)
    beliefs = rng.integers(-1, 2, (500, 9)).astype(np.int8)
    w = rng.integers(0, 4, 500).astype(float)
    np.testing.assert_array_equal(
        kernels.weighted_margin(w, beliefs), (w[:, None] * beliefs).sum(axis=0)
    )
    with pytest.raises(ValueError, match="do not match"):
        kernels.weighted_margin(w[:-1], beliefs)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "m", "groups"), [(1, 1, 1), (50, 7, 4), (3000, 30, 8)])
def test_belief_counts_equal_the_bincount_counts(seed: int, n: int, m: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    beliefs = rng.integers(-1, 2, (n, m)).astype(np.int8)
    group = rng.integers(0, groups, n)
    plus, minus, size = kernels.belief_counts(beliefs, group, groups + 1)  # one group empty
    cell = (group[:, None] * m + np.arange(m)).ravel()
    flat = beliefs.ravel()
    count = lambda x: np.bincount(cell, weights=x, minlength=(groups + 1) * m)  # noqa: E731
    np.testing.assert_array_equal(plus, count(flat > 0).reshape(groups + 1, m))
    np.testing.assert_array_equal(minus, count(flat < 0).reshape(groups + 1, m))
    np.testing.assert_array_equal(size, np.bincount(group, minlength=groups + 1))
    assert size[groups] == 0
    with pytest.raises(ValueError, match="must lie"):
        kernels.belief_counts(beliefs, group, groups - 1 if groups > 1 else 0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("crowding_out", [True, False])
def test_direct_meeting_rates_equal_the_numpy_expression(seed: int, crowding_out: bool) -> None:
    rng = np.random.default_rng(seed)
    people, orgs, ties = 300, 30, 2000
    org = rng.integers(0, orgs, people)
    a, b = rng.integers(0, people, ties), rng.integers(0, people, ties)
    cross = org[a] != org[b]
    trust, lead = rng.random(ties), rng.random(orgs) * (rng.random(orgs) < 0.5)
    dep, engaged = rng.random(people), (rng.random(people) < 0.9).astype(float)
    per_year, crowding, dt = 4.0, 0.7, 1 / 12
    got = kernels.direct_meeting_rates(
        a, b, cross, trust, org[a], org[b], lead, dep if crowding_out else None, engaged,
        per_year, crowding, dt,
    )  # fmt: skip
    # the earlier numpy expression (dynamics._direct_meetings), bit for bit
    rate = per_year * (0.3 + trust + 0.5 * np.maximum(lead[org[a]], lead[org[b]]))
    if crowding_out:
        rate = rate * (1.0 - crowding * 0.5 * (dep[a] + dep[b]))
    rate = np.where(cross, rate, 12.0)
    np.testing.assert_array_equal(got, rate * dt * engaged[a] * engaged[b])


@pytest.mark.parametrize("seed", range(6))
def test_cumulative_meeting_weights_equal_the_numpy_expression(seed: int) -> None:
    rng = np.random.default_rng(seed)
    people, orgs = 400, 40
    org = np.sort(rng.integers(0, orgs, people))
    weight, quality = rng.random(people) * (rng.random(people) < 0.8), rng.random(people)
    taking_part, host = rng.random(orgs) < 0.8, (org < 2).astype(float)
    power = rng.random(orgs)
    power = power / power.max()
    ind = rng.random()
    got = kernels.cumulative_meeting_weights(
        weight, taking_part, org, quality, host, power, 2.0 * (1.0 - ind)
    )
    # the earlier numpy expression (Backbone.choose_people), bit for bit
    w = weight * taking_part[org].astype(float) * quality * (1.0 + 2.0 * host)
    w = w * (1.0 + 2.0 * (1.0 - ind) * power[org])
    np.testing.assert_array_equal(got, np.cumsum(w))


# --- trust and routines -----------------------------------------------------------------


@FAST_SETTINGS
@given(trust=unit_arrays(25), quality=unit_arrays(25), gain=unit, rate=unit)
def test_gain_trust_and_decay_stay_in_unit_interval(trust, quality, gain, rate) -> None:
    up = kernels.gain_trust(trust, quality, gain)
    assert ((up >= trust - 1e-15) & (up <= 1.0 + 1e-15)).all()
    np.testing.assert_allclose(up, trust + gain * quality * (1 - trust))
    down = kernels.decay(trust, rate)
    assert ((down >= 0.0) & (down <= trust + 1e-15)).all()
    np.testing.assert_allclose(kernels.decay(trust, 0.0), trust)
    np.testing.assert_allclose(kernels.decay(trust, 1.0), 0.0)
    np.testing.assert_allclose(kernels.gain_trust(trust, 1.0, 1.0), 1.0)


@FAST_SETTINGS
@given(distance=unit_arrays(20), scale=st.floats(0.01, 10.0))
def test_meeting_quality_falls_with_distance(distance, scale: float) -> None:
    q = kernels.meeting_quality(distance, scale)
    assert ((q > 0.0) & (q <= 1.0)).all()
    order = np.argsort(distance)
    assert (np.diff(q[order]) <= 1e-15).all()
    assert kernels.meeting_quality(np.zeros(1), scale)[0] == 1.0


practice_case = st.integers(1, 20).flatmap(
    lambda n: st.tuples(unit_arrays(n), unit_arrays(n), unit_arrays(n))
)


@FAST_SETTINGS
@given(case=practice_case, pull=st.floats(0.0, 12.0))
def test_relax_practice_with_full_disturbance_leaves_practice(case, pull: float) -> None:
    practice, habit, routine = case
    got = kernels.relax_practice(practice, habit, routine, np.ones_like(practice), pull)
    np.testing.assert_array_equal(got, practice)


@FAST_SETTINGS
@given(case=practice_case, pull=st.floats(0.0, 12.0))
def test_relax_practice_without_disturbance_moves_toward_habit(case, pull: float) -> None:
    practice, habit, routine = case
    got = kernels.relax_practice(practice, habit, routine, np.zeros_like(practice), pull)
    before, after = practice - habit, got - habit
    # closer to habit, never past it
    assert (np.abs(after) <= np.abs(before) + 1e-15).all()
    assert (after * before >= -1e-15).all()
    rate = np.minimum(pull * routine, 1.0)
    np.testing.assert_allclose(got, practice - rate * before, atol=1e-15)
    moving = (rate > 1e-9) & (np.abs(before) > 1e-9)
    assert (np.abs(after[moving]) < np.abs(before[moving])).all()


def test_relax_practice_partial_disturbance_example() -> None:
    got = kernels.relax_practice(
        np.array([0.8]), np.array([0.2]), np.array([0.5]), np.array([0.5]), 1.0
    )
    # rate = 1.0 * 0.5 * (1 - 0.5) = 0.25: 0.8 - 0.25 * 0.6
    np.testing.assert_allclose(got, [0.65])


def test_random_kernels_depend_only_on_the_generator_passed() -> None:
    beliefs = np.zeros((4, 5), dtype=np.int8)
    code = np.ones(5, dtype=np.int8)
    runs = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # noqa: NPY002 - the legacy global state must not matter
        before = np.random.get_state()[1].copy()  # noqa: NPY002
        rng = np.random.default_rng(7)
        out = (
            kernels.socialise(beliefs, code, 0.5, rng),
            kernels.learn_code(np.zeros(5, dtype=np.int8), beliefs + 1, code, 0.5, rng),
        )
        np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
        runs.append(out)
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
