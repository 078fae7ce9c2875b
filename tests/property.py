"""Reusable hypothesis builders for ci_sim tests (in the style of Axelrod's strategies).

``valid_overrides()`` draws dotted-key overrides of the scenario levers that the
loader must accept and that keep a run short (``simulation.years`` in 1..4).
``invalid_cases()`` draws overrides that the loader must refuse, together with the
text an error message has to name; ``invalid_overrides()`` gives just the overrides.

Import from test modules as ``from tests.property import ...``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Every lever a user can set, as dotted keys.
LEVER_KEYS: tuple[str, ...] = (
    "backbone.enabled",
    "backbone.effort.develop_relations",
    "backbone.effort.develop_capabilities",
    "backbone.effort.anchor_capabilities",
    "backbone.effort.anchor_relations",
    "backbone.allocation",
    "backbone.independence",
    "backbone.host",
    "backbone.disturbance",
    "backbone.credit_taking",
    "backbone.growth",
    "backbone.staff",
    "backbone.sunset_year",
    "backbone.handover",
    "governance.goal_steering",
    "governance.reporting_burden",
    "organisations.count",
    "organisations.people",
    "organisations.turnover_per_year",
    "simulation.years",
    "simulation.steps_per_year",
)

EFFORT_KEYS: tuple[str, ...] = tuple(k for k in LEVER_KEYS if ".effort." in k)

#: Numeric levers with their kind ("int" or "float") and documented range (params.py).
NUMERIC_LEVERS: dict[str, tuple[str, float, float]] = {
    "backbone.effort.develop_relations": ("float", 0.0, 1.0),
    "backbone.effort.develop_capabilities": ("float", 0.0, 1.0),
    "backbone.effort.anchor_capabilities": ("float", 0.0, 1.0),
    "backbone.effort.anchor_relations": ("float", 0.0, 1.0),
    "backbone.independence": ("float", 0.0, 1.0),
    "backbone.disturbance": ("float", 0.0, 1.0),
    "backbone.credit_taking": ("float", 0.0, 1.0),
    "backbone.growth": ("float", 0.0, 1.0),
    "backbone.staff": ("float", 0.0, 100.0),
    "backbone.sunset_year": ("float", 0.0, 200.0),
    "governance.goal_steering": ("float", 0.0, 1.0),
    "governance.reporting_burden": ("float", 0.0, 1.0),
    "organisations.count": ("int", 2, 5000),
    "organisations.people": ("int", 2, 200),
    "organisations.turnover_per_year": ("float", 0.0, 1.0),
    "simulation.years": ("float", 0.0, 200.0),
    "simulation.steps_per_year": ("int", 4, 365),
}

BOOL_LEVERS: tuple[str, ...] = ("backbone.enabled", "backbone.handover")

#: Hosts that exist for every organisation count from 3 to 30 in the default mix.
VALID_HOSTS: tuple[str, ...] = ("none", "municipality", "ngo", "municipality_1", "ngo_1")

SHOCK_RATE_KEYS: tuple[str, ...] = (
    "environment.funding_cut_per_year",
    "environment.leader_wave_per_year",
    "environment.delivery_pressure_per_year",
)

#: Every dotted path the loader knows, tables included (typos must miss all of them).
_OTHER_KEYS = ("backbone.start_year", "backbone.handover_years")
KNOWN_PATHS: frozenset[str] = frozenset(
    ".".join(key.split(".")[: i + 1])
    for key in (*LEVER_KEYS, *SHOCK_RATE_KEYS, *_OTHER_KEYS)
    for i in range(len(key.split(".")))
)

#: Deterministic, deadline-free settings for tests that run the model.
MODEL_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Deterministic settings for cheap tests (validation, kernels).
FAST_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)


# --- valid input ----------------------------------------------------------------------

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)


def quarters(low: float, high: float) -> st.SearchStrategy[float]:
    """Multiples of 0.25 in ``[low, high]`` (years a user would type)."""
    return st.integers(round(4 * low), round(4 * high)).map(lambda k: k / 4)


def sunset_years() -> st.SearchStrategy[Any]:
    """``"none"``, whole years up to 20, or quarter years early enough to fall in a run."""
    return st.one_of(st.just("none"), st.integers(0, 20), quarters(0.0, 5.0))


@st.composite
def valid_overrides(draw: st.DrawFn, max_years: int = 4) -> dict[str, Any]:
    """Draw a dict of dotted keys to valid lever values; runs stay 1..``max_years`` long."""
    optional = {
        "backbone.enabled": st.booleans(),
        "backbone.start_year": quarters(0.0, 3.0),
        "backbone.allocation": st.sampled_from(["fixed", "adaptive"]),
        "backbone.independence": unit,
        "backbone.host": st.sampled_from(VALID_HOSTS),
        "backbone.disturbance": unit,
        "backbone.credit_taking": unit,
        "backbone.growth": unit,
        "backbone.staff": st.one_of(st.integers(0, 10), st.floats(0.0, 10.0)),
        "backbone.sunset_year": sunset_years(),
        "backbone.handover": st.booleans(),
        "backbone.handover_years": quarters(0.0, 3.0),
        "governance.goal_steering": unit,
        "governance.reporting_burden": unit,
        "organisations.count": st.integers(3, 30),
        "organisations.people": st.integers(2, 8),
        "organisations.turnover_per_year": unit,
        **{key: unit for key in SHOCK_RATE_KEYS},
        **{key: st.one_of(st.just(0.0), unit) for key in EFFORT_KEYS},
    }
    years = st.one_of(st.integers(1, max_years), quarters(1.0, float(max_years)))
    out = draw(st.fixed_dictionaries({"simulation.years": years}, optional=optional))
    if all(out.get(k, 0.25) == 0 for k in EFFORT_KEYS):
        key = draw(st.sampled_from(EFFORT_KEYS))
        out[key] = draw(st.floats(min_value=0.01, max_value=1.0))
    sunset, start = out.get("backbone.sunset_year"), out.get("backbone.start_year", 1.0)
    if sunset is not None and sunset != "none" and sunset <= start:
        out["backbone.sunset_year"] = start + draw(quarters(0.25, 5.0))  # must follow the start
    return out


# --- invalid input --------------------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """Overrides the loader must refuse, and the text its error message must name.

    Attributes:
        overrides: dotted keys to values (at least one of them invalid).
        names: the key path the message has to mention.
        kind: which sort of mistake was drawn (for reading failures).
        fix: for a typo, the real key path the message should suggest.
    """

    overrides: dict[str, Any]
    names: str
    kind: str
    fix: str | None = None


def _typo(draw: st.DrawFn, word: str) -> str:
    """Return ``word`` with one drop, swap, insertion or replacement of a letter."""
    letters = "abcdefghijklmnopqrstuvwxyz_"
    i = draw(st.integers(0, len(word) - 1))
    how = draw(st.sampled_from(["drop", "swap", "insert", "replace"]))
    if how == "drop" and len(word) > 2:
        return word[:i] + word[i + 1 :]
    if how == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "insert":
        return word[:i] + draw(st.sampled_from(letters)) + word[i:]
    new = draw(st.sampled_from(letters.replace(word[i], "")))
    return word[:i] + new + word[i + 1 :]


@st.composite
def unknown_key(draw: st.DrawFn) -> Invalid:
    """A typo in one segment of a real key; the message must name the path up to it."""
    key = draw(st.sampled_from(LEVER_KEYS))
    parts = key.split(".")
    seg = draw(st.integers(0, len(parts) - 1))
    fix = ".".join(parts[: seg + 1])
    parts[seg] = _typo(draw, parts[seg])
    prefix = ".".join(parts[: seg + 1])
    if prefix in KNOWN_PATHS:  # the typo happens to be a real name: draw again
        return draw(unknown_key())
    return Invalid({".".join(parts): draw(st.integers(0, 3))}, prefix, "unknown_key", fix)


def _outside(draw: st.DrawFn, kind: str, low: float, high: float) -> Any:
    if kind == "int":
        below, above = st.integers(-(10**6), int(low) - 1), st.integers(int(high) + 1)
        return draw(st.one_of(below, above))
    below = st.floats(max_value=low, exclude_max=True, allow_nan=False)
    above = st.floats(min_value=high, exclude_min=True, allow_nan=False)
    return draw(st.one_of(below, above, st.just(math.nan)))


@st.composite
def out_of_range(draw: st.DrawFn) -> Invalid:
    """A numeric lever set below or above its documented range (or NaN)."""
    key = draw(st.sampled_from(sorted(NUMERIC_LEVERS)))
    kind, low, high = NUMERIC_LEVERS[key]
    return Invalid({key: _outside(draw, kind, low, high)}, key, "out_of_range")


_TEXT = st.text("abcxyz_ ", min_size=0, max_size=6)


@st.composite
def wrong_type(draw: st.DrawFn) -> Invalid:
    """A value of the wrong type: text or bool for numbers, numbers for bools, ..."""
    key = draw(st.sampled_from(LEVER_KEYS))
    junk = _TEXT.map(lambda s: "z" + s)
    others = [st.none(), st.lists(st.integers(0, 3), max_size=2), junk]
    if key in BOOL_LEVERS:
        value = draw(st.one_of(st.integers(0, 1), st.sampled_from(["true", "no"]), *others))
    elif key in NUMERIC_LEVERS and NUMERIC_LEVERS[key][0] == "int":
        value = draw(st.one_of(st.booleans(), st.floats(3.0, 8.0), st.just("5"), *others))
    elif key in NUMERIC_LEVERS:
        value = draw(st.one_of(st.booleans(), st.just("0.5"), *others))
    else:  # backbone.allocation, backbone.host: strings
        value = draw(st.one_of(st.integers(0, 3), st.booleans(), st.none()))
    return Invalid({key: value}, key, "wrong_type")


@st.composite
def bad_choice(draw: st.DrawFn) -> Invalid:
    """A string that is not among the allowed choices (allocation, host, sunset)."""
    case = draw(st.sampled_from(["allocation", "host", "sunset", "host_absent_logic"]))
    if case == "allocation":
        value = draw(st.sampled_from(["Fixed", "adapt", "random", "", "ADAPTIVE"]))
        return Invalid({"backbone.allocation": value}, "backbone.allocation", case)
    if case == "host":
        value = draw(st.one_of(_TEXT.map(lambda s: "zz" + s), st.just("ngo_999")))
        return Invalid({"backbone.host": value}, "backbone.host", case)
    if case == "sunset":
        value = draw(st.sampled_from(["never", "None", "", "12", "no"]))
        return Invalid({"backbone.sunset_year": value}, "backbone.sunset_year", case)
    # police is absent from the roster of three organisations in the default mix
    ov = {"backbone.host": "police", "organisations.count": 3}
    return Invalid(ov, "backbone.host", case)


@st.composite
def structural_mistake(draw: st.DrawFn) -> Invalid:
    """A key that runs through a value, a table set to a value, or all-zero effort."""
    case = draw(st.sampled_from(["through_value", "table_as_value", "zero_effort"]))
    if case == "through_value":
        key = draw(st.sampled_from(LEVER_KEYS))
        return Invalid({key + ".x": 1}, key, case)
    if case == "table_as_value":
        key = draw(st.sampled_from(["backbone.effort", "backbone", "governance"]))
        return Invalid({key: draw(st.one_of(unit, st.integers(0, 3)))}, key, case)
    return Invalid({k: 0.0 for k in EFFORT_KEYS}, "backbone.effort", case)


@st.composite
def invalid_cases(draw: st.DrawFn) -> Invalid:
    """Draw one invalid override, possibly mixed with valid ones (that must not mask it)."""
    kinds = (unknown_key, out_of_range, wrong_type, bad_choice, structural_mistake)
    bad = draw(st.one_of(*(kind() for kind in kinds)))
    base = draw(st.one_of(st.just({}), valid_overrides()))
    touched = set(bad.overrides)
    # keep valid keys that can neither repair nor collide with the mistake
    base = {
        k: v
        for k, v in base.items()
        if not any(k.startswith(t) or t.startswith(k) for t in touched)
        and not (bad.kind == "host_absent_logic" and k == "backbone.host")
        and not (bad.kind in ("host", "host_absent_logic") and k == "organisations.count")
        and not (bad.kind == "zero_effort" and k.startswith("backbone.effort"))
    }
    return Invalid({**base, **bad.overrides}, bad.names, bad.kind, bad.fix)


def invalid_overrides() -> st.SearchStrategy[dict[str, Any]]:
    """Draw a dict of dotted overrides with at least one invalid entry."""
    return invalid_cases().map(lambda case: case.overrides)


# --- helpers shared by the tests ------------------------------------------------------


def first_step(year: float | str, steps_per_year: int) -> float:
    """Return the first step (>= 1) whose time is at or after ``year``, exactly.

    ``"none"`` gives infinity. Years are read as the decimal a user typed.
    """
    if year == "none":
        return math.inf
    exact = Fraction(str(float(year))) * steps_per_year
    return max(1, math.ceil(exact))
