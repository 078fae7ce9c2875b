"""The model as a function: ``run(scenario, seed=...) -> RunResult``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.agents import Stance
from ci_sim.model import CIModel
from ci_sim.params import Params
from ci_sim.scenarios import load_scenario


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

    def at_year(self, year: float) -> pd.Series:
        """Return the metrics row closest to ``year``."""
        i = (self.metrics["year"] - year).abs().idxmin()
        return self.metrics.loc[i]

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

    Args:
        scenario: a built-in name, a TOML path, a mapping or :class:`Params`.
        seed: seed of the model's random generators; the same seed gives the same tables.
        years: run length, overriding ``simulation.years``.
        overrides: dotted keys to values, e.g. ``{"backbone.sunset_year": 8}``.
        record_organisations: also return the per-organisation table.

    Raises:
        ci_sim.ScenarioError: for invalid scenarios or overrides.
    """
    extra = dict(overrides or {})
    if years is not None:
        extra["simulation.years"] = float(years)
    params = load_scenario(scenario, extra or None)
    model = CIModel(params, rng=seed, record_organisations=record_organisations)
    model.run_for(params.steps)
    return collect_result(model, seed)


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
    table["stance"] = [Stance(int(s)).name.lower() for s in table["stance"]]
    return table


def provenance() -> dict[str, Any]:
    """Versions of the software that made a result."""
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
