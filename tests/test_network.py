"""The network changes: brokering and introductions create ties, unused ties fade,
leavers take theirs (C2.21, C2.24; issue 7, item 6)."""

from __future__ import annotations

import numpy as np
import pytest

import ci_sim
from ci_sim import dynamics, network
from ci_sim.stats import paired_effect
from ci_sim.sweep import at_years, derive_seeds, run_seeds

SEEDS = derive_seeds(2027, 12)


def check_ties(model: ci_sim.CIModel) -> None:
    c = model.contacts
    n = model.person_org.shape[0]
    assert c.a.shape == c.b.shape == c.cross.shape == model.trust.shape == model.tie_idle.shape
    assert (c.a < c.b).all()
    key = c.a * n + c.b
    assert np.unique(key).shape[0] == key.shape[0]  # no duplicate ties
    np.testing.assert_array_equal(c.cross, model.person_org[c.a] != model.person_org[c.b])
    np.testing.assert_array_equal(model.edge_org_a, model.person_org[c.a])
    assert ((model.trust >= 0) & (model.trust <= 1)).all()


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_tie_table_stays_consistent(seed) -> None:
    model = ci_sim.CIModel(ci_sim.load_scenario("default"), rng=seed)
    for _ in range(15):
        model.run_for(12)
        check_ties(model)


def test_merge_pairs_finds_existing_and_repeated_pairs() -> None:
    a, b = np.array([0, 1, 2]), np.array([1, 3, 4])
    new = np.array([[1, 0], [3, 1], [0, 2], [2, 0], [5, 5], [4, 2]])
    is_new, index = network.merge_pairs(a, b, new, 10)
    np.testing.assert_array_equal(is_new, [False, False, True, False, False, False])
    np.testing.assert_array_equal(index, [0, 1, -1, -1, -1, 2])


def _merge_pairs_by_sorting(a, b, new, n):
    """The earlier numpy merge (argsort + searchsorted + unique), as the reference."""
    lo, hi = np.minimum(new[:, 0], new[:, 1]), np.maximum(new[:, 0], new[:, 1])
    key = lo.astype(np.int64) * n + hi
    old = a.astype(np.int64) * n + b
    if old.shape[0] == 0:
        found, index = np.zeros(key.shape[0], dtype=bool), np.full(key.shape[0], -1)
    else:
        order = np.argsort(old, kind="stable")
        pos = np.minimum(np.searchsorted(old[order], key), old.shape[0] - 1)
        found = old[order][pos] == key
        index = np.where(found, order[pos], -1)
    _, first = np.unique(key, return_index=True)
    unique = np.zeros(key.shape[0], dtype=bool)
    unique[first] = True
    return unique & ~found & (lo != hi), index


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("n", "ties", "k"), [(6, 8, 12), (30, 60, 40), (200, 500, 300), (5, 0, 7)])
def test_merge_pairs_matches_the_sorting_merge(seed, n, ties, k) -> None:
    rng = np.random.default_rng(seed)
    ab = np.sort(rng.integers(0, n, (ties, 2)), axis=1)
    ab = ab[ab[:, 0] < ab[:, 1]]
    if seed % 2:  # a tie table that repeats ties: the first one is found
        ab = np.concatenate([ab, ab[::2]])
    a, b = ab[:, 0], ab[:, 1]
    new = rng.integers(0, n, (k, 2))
    is_new, index = network.merge_pairs(a, b, new, n)
    want_new, want_index = _merge_pairs_by_sorting(a, b, new, n)
    np.testing.assert_array_equal(is_new, want_new)
    np.testing.assert_array_equal(index, want_index)
    empty_new, empty_index = network.merge_pairs(a, b, new[:0], n)
    assert empty_new.shape == empty_index.shape == (0,)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("n", "ties", "k"), [(6, 8, 12), (200, 500, 300), (5, 0, 7)])
