"""``CIModel.run_for`` counts whole steps and stays inside the run (issue 10)."""

from __future__ import annotations

import pytest

import ci_sim


def test_run_for_refuses_fractions_and_running_past_the_end():
    model = ci_sim.CIModel(ci_sim.load_scenario("default", {"simulation.years": 1}), rng=1)
    with pytest.raises(ValueError, match="whole number of steps"):
        model.run_for(2.5)
    model.run_for(10)
    with pytest.raises(ValueError, match="2 are left"):
        model.run_for(3)
    model.run_for(2)
    assert round(model.time) == 12
    assert len(model.datacollector.get_model_vars_dataframe()) == 13


def test_step_collector_records_what_mesas_collector_records():
    """The model's collector appends the cached metrics; Mesa's calls every reporter."""
    import mesa
    import pandas as pd

    from ci_sim import metrics

    model = ci_sim.CIModel(ci_sim.load_scenario("default", {"simulation.years": 2}), rng=4)
    plain = mesa.DataCollector(model_reporters={n: metrics.latest(n) for n in metrics.REPORTERS})
    plain.collect(model)
    for _ in range(24):
        model.step()
        plain.collect(model)
    pd.testing.assert_frame_equal(
        model.datacollector.get_model_vars_dataframe(), plain.get_model_vars_dataframe()
    )


def test_cached_rates_equal_the_numpy_rates():
    import numpy as np

    model = ci_sim.CIModel(ci_sim.load_scenario("default"), rng=0)
    for per_year in (0.5, 1.0, 2.0, 12.0, 1e-9, 0.37, -0.0, 0.0, 3):
        want = -np.expm1(-np.asarray(per_year, dtype=float) * model.dt)
        for _ in range(2):  # computed, then from the cache
            got = model.rate(per_year)
            assert type(got) is type(want) and got == want
            assert np.signbit(got) == np.signbit(want)
