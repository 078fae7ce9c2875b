"""Invariants of whole runs over the lever space: bounds, reproducibility, the timeline."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ci_sim
from ci_sim import metrics
from ci_sim.params import Params, parameter_table, roster
from tests.property import MODEL_SETTINGS, first_step, valid_overrides

#: Metric columns that are not shares in [0, 1].
UNBOUNDED = ("step", "year", "backbone_staff", "cross_org_contacts")
#: Per-organisation columns that must lie in [0, 1].
ORG_UNIT_COLUMNS = (
    "practice",
    "habit",
    "mandate",
    "delivered",
    "willingness",
    "mindset",
    "mean_trust",
    "trust_backbone",
    "change_leaders",
    "leadership",
    "habituation",
)
#: Model arrays that must stay in [0, 1] after every step.
UNIT_ARRAYS = (
    "trust",
    "trust_bb",
    "mindset",
    "practice",
    "habit",
    "mandate",
    "delivered",
    "leads",
    "habituation",
    "routine",
    "stake",
)
BACKBONE_EVENTS = ("backbone_start", "handover_start", "sunset")

seeds = st.integers(0, 2**31 - 1)


def in_unit(values: Any) -> bool:
    x = np.asarray(values, dtype=float)
    return bool(np.isfinite(x).all() and (x >= 0.0).all() and (x <= 1.0).all())


def step_arrays_in_unit(model: ci_sim.CIModel) -> None:
    """Step ``model`` to its end, checking the state arrays after every step."""
    for _ in range(model.params.steps):
        model.step()
        for name in UNIT_ARRAYS:
            x = getattr(model, name)
            assert in_unit(x), (name, int(model.time), float(np.min(x)), float(np.max(x)))
        assert set(np.unique(model.beliefs)) <= {-1, 0, 1}
        assert set(np.unique(model.code)) <= {-1, 0, 1}


# --- bounds ---------------------------------------------------------------------------


@MODEL_SETTINGS
@given(overrides=valid_overrides(), seed=seeds)
def test_metrics_and_organisations_stay_in_bounds(overrides: dict, seed: int) -> None:
    result = ci_sim.run(overrides=overrides, seed=seed)
    p = result.params
    m = result.metrics
    assert len(m) == p.steps + 1 == round(p.simulation.years * 12) + 1
    np.testing.assert_array_equal(m["step"], np.arange(len(m)))
    np.testing.assert_allclose(m["year"], m["step"] / p.simulation.steps_per_year)
    assert not m.isna().any().any()
    for column in m.columns.drop(list(UNBOUNDED)):
        assert in_unit(m[column]), (column, m[column].min(), m[column].max())
    staff = m["backbone_staff"]
    assert np.isfinite(staff).all() and (staff >= 0).all()
    assert (staff[m["backbone_present"] == 0] == 0).all()
    assert set(m["backbone_present"].unique()) <= {0.0, 1.0}
    contacts = m["cross_org_contacts"]  # bounded by everyone else in other organisations
    assert (contacts >= 0).all() and (
        contacts <= p.organisations.people * p.organisations.count
    ).all()

    orgs = result.organisations
    count = p.organisations.count
    assert len(orgs) == (p.steps + 1) * count
    assert not orgs.isna().any().any()
    for column in ORG_UNIT_COLUMNS:
        assert in_unit(orgs[column]), (column, orgs[column].min(), orgs[column].max())
    assert set(orgs["stance"]) <= {"engaged", "dominating", "withdrawn"}
    names = sorted(name for name, _ in roster(p.organisations))
    for _, rows in orgs.groupby("step"):
        assert sorted(rows["name"]) == names

    ev = result.events
    assert list(ev.columns) == ["step", "year", "kind", "detail"]
    assert (ev["step"].diff().dropna() >= 0).all()
    assert ev["step"].between(0, p.steps).all()  # step 0: set-up notes (initiator_missing)
    assert (ev.loc[ev["step"] == 0, "kind"] == "initiator_missing").all()
    np.testing.assert_allclose(ev["year"], ev["step"] / 12, atol=1e-4)


def test_each_level_moves_only_with_its_own_conditions() -> None:
    """The three levels of systemic change read their own conditions only (ODD 7.20).

    Metamorphic, on a frozen running model: more own practice (a structural condition)
    raises structural change and systemic change and leaves the relational and
    transformative levels as they were; trust on the cross ties (relational) leaves
    the structural level alone.
    """
    model = ci_sim.CIModel(ci_sim.load_scenario("default"), rng=5, record_organisations=False)
    model.run_for(3 * 12)
    names = ("structural", "relational", "transformative", "systemic_change")
    before = {n: metrics.REPORTERS[n](model) for n in names}
    model.practice[:] = np.minimum(1.0, model.practice + 0.2)
    after = {n: metrics.REPORTERS[n](model) for n in names}
    assert after["structural"] > before["structural"]
    assert after["systemic_change"] > before["systemic_change"]
    assert after["relational"] == before["relational"]
    assert after["transformative"] == before["transformative"]
    model.trust[:] = np.minimum(1.0, model.trust + 0.3)
    again = {n: metrics.REPORTERS[n](model) for n in names}
    assert again["relational"] > after["relational"]
    assert again["structural"] == after["structural"]


@MODEL_SETTINGS
@given(overrides=valid_overrides(max_years=3), seed=seeds)
def test_model_arrays_stay_in_unit_interval(overrides: dict, seed: int) -> None:
    params = ci_sim.load_scenario("default", overrides)
    step_arrays_in_unit(ci_sim.CIModel(params, rng=seed, record_organisations=False))


#: Every mechanism constant at either end of its declared range, at the coarsest time
#: step and at the default one. Declared bounds are a promise: no value inside them
#: may push a share out of [0, 1] or crash a run.
MECHANISM_ROWS = [row for row in parameter_table() if row["key"].startswith("mechanisms.")]
EXTREME_CASES = [
    pytest.param(row["key"], end, spy, id=f"{row['key'].split('.')[1]}-{end}-spy{spy}")
    for row in MECHANISM_ROWS
    if row["low"] is not None and row["high"] is not None
    for end in ("low", "high")
    for spy in (4, 12)
]


@pytest.mark.parametrize(("key", "end", "spy"), EXTREME_CASES)
def test_mechanisms_at_their_bounds_keep_state_in_unit_interval(key, end, spy) -> None:
    row = next(r for r in MECHANISM_ROWS if r["key"] == key)
    value = row[end]
    if row["kind"] == "int":
        value = int(value)
    try:
        ci_sim.load_scenario("default", {key: value})
    except ci_sim.ScenarioError:  # an exclusive bound: take a value just inside
        value = value + 1e-3 if end == "low" else value - 1e-3
    overrides = {key: value, "simulation.steps_per_year": spy, "simulation.years": 4}
    if key.endswith("meetings_per_fte_year") and end == "high":
        overrides["simulation.years"] = 2  # keep the run short
    params = ci_sim.load_scenario("default", overrides)
    step_arrays_in_unit(ci_sim.CIModel(params, rng=11, record_organisations=False))


# --- reproducibility ------------------------------------------------------------------


@MODEL_SETTINGS
@given(overrides=valid_overrides(max_years=2), seed=seeds)
def test_same_seed_same_tables(overrides: dict, seed: int) -> None:
    a = ci_sim.run(overrides=overrides, seed=seed)
    b = ci_sim.run(overrides=overrides, seed=seed)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    pd.testing.assert_frame_equal(a.organisations, b.organisations)
    pd.testing.assert_frame_equal(a.events, b.events)


@pytest.mark.parametrize(("seed_a", "seed_b"), [(0, 1), (1, 2), (7, 1234567)])
def test_different_seeds_different_tables(seed_a: int, seed_b: int) -> None:
    a = ci_sim.run(seed=seed_a, years=2)
    b = ci_sim.run(seed=seed_b, years=2)
    assert not a.metrics.equals(b.metrics)
    assert not a.organisations.equals(b.organisations)
    assert not a.events.equals(b.events)


def test_global_random_state_does_not_matter() -> None:
    import random

    random.seed(1)
    np.random.seed(1)  # noqa: NPY002 - the legacy global state must not matter
    a = ci_sim.run(seed=3, years=2)
    random.seed(2)
    np.random.seed(2)  # noqa: NPY002
    b = ci_sim.run(seed=3, years=2)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    pd.testing.assert_frame_equal(a.events, b.events)


def test_recording_organisations_does_not_change_the_run() -> None:
    a = ci_sim.run(seed=4, years=2)
    b = ci_sim.run(seed=4, years=2, record_organisations=False)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert b.organisations.empty
    assert len(a.organisations) == 25 * a.params.organisations.count


def test_model_stepped_by_hand_matches_run() -> None:
    params = ci_sim.load_scenario("default", {"simulation.years": 2})
    model = ci_sim.CIModel(params, rng=9)
    for _ in range(params.steps):
        model.step()
    by_hand = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    result = ci_sim.run(params, seed=9)
    pd.testing.assert_frame_equal(result.metrics.drop(columns=["step", "year"]), by_hand)


def test_years_argument_equals_years_override() -> None:
    a = ci_sim.run(seed=2, years=1.5)
    b = ci_sim.run(seed=2, overrides={"simulation.years": 1.5})
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    assert len(a.metrics) == 19


@pytest.mark.parametrize(("years", "spy"), [(1, 12), (2.5, 12), (3, 4), (2, 5), (1, 52)])
def test_metric_rows(years: float, spy: int) -> None:
    overrides = {"simulation.years": years, "simulation.steps_per_year": spy}
    result = ci_sim.run(seed=0, overrides=overrides)
    assert len(result.metrics) == round(years * spy) + 1
    assert result.metrics["year"].iloc[-1] == pytest.approx(years)


# --- the backbone's timeline ----------------------------------------------------------


def expected_timeline(p: Params) -> dict[str, float]:
    """Steps at which the backbone starts, hands over and ends (inf: never)."""
    bb, spy = p.backbone, p.simulation.steps_per_year
    never = {"backbone_start": math.inf, "handover_start": math.inf, "sunset": math.inf}
    start, end = first_step(bb.start_year, spy), first_step(bb.sunset_year, spy)
    if not bb.enabled or start >= end:
        return never
    handover = math.inf
    if bb.handover and bb.sunset_year != "none":
        handover = max(start, first_step(float(bb.sunset_year) - bb.handover_years, spy))
        handover = handover if handover < end else math.inf
    return {"backbone_start": start, "handover_start": handover, "sunset": end}


def check_timeline(result: ci_sim.RunResult) -> None:
    p = result.params
    expected = expected_timeline(p)
    m, ev = result.metrics, result.events
    start, end = expected["backbone_start"], expected["sunset"]
    present = ((m["step"] >= start) & (m["step"] < end)).astype(float)
    assert m["backbone_present"].iloc[0] == 0.0
    pd.testing.assert_series_equal(
        m["backbone_present"], present, check_names=False, check_dtype=False
    )
    for kind, step in expected.items():
        steps = ev.loc[ev["kind"] == kind, "step"].tolist()
        assert steps == ([step] if step <= p.steps else []), (kind, steps, step)
        rows = ev[ev["kind"] == kind]
        spy = p.simulation.steps_per_year
        np.testing.assert_allclose(rows["year"], rows["step"] / spy, atol=1e-4)
    detail = ev.loc[ev["kind"] == "sunset", "detail"]
    assert detail.str.startswith("the backbone leaves; local leadership in").all()


@MODEL_SETTINGS
@given(overrides=valid_overrides(), seed=seeds)
def test_backbone_timeline(overrides: dict, seed: int) -> None:
    check_timeline(ci_sim.run(overrides=overrides, seed=seed, record_organisations=False))


@pytest.mark.parametrize("spy", [4, 5, 12, 49, 52])
@pytest.mark.parametrize(
    ("start", "sunset", "handover"),
    [(1, 2, True), (0.5, 2.5, False), (0, "none", True), (0.25, 0.5, True)],
)
def test_backbone_timeline_at_other_resolutions(spy, start, sunset, handover) -> None:
    overrides = {
        "simulation.steps_per_year": spy,
        "simulation.years": 3,
        "backbone.start_year": start,
        "backbone.sunset_year": sunset,
        "backbone.handover": handover,
        "backbone.handover_years": 0.5,
    }
    check_timeline(ci_sim.run(overrides=overrides, seed=1, record_organisations=False))


def test_default_timeline() -> None:
    result = ci_sim.run(seed=0, record_organisations=False)
    bb = result.params.backbone
    present = result.metrics.set_index("year")["backbone_present"]
    assert (present[present.index < bb.start_year] == 0).all()
    assert (present[(present.index >= bb.start_year) & (present.index < 12.0)] == 1).all()
    assert (present[present.index >= 12.0] == 0).all()
    ev = result.events.set_index("kind")
    assert ev.loc["backbone_start", "year"] == bb.start_year
    assert ev.loc["handover_start", "year"] == 12.0 - bb.handover_years
    assert ev.loc["sunset", "year"] == 12.0


@MODEL_SETTINGS
@given(overrides=valid_overrides(max_years=3), seed=seeds)
def test_disabled_backbone_never_appears(overrides: dict, seed: int) -> None:
    overrides = {**overrides, "backbone.enabled": False}
    result = ci_sim.run(overrides=overrides, seed=seed, record_organisations=False)
    assert (result.metrics["backbone_present"] == 0).all()
    assert (result.metrics["backbone_staff"] == 0).all()
    assert (result.metrics["backbone_dependence"] == 0).all()
    assert not result.events["kind"].isin(BACKBONE_EVENTS).any()
