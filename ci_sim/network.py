"""The contact network among people: who can meet whom.

Trust lives in people (C2.24), so trust is a weight on person-to-person ties. The set
of possible ties is fixed at the start and grows only linearly with the number of
people: each person has a few colleagues and ``contacts`` acquaintances in other
organisations. Ties start with little trust across organisations (0.05) and some
between colleagues (0.5); meetings build it, time erodes it, and a newcomer who takes
over a role inherits its contacts but none of the trust.
Assumption: the contact structure itself does not change during a run.
"""

from __future__ import annotations

from dataclasses import dataclass

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
