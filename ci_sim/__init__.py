"""ci_sim: an agent-based simulation of Collective Impact.

The small public API that experiments and notebooks rely on:

* :func:`run` runs a scenario with a seed and returns a :class:`RunResult`.
* :class:`CIModel` is the ``mesa.Model``.
* :func:`load_scenario`, :func:`list_scenarios` and :class:`ScenarioError` read scenarios.

The names are imported on first use (PEP 562), so that ``import ci_sim.cli`` and
``ci-sim --help`` do not pay for Mesa, pandas and pydantic; ``from ci_sim import run``
works as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ci_sim.model import CIModel
    from ci_sim.params import Params
    from ci_sim.runner import RunResult, run
    from ci_sim.scenario_files import ScenarioError, list_scenarios
    from ci_sim.scenarios import load_scenario

#: Public name -> the module that defines it.
_EXPORTS = {
    "CIModel": "ci_sim.model",
    "Params": "ci_sim.params",
    "RunResult": "ci_sim.runner",
    "ScenarioError": "ci_sim.scenario_files",
    "list_scenarios": "ci_sim.scenario_files",
    "load_scenario": "ci_sim.scenarios",
    "run": "ci_sim.runner",
}

__all__ = [
    "CIModel",
    "Params",
    "RunResult",
    "ScenarioError",
    "list_scenarios",
    "load_scenario",
    "run",
]


def __getattr__(name: str) -> Any:
    """Import a public name (or a submodule, e.g. ``ci_sim.metrics``) on first use.

    The value is kept in the package namespace, so each name is imported once.

    Raises:
        AttributeError: for a name that is neither public nor a submodule.
    """
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
