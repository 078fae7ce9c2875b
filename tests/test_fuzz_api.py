"""Fuzz of the Python API: ``ci_sim.run(scenario, seed=, years=, overrides=)``.

Random keys (every parameter of ``parameter_table()``, the keys inside its tables, and
unknown ones) get random values of every type: strings, bools, None, NaN, infinities,
huge and negative numbers, numpy scalars, lists and mappings, and values inside the
allowed range so that many runs go through. The contract: either the run succeeds and
its invariants hold (every metric finite, the conditions and levels in [0, 1], one row
per step), or exactly one :class:`~ci_sim.ScenarioError` is raised whose message names
the offending key (or ``seed`` / ``scenario``). No other exception may escape.

The default suite runs a small derandomized fuzz; ``make test-slow`` runs 1,000
examples. Runs are kept short (``years`` at most one) so the slow fuzz takes minutes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ci_sim
from ci_sim import ScenarioError, list_scenarios
from ci_sim.metrics import CONDITIONS, LEVELS, REPORTERS
from ci_sim.params import parameter_table
from ci_sim.scenarios import _key_text

ROWS = {row["key"]: row for row in parameter_table()}
#: Keys inside tables that ``parameter_table()`` lists as one dict or list row.
INNER_KEYS = (
    "organisations.mix.ngo",
    "organisations.mix.police",
    "organisations.names.ngo",
    "organisations.profiles.ngo",
    "organisations.profiles.ngo.size",
    "organisations.profiles.police.practice",
    "environment.shocks",
    "meta.title",
    "meta.sources",
)
#: Keys that do not exist, or that name a table where a value is expected (or so).
UNKNOWN_KEYS = (
    "nonsense",
    "backbone.stafff",
    "backbone.effort.develop_relation",
    "backbone.staff.deeper",
    "backbone",
    "backbone.effort",
    "simulation",
    "mechanisms.trust_gain.x",
    "organisations.mix.unicorn",
    "",
    ".",
    "a..b",
    "meta.title.x",
)
#: In-range values of these keys are capped so that a fuzzed run stays small and fast.
SIZE_CAPS = {
    "organisations.count": 40,
    "organisations.people": 10,
    "organisations.contacts": 12,
    "simulation.steps_per_year": 52,
    "mechanisms.knowledge_dims": 60,
}
HUGE = (10**20, -(10**20), 2**63, 2**64, 10**400, 10**5000, 1e308, -1e308, 5e-324)
SPECIAL_FLOATS = (math.nan, math.inf, -math.inf, -0.0)
NUMPY_INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32, np.uint64)
NUMPY_FLOATS = (np.float16, np.float32, np.float64)

FUZZ = settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))


def numpy_scalar(value: Any) -> st.SearchStrategy[Any]:
    """numpy scalars that hold ``value`` (those whose type can hold it)."""
    options: list[Any] = []
    if isinstance(value, bool):
        options.append(np.bool_(value))
    elif isinstance(value, int):
        for kind in NUMPY_INTS:
            info = np.iinfo(kind)
            if info.min <= value <= info.max:
                options.append(kind(value))
        if abs(value) < 1e300:
            options.append(np.float64(value))
    elif isinstance(value, float):
        options.extend(
            kind(value)
            for kind in NUMPY_FLOATS
            if not math.isfinite(value) or abs(value) <= float(np.finfo(kind).max)
        )
    elif isinstance(value, str):
        options.append(np.str_(value))
    return st.sampled_from(options) if options else st.just(value)


def scalars() -> st.SearchStrategy[Any]:
    """Values of every scalar type a user might pass by mistake."""
    return st.one_of(
        st.text(max_size=8),
        st.sampled_from(["none", "fixed", "adaptive", "ngo", "municipality", "true", "1"]),
        st.booleans(),
        st.none(),
        st.sampled_from(SPECIAL_FLOATS + HUGE),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def any_value() -> st.SearchStrategy[Any]:
    """A scalar, a numpy scalar, a list or a mapping."""
    plain = scalars()
    return st.one_of(
        plain,
        plain.flatmap(numpy_scalar),
        st.lists(plain, max_size=3),
        st.dictionaries(st.text(max_size=6), plain, max_size=3),
        st.dictionaries(st.sampled_from(["kind", "year", "size", "ngo", "x"]), plain, max_size=3),
    )


def in_range(key: str) -> st.SearchStrategy[Any]:
    """A value of the key's type inside its declared bounds (small for size keys)."""
    row = ROWS.get(key)
    if row is None:
        return any_value()
    kind, low, high = row["kind"], row["low"], row["high"]
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        high = min(high, SIZE_CAPS.get(key, high))
        return st.integers(low, high)
    if kind == "float" and low is not None:
        return st.floats(low, high, exclude_min=row["low_strict"])
    if key == "backbone.allocation":
        return st.sampled_from(["fixed", "adaptive", "random"])
    if key == "backbone.host":
        return st.sampled_from(["none", "municipality", "ngo", "ngo_1", "nobody"])
    if key == "organisations.initiators":
        return st.one_of(st.integers(-2, 60), st.lists(st.sampled_from(["ngo", "x"]), max_size=2))
    return any_value()


