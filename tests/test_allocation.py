"""The four backbone tasks are preconditions of each other (C4.1-C4.4, C3.7).

Over-focus on one task starves the outcomes the others carry, shown over 40 paired
seeds; the adaptive policy shifts effort toward the weakest task.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

import ci_sim
from ci_sim.agents import Task
from ci_sim.stats import paired_effect
from ci_sim.sweep import at_years, derive_seeds, run_seeds

SEEDS = derive_seeds(4, 40)
TASKS = ("develop_relations", "develop_capabilities", "anchor_capabilities", "anchor_relations")
OUTCOME = at_years(
    [11.9, 15], ["systemic_change", "mean_trust", "resource_flows", "change_leaders", "practices"]
)


@cache
def outcomes(focus: str | None) -> pd.DataFrame:
    overrides = None
    if focus is not None:
        overrides = {f"backbone.effort.{t}": (0.85 if t == focus else 0.05) for t in TASKS}
    return run_seeds("default", SEEDS, OUTCOME, overrides=overrides, processes=2)


#: What each single-task focus starves: outcomes carried by the other tasks (round 2,
#: validation seeds root 4). An anchoring-through-relations focus starves nothing we can
#: show at year 11.9, and a relationship focus does not starve change leaders (it even
#: has more, n.s.): these are round-2 findings (docs/patterns.md, issue-7 note).
STARVED = {
    "develop_relations": ["resource_flows", "practices"],
    "develop_capabilities": ["mean_trust", "resource_flows", "change_leaders"],
    "anchor_capabilities": ["mean_trust", "change_leaders", "practices"],
}


@pytest.mark.parametrize("focus", sorted(STARVED))
def test_single_task_focus_starves_the_other_tasks(focus):
    for metric in STARVED[focus]:
        col = f"{metric}@11.9"
        e = paired_effect(outcomes(None)[col], outcomes(focus)[col])
        assert e.mean_diff < 0 and e.p_value < 0.01, (focus, metric, str(e))


@pytest.mark.parametrize("focus", ["develop_capabilities", "anchor_capabilities"])
def test_balance_beats_any_single_task_focus(focus):
    """Systemic change at the end of the run is lower with a capability-only focus.

    Round-2 finding (not tuned away): a relationship-only focus (-0.008, p 0.25) and an
    anchoring-through-relations focus (+0.021, p 0.1) are not worse than balance at year
    15 on these 40 seeds; relations carry leadership and will, which carry the rest.
    """
    col = "systemic_change@15"
    e = paired_effect(outcomes(None)[col], outcomes(focus)[col])
    assert e.mean_diff < 0 and e.p_value < 0.01, str(e)


def test_adaptive_policy_moves_effort_to_the_weakest_task():
    params = ci_sim.load_scenario("default", {"backbone.allocation": "adaptive"})
    model = ci_sim.CIModel(params, rng=3)
    model.run_for(params.simulation.steps_per_year * 2)
    bb = model.backbone
    assert bb is not None
    model.trust_bb[:] = 0.9
    model.code_knowledge = 0.9
    model.mandate[:] = 0.05  # anchoring through capabilities is now the weakest task
    model.change_leader[:] = True
    before = bb.shares.copy()
    bb.adapt_allocation()
    assert np.isclose(bb.shares.sum(), 1.0)
    assert bb.shares[Task.ANCHOR_CAPABILITIES] > before[Task.ANCHOR_CAPABILITIES]
    assert np.argmax(bb.shares - before) == Task.ANCHOR_CAPABILITIES


def test_fixed_policy_keeps_the_configured_shares():
    """Under fixed allocation and without goal steering, the effort the backbone actually
    spends in year 4 (``task_shares``, what its meetings are drawn from) is the
    configured split."""
    params = ci_sim.load_scenario(
        "default",
        {"backbone.effort.develop_relations": 0.7, "governance.goal_steering": 0.0},
    )
    model = ci_sim.CIModel(params, rng=3)
    model.run_for(params.simulation.steps_per_year * 4)
    assert model.steering == 0.0
    np.testing.assert_allclose(model.backbone.task_shares(), params.backbone.effort.shares())
