"""Scenario loading and validation: defaults, levers, error messages, roster, parsing."""

from __future__ import annotations

import math
import re
from functools import reduce
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ci_sim
from ci_sim import ScenarioError, load_scenario
from ci_sim.logics import Logic
from ci_sim.params import TASK_KEYS, Organisations, parameter_table, roster
from ci_sim.scenarios import apply_overrides, parse_assignment
from tests.property import (
    EFFORT_KEYS,
    FAST_SETTINGS,
    KNOWN_PATHS,
    LEVER_KEYS,
    NUMERIC_LEVERS,
    invalid_cases,
    invalid_overrides,
    unknown_key,
    valid_overrides,
)

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def attr(params: Any, dotted: str) -> Any:
    """Return the value at ``dotted`` of a validated Params."""
    return reduce(getattr, dotted.split("."), params)


def error_of(overrides: dict[str, Any]) -> str:
    """Validate ``overrides`` as a plain mapping (no key list in the source label)."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(apply_overrides({}, overrides))
    return str(err.value)


def numbers_in(text: str) -> set[float]:
    return {float(x) for x in NUMBER.findall(text)}


# --- the default scenario -------------------------------------------------------------


def test_default_scenario_matches_its_documentation() -> None:
    p = load_scenario("default")
    assert "default" in ci_sim.list_scenarios()
    assert 15 <= p.organisations.count <= 25  # "about 20 organisations"
    names = roster(p.organisations)
    assert len(names) == p.organisations.count
    logics = {lg for _, lg in names}
    assert len(logics) >= 5
    assert Logic.MUNICIPALITY in logics
    assert p.simulation.steps_per_year == 12
    assert p.simulation.years == 15
    assert p.steps == 180
    assert p.backbone.enabled is True
    assert p.backbone.sunset_year == 12
    assert p.backbone.handover is True
    assert p.backbone.effort.shares() == pytest.approx((0.25, 0.25, 0.25, 0.25))
    assert p.backbone.host == "none"


def test_default_is_the_default_argument() -> None:
    assert load_scenario() == load_scenario("default")


def test_params_round_trip_through_load_scenario() -> None:
    p = load_scenario("default", {"backbone.staff": 5})
    assert load_scenario(p) == p
    assert load_scenario(p, {"backbone.staff": 2}).backbone.staff == 2


def test_overrides_are_not_mutated() -> None:
    ov = {"backbone.effort": {"develop_relations": 0.5}}
    load_scenario("default", ov)
    assert ov == {"backbone.effort": {"develop_relations": 0.5}}


def test_toml_path_is_accepted_and_bad_toml_refused(tmp_path) -> None:
    good = tmp_path / "mine.toml"
    good.write_text('[backbone]\nstaff = 4.5\nhost = "ngo"\n[simulation]\nyears = 3\n')
    p = load_scenario(good)
    assert p.backbone.staff == 4.5
    assert p.backbone.host == "ngo"
    assert p.simulation.years == 3
    bad = tmp_path / "bad.toml"
    bad.write_text("[backbone\nstaff = 4\n")
    with pytest.raises(ScenarioError, match="TOML"):
        load_scenario(bad)
    typo = tmp_path / "typo.toml"
    typo.write_text("[backbone]\nstafff = 4\n")
    with pytest.raises(ScenarioError, match=r"did you mean 'backbone\.staff'"):
        load_scenario(typo)


def test_unknown_scenario_name_suggests_the_closest() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'default'"):
        load_scenario("defualt")


# --- every lever is accepted ----------------------------------------------------------

LEVER_EXAMPLES: dict[str, list[Any]] = {
    "backbone.enabled": [False, True],
    "backbone.effort.develop_relations": [0.0, 0.25],
    "backbone.effort.develop_capabilities": [0.0, 0.25],
    "backbone.effort.anchor_capabilities": [0.0, 0.25],
    "backbone.effort.anchor_relations": [0.0, 0.25],
    "backbone.allocation": ["adaptive", "fixed"],
    "backbone.independence": [0.0, 0.3],
    "backbone.host": ["municipality", "ngo_2"],
    "backbone.disturbance": [1.0, 0.0],
    "backbone.credit_taking": [0.6, 1],
    "backbone.growth": [0.4, 1.0],
    "backbone.staff": [7, 0.5],
    "backbone.sunset_year": [8, "none", 1.5, 3.5],
    "backbone.handover": [False],
    "governance.goal_steering": [0.7, 0],
    "governance.reporting_burden": [0.6, 1.0],
    "organisations.count": [12, 2],
    "organisations.people": [4, 2],
    "organisations.turnover_per_year": [0.3, 0.0],
    "simulation.years": [3, 2.5],
    "simulation.steps_per_year": [52, 4],
}


def test_lever_examples_cover_every_lever() -> None:
    assert set(LEVER_EXAMPLES) == set(LEVER_KEYS)


LEVER_CASES = [(k, v) for k, vs in LEVER_EXAMPLES.items() for v in vs]


@pytest.mark.parametrize(("key", "value"), LEVER_CASES)
def test_every_lever_is_accepted_and_set(key: str, value: Any) -> None:
    p = load_scenario("default", {key: value})
    assert attr(p, key) == value
    assert isinstance(attr(p, key), bool) == isinstance(value, bool)


@FAST_SETTINGS
@given(overrides=valid_overrides())
def test_valid_overrides_are_accepted(overrides: dict[str, Any]) -> None:
    p = load_scenario("default", overrides)
    for key, value in overrides.items():
        if ".effort." not in key:
            assert attr(p, key) == value
    raw = [overrides.get(f"backbone.effort.{k}", 0.25) for k in TASK_KEYS]
    assert p.backbone.effort.shares() == pytest.approx([r / sum(raw) for r in raw])


def test_effort_shares_are_normalised_and_recorded() -> None:
    """Issue 10: the shares a run uses are the shares it records (no silent rescaling)."""
    p = load_scenario("default", {"backbone.effort.develop_relations": 0.5})
    assert p.backbone.effort.develop_relations == pytest.approx(0.4)
    assert p.model_dump()["backbone"]["effort"]["develop_relations"] == pytest.approx(0.4)
    assert sum(p.backbone.effort.shares()) == pytest.approx(1.0)
    again = load_scenario(p.model_dump())
    assert again.backbone.effort == p.backbone.effort


@pytest.mark.parametrize(("start", "sunset"), [(5, 3), (2, 2)])
def test_sunset_before_start_is_refused(start: float, sunset: float) -> None:
    overrides = {"backbone.start_year": start, "backbone.sunset_year": sunset}
    with pytest.raises(ScenarioError, match="backbone.sunset_year"):
        load_scenario("default", overrides)


# --- unknown keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "names", "suggestion"),
    [
        ("backbone.sunset_yaer", "backbone.sunset_yaer", "backbone.sunset_year"),
        ("backbone.stafff", "backbone.stafff", "backbone.staff"),
        ("backbone.hanover", "backbone.hanover", "backbone.handover"),
        (
            "backbone.effort.develop_relation",
            "backbone.effort.develop_relation",
            "backbone.effort.develop_relations",
        ),
        ("governance.goal_steer", "governance.goal_steer", "governance.goal_steering"),
        ("organisations.cuont", "organisations.cuont", "organisations.count"),
        ("simulation.year", "simulation.year", "simulation.years"),
        ("backbon.staff", "backbon", "backbone"),
        ("organizations.count", "organizations", "organisations"),
    ],
)
def test_unknown_key_is_named_with_a_suggestion(typo: str, names: str, suggestion: str):
    with pytest.raises(ScenarioError) as err:
        load_scenario("default", {typo: 1})
    assert type(err.value) is ScenarioError
    assert f"did you mean {suggestion!r}" in str(err.value)
    message = error_of({typo: 1})
    assert f"unknown key {names!r}" in message
    assert f"did you mean {suggestion!r}" in message


# --- out-of-range values --------------------------------------------------------------


def _outside_values(kind: str, low: float, high: float) -> list[Any]:
    if kind == "int":
        return [int(low) - 1, int(high) + 1]
    return [low - 0.5, high + 0.5, high * 10 + 1]


OUTSIDE_CASES = [
    (key, value)
    for key, (kind, low, high) in NUMERIC_LEVERS.items()
    for value in _outside_values(kind, low, high)
]


@pytest.mark.parametrize(("key", "value"), OUTSIDE_CASES)
def test_out_of_range_names_key_and_allowed_range(key: str, value: Any) -> None:
    _, low, high = NUMERIC_LEVERS[key]
    with pytest.raises(ScenarioError):
        load_scenario("default", {key: value})
    message = error_of({key: value})
    assert key in message
    found = numbers_in(message)
    assert float(low) in found and float(high) in found, message


def test_nan_is_refused() -> None:
    for key, (kind, _, _) in NUMERIC_LEVERS.items():
        if kind == "float":
            with pytest.raises(ScenarioError):
                load_scenario("default", {key: math.nan})


def test_all_zero_effort_is_refused() -> None:
    zero = dict.fromkeys(EFFORT_KEYS, 0)
    message = error_of(zero)
    assert "backbone.effort" in message
    assert "zero" in message


@FAST_SETTINGS
@given(case=invalid_cases())
def test_invalid_overrides_raise_scenario_error(case) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario("default", case.overrides)
    assert type(err.value) is ScenarioError
    assert case.names in error_of(case.overrides), case.kind


@FAST_SETTINGS
@given(overrides=invalid_overrides())
def test_run_refuses_invalid_overrides(overrides: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError) as err:
        ci_sim.run(overrides=overrides)
    assert type(err.value) is ScenarioError


@FAST_SETTINGS
@given(case=unknown_key())
def test_typos_of_real_keys_suggest_the_real_key(case) -> None:
    assert case.names not in KNOWN_PATHS
    message = error_of(case.overrides)
    assert f"unknown key {case.names!r}" in message
    assert f"did you mean {case.fix!r}" in message


# --- roster and host ------------------------------------------------------------------

mixes = st.dictionaries(
    st.sampled_from([lg.value for lg in Logic]),
    st.one_of(st.integers(0, 10), st.floats(0.0, 10.0)),
    min_size=1,
).filter(lambda m: sum(m.values()) > 0)


@FAST_SETTINGS
@given(count=st.integers(2, 300), mix=mixes)
def test_roster_has_count_unique_names_split_by_largest_remainder(
    count: int, mix: dict[str, float]
) -> None:
    orgs = Organisations(count=count, mix=mix)
    names = roster(orgs)
    assert len(names) == count
    assert len({n for n, _ in names}) == count
    assert roster(orgs) == names
    total = sum(mix.values())
    for lg in Logic:
        mine = [n for n, g in names if g is lg]
        assert mine == [f"{lg.value}_{k}" for k in range(1, len(mine) + 1)]
        quota = count * mix.get(lg.value, 0.0) / total
        assert math.floor(quota) <= len(mine) <= math.ceil(quota)


@pytest.mark.parametrize("count", range(3, 31))
def test_valid_hosts_exist_for_small_fields(count: int) -> None:
    names = {n for n, _ in roster(Organisations(count=count))}
    assert {"municipality_1", "ngo_1"} <= names


@pytest.mark.parametrize("host", ["municipality", "ngo", "municipality_2", "ngo_1"])
def test_host_by_logic_or_name_is_accepted(host: str) -> None:
    p = load_scenario("default", {"backbone.host": host, "simulation.years": 1})
    assert p.backbone.host == host
    model = ci_sim.CIModel(p, rng=3)
    org = model.organisations[int(model.hosts[0])]
    assert host in (org.name, org.logic.value)
    if host in {lg.value for lg in Logic}:  # a logic: its most powerful organisation
        same = [o.idx for o in model.organisations if o.logic.value == host]
        assert int(model.hosts[0]) == max(same, key=lambda i: model.power[i])


@pytest.mark.parametrize(
    "overrides",
    [
        {"backbone.host": "church"},
        {"backbone.host": "ngo_99"},
        {"backbone.host": "Municipality"},
        {"backbone.host": "police", "organisations.count": 3},
        {"backbone.host": "police_1", "organisations.mix": {"ngo": 1, "municipality": 1}},
    ],
)
def test_nonexistent_host_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError):
        load_scenario("default", overrides)
    assert "backbone.host" in error_of(overrides)


# --- parse_assignment -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("backbone.staff=2", "backbone.staff", 2),
        ("backbone.staff=2.5", "backbone.staff", 2.5),
        (" backbone.staff = 1e1 ", "backbone.staff", 10.0),
        ("backbone.enabled=false", "backbone.enabled", False),
        ("backbone.handover=true", "backbone.handover", True),
        ("backbone.host=municipality", "backbone.host", "municipality"),
        ('backbone.host="ngo_1"', "backbone.host", "ngo_1"),
        ("backbone.sunset_year=none", "backbone.sunset_year", "none"),
        ("backbone.allocation=adaptive", "backbone.allocation", "adaptive"),
        ("meta.title=a=b", "meta.title", "a=b"),
    ],
)
def test_parse_assignment(text: str, key: str, value: Any) -> None:
    got_key, got = parse_assignment(text)
    assert got_key == key
    assert got == value
    assert type(got) is type(value)


def test_parse_assignment_without_equals_is_refused() -> None:
    with pytest.raises(ScenarioError, match="key=value"):
        parse_assignment("backbone.staff")


def test_parsed_assignments_load() -> None:
    texts = ["backbone.enabled=false", "backbone.sunset_year=none", "organisations.count=8"]
    p = load_scenario("default", dict(parse_assignment(t) for t in texts))
    assert p.backbone.enabled is False
    assert p.backbone.sunset_year == "none"
    assert p.organisations.count == 8


# --- parameter_table ------------------------------------------------------------------


def test_parameter_table_has_every_lever() -> None:
    rows = {r["key"]: r for r in parameter_table()}
    assert len(rows) == len(parameter_table())
    for key in LEVER_KEYS:
        assert key in rows, key
    assert rows["backbone.enabled"]["kind"] == "bool"
    assert rows["backbone.handover"]["kind"] == "bool"
    defaults = ci_sim.Params()
    for key in LEVER_KEYS:
        assert rows[key]["default"] == attr(defaults, key), key


@pytest.mark.parametrize("key", sorted(NUMERIC_LEVERS))
def test_parameter_table_bounds_agree_with_validation(key: str) -> None:
    row = next(r for r in parameter_table() if r["key"] == key)
    _, low, high = NUMERIC_LEVERS[key]
    assert row["low"] == low and row["high"] == high, row
    assert low <= row["default"] <= high
    kind = NUMERIC_LEVERS[key][0]
    step = 1 if kind == "int" else 1e-6
    load_scenario("default", {key: high})
    # the sunset must also follow the start (a cross-field check): start at 0 to reach 0
    context = {"backbone.start_year": 0.0} if key == "backbone.sunset_year" else {}
    if key == "backbone.sunset_year":
        with pytest.raises(ScenarioError, match="not after backbone.start_year"):
            load_scenario("default", {**context, key: low})
    elif key != "simulation.years":  # its lower bound is exclusive
        load_scenario("default", {key: low})
    for outside in (low - step, high + step):
        with pytest.raises(ScenarioError):
            load_scenario("default", {key: outside})
