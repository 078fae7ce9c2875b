"""The model as a function: ``run(scenario, seed=...) -> RunResult``."""

from __future__ import annotations

import functools
import json
import math
import numbers
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.agents import Stance
from ci_sim.metrics import REPORTERS
from ci_sim.model import CIModel
from ci_sim.params import Params
from ci_sim.scenarios import ScenarioError, load_scenario

#: Slack when a year is compared with the first and last year of a run (float rounding).
YEAR_TOLERANCE = 1e-9


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "[...]"


def _year_value(year: Any) -> float:
    """Return ``year`` as a finite float (numpy scalars too).

    Raises:
        ValueError: for a bool, a non-number, NaN or an infinite year.
    """
    if isinstance(year, bool) or not isinstance(year, numbers.Real):
        raise ValueError(
            f"year {_show(year)}: expected a number of years, not {type(year).__name__}"
        )
    value = float(year)
    if not math.isfinite(value):
        raise ValueError(f"year {_show(year)}: expected a finite number of years")
    return value


def _years_list(years: Iterable[Any]) -> list[Any]:
    if isinstance(years, str | bytes) or not isinstance(years, Iterable):
        raise ValueError(f"years {_show(years)}: expected a list of years")
    return list(years)


def metric_names() -> list[str]:
    """Return the columns of a run's metrics table: ``step``, ``year`` and every reporter."""
    return ["step", "year", *REPORTERS]


def check_metrics(names: Iterable[str], allowed: Iterable[str] | None = None) -> list[str]:
    """Return ``names`` as a list if every one is a metric, else raise naming the allowed ones.

    Call it before a batch of runs to fail fast on a typo rather than after the runs.

    Args:
        names: metric names, e.g. ``["systemic_change", "shared_will"]``.
        allowed: the names allowed (default: :func:`metric_names`).

    Raises:
        ValueError: for a name that is not a metric (with the closest one, if any).
    """
    import difflib

    if isinstance(names, str):
        names = [names]
    known = list(metric_names() if allowed is None else allowed)
    out = list(names)
    for name in out:
        if name not in known:
            hint = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
            did = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ValueError(
                f"unknown metric {_show(name)}{did} (allowed: {', '.join(map(str, known))})"
            )
    return out


