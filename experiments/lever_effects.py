"""Paired-seed effects of relationship work, backbone neutrality and the sunset date.

Runs the default scenario with each setting over the same seeds (derived from one root
SeedSequence) and prints, for systemic change and its three levels, the paired effect
against the default setting at the end of the run (year 15) and just before the
default sunset (year 11.9).

    .venv/bin/python experiments/lever_effects.py [--seeds 20] [--processes 2] [--out FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ci_sim.stats import paired_effect
from ci_sim.sweep import at_years, derive_seeds, run_seeds

ROOT_SEED = 2026
OUTCOMES = ("systemic_change", "structural", "relational", "transformative")
YEARS = (11.9, 15.0)

COMPARISONS: dict[str, list[tuple[str, dict]]] = {
    "relationship work (develop_relations share; default 0.25)": [
        ("share 0", {"backbone.effort.develop_relations": 0.0}),
        ("share 0.1", {"backbone.effort.develop_relations": 0.1}),
        ("share 0.5", {"backbone.effort.develop_relations": 0.5}),
    ],
    "backbone neutrality (host = municipality; vs independence 1.0)": [
        ("independence 0.7", {"backbone.host": "municipality", "backbone.independence": 0.7}),
        ("independence 0.4", {"backbone.host": "municipality", "backbone.independence": 0.4}),
        ("independence 0.1", {"backbone.host": "municipality", "backbone.independence": 0.1}),
    ],
    "sunset date (default: year 12 with handover)": [
        ("sunset year 6", {"backbone.sunset_year": 6}),
        ("sunset year 9", {"backbone.sunset_year": 9}),
        ("no sunset", {"backbone.sunset_year": "none"}),
        ("year 12, no handover", {"backbone.handover": False}),
    ],
}
REFERENCE = {
    "backbone neutrality (host = municipality; vs independence 1.0)": {
        "backbone.host": "municipality",
        "backbone.independence": 1.0,
    }
}


def effects(seeds: int, processes: int) -> pd.DataFrame:
    """Return one row per (comparison, setting, outcome, year) with the paired effect."""
    run_seeds_ = derive_seeds(ROOT_SEED, seeds)
    outcome = at_years(YEARS, OUTCOMES)
    rows = []
    for group, settings in COMPARISONS.items():
        ref = run_seeds("default", run_seeds_, outcome, REFERENCE.get(group), processes)
        for label, overrides in settings:
            alt = run_seeds("default", run_seeds_, outcome, overrides, processes)
            for year in YEARS:
                for metric in OUTCOMES:
                    col = f"{metric}@{year:g}"
                    e = paired_effect(ref[col].to_numpy(), alt[col].to_numpy())
                    rows.append(
                        {
                            "comparison": group,
                            "setting": label,
                            "year": year,
                            "outcome": metric,
                            "reference": round(e.mean_a, 3),
                            "setting_mean": round(e.mean_b, 3),
                            "diff": round(e.mean_diff, 3),
                            "dz": round(e.dz, 2),
                            "p_wilcoxon": float(f"{e.p_value:.2g}"),
                        }
                    )
    return pd.DataFrame(rows)


def main() -> None:
    """Run the comparisons and print (and optionally save) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    table = effects(args.seeds, args.processes)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        for group, part in table.groupby("comparison", sort=False):
            print(f"\n## {group}  ({args.seeds} paired seeds, root {ROOT_SEED})")
            print(part.drop(columns="comparison").to_string(index=False))
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
