"""ci_sim: an agent-based simulation of Collective Impact.

The small public API that experiments and notebooks rely on:

* :func:`run` runs a scenario with a seed and returns a :class:`RunResult`.
* :class:`CIModel` is the ``mesa.Model``.
* :func:`load_scenario`, :func:`list_scenarios` and :class:`ScenarioError` read scenarios.
"""

from ci_sim.model import CIModel
from ci_sim.params import Params
from ci_sim.runner import RunResult, run
from ci_sim.scenarios import ScenarioError, list_scenarios, load_scenario

__all__ = [
    "CIModel",
    "Params",
    "RunResult",
    "ScenarioError",
    "list_scenarios",
    "load_scenario",
    "run",
]
