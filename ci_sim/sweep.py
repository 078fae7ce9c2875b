"""Seeded batches of runs: every run's seed comes from one root ``SeedSequence``.

Seeds are derived before dispatch, so a serial and a parallel batch give identical
tables. These helpers are thin wrappers over the engines of
:mod:`ci_sim.experiments` (a process pool forked once per call, chunked dispatch,
outcomes serialised with cloudpickle so a function defined in a notebook works in
parallel). For experiment files, resumable sweeps and statistics use
:mod:`ci_sim.experiments` (``ci-sim sweep``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.runner import RunResult, run
from ci_sim.scenarios import ScenarioError, load_scenario

Outcome = Callable[[RunResult], Mapping[str, float]]
_TOL = 1e-9


def derive_seeds(root: int, n: int) -> list[int]:
    """Return ``n`` run seeds spawned from ``numpy.random.SeedSequence(root)``."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _last_year(result: RunResult) -> float:
    return float(result.metrics["year"].iloc[-1])


@dataclass(frozen=True)
class AtYears:
    """Outcome that reads ``metrics`` at each of ``years``; columns ``<metric>@<year>``.

    Each year must fall on a recorded step (within half a step); a year past the end
    of the run raises instead of reading the last row.
    """

    years: tuple[float, ...]
    metrics: tuple[str, ...]

    def __call__(self, result: RunResult) -> dict[str, float]:
        """Return the named outcomes of ``result``.

        Raises:
            ValueError: for a year before 0 or after the end of the run.
        """
        end = _last_year(result)
        out = {}
        for y in self.years:
            if not 0.0 <= y <= end + _TOL:
                raise ValueError(f"at_years: year {y:g} is outside the run (0 to {end:g})")
            row = result.at_year(y)
            out.update({f"{m}@{y:g}": float(row[m]) for m in self.metrics})
        return out

    def check(self, end: float) -> None:
        """Refuse years outside ``[0, end]`` and unknown metrics before any run starts.

        Raises:
            ScenarioError: naming the year or metric.
        """
        from ci_sim.metrics import REPORTERS

        for y in self.years:
            if not 0.0 <= y <= end + _TOL:
                raise ScenarioError(f"at_years: year {y:g} is outside the run (0 to {end:g} years)")
        for m in self.metrics:
            if m not in REPORTERS:
                raise ScenarioError(
                    f"at_years: unknown metric {m!r} (known: {', '.join(REPORTERS)})"
                )


def at_years(years: Sequence[float], metrics: Sequence[str]) -> Outcome:
    """Return a picklable outcome that reads ``metrics`` at each of ``years``."""
    return AtYears(tuple(float(y) for y in years), tuple(metrics))


@dataclass(frozen=True)
class _One:
    """Run one seed and apply the outcome (sent to workers with cloudpickle)."""

    scenario: Any
    overrides: dict[str, Any] | None
    outcome: Outcome

    def __call__(self, seed: int) -> dict[str, float]:
        # AtYears reads only the metrics: skip the per-organisation table (7-11% of a run)
        organisations = not isinstance(self.outcome, AtYears)
        result = run(
            self.scenario, seed=seed, overrides=self.overrides, record_organisations=organisations
        )
        return {"seed": seed, **self.outcome(result)}


def run_seeds(
    scenario: str | Path | Mapping[str, Any],
    seeds: Sequence[int],
    outcome: Outcome,
    overrides: Mapping[str, Any] | None = None,
    processes: int = 1,
) -> pd.DataFrame:
    """Run ``scenario`` once per seed and return one row of outcomes per seed.

    Args:
        scenario: a scenario name, path or mapping.
        seeds: the run seeds (e.g. from :func:`derive_seeds`).
        outcome: maps a :class:`RunResult` to named numbers; any callable, also one
            defined in a notebook or ``__main__`` (it is sent with cloudpickle). Runs
            for an :func:`at_years` outcome, which reads only the metrics, do not record
            the per-organisation table.
        overrides: dotted-key overrides applied to every run.
        processes: worker processes; 1 runs serially. Results do not depend on it.
            Workers start from a forkserver, so a script that calls this with
            ``processes > 1`` needs the usual ``if __name__ == "__main__":`` guard.

    Raises:
        ScenarioError: for an invalid scenario or override, or (for :func:`at_years`)
            a year outside the run or an unknown metric, before any run starts.
    """
    from ci_sim.experiments.engines import map_ordered

    params = load_scenario(scenario, overrides)  # fail fast, before any worker starts
    if isinstance(outcome, AtYears):
        outcome.check(params.steps / params.simulation.steps_per_year)
    task = _One(scenario, dict(overrides or {}) or None, outcome)
    engine = "serial" if processes <= 1 else "local"
    rows = map_ordered(task, [int(s) for s in seeds], engine=engine, workers=max(1, processes))
    return pd.DataFrame(rows)