def check_seed(seed: Any) -> int | None:
    """Return ``seed`` as a Python int (numpy integers too), or ``None``.

    Raises:
        ScenarioError: for a negative seed, a bool, or a seed that is not a whole number.
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or type(seed).__name__ == "bool_":
        raise ScenarioError(f"seed = {seed!r}: expected a whole number from 0, or None")
    try:
        value = operator.index(seed)
    except TypeError:
        raise ScenarioError(
            f"seed = {_show(seed)}: expected a whole number from 0, or None "
            f"(not {type(seed).__name__})"
        ) from None
    if value < 0:
        raise ScenarioError(f"seed = {value}: expected a whole number from 0, or None")
    return value


@dataclass(frozen=True)
class RunResult:
    """Everything one seeded run produced.

    Attributes:
        metrics: one row per step: ``step``, ``year`` and every reporter of
            :mod:`ci_sim.metrics`.
        organisations: one row per organisation and step (empty if not recorded).
        events: one row per event (``step``, ``year``, ``kind``, ``detail``).
        params: the validated parameters of the run.
        seed: the seed that fixes the run.
    """

    metrics: pd.DataFrame
    organisations: pd.DataFrame
    events: pd.DataFrame
    params: Params
    seed: int | None
    provenance: dict[str, Any] = field(default_factory=dict)

    def at_year(self, year: float, metrics: Sequence[str] | None = None) -> pd.Series:
        """Return the metrics row of the step closest to ``year``.

        Args:
            year: a year from 0 to the run's last year (``metrics["year"].max()``).
            metrics: the columns to return (default: all).

        Raises:
            ValueError: for a year that is not a number, NaN, or outside the run, and
                for an unknown metric name (the message lists the allowed ones).
        """
        row = self.metrics.loc[self._row_of(year)]
        return row if metrics is None else row[check_metrics(metrics, self.metrics.columns)]

    def at_years(
        self, years: Sequence[float], metrics: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Return one metrics row per year in ``years`` (index: the years asked for).

        Raises:
            ValueError: as :meth:`at_year`, for the first bad year or metric.
        """
        columns = list(self.metrics.columns)
        if metrics is not None:
            columns = check_metrics(metrics, columns)
        asked = _years_list(years)
        table = self.metrics.loc[[self._row_of(y) for y in asked], columns]
        table.index = pd.Index([float(y) for y in asked], name="at_year")
        return table

    def _row_of(self, year: Any) -> int:
        """Return the index of the row closest to ``year``, checking that it is in the run."""
        y = _year_value(year)
        last = float(self.metrics["year"].iloc[-1]) if len(self.metrics) else 0.0
        if not -YEAR_TOLERANCE <= y <= last + YEAR_TOLERANCE:
            raise ValueError(
                f"year {_show(year)} is outside the run (allowed range: from 0 to {last:g})"
            )
        return int((self.metrics["year"] - y).abs().idxmin())

    def summary(self, name: str | None = None, overrides: Mapping[str, Any] | None = None) -> str:
        """Return the text summary that ``ci-sim run`` prints for this run.

        Args:
            name: the scenario name or path the run was started with (shown in the title;
                for a teaching scenario also the lever it changes).
            overrides: the run's overrides (shown with the scenario's own values).

        Returns:
            The text of :func:`ci_sim.report.summary_text`.
        """
        from ci_sim.report import summary_text

        return summary_text(self, name, overrides)

    def plot(self, title: str | None = None) -> Any:
        """Return the figure of the six conditions and three levels over the years.

        In a notebook the figure shows as the cell's value; ``fig.savefig(path)`` writes
        it. It is the figure ``ci-sim run`` writes as ``conditions.png``.

        Args:
            title: the figure's title (default: the scenario's title); the seed is added.

        Returns:
            A :class:`matplotlib.figure.Figure` (see :func:`ci_sim.report.conditions_figure`).
        """
        from ci_sim.report import conditions_figure

        return conditions_figure(self, title)

    def save(self, out: str | Path) -> list[Path]:
        """Write ``metrics.csv``, ``organisations.csv``, ``events.csv``, ``params.json``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / n for n in ("metrics.csv", "organisations.csv", "events.csv")]
        self.metrics.to_csv(paths[0], index=False)
        self.organisations.to_csv(paths[1], index=False)
        self.events.to_csv(paths[2], index=False)
        meta = {
            "seed": self.seed,
            "provenance": self.provenance,
            "params": self.params.model_dump(),
        }
        paths.append(out / "params.json")
        paths[-1].write_text(json.dumps(meta, indent=2, default=str))
        return paths


def run(
    scenario: str | Path | Mapping[str, Any] | Params = "default",
    *,
    seed: int | None = 0,
    years: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    record_organisations: bool = True,
) -> RunResult:
    """Run one scenario with one seed and return its tables.

    The model is freed before this returns (:func:`ci_sim.memory.release_model`), so
    many runs in one process keep its memory flat.

    Args:
        scenario: a built-in name, a TOML path, a mapping or :class:`Params`.
        seed: seed of the model's random generators; the same seed gives the same tables.
        years: run length, overriding ``simulation.years``.
        overrides: dotted keys to values, e.g. ``{"backbone.sunset_year": 8}``.
        record_organisations: also return the per-organisation table.

    Raises:
        ci_sim.ScenarioError: for invalid scenarios or overrides.
    """
    seed = check_seed(seed)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ScenarioError(
            f"overrides = {_show(overrides)}: expected a mapping of dotted keys to values, "
            "e.g. {'backbone.staff': 2}"
        )
    extra = dict(overrides or {})
    if years is not None:
        extra["simulation.years"] = years
    params = load_scenario(scenario, extra or None)
    model = CIModel(params, rng=seed, record_organisations=record_organisations)
    model.run_for(params.steps)
    result = collect_result(model, seed)
    from ci_sim.memory import release_model

    # the tables are copies: free the model now rather than at the next full GC
    release_model(model)
    return result


def collect_result(model: CIModel, seed: int | None) -> RunResult:
    """Turn a finished model into a :class:`RunResult`."""
    metrics = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    metrics.insert(0, "step", np.arange(len(metrics)))
    metrics.insert(1, "year", metrics["step"] * model.dt)
    return RunResult(
        metrics=metrics,
        organisations=organisation_table(model),
        events=pd.DataFrame(model.events, columns=["step", "year", "kind", "detail"]),
        params=model.params,
        seed=seed,
        provenance=provenance(),
    )


def organisation_table(model: CIModel) -> pd.DataFrame:
    """Stack the model's per-step organisation snapshots into one tidy table."""
    if not model.org_records:
        return pd.DataFrame()
    cols = {k: np.concatenate([r[k] for r in model.org_records]) for k in model.org_records[0]}
    table = pd.DataFrame(cols)
    names = np.array([o.name for o in model.organisations])
    logic = np.array([o.logic.value for o in model.organisations])
    table.insert(1, "year", table["step"] * model.dt)
    table.insert(3, "name", names[table["org"]])
    table.insert(4, "logic", logic[table["org"]])
    by_value = {int(s): s.name.lower() for s in Stance}
    table["stance"] = [by_value[s] for s in table["stance"].tolist()]
    return table


def provenance() -> dict[str, Any]:
    """Versions of the software that made a result (looked up once per process)."""
    return dict(_versions())


@functools.cache
def _versions() -> dict[str, Any]:
    import platform
    from importlib import metadata

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "ci_sim": version("ci-sim"),
        "mesa": version("mesa"),
        "numpy": version("numpy"),
        "python": platform.python_version(),
    }