def test_add_pairs_matches_the_earlier_connect(seed, n, ties, k) -> None:
    rng = np.random.default_rng(seed)
    ab = np.unique(np.sort(rng.integers(0, n, (ties, 2)), axis=1), axis=0)
    ab = ab[ab[:, 0] < ab[:, 1]]
    a, b = ab[:, 0], ab[:, 1]
    pairs = rng.integers(0, n, (k, 2))
    lo, hi, index = network.add_pairs(a, b, pairs, n)
    # the earlier numpy code of CIModel.connect
    kept = pairs[pairs[:, 0] != pairs[:, 1]]
    is_new, want = _merge_pairs_by_sorting(a, b, kept, n)
    new = np.sort(kept[is_new], axis=1)
    want = want.copy()
    want[np.flatnonzero(is_new)] = a.shape[0] + np.arange(new.shape[0])
    np.testing.assert_array_equal(lo, new[:, 0])
    np.testing.assert_array_equal(hi, new[:, 1])
    np.testing.assert_array_equal(index, want[want >= 0])
    assert lo.dtype == hi.dtype == index.dtype == np.int64


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [0, 1, 40])
def test_append_ties_equals_the_concatenations(seed, k) -> None:
    rng = np.random.default_rng(seed)
    n, t = 300, 500
    person_org = np.repeat(np.arange(30), 10)
    a, b = rng.integers(0, n, t), rng.integers(0, n, t)
    ties = (a, b, person_org[a] != person_org[b], rng.random(t), rng.random(t))
    ties += (person_org[a], person_org[b])
    lo, hi = rng.integers(0, n, k), rng.integers(0, n, k)
    got = network.append_ties(ties, lo, hi, person_org, 0.05, 0.5)
    # the earlier numpy code of CIModel.connect
    oa, ob = person_org[lo], person_org[hi]
    cross = oa != ob
    new = (lo, hi, cross, np.where(cross, 0.05, 0.5), np.zeros(k), oa, ob)
    for mine, old, extra in zip(got, ties, new, strict=True):
        want = np.concatenate([old, extra])
        np.testing.assert_array_equal(mine, want)
        assert mine.dtype == want.dtype and mine is not old


def _random_contacts(rng: np.random.Generator, n: int, ties: int) -> network.Contacts:
    ab = np.sort(rng.integers(0, n, (ties, 2)), axis=1)
    ab = np.unique(ab[ab[:, 0] < ab[:, 1]], axis=0)
    return network.Contacts(a=ab[:, 0], b=ab[:, 1], cross=rng.random(ab.shape[0]) < 0.7)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "ties"), [(3, 2), (40, 150), (1000, 6000)])
def test_tie_and_neighbour_sums_equal_the_bincount_sums(seed, n, ties) -> None:
    rng = np.random.default_rng(seed)
    c = _random_contacts(rng, n, ties)
    w, trust = rng.random(c.size), rng.random(c.size) * c.cross
    values = rng.random((3, n))
    # the previous numpy expressions, bit for bit (same sums in the same order)
    by_bincount = lambda x: (  # noqa: E731
        np.bincount(c.a, weights=x, minlength=n) + np.bincount(c.b, weights=x, minlength=n)
    )
    np.testing.assert_array_equal(network.tie_sum(c, w, n), by_bincount(w))
    rows = network.tie_sum(c, np.stack([c.cross, trust]), n)
    np.testing.assert_array_equal(rows, np.stack([by_bincount(c.cross * 1.0), by_bincount(trust)]))
    for k in range(3):
        v = values[k]
        want = np.bincount(c.a, weights=w * v[c.b], minlength=n) + np.bincount(
            c.b, weights=w * v[c.a], minlength=n
        )
        np.testing.assert_array_equal(network.neighbour_sum(c, w, v, n), want)
        np.testing.assert_array_equal(network.neighbour_sum(c, w, values, n)[k], want)
    with pytest.raises(ValueError, match="one per tie"):
        network.tie_sum(c, np.ones(c.size + 1), n)
    with pytest.raises(ValueError, match="expected"):
        network.neighbour_sum(c, w, values[:, :-1], n)


