"""Long runs: 10,000 steps of the default and of every case, checked after every step.

A run of 200 years at 50 steps per year is 10,000 steps (``simulation.years`` is capped
at 200). After every step: every metric is finite, the shares are in [0, 1], the
model's unit arrays are in [0, 1], and the numbers of organisations and people (also
per organisation) are what the scenario says. Memory must stay flat: with
``tracemalloc`` the memory held at step 2,000 and at step 10,000 may differ by little,
once the run's growing outputs (the ``DataCollector`` rows and step column and the event
log, which grow by design, checked and then dropped at every checkpoint) are set aside.

These tests are slow (``make test-slow``); their timings are in
``benchmarks/bench_longrun.py``.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, field

import numpy as np
import pytest

import ci_sim
from ci_sim.agents import Organisation
from ci_sim.metrics import REPORTERS
from tests.test_invariants import UNBOUNDED, UNIT_ARRAYS, in_unit
from tests.test_loader import CASES

STEPS = 10_000
STEPS_PER_YEAR = 50
LONG = {"simulation.years": STEPS / STEPS_PER_YEAR, "simulation.steps_per_year": STEPS_PER_YEAR}
CHECKPOINTS = range(2_000, STEPS + 1, 2_000)
#: Memory the model may gain from step 2,000 to 10,000 (a leak of 20 bytes a step would
#: exceed it; what remains is Python's free lists filling up, about 60 kB).
MAX_GROWTH_BYTES = 160 * 1024


@dataclass
class LongRun:
    """What a checked long run saw."""

    steps: int = 0
    memory: dict[int, int] = field(default_factory=dict)
    events: int = 0


def check_step(model: ci_sim.CIModel, n_org: int, people: int) -> None:
    """The invariants after one step (see the module docstring)."""
    step = int(model.time)
    collected = model.datacollector.model_vars
    for name in REPORTERS:
        value = collected[name][-1]
        assert np.isfinite(value), (name, step, value)
        if name not in UNBOUNDED:
            assert 0.0 <= value <= 1.0, (name, step, value)
        else:
            assert value >= 0.0, (name, step, value)
    for name in UNIT_ARRAYS:
        assert in_unit(getattr(model, name)), (name, step)
    assert len(model.organisations) == n_org, step
    assert sum(isinstance(a, Organisation) for a in model.agents) == n_org, step
    assert model.person_org.shape[0] == n_org * people, step
    assert (np.bincount(model.person_org, minlength=n_org) == people).all(), step


def long_run(scenario: str, seed: int) -> LongRun:
    """Run ``scenario`` for :data:`STEPS` steps, checking every step and tracing memory."""
    params = ci_sim.load_scenario(scenario, LONG)
    assert params.steps == STEPS
    model = ci_sim.CIModel(params, rng=seed, record_organisations=False)
    n_org, people = params.organisations.count, params.organisations.people
    seen = LongRun()
    tracemalloc.start()
    try:
        for _ in range(STEPS):
            model.step()
            check_step(model, n_org, people)
            seen.steps += 1
            if seen.steps in CHECKPOINTS:
                rows = seen.steps + 1 if seen.steps == CHECKPOINTS[0] else CHECKPOINTS.step
                for values in model.datacollector.model_vars.values():
                    assert len(values) == rows  # one row a step, none lost or doubled
                    values.clear()  # outputs that grow by design, already checked
                getattr(model.datacollector, "_collection_steps", []).clear()  # its step column
                seen.events += len(model.events)
                model.events.clear()
                seen.memory[seen.steps] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["default", *CASES])
def test_10000_steps_keep_invariants_and_flat_memory(scenario: str) -> None:
    seen = long_run(scenario, seed=11)
    assert seen.steps == STEPS
    growth = seen.memory[STEPS] - seen.memory[CHECKPOINTS[0]]
    assert growth < MAX_GROWTH_BYTES, seen.memory
