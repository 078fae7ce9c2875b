"""Institutional logics and the logic space they live in.

Each organisation arrives with its own behaviour, governance logic, mindset and outside
pressures (C2.2); actors may not speak the same language or may compete for the same
funds (C5.2). We place every logic at a point in a two-dimensional *logic space* so that
the distance between two logics can slow trust and understanding between their people.

The axes and all numbers in :data:`LOGIC_TABLE` are modelling assumptions (not taken
from the seed); they are documented in ``docs/ODD.md`` (section "Input data").

* x axis: public authority (0) ... civil society and market (1)
* y axis: networked, experimental (0) ... hierarchical, rule-bound (1)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Logic(StrEnum):
    """The documented set of institutional logics (C2.2, C5.2)."""

    MUNICIPALITY = "municipality"
    STATE_AGENCY = "state_agency"
    POLICE = "police"
    NGO = "ngo"
    FOUNDATION = "foundation"
    BUSINESS = "business"
    HOUSING = "housing"
    RESEARCH = "research"


@dataclass(frozen=True)
class LogicProfile:
    """Typical traits of organisations with one logic (all in [0, 1] but ``size``).

    Attributes:
        position: (x, y) in the logic space.
        routine: strength of the pull back to old routines (inertia, C1.1, C5.5).
        size: typical relative size / power (lognormal median).
        mindset: typical starting mindset (0 = own-logic mental model, 1 = the shared
            systems view).
        stake: how much of the organisation's own interests hinge on the solution
            going its way (C2.18, C3.10); higher stakes raise will thresholds and the
            urge to dominate.
    """

    position: tuple[float, float]
    routine: float
    size: float
    mindset: float
    stake: float


# Assumptions, chosen to be plausible for a Danish welfare-state field (C1.1).
LOGIC_TABLE: dict[Logic, LogicProfile] = {
    Logic.MUNICIPALITY: LogicProfile((0.20, 0.70), 0.70, 3.0, 0.30, 0.25),
    Logic.STATE_AGENCY: LogicProfile((0.05, 0.90), 0.80, 3.0, 0.20, 0.20),
    Logic.POLICE: LogicProfile((0.10, 1.00), 0.80, 2.0, 0.20, 0.20),
    Logic.HOUSING: LogicProfile((0.50, 0.65), 0.60, 1.5, 0.30, 0.40),
    Logic.RESEARCH: LogicProfile((0.55, 0.20), 0.40, 1.0, 0.45, 0.15),
    Logic.FOUNDATION: LogicProfile((0.75, 0.35), 0.40, 1.5, 0.45, 0.20),
    Logic.NGO: LogicProfile((0.90, 0.10), 0.30, 0.5, 0.40, 0.35),
    Logic.BUSINESS: LogicProfile((1.00, 0.55), 0.50, 2.0, 0.25, 0.50),
}

LOGICS: tuple[Logic, ...] = tuple(Logic)

#: Largest distance between two points of the unit square; distances are divided by it.
MAX_DISTANCE = float(np.sqrt(2.0))


def positions(logics: np.ndarray) -> np.ndarray:
    """Return the (n, 2) logic-space positions of logic indices ``logics``."""
    table = np.array([LOGIC_TABLE[lg].position for lg in LOGICS])
    return table[logics]


def profile_array(logics: np.ndarray, field: str) -> np.ndarray:
    """Return one :class:`LogicProfile` field for every logic index in ``logics``."""
    table = np.array([getattr(LOGIC_TABLE[lg], field) for lg in LOGICS], dtype=float)
    return table[logics]


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised Euclidean distance in [0, 1] between rows of ``a`` and ``b``."""
    return np.sqrt(((a - b) ** 2).sum(axis=-1)) / MAX_DISTANCE
