"""Paired-seed effects of relationship work, neutrality, the handover and the sunset date.

Runs the default scenario for 25 years with each setting over the same seeds (derived
from one root SeedSequence, the validation root 2026; the model was calibrated on root 7)
and writes, for systemic change and its three levels, the paired effect against the
reference setting at years 12, 15 and 25, plus the sunset-year sweep for fixed and
adaptive allocation, and a step-size check.

    .venv/bin/python experiments/lever_effects.py [--seeds 20] [--processes 2]
        [--out docs/lever_effects.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ci_sim.stats import paired_effect
from ci_sim.sweep import at_years, derive_seeds, run_seeds

ROOT_SEED = 2026
OUTCOMES = ("systemic_change", "structural", "relational", "transformative")
YEARS = (12.0, 15.0, 25.0)
BASE = {"simulation.years": 25}
HOSTED = {"backbone.host": "municipality"}

#: (group, reference overrides, [(label, overrides)]).
COMPARISONS: list[tuple[str, dict, list[tuple[str, dict]]]] = [
    (
        "Relationship work (develop_relations share; reference: default 0.25)",
        {},
        [
            ("share 0", {"backbone.effort.develop_relations": 0.0}),
            ("share 0.1 (raw)", {"backbone.effort.develop_relations": 0.1}),
            ("share 0.5 (raw)", {"backbone.effort.develop_relations": 0.5}),
        ],
    ),
    (
        "Backbone neutrality (hosted in the municipality; reference: independence 1.0)",
        {**HOSTED, "backbone.independence": 1.0},
        [
            ("independence 0.7", {**HOSTED, "backbone.independence": 0.7}),
            ("independence 0.4", {**HOSTED, "backbone.independence": 0.4}),
            ("independence 0.1", {**HOSTED, "backbone.independence": 0.1}),
        ],
    ),
    (
        "Handover (reference: sunset at 12 with a 2-year handover)",
        {},
        [
            ("no handover", {"backbone.handover": False}),
            ("half-year handover", {"backbone.handover_years": 0.5}),
            ("4-year handover", {"backbone.handover_years": 4.0}),
        ],
    ),
]
SUNSETS: tuple[float | str, ...] = (6, 9, 12, 15, 18, 21, "none")


def _table(seeds: list[int], overrides: dict, processes: int) -> pd.DataFrame:
    return run_seeds(
        "default", seeds, at_years(YEARS, OUTCOMES), {**BASE, **overrides}, processes
    )


def _row(group: str, label: str, ref: pd.DataFrame, alt: pd.DataFrame) -> list[dict]:
    rows = []
    for year in YEARS:
        for metric in OUTCOMES:
            col = f"{metric}@{year:g}"
            e = paired_effect(ref[col].to_numpy(), alt[col].to_numpy())
            d = alt[col].to_numpy() - ref[col].to_numpy()
            half = 1.96 * d.std(ddof=1) / np.sqrt(d.shape[0])
            rows.append(
                {
                    "comparison": group,
                    "setting": label,
                    "year": year,
                    "outcome": metric,
                    "reference": e.mean_a,
                    "setting_mean": e.mean_b,
                    "diff": e.mean_diff,
                    "ci_low": e.mean_diff - half,
                    "ci_high": e.mean_diff + half,
                    "dz": e.dz,
                    "p": e.p_value,
                }
            )
    return rows


def effects(seeds: int, processes: int) -> pd.DataFrame:
    """Return one row per (comparison, setting, year, outcome) with the paired effect."""
    run = derive_seeds(ROOT_SEED, seeds)
    rows: list[dict] = []
    for group, reference, settings in COMPARISONS:
        ref = _table(run, reference, processes)
        for label, overrides in settings:
            rows += _row(group, label, ref, _table(run, overrides, processes))
    ref = _table(run, {}, processes)
    for allocation in ("fixed", "adaptive"):
        for sunset in SUNSETS:
            ov = {"backbone.sunset_year": sunset, "backbone.allocation": allocation}
            label = f"{allocation}, sunset {sunset}"
            rows += _row("Sunset year x allocation (reference: fixed, sunset 12)", label, ref,
                         _table(run, ov, processes))
    return pd.DataFrame(rows)


def step_size(seeds: int, processes: int) -> pd.DataFrame:
    """Mean systemic change at year 15 by steps per year (seeds differ by resolution)."""
    run = derive_seeds(ROOT_SEED, seeds)
    out = at_years([15.0], ["systemic_change"])
    rows = []
    for spy in (4, 12, 52):
        t = run_seeds("default", run, out, {"simulation.steps_per_year": spy}, processes)
        x = t["systemic_change@15"]
        rows.append({"steps_per_year": spy, "mean": x.mean(), "se": x.std(ddof=1) / len(x) ** 0.5})
    table = pd.DataFrame(rows)
    ref = float(table.loc[table["steps_per_year"] == 12, "mean"].iloc[0])
    table["relative_to_12"] = table["mean"] / ref - 1.0
    return table


def _fmt(e: pd.Series) -> str:
    star = "" if e["p"] < 0.01 else " (n.s.)" if e["p"] >= 0.05 else " (p<.05)"
    return f"{e['diff']:+.3f} [{e['ci_low']:+.3f}, {e['ci_high']:+.3f}] d_z {e['dz']:+.2f}{star}"


def markdown(table: pd.DataFrame, steps: pd.DataFrame, seeds: int) -> str:
    """Render the effects as the `docs/lever_effects.md` page."""
    lines = [
        "# Lever effects (generated)",
        "",
        "Generated by `.venv/bin/python experiments/lever_effects.py --seeds "
        f"{seeds} --out docs/lever_effects.md`; do not edit by hand. Default scenario, runs "
        f"of 25 years, {seeds} paired seeds from `derive_seeds({ROOT_SEED}, {seeds})` "
        "(validation seeds; the round-2 constants were calibrated on root 7). Each cell: "
        "paired difference setting minus reference, its 95% CI (t), d_z, and the Wilcoxon "
        "test (unmarked: p < 0.01). Claims: relationship work C2.20, C2.21, C2.23, C4.1; "
        "neutrality C2.11, C2.12, C2.16, C2.19, C3.6; handover and sunset C2.22, C3.3, "
        "C3.7, C3.12, C2.17.",
        "",
    ]
    for group, part in table.groupby("comparison", sort=False):
        lines += [f"## {group}", ""]
        header = "| setting | year | " + " | ".join(OUTCOMES) + " |"
        lines += [header, "|---|---|" + "---|" * len(OUTCOMES)]
        for (label, year), cell in part.groupby(["setting", "year"], sort=False):
            by = cell.set_index("outcome")
            values = " | ".join(_fmt(by.loc[m]) for m in OUTCOMES)
            lines.append(f"| {label} | {year:g} | {values} |")
        ref = part[part["outcome"] == "systemic_change"].groupby("year")["reference"].first()
        lines += [
            "",
            "Reference systemic change: "
            + ", ".join(f"{v:.3f} at year {y:g}" for y, v in ref.items())
            + ".",
            "",
        ]
    lines += [
        "## Step size",
        "",
        "Mean systemic change at year 15 by resolution (same seed list; different "
        "resolutions draw different random streams, so the difference includes noise of "
        "about the standard errors shown). Fewer than 4 steps a year are refused.",
        "",
        "| steps per year | mean | s.e. | relative to 12 |",
        "|---|---|---|---|",
    ]
    for _, r in steps.iterrows():
        lines.append(
            f"| {int(r['steps_per_year'])} | {r['mean']:.3f} | {r['se']:.3f} | "
            f"{r['relative_to_12']:+.1%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the comparisons and write the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    table = effects(args.seeds, args.processes)
    steps = step_size(args.seeds, args.processes)
    text = markdown(table, steps, args.seeds)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        table.to_csv(args.out.with_suffix(".csv"), index=False)
    print(text)


if __name__ == "__main__":
    main()