@pytest.mark.parametrize("seed", range(6))
def test_end_sums_over_organisations_equal_the_bincount_sums(seed) -> None:
    rng = np.random.default_rng(seed)
    orgs, entries = 25, 3000
    oa, ob = rng.integers(0, orgs, entries), rng.integers(0, orgs, entries)
    cross = (oa != ob).astype(float)
    trust = rng.random(entries)
    count, total = network.end_sums(oa, ob, np.stack([cross, trust * cross]), orgs)
    # the earlier numpy code (metrics.organisation_snapshot), bit for bit
    np.testing.assert_array_equal(
        total,
        np.bincount(oa, weights=trust * cross, minlength=orgs)
        + np.bincount(ob, weights=trust * cross, minlength=orgs),
    )
    np.testing.assert_array_equal(
        count,
        np.bincount(oa, weights=cross, minlength=orgs)
        + np.bincount(ob, weights=cross, minlength=orgs),
    )
    with pytest.raises(ValueError, match="one per tie"):
        network.end_sums(oa, ob[:-1], trust, orgs)


@pytest.mark.parametrize("seed", range(6))
def test_reset_trust_equals_the_masked_assignments(seed) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    c = _random_contacts(rng, n, 1500)
    gone = rng.random(n) < 0.05
    got = rng.random(c.size)
    want = got.copy()
    network.reset_trust(c, got, gone, 0.05, 0.0)
    touched = gone[c.a] | gone[c.b]  # the earlier numpy code
    want[touched & c.cross] = 0.05
    want[touched & ~c.cross] = 0.0
    np.testing.assert_array_equal(got, want)
    network.reset_trust(c, got, gone, 0.0, 0.0)
    want[touched] = 0.0
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="one per tie"):
        network.reset_trust(c, np.zeros(c.size + 1), gone, 0.0, 0.0)


def test_brokering_creates_acquaintances_across_borders() -> None:
    """C2.21: the backbone brings people together who did not know each other."""
    out = at_years([6], ["cross_org_contacts", "relationships"])
    base = run_seeds("default", SEEDS, out, processes=2)
    none = run_seeds("default", SEEDS, out, {"backbone.effort.develop_relations": 0.0}, processes=2)
    e = paired_effect(base["cross_org_contacts@6"], none["cross_org_contacts@6"])
    assert e.mean_diff < 0 and e.p_value < 0.01, str(e)


def test_without_network_dynamics_the_tie_set_is_fixed() -> None:
    params = ci_sim.load_scenario("default", {"switches.network_dynamics": False})
    model = ci_sim.CIModel(params, rng=SEEDS[0])
    a, b = model.contacts.a.copy(), model.contacts.b.copy()
    model.run_for(60)
    np.testing.assert_array_equal(model.contacts.a, a)
    np.testing.assert_array_equal(model.contacts.b, b)


def test_leavers_take_their_acquaintances() -> None:
    """C2.24: trust lives in people; a newcomer starts with a few fresh, trustless ties."""
    model = ci_sim.CIModel(ci_sim.load_scenario("default"), rng=SEEDS[1])
    model.run_for(72)
    c = model.contacts
    person = int(np.argmax(np.bincount(c.a[c.cross], weights=model.trust[c.cross], minlength=1)))
    old = set(c.b[(c.a == person) & c.cross]) | set(c.a[(c.b == person) & c.cross])
    dynamics.replace_people(model, np.array([person]))
    c = model.contacts
    mine = (c.a == person) | (c.b == person)
    assert (model.trust[mine & c.cross] <= 0.05 + 1e-12).all()
    assert (model.trust[mine & ~c.cross] == 0.0).all()
    new = set(c.b[(c.a == person) & c.cross]) | set(c.a[(c.b == person) & c.cross])
    # as many fresh acquaintances as a newcomer gets, drawn at random: they may include
    # some old partners by chance (here 2 of 6, about the 6 * 22 / 114 expected), but
    # with no trust carried over (checked above)
    assert len(new) == model.params.organisations.contacts
    assert len(new & old) < len(new)
    check_ties(model)


def test_unused_weak_ties_fade() -> None:
    model = ci_sim.CIModel(ci_sim.load_scenario("default"), rng=SEEDS[2])
    model.run_for(24)
    c = model.contacts
    stale = np.flatnonzero(c.cross)[:10]
    model.trust[stale] = 0.001
    model.tie_idle[stale] = 10.0
    keys = set(zip(c.a[stale].tolist(), c.b[stale].tolist(), strict=True))
    dynamics.turn_over(model)
    now = set(zip(model.contacts.a.tolist(), model.contacts.b.tolist(), strict=True))
    assert not keys & now
