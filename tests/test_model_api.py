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
