"""The contact network among people: who knows whom.

Trust lives in people (C2.24), so trust is a weight on person-to-person ties. At the
start each person has a few colleagues and about ``contacts`` acquaintances in other
organisations. Ties start with little trust across organisations (0.05) and some
between colleagues (0.5); meetings build it, time erodes it.

The network changes during a run (C2.21, C2.24): brokered convenings and change
leaders' introductions create new cross-organisation acquaintances
(:func:`new_pairs`), cross ties that go unused fade away, and people who leave take
their acquaintances with them; a newcomer draws a few of their own. Colleague ties
stay (they belong to working in the same organisation) but a newcomer starts them
without trust. The number of ties stays linear in the number of people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np


@dataclass(frozen=True)
class Contacts:
    """Undirected ties as parallel arrays (one entry per tie).

    Attributes:
        a, b: person indices of the two ends (``a < b``).
        cross: whether the two ends belong to different organisations.
    """

    a: np.ndarray
    b: np.ndarray
    cross: np.ndarray

    @property
    def size(self) -> int:
        """Number of ties."""
        return int(self.a.shape[0])


def build_contacts(person_org: np.ndarray, contacts: int, rng: np.random.Generator) -> Contacts:
    """Return the contact ties of people whose organisation is ``person_org``.

    Inside an organisation the first person (the leader) knows everyone and staff form a
    chain; across organisations every person draws ``contacts`` people uniformly from
    everyone and keeps those in other organisations (so slightly fewer than
    ``contacts`` on average). Duplicates are merged.
    """
    n = person_org.shape[0]
    starts = np.flatnonzero(np.r_[True, person_org[1:] != person_org[:-1]])
    sizes = np.diff(np.r_[starts, n])
    leader = np.repeat(starts, sizes)
    idx = np.arange(n)
    staff = idx != leader
    pairs = [np.c_[leader[staff], idx[staff]]]
    nxt = idx + 1
    ring_ok = staff & (nxt < n) & (np.r_[person_org[1:], -1] == person_org)
    pairs.append(np.c_[idx[ring_ok], nxt[ring_ok]])
    src = np.repeat(idx, contacts)
    dst = rng.integers(0, n, size=src.shape[0])
    ok = person_org[src] != person_org[dst]
    pairs.append(np.c_[src[ok], dst[ok]])
    both = np.sort(np.concatenate(pairs), axis=1)
    both = np.unique(both, axis=0)
    a, b = both[:, 0].astype(np.int64), both[:, 1].astype(np.int64)
    return Contacts(a=a, b=b, cross=person_org[a] != person_org[b])


def tie_sum(contacts: Contacts, weights: np.ndarray, n_people: int) -> np.ndarray:
    """Return, per person, the sum of ``weights`` (one per tie) over the ties they are on.

    Args:
        contacts: the ties.
        weights: (t,) one weight per tie, or (r, t): ``r`` rows of weights summed in one
            pass over the ties.
        n_people: number of people.

    Returns:
        (n_people,) sums, or (r, n_people) for ``r`` rows of weights (:func:`end_sums`
        of the ties' ends).
    """
    return end_sums(contacts.a, contacts.b, weights, n_people)


def end_sums(a: np.ndarray, b: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Return, per index in ``[0, n)``, the sum of ``weights`` over the entries ending there.

    Entry ``t`` has two ends, ``a[t]`` and ``b[t]`` (two people of a tie, or their
    organisations); each end collects its weight. One compiled pass per row (numba).

    Args:
        a: (t,) first ends, in ``[0, n)``.
        b: (t,) second ends, in ``[0, n)``.
        weights: (t,) one weight per entry, or (r, t) for ``r`` rows of weights.
        n: number of indices.

    Returns:
        (n,) sums, or (r, n). Equal to ``bincount(a, w, n) + bincount(b, w, n)`` per row
        (the same sums in the same order).

    Raises:
        ValueError: when the weights are not one per entry.
    """
    w = np.asarray(weights, dtype=np.float64)
    rows = np.ascontiguousarray(np.atleast_2d(w))
    if rows.ndim != 2 or rows.shape[1] != np.shape(a)[0] or np.shape(b) != np.shape(a):
        raise ValueError(f"weights {w.shape}: expected one per tie ({np.shape(a)[0]})")
    out = _end_sums(_ends(a), _ends(b), rows, int(n))
    return out[0] if w.ndim == 1 else out


def neighbour_sum(
    contacts: Contacts, weights: np.ndarray, values: np.ndarray, n_people: int
) -> np.ndarray:
    """Return, per person, the sum over their ties of ``weights * values`` of the other end.

    Args:
        contacts: the ties.
        weights: (t,) one weight per tie.
        values: (n_people,) one value per person, or (r, n_people): ``r`` rows of values
            summed in one pass over the ties.
        n_people: number of people.

    Returns:
        (n_people,) sums, or (r, n_people) for ``r`` rows of values. Equal to
        ``bincount(a, w * v[b]) + bincount(b, w * v[a])`` per row (same sums, same order).
    """
    w = np.ascontiguousarray(weights, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    rows = np.ascontiguousarray(np.atleast_2d(v))
    if w.shape != (contacts.size,) or rows.ndim != 2 or rows.shape[1] != n_people:
        raise ValueError(
            f"weights {w.shape} and values {v.shape}: expected ({contacts.size},) "
            f"and ({n_people},) or (r, {n_people})"
        )
    out = _neighbour_sums(_ends(contacts.a), _ends(contacts.b), w, rows, n_people)
    return out[0] if v.ndim == 1 else out


def _ends(ends: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ends, dtype=np.int64)


@numba.njit(cache=True)
def _end_sums(a, b, w, n):  # noqa: D103
    r = w.shape[0]
    at_a = np.zeros((r, n))
    at_b = np.zeros((r, n))
    for k in range(r):
        for t in range(a.shape[0]):
            at_a[k, a[t]] += w[k, t]
            at_b[k, b[t]] += w[k, t]
    return at_a + at_b


@numba.njit(cache=True)
def _neighbour_sums(a, b, w, v, n):  # noqa: D103
    r = v.shape[0]
    at_a = np.zeros((r, n))
    at_b = np.zeros((r, n))
    for t in range(a.shape[0]):
        i, j = a[t], b[t]
        for k in range(r):
            at_a[k, i] += w[t] * v[k, j]
            at_b[k, j] += w[t] * v[k, i]
    return at_a + at_b


def reset_trust(
    contacts: Contacts, trust: np.ndarray, people: np.ndarray, cross: float, colleague: float
) -> None:
    """Set, in place, the trust of every tie that touches one of ``people``.

    Cross-organisation ties get ``cross``, colleague ties ``colleague``. One compiled
    pass over the ties (numba).

    Args:
        contacts: the ties.
        trust: (t,) float64 trust per tie, changed in place.
        people: (n_people,) bool, the people whose ties are reset.
        cross: trust given to their cross-organisation ties.
        colleague: trust given to their ties inside the organisation.
    """
    if trust.dtype != np.float64 or trust.shape != (contacts.size,):
        raise ValueError(f"trust {trust.dtype} {trust.shape}: expected float64, one per tie")
    mask = np.ascontiguousarray(people, dtype=np.bool_)
    ends = [_ends(contacts.a), _ends(contacts.b), np.ascontiguousarray(contacts.cross)]
    _reset_trust(*ends, mask, trust, float(cross), float(colleague))


@numba.njit(cache=True)
def _reset_trust(a, b, is_cross, people, trust, cross, colleague):  # noqa: D103
    for t in range(a.shape[0]):
        if people[a[t]] or people[b[t]]:
            trust[t] = cross if is_cross[t] else colleague


def random_cross_pairs(
    person_org: np.ndarray, people: np.ndarray, contacts: int, rng: np.random.Generator
) -> np.ndarray:
    """Return up to ``contacts`` random acquaintances in other organisations for ``people``.

    Rows are ``(person, other)`` pairs, drawn as at the start (uniform over everyone,
    keeping those in another organisation).
    """
    src = np.repeat(people, contacts)
    dst = rng.integers(0, person_org.shape[0], size=src.shape[0])
    ok = person_org[src] != person_org[dst]
    return np.stack([src[ok], dst[ok]], axis=1)


def add_pairs(
    a: np.ndarray, b: np.ndarray, pairs: np.ndarray, n_people: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the ties that acquainting ``pairs`` adds, and every pair's tie index.

    Rows pairing a person with themself are dropped; the others are merged with the
    ties ``(a, b)`` as by :func:`merge_pairs`. New ties are numbered from ``len(a)`` on,
    in the order of their first row.

    Args:
        a: (t,) the ties' lower ends.
        b: (t,) the ties' upper ends (``a < b``).
        pairs: (k, 2) pairs of people to acquaint.
        n_people: number of people (person indices lie in ``[0, n_people)``).

    Returns:
        ``(lo, hi, index)``: the new ties' lower and upper ends, and for each row that is
        not a self-pair nor a repeat of a new pair, in order, the index of its tie.
    """
    p = np.asarray(pairs)
    return _add_pairs(_ends(a), _ends(b), _ends(p[:, 0]), _ends(p[:, 1]), np.int64(n_people))


@numba.njit(cache=True)
def _add_pairs(a, b, first, second, n):  # noqa: D103
    k = 0
    for r in range(first.shape[0]):
        k += first[r] != second[r]
    lo = np.empty(k, dtype=np.int64)
    hi = np.empty(k, dtype=np.int64)
    k = 0
    for r in range(first.shape[0]):
        if first[r] != second[r]:
            lo[k] = min(first[r], second[r])
            hi[k] = max(first[r], second[r])
            k += 1
    is_new, index = _merge_keys(a, b, lo, hi, n)
    n_new = 0
    for r in range(k):
        if is_new[r]:
            index[r] = a.shape[0] + n_new
            n_new += 1
    new_lo = np.empty(n_new, dtype=np.int64)
    new_hi = np.empty(n_new, dtype=np.int64)
    n_new = 0
    n_out = 0
    for r in range(k):
        if is_new[r]:
            new_lo[n_new] = lo[r]
            new_hi[n_new] = hi[r]
            n_new += 1
        if index[r] >= 0:
            n_out += 1
    out = np.empty(n_out, dtype=np.int64)
    n_out = 0
    for r in range(k):
        if index[r] >= 0:
            out[n_out] = index[r]
            n_out += 1
    return new_lo, new_hi, out


def append_ties(
    ties: tuple[np.ndarray, ...],
    lo: np.ndarray,
    hi: np.ndarray,
    person_org: np.ndarray,
    cross_trust: float,
    own_trust: float,
) -> tuple[np.ndarray, ...]:
    """Return the per-tie arrays with the new ties ``(lo, hi)`` appended (one numba call).

    Args:
        ties: ``(a, b, cross, trust, idle, org_a, org_b)`` of the current ties.
        lo: (k,) the new ties' lower ends.
        hi: (k,) the new ties' upper ends.
        person_org: (n_people,) each person's organisation.
        cross_trust: starting trust of a new cross-organisation tie.
        own_trust: starting trust of a new tie inside an organisation.

    Returns:
        The seven arrays, each a new array: the old entries then the new ties' (ends,
        whether they cross organisations, starting trust, zero idle time, organisations).
    """
    a, b, cross, trust, idle, org_a, org_b = ties
    return _append_ties(
        _ends(a),
        _ends(b),
        np.ascontiguousarray(cross, dtype=np.bool_),
        np.ascontiguousarray(trust, dtype=np.float64),
        np.ascontiguousarray(idle, dtype=np.float64),
        np.ascontiguousarray(org_a),
        np.ascontiguousarray(org_b),
        _ends(lo),
        _ends(hi),
        np.ascontiguousarray(person_org),
        float(cross_trust),
        float(own_trust),
    )


@numba.njit(cache=True)
def _append_ties(  # noqa: D103
    a, b, cross, trust, idle, org_a, org_b, lo, hi, person_org, cross_trust, own_trust
):
    t, k = a.shape[0], lo.shape[0]
    a2, b2 = np.empty(t + k, a.dtype), np.empty(t + k, b.dtype)
    cross2, trust2 = np.empty(t + k, cross.dtype), np.empty(t + k, trust.dtype)
    idle2 = np.empty(t + k, idle.dtype)
    oa2, ob2 = np.empty(t + k, org_a.dtype), np.empty(t + k, org_b.dtype)
    a2[:t], b2[:t], cross2[:t], trust2[:t] = a, b, cross, trust
    idle2[:t], oa2[:t], ob2[:t] = idle, org_a, org_b
    for r in range(k):
        oa, ob = person_org[lo[r]], person_org[hi[r]]
        a2[t + r], b2[t + r], oa2[t + r], ob2[t + r] = lo[r], hi[r], oa, ob
        cross2[t + r] = oa != ob
        trust2[t + r] = cross_trust if oa != ob else own_trust
        idle2[t + r] = 0.0
    return a2, b2, cross2, trust2, idle2, oa2, ob2


def merge_pairs(
    a: np.ndarray, b: np.ndarray, new: np.ndarray, n_people: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(is_new, index)`` for candidate pairs ``new`` (rows of two people).

    ``is_new`` marks rows that are not yet a tie and not repeated earlier in ``new``;
    ``index`` gives, for rows that are already ties, the tie's position (the first such
    tie if the tie table repeats it), else -1. Pairs are unordered.

    One pass over the ties (numba) looks up, in a hash table of the candidates' keys,
    each tie whose lower end is the lower end of some candidate, so a call costs about
    the number of ties plus candidates, with no sort.

    Args:
        a: (t,) the ties' lower ends.
        b: (t,) the ties' upper ends (``a < b``).
        new: (k, 2) candidate pairs of people.
        n_people: number of people (person indices lie in ``[0, n_people)``).
    """
    new = np.asarray(new)
    lo = np.minimum(new[:, 0], new[:, 1]).astype(np.int64)
    hi = np.maximum(new[:, 0], new[:, 1]).astype(np.int64)
    return _merge_keys(
        np.ascontiguousarray(a, dtype=np.int64),
        np.ascontiguousarray(b, dtype=np.int64),
        lo,
        hi,
        np.int64(n_people),
    )


@numba.njit(cache=True)
def _merge_keys(a, b, lo, hi, n):  # noqa: D103
    k = lo.shape[0]
    bits = 1
    while (1 << bits) < 2 * k:
        bits += 1
    size = 1 << bits
    mask = size - 1
    shift = np.uint64(64 - bits)
    mult = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
    used = np.zeros(size, dtype=np.bool_)
    slot_key = np.zeros(size, dtype=np.int64)
    tie_of = np.full(size, -1, dtype=np.int64)
    slot = np.empty(k, dtype=np.int64)
    is_new = np.zeros(k, dtype=np.bool_)
    low = np.zeros(n, dtype=np.bool_)  # people who are the lower end of a candidate
    for r in range(k):
        if 0 <= lo[r] < n:
            low[lo[r]] = True
        key = lo[r] * n + hi[r]
        h = np.int64((np.uint64(key) * mult) >> shift)
        while used[h] and slot_key[h] != key:
            h = (h + 1) & mask
        if not used[h]:
            used[h] = True
            slot_key[h] = key
            is_new[r] = True  # the first row with this key
        slot[r] = h
    for t in range(a.shape[0]):
        if not (0 <= a[t] < n and low[a[t]]):
            continue
        key = a[t] * n + b[t]
        h = np.int64((np.uint64(key) * mult) >> shift)
        while used[h]:
            if slot_key[h] == key:
                if tie_of[h] < 0:
                    tie_of[h] = t
                break
            h = (h + 1) & mask
    index = np.empty(k, dtype=np.int64)
    for r in range(k):
        index[r] = tie_of[slot[r]]
        is_new[r] = is_new[r] and index[r] < 0 and lo[r] != hi[r]
    return is_new, index
