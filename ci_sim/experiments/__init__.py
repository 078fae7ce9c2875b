"""Experiments at scale: experiment files, resumable sweeps on any engine, statistics.

The Python API for notebooks::

    from ci_sim import experiments

    exp = experiments.load("experiments/sunset.toml")
    df = experiments.sweep(exp, engine="local", workers=2, out="out/sunset")
    table = experiments.compare(df, "systemic_change", year=25, by="backbone.sunset_year")

See ``ci-sim sweep``, ``ci-sim compare`` and ``ci-sim sensitivity`` for the commands
(:mod:`ci_sim.experiments.cli`).
"""

from __future__ import annotations

from typing import Any

from ci_sim.experiments.spec import Experiment, ExperimentError, load

__all__ = [
    "Experiment",
    "ExperimentError",
    "compare",
    "load",
    "read_results",
    "sensitivity",
    "sweep",
]


def sweep(*args: Any, **kwargs: Any) -> Any:
    """Run an experiment and return its results table; see :func:`core.sweep`."""
    from ci_sim.experiments.core import sweep as _sweep

    return _sweep(*args, **kwargs)


def compare(*args: Any, **kwargs: Any) -> Any:
    """Compare interventions over paired seeds; see :func:`comparison.compare`."""
    from ci_sim.experiments.comparison import compare as _compare

    return _compare(*args, **kwargs)


def sensitivity(*args: Any, **kwargs: Any) -> Any:
    """Sensitivity indices of a sampled sweep; see :func:`sensitivity_analysis.sensitivity`."""
    from ci_sim.experiments.sensitivity_analysis import sensitivity as _sensitivity

    return _sensitivity(*args, **kwargs)


def read_results(*args: Any, **kwargs: Any) -> Any:
    """Return a sweep folder's results as a DataFrame; see :func:`store.read_results`."""
    from ci_sim.experiments.store import read_results as _read

    return _read(*args, **kwargs)
