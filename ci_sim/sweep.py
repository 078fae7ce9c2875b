"""Seeded batches of runs: every run's seed comes from one root ``SeedSequence``.

Seeds are derived before dispatch, so a serial and a parallel batch give identical
tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.runner import RunResult, run
from ci_sim.scenarios import load_scenario

Outcome = Callable[[RunResult], Mapping[str, float]]


def derive_seeds(root: int, n: int) -> list[int]:
    """Return ``n`` run seeds spawned from ``numpy.random.SeedSequence(root)``."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


@dataclass(frozen=True)
class AtYears:
    """Outcome that reads ``metrics`` at each of ``years``; columns ``<metric>@<year>``."""

    years: tuple[float, ...]
    metrics: tuple[str, ...]

    def __call__(self, result: RunResult) -> dict[str, float]:
        """Return the named outcomes of ``result``."""
        out = {}
        for y in self.years:
            row = result.at_year(y)
            out.update({f"{m}@{y:g}": float(row[m]) for m in self.metrics})
        return out


def at_years(years: Sequence[float], metrics: Sequence[str]) -> Outcome:
    """Return a picklable outcome that reads ``metrics`` at each of ``years``."""
    return AtYears(tuple(years), tuple(metrics))


def _one(job: tuple[Any, int, dict[str, Any] | None, Outcome]) -> dict[str, float]:
    scenario, seed, overrides, outcome = job
    result = run(scenario, seed=seed, overrides=overrides, record_organisations=True)
    return {"seed": seed, **outcome(result)}


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
        outcome: maps a :class:`RunResult` to named numbers (module-level function or
            :func:`at_years`; must be picklable for ``processes > 1``).
        overrides: dotted-key overrides applied to every run.
        processes: worker processes; 1 runs serially. Results do not depend on it.
            Workers start from a forkserver, so a script that calls this with
            ``processes > 1`` needs the usual ``if __name__ == "__main__":`` guard.
    """
    load_scenario(scenario, overrides)  # fail fast, before any worker starts
    jobs = [(scenario, int(s), dict(overrides or {}) or None, outcome) for s in seeds]
    if processes <= 1:
        rows = [_one(job) for job in jobs]
    else:
        import multiprocessing as mp

        # forkserver: workers fork from a clean, single-threaded server that has
        # imported ci_sim once (plain fork from a threaded parent can deadlock).
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["ci_sim"])
        with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            rows = list(pool.map(_one, jobs, chunksize=max(1, len(jobs) // (4 * processes))))
    return pd.DataFrame(rows)