def capped(key: str, value: Any) -> Any:
    """Cap in-range sizes (a fuzzed 5,000 x 200-person field would only be slow)."""
    cap = SIZE_CAPS.get(key)
    if cap is None or isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return value
    try:
        high = ROWS[key]["high"]
        return type(value)(cap) if cap < value <= high else value
    except (TypeError, ValueError, OverflowError):
        return value


@st.composite
def value_for(draw: st.DrawFn, key: str) -> Any:
    """A value for ``key``: often in range (plain or numpy), otherwise anything."""
    good = in_range(key)
    value = draw(st.one_of(good, good.flatmap(numpy_scalar), any_value()))
    return capped(key, value)


def keys() -> st.SearchStrategy[str]:
    """Known keys (most of the time), keys inside tables, unknown and random keys."""
    return st.one_of(
        st.sampled_from(sorted(ROWS)),
        st.sampled_from(sorted(ROWS)),
        st.sampled_from(INNER_KEYS),
        st.sampled_from(UNKNOWN_KEYS),
        st.text(max_size=12),
    )


@st.composite
def overrides(draw: st.DrawFn, max_keys: int = 4) -> dict[str, Any]:
    """A mapping of a few random keys to random values."""
    names = draw(st.lists(keys(), max_size=max_keys, unique=True))
    return {key: draw(value_for(key)) for key in names}


def seeds() -> st.SearchStrategy[Any]:
    """Seeds: ints and numpy integers (valid), and negative, float, text or bool ones."""
    valid = st.integers(0, 2**64)
    return st.one_of(
        valid,
        valid.flatmap(numpy_scalar),
        st.sampled_from([-1, -(2**70), 1.5, 3.0, "3", True, np.float64(2.0), [1]]),
    )


def years() -> st.SearchStrategy[Any]:
    """Short run lengths (mostly), and zero, negative, NaN, too long or wrong types."""
    short = st.sampled_from([0.25, 0.5, 1.0, 1])
    return st.one_of(
        short,
        short,
        short.flatmap(numpy_scalar),
        st.sampled_from([0, 0.01, -1.0, math.nan, math.inf, 201, "1", True, [1.0], 10**400]),
    )


def scenarios() -> st.SearchStrategy[Any]:
    """Built-in names (mostly), a mapping, and things that are no scenario."""
    return st.one_of(
        st.sampled_from(list_scenarios()),
        st.just({}),
        st.sampled_from(["no_such_scenario", "", 5, None, ["default"]]),
    )


@dataclass
class Call:
    """One fuzzed call of :func:`ci_sim.run`."""

    scenario: Any
    seed: Any
    years: Any
    overrides: dict[str, Any]

    def keys(self) -> list[str]:
        """Every key the call sets, with the run length as ``simulation.years``."""
        return [*self.overrides, "simulation.years", "seed", "scenario"]


@st.composite
def good_overrides(draw: st.DrawFn, max_keys: int = 4) -> dict[str, Any]:
    """Known keys with values inside their bounds (plain or numpy): most of these run."""
    names = draw(st.lists(st.sampled_from(sorted(ROWS)), max_size=max_keys, unique=True))
    out = {}
    for key in names:
        good = in_range(key)
        out[key] = capped(key, draw(st.one_of(good, good.flatmap(numpy_scalar))))
    return out


