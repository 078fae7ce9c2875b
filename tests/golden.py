"""The golden trajectory: the default scenario with seed 42, one row per year.

Regenerate after an *intended* change of behaviour with
``python -m tests.golden`` and explain the change in the commit message.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import ci_sim

PATH = Path(__file__).parent / "data" / "golden_default_seed42.csv"
SEED = 42


def trajectory() -> pd.DataFrame:
    """Return the yearly metrics of the default scenario at :data:`SEED`."""
    result = ci_sim.run("default", seed=SEED)
    spy = result.params.simulation.steps_per_year
    return result.metrics[result.metrics["step"] % spy == 0].reset_index(drop=True)


if __name__ == "__main__":
    PATH.parent.mkdir(parents=True, exist_ok=True)
    trajectory().to_csv(PATH, index=False, float_format="%.12g")
    print(f"wrote {PATH.name}")