good_seeds = st.integers(0, 2**32).flatmap(lambda s: st.sampled_from([s, np.int64(s)]))
#: Half the calls lean to valid input (so runs happen), half are anything.
calls = st.one_of(
    st.builds(
        Call,
        st.sampled_from(list_scenarios()),
        good_seeds,
        st.sampled_from([0.25, 0.5, 1.0]),
        good_overrides(),
    ),
    st.builds(Call, scenarios(), seeds(), years(), overrides()),
)


def prefixes(key: str) -> list[str]:
    """``a.b.c`` -> ``["a.b.c", "a.b", "a"]`` (an error may name the enclosing table)."""
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def error_detail(message: str, call: Call) -> str:
    """Return what an error says after the source label (which lists every key)."""
    listed = ", ".join(map(_key_text, {**call.overrides, "simulation.years": None}))
    return message.split(f" with overrides {listed}: ", 1)[-1]


#: The scenario file's top-level tables.
TABLES = frozenset(key.split(".")[0] for key in ROWS)


def names_a_key(message: str, call: Call) -> bool:
    """True if the error's detail names a key of the call or one of its tables.

    The key must stand as a key does in the loader's messages, not merely occur inside
    other words (a fuzzed key ``a`` is not named by "a valid number"): a dotted or
    quoted key as a whole token, or any key followed by ``=``, ``:``, ``is`` (after at
    most one value), or after "unknown".
    """
    detail = error_detail(message, call)
    keys = [str(key) for key in call.keys()]
    named = {_key_text(k) for k in keys}  # an empty key is named by its quoted text
    named |= {t for k in keys for p in prefixes(k) for t in (p, _key_text(p)) if t}
    before = r"(?:^|[\s'\"(\[])"
    forms = r"(?:'|\"|(?: \S+)?(?: =|:| is )|\.\d+ =)"
    token_end = r"(?=$|[\s'\":=,;)\]]|\.\d)"

    def named_by(t: str) -> bool:
        k = re.escape(t)
        return bool(
            re.search(before + k + forms, detail)
            or re.search(rf"unknown (?:key )?{k}(?:\W|$)", detail)
            or (("." in t or t[:1] in "'\"") and re.search(before + k + token_end, detail))
            # a key inside the same table (a conflict the override caused elsewhere)
            or (t in TABLES and re.search(before + k + r"\.\w", detail))
        )

    return any(named_by(t) for t in named)


def check_invariants(result: ci_sim.RunResult) -> None:
    """Every metric finite; conditions and levels in [0, 1]; one row per step."""
    m = result.metrics
    assert len(m) == result.params.steps + 1
    assert list(m.columns) == ["step", "year", *REPORTERS]
    values = m[list(REPORTERS)].to_numpy(dtype=float)
    assert np.isfinite(values).all(), m.columns[~np.isfinite(values).all(axis=0)]
    bounded = m[[*CONDITIONS, *LEVELS]].to_numpy(dtype=float)
    assert ((bounded >= 0.0) & (bounded <= 1.0)).all()


def call_run(call: Call) -> str:
    """Run one fuzzed call; return "ok" or "refused", asserting the contract."""
    try:
        result = ci_sim.run(
            call.scenario,
            seed=call.seed,
            years=call.years,
            overrides=call.overrides,
            record_organisations=False,
        )
    except ScenarioError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        assert names_a_key(message, call), (message, call)
        return "refused"
    check_invariants(result)
    return "ok"


def fuzz(examples: int, derandomize: bool) -> Counter[str]:
    """Run ``examples`` fuzzed calls; return how many ran ("ok") and were "refused"."""
    seen: Counter[str] = Counter()

    @settings(FUZZ, max_examples=examples, derandomize=derandomize)
    @given(call=calls)
    def one(call: Call) -> None:
        seen[call_run(call)] += 1

    one()
    return seen


def test_run_fuzz_succeeds_or_names_the_key() -> None:
    seen = fuzz(50, derandomize=True)
    assert seen["ok"] >= 10, seen  # a fuzz that refuses everything tests little
    assert seen["refused"] >= 10, seen


@pytest.mark.slow
def test_run_fuzz_1000_examples() -> None:
    seen = fuzz(1000, derandomize=False)
    print(f"run() fuzz: {seen['ok']} runs, {seen['refused']} refused")
    assert seen.total() >= 1000, seen
    assert seen["ok"] >= 100, seen
