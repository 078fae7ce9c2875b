"""Ablation suite: which mechanisms carry the headline lever effects (issue 7, item 10).

Each mechanism of :class:`ci_sim.params.Switches` is switched off in turn (plus "all on").
In every configuration the four levers of :data:`LEVERS` are measured as paired
differences over the same seeds: the treatment arm minus the reference arm, per seed,
on systemic change and its three levels at several years. A mechanism *carries* a
lever's effect when switching it off flips the effect's sign or shrinks it by more than
half (:func:`carries`).

Arms that resolve to the same parameters inside one configuration are run once and
shared (the default arm serves relationship work, the handover and the sunset).
Everything here is a pure function of its inputs except :func:`run_arms`, which runs
the model (optionally in worker processes; results do not depend on the number).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ci_sim.params import Switches
from ci_sim.scenarios import ScenarioError, load_scenario
from ci_sim.stats import paired_effect
from ci_sim.sweep import at_years, derive_seeds, run_seeds

#: Seed root of validation runs (disjoint from the lead's calibration root).
VALIDATION_ROOT = 2027
#: Seed root on which the model's constants were calibrated (stated, never used here).
CALIBRATION_ROOT = 7
DEFAULT_YEARS = (12.0, 15.0, 25.0)
DEFAULT_SEEDS = 20
OUTCOMES = ("systemic_change", "structural", "relational", "transformative")
ALL_ON = "all on"
#: Outcomes are stored with 6 significant digits (reports show 3 decimals).
FLOAT_FORMAT = "%.6g"
#: A switch-off shrinks an effect "by more than half" below this ratio to the all-on one.
CARRY_RATIO = 0.5


@dataclass(frozen=True)
class Lever:
    """A lever measured as ``treatment - reference`` over paired seeds.

    Attributes:
        name: short identifier.
        label: what the effect means, for the report.
        reference: overrides of the reference arm.
        treatment: overrides of the treatment arm.
        headline: one of the three headline effects of issue 7.
    """

    name: str
    label: str
    reference: Mapping[str, Any]
    treatment: Mapping[str, Any]
    headline: bool = True


LEVERS: tuple[Lever, ...] = (
    Lever(
        "relationship_work",
        "relationship work: default effort minus `develop_relations = 0`",
        {"backbone.effort.develop_relations": 0.0},
        {},
    ),
    Lever(
        "independence",
        "independence: municipality host, independence 1.0 minus 0.1",
        {"backbone.host": "municipality", "backbone.independence": 0.1},
        {"backbone.host": "municipality", "backbone.independence": 1.0},
    ),
    Lever(
        "handover",
        "handover: default (with handover) minus `handover = false`",
        {"backbone.handover": False},
        {},
    ),
    Lever(
        "sunset",
        "sunset: sunset at year 12 minus no sunset",
        {"backbone.sunset_year": "none"},
        {"backbone.sunset_year": 12.0},
        headline=False,
    ),
)


def switch_names() -> tuple[str, ...]:
    """Return the names of every mechanism switch, in declaration order."""
    return tuple(Switches.model_fields)


def configurations(switches: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Return ``{label: overrides}``: "all on" and one configuration per switch turned off.

    Args:
        switches: names of switches to turn off one at a time; ``None`` means every one.

    Raises:
        ScenarioError: for a name that is not a switch (the message lists the allowed ones).
    """
    names = switch_names()
    chosen = names if switches is None else tuple(switches)
    for name in chosen:
        if name not in names:
            raise ScenarioError(f"switches: unknown switch {name!r}; allowed: {', '.join(names)}")
    configs: dict[str, dict[str, Any]] = {ALL_ON: {}}
    for name in dict.fromkeys(chosen):
        configs[f"{name} off"] = {f"switches.{name}": False}
    return configs


@dataclass(frozen=True)
class Arm:
    """One setting that is run over every seed.

    Attributes:
        config: configuration label.
        key: identifier of the arm inside its configuration.
        overrides: every override of the arm (configuration, lever, run length).
    """

    config: str
    key: str
    overrides: dict[str, Any]


def plan(
    configs: Mapping[str, Mapping[str, Any]],
    levers: Sequence[Lever] = LEVERS,
    years: float = max(DEFAULT_YEARS),
    scenario: str | Path | Mapping[str, Any] = "default",
) -> tuple[list[Arm], dict[tuple[str, str, str], str]]:
    """Return the distinct arms to run and which arm serves each lever side.

    Arms of one configuration that resolve to the same parameters are merged.

    Returns:
        ``(arms, sides)``: ``sides[(config, lever, "reference" | "treatment")]`` is the
        key of the arm in ``arms`` that serves it.

    Raises:
        ScenarioError: when an arm is not a valid scenario.
    """
    arms: list[Arm] = []
    sides: dict[tuple[str, str, str], str] = {}
    for config, config_over in configs.items():
        seen: dict[str, str] = {}
        for lever in levers:
            for side in ("reference", "treatment"):
                over = {
                    **config_over,
                    **getattr(lever, side),
                    "simulation.years": float(years),
                }
                resolved = load_scenario(scenario, over).model_dump(exclude={"meta"})
                ident = json.dumps(resolved, sort_keys=True, default=str)
                if ident not in seen:
                    seen[ident] = f"{lever.name}:{side}"
                    arms.append(Arm(config, seen[ident], over))
                sides[(config, lever.name, side)] = seen[ident]
    return arms, sides


def _run_arm(job: tuple[Any, list[int], dict[str, Any], Any]) -> pd.DataFrame:
    """Run one arm over every seed (worker function; module level so it pickles)."""
    scenario, seeds, overrides, outcome = job
    return run_seeds(scenario, seeds, outcome, overrides, processes=1)


def dispatch(
    fn: Callable[[Any], Any],
    jobs: Sequence[Any],
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Return ``[fn(job) for job in jobs]``, computed in ``workers`` processes if above 1.

    ``fn`` must be a module-level function. Workers start from a forkserver that has
    imported ``ci_sim`` (as :func:`ci_sim.sweep.run_seeds` does); the results and their
    order do not depend on ``workers``. ``progress(done, total)`` is called as jobs end.
    """
    done: list[Any] = [None] * len(jobs)
    if workers <= 1:
        for i, job in enumerate(jobs):
            done[i] = fn(job)
            if progress:
                progress(i + 1, len(jobs))
        return done
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("forkserver")
    from ci_sim.experiments.engines import limit_blas_threads

    ctx.set_forkserver_preload(["ci_sim.runner"])
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=limit_blas_threads) as pool:
        futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        for n, fut in enumerate(as_completed(futures), start=1):
            done[futures[fut]] = fut.result()
            if progress:
                progress(n, len(jobs))
    return done


def run_arms(
    arms: Sequence[Arm],
    seeds: Sequence[int],
    years: Sequence[float],
    outcomes: Sequence[str] = OUTCOMES,
    scenario: str | Path | Mapping[str, Any] = "default",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run every arm over the same seeds; one row per (config, arm, seed).

    Columns: ``config``, ``arm``, ``seed`` and ``<outcome>@<year>``. Each arm runs the
    seeds in the given order, so row ``i`` of every arm is seed ``i`` (the pairing).
    Results do not depend on ``workers``.
    """
    outcome = at_years(years, outcomes)
    jobs = [(scenario, [int(s) for s in seeds], dict(a.overrides), outcome) for a in arms]
    done = dispatch(_run_arm, jobs, workers, progress)
    frames = []
    for arm, table in zip(arms, done, strict=True):
        frames.append(table.assign(config=arm.config, arm=arm.key))
    raw = pd.concat(frames, ignore_index=True)
    return raw[["config", "arm", "seed", *[c for c in raw.columns if "@" in c]]]


def t_interval(d: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Return the Student-t confidence interval of the mean of paired differences ``d``."""
    d = np.asarray(d, dtype=float)
    n = d.shape[0]
    half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return float(d.mean() - half), float(d.mean() + half)


def carries(effect_on: float, effect_off: float, ratio: float = CARRY_RATIO) -> bool:
    """Whether switching a mechanism off flips an effect's sign or shrinks it below ``ratio``.

    ``effect_on`` is the effect with every mechanism on, ``effect_off`` with one off. An
    all-on effect of exactly zero is carried by nothing.
    """
    if effect_on == 0:
        return False
    if np.sign(effect_off) != np.sign(effect_on):
        return True
    return abs(effect_off) < ratio * abs(effect_on)


def _column(raw: pd.DataFrame, config: str, arm: str, col: str) -> np.ndarray:
    part = raw[(raw["config"] == config) & (raw["arm"] == arm)].sort_values("seed", kind="stable")
    return part[col].to_numpy(dtype=float)


def effects_table(
    raw: pd.DataFrame,
    sides: Mapping[tuple[str, str, str], str],
    years: Sequence[float],
    outcomes: Sequence[str] = OUTCOMES,
    levers: Sequence[Lever] = LEVERS,
) -> pd.DataFrame:
    """Return one row per (lever, config, outcome, year) with the paired effect.

    Columns: ``lever``, ``config``, ``outcome``, ``year``, ``n``, ``mean_ref``,
    ``mean_treat``, ``effect`` (treatment minus reference), ``ci_low``, ``ci_high`` (95%
    Student-t interval), ``dz``, ``p`` (two-sided Wilcoxon signed-rank), ``change``
    (effect minus the all-on effect), ``change_low``, ``change_high`` (95% t interval of
    the per-seed change, seeds being shared by every configuration) and ``carries``
    (:func:`carries`; false for "all on").

    Raises:
        ValueError: when the arms of a comparison do not hold the same seeds.
    """
    configs = list(dict.fromkeys(raw["config"]))
    rows = []
    diffs: dict[tuple[str, str, str, float], np.ndarray] = {}
    for lever in levers:
        for config in configs:
            ref_arm = sides[(config, lever.name, "reference")]
            treat_arm = sides[(config, lever.name, "treatment")]
            seeds_ref = _column(raw, config, ref_arm, "seed")
            seeds_treat = _column(raw, config, treat_arm, "seed")
            if not np.array_equal(seeds_ref, seeds_treat):
                raise ValueError(f"{config}/{lever.name}: arms do not hold the same seeds")
            for outcome in outcomes:
                for year in years:
                    col = f"{outcome}@{year:g}"
                    a = _column(raw, config, ref_arm, col)
                    b = _column(raw, config, treat_arm, col)
                    e = paired_effect(a, b)
                    low, high = t_interval(b - a)
                    diffs[(lever.name, config, outcome, float(year))] = b - a
                    rows.append(
                        {
                            "lever": lever.name,
                            "config": config,
                            "outcome": outcome,
                            "year": float(year),
                            "n": e.n,
                            "mean_ref": e.mean_a,
                            "mean_treat": e.mean_b,
                            "effect": e.mean_diff,
                            "ci_low": low,
                            "ci_high": high,
                            "dz": e.dz,
                            "p": e.p_value,
                        }
                    )
    table = pd.DataFrame(rows)
    base = table[table["config"] == ALL_ON].set_index(["lever", "outcome", "year"])
    change, lo, hi, carry = [], [], [], []
    for row in table.itertuples():
        ref = base.loc[(row.lever, row.outcome, row.year)]
        dd = (
            diffs[(row.lever, row.config, row.outcome, row.year)]
            - diffs[(row.lever, ALL_ON, row.outcome, row.year)]
        )
        change.append(float(dd.mean()))
        if row.config == ALL_ON:
            lo.append(0.0)
            hi.append(0.0)
            carry.append(False)
        else:
            interval = t_interval(dd)
            lo.append(interval[0])
            hi.append(interval[1])
            carry.append(carries(float(ref["effect"]), float(row.effect)))
    table["change"] = change
    table["change_low"] = lo
    table["change_high"] = hi
    table["carries"] = carry
    return table


@dataclass(frozen=True)
class Ablation:
    """Result of :func:`ablate`.

    Attributes:
        raw: one row per (config, arm, seed) with every outcome.
        effects: :func:`effects_table` of ``raw``.
        seeds: the run seeds (the same for every arm).
        root: the seed root they were derived from.
        years: the years read.
        run_years: the length of every run.
        arms: number of distinct arms run.
        seconds: wall time of the runs, if measured.
        workers: worker processes of the runs, if known.
    """

    raw: pd.DataFrame
    effects: pd.DataFrame
    seeds: tuple[int, ...]
    root: int
    years: tuple[float, ...]
    run_years: float
    arms: int
    seconds: float | None = None
    workers: int | None = None


def ablate(
    seeds: int = DEFAULT_SEEDS,
    root: int = VALIDATION_ROOT,
    years: Sequence[float] = DEFAULT_YEARS,
    switches: Sequence[str] | None = None,
    workers: int = 1,
    scenario: str | Path | Mapping[str, Any] = "default",
    levers: Sequence[Lever] = LEVERS,
    progress: Callable[[int, int], None] | None = None,
) -> Ablation:
    """Run the ablation suite and return its tables.

    Args:
        seeds: paired seeds per arm (at least 2).
        root: root of :func:`ci_sim.sweep.derive_seeds`.
        years: years at which effects are read; runs last ``max(years)``.
        switches: switches turned off one at a time (``None``: every one).
        workers: worker processes.
        scenario: the scenario the levers change.
        levers: the levers measured.
        progress: called with (arms done, arms in all).

    Raises:
        ScenarioError: for an unknown switch, fewer than 2 seeds, or a year outside
            (0, 200].
    """
    if seeds < 2:
        raise ScenarioError(f"seeds {seeds}: needs at least 2 paired seeds")
    years = tuple(sorted({float(y) for y in years}))
    if not years or years[0] <= 0 or years[-1] > 200:
        raise ScenarioError(f"years {list(years)}: allowed: one or more years above 0 up to 200")
    configs = configurations(switches)
    arms, sides = plan(configs, levers, years[-1], scenario)
    run_list = derive_seeds(root, seeds)
    start = time.monotonic()
    raw = run_arms(arms, run_list, years, OUTCOMES, scenario, workers, progress)
    seconds = time.monotonic() - start
    effects = effects_table(raw, sides, years, OUTCOMES, levers)
    return Ablation(
        raw, effects, tuple(run_list), root, years, years[-1], len(arms), seconds, workers
    )


def save_runs(result: Ablation, path: Path) -> Path:
    """Write the per-seed table of ``result`` (with its seed root and cost) as CSV.

    Numbers keep :data:`FLOAT_FORMAT` digits; the CLI renders its report from the table
    as read back, so that ``--from-runs`` gives the same report.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    table = result.raw.assign(root=result.root, seconds=result.seconds, workers=result.workers)
    table.to_csv(path, index=False, float_format=FLOAT_FORMAT)
    return path


def load_runs(
    path: Path,
    scenario: str | Path | Mapping[str, Any] = "default",
    levers: Sequence[Lever] = LEVERS,
) -> Ablation:
    """Rebuild an :class:`Ablation` from a table written by :func:`save_runs`.

    Raises:
        ScenarioError: when the file cannot be read or is not such a table.
    """
    try:
        raw = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read the runs table: {exc}") from None
    need = {"config", "arm", "seed", "root"}
    years = sorted({float(c.split("@")[1]) for c in raw.columns if "@" in c})
    if not need <= set(raw.columns) or not years or raw.empty:
        raise ScenarioError(f"{path}: not a table written by `ci-sim ablate` (columns {need})")
    switches = [c.removesuffix(" off") for c in dict.fromkeys(raw["config"]) if c != ALL_ON]
    arms, sides = plan(configurations(switches), levers, years[-1], scenario)
    root = int(raw["root"].iloc[0])
    cost = {k: raw[k].iloc[0] if k in raw.columns else None for k in ("seconds", "workers")}
    raw = raw.drop(columns=["root", *[k for k in cost if k in raw.columns]])
    effects = effects_table(raw, sides, years, OUTCOMES, levers)
    first = raw[(raw["config"] == arms[0].config) & (raw["arm"] == arms[0].key)]
    seeds = tuple(int(s) for s in first["seed"])
    seconds = None if pd.isna(cost["seconds"]) else float(cost["seconds"])
    workers = None if pd.isna(cost["workers"]) else int(cost["workers"])
    return Ablation(raw, effects, seeds, root, tuple(years), years[-1], len(arms), seconds, workers)


# --- report ---------------------------------------------------------------------------


def _fmt_effect(row: pd.Series) -> str:
    mark = " ◆" if row["carries"] else ""
    return f"{row['effect']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]{mark}"


def lever_table(effects: pd.DataFrame, lever: str, outcome: str = "systemic_change") -> str:
    """Return the markdown table of one lever: one row per configuration, one column per year.

    Each cell holds the effect with its 95% t interval; ◆ marks a configuration whose
    switch carries the effect at that year. The d_z and Wilcoxon p of the middle year
    follow.
    """
    part = effects[(effects["lever"] == lever) & (effects["outcome"] == outcome)]
    years = sorted(part["year"].unique())
    mid = years[len(years) // 2]
    head = ["configuration", *[f"year {y:g}" for y in years], f"d_z ({mid:g})", f"p ({mid:g})"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for config in dict.fromkeys(part["config"]):
        rows = part[part["config"] == config].set_index("year")
        cells = [_fmt_effect(rows.loc[y]) for y in years]
        name = f"**{config}**" if config == ALL_ON else config
        m = rows.loc[mid]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {m['dz']:+.2f} | {m['p']:.2g} |")
    return "\n".join(lines)


def levels_table(effects: pd.DataFrame, lever: str, year: float) -> str:
    """Return the markdown table of one lever's effect on each level at ``year``."""
    part = effects[(effects["lever"] == lever) & (effects["year"] == year)]
    outcomes = list(dict.fromkeys(part["outcome"]))
    lines = [
        "| configuration | " + " | ".join(outcomes) + " |",
        "|" + " --- |" * (len(outcomes) + 1),
    ]
    for config in dict.fromkeys(part["config"]):
        rows = part[part["config"] == config].set_index("outcome")
        cells = [
            f"{rows.loc[o, 'effect']:+.3f}" + (" ◆" if rows.loc[o, "carries"] else "")
            for o in outcomes
        ]
        name = f"**{config}**" if config == ALL_ON else config
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def carriers(effects: pd.DataFrame, outcome: str = "systemic_change") -> pd.DataFrame:
    """Return, per lever and year, the switches that carry the effect on ``outcome``."""
    part = effects[(effects["outcome"] == outcome) & effects["carries"]]
    return (
        part.assign(switch=part["config"].str.removesuffix(" off"))
        .groupby(["lever", "year"], sort=False)["switch"]
        .apply(list)
        .reset_index()
    )


def plot_ablation(effects: pd.DataFrame, path: Path, outcome: str = "systemic_change") -> Path:
    """Draw one panel per lever: effect with 95% interval per configuration and year."""
    from matplotlib.figure import Figure

    levers = list(dict.fromkeys(effects["lever"]))
    configs = list(dict.fromkeys(effects["config"]))
    years = sorted(effects["year"].unique())
    fig = Figure(figsize=(4.2 * len(levers), 0.35 * len(configs) + 1.6), dpi=100)
    axes = fig.subplots(1, len(levers), sharey=True, squeeze=False)[0]
    ypos = np.arange(len(configs))
    width = 0.8 / len(years)
    for ax, lever in zip(axes, levers, strict=True):
        part = effects[(effects["lever"] == lever) & (effects["outcome"] == outcome)]
        for k, year in enumerate(years):
            rows = part[part["year"] == year].set_index("config").loc[configs]
            y = ypos - 0.4 + width * (k + 0.5)
            err = np.vstack([rows["effect"] - rows["ci_low"], rows["ci_high"] - rows["effect"]])
            ax.errorbar(rows["effect"], y, xerr=err, fmt="o", ms=3, lw=1, label=f"year {year:g}")
            hit = rows["carries"].to_numpy(dtype=bool)
            ax.scatter(
                rows["effect"][hit],
                y[hit],
                marker="D",
                s=30,
                facecolors="none",
                edgecolors="k",
                lw=0.8,
            )
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(lever.replace("_", " "), fontsize=10)
        ax.set_xlabel(f"effect on {outcome.replace('_', ' ')}")
    axes[0].set_yticks(ypos, configs, fontsize=8)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def render_markdown(
    result: Ablation,
    figure: str | None,
    command: str,
    levers: Sequence[Lever] = LEVERS,
    runs_file: str | None = None,
) -> str:
    """Return the text of ``docs/ablation.md`` for ``result``.

    Args:
        result: the ablation.
        figure: path of the figure relative to the report, or ``None``.
        command: the command line that regenerates the report.
        levers: the levers, in report order.
        runs_file: path of the per-seed runs table relative to the report, if any.
    """
    eff = result.effects
    years = result.years
    mid = years[len(years) // 2]
    n = len(result.seeds)
    configs = list(dict.fromkeys(eff["config"]))
    cost = ""
    if result.seconds is not None:
        cost = f" in {result.seconds / 60:.1f} min wall time" + (
            f" with {result.workers} worker processes" if result.workers else ""
        )
    out = [
        "# Ablation: which mechanisms carry the lever effects",
        "",
        f"Generated by `{command}`; do not edit by hand.",
        "",
        f"Every mechanism switch of `[switches]` (`ci_sim.params.Switches`) is turned off in "
        f'turn ({len(configs) - 1} configurations plus "all on"). In each configuration '
        f"four levers are measured on the `default` scenario as paired differences "
        f"(treatment minus reference, per seed) over the same {n} seeds, in runs of "
        f"{result.run_years:g} years read at years {', '.join(f'{y:g}' for y in years)}. "
        f"{result.arms} distinct arms were run ({result.arms * n} runs{cost}); arms that "
        f"resolve to the same parameters share their runs.",
        "",
        f"- **Seeds.** Validation root {result.root}: run seeds from "
        f"`ci_sim.sweep.derive_seeds({result.root}, {n})`. The model's constants were "
        f"calibrated on root {CALIBRATION_ROOT}; no seed of that root is used here.",
        "- **Statistics.** Effect = mean paired difference with a 95% Student-t interval "
        "(t with n-1 degrees of freedom on the per-seed differences); d_z = mean over "
        "standard deviation of the differences; p = two-sided Wilcoxon signed-rank test "
        "(`ci_sim.stats.paired_effect`).",
        f"- **Carries it (◆).** Switching a mechanism off flips the sign of the lever's "
        f"effect or shrinks it to less than {CARRY_RATIO:g} of the all-on effect. Where "
        f"the all-on effect's interval includes zero, a ◆ may be seed noise.",
    ]
    if runs_file:
        out += [
            f"- **Data.** Per-seed outcomes of every arm: [`{runs_file}`]({runs_file}); "
            f"`ci-sim ablate --from-runs <that file>` rewrites this page without running."
        ]
    out += [
        "",
        "Levers:",
        "",
    ]
    out += [f"- `{lv.name}`: {lv.label}" for lv in levers]
    if figure:
        out += ["", f"![ablation]({figure})", ""]
    out += ["## Which mechanisms carry each effect (systemic change)", ""]
    car = carriers(eff)
    out += ["| lever | " + " | ".join(f"year {y:g}" for y in years) + " |"]
    out += ["|" + " --- |" * (len(years) + 1)]
    on = eff[(eff["config"] == ALL_ON) & (eff["outcome"] == "systemic_change")]
    for lever in levers:
        cells = []
        for y in years:
            hit = car[(car["lever"] == lever.name) & (car["year"] == y)]
            cell = ", ".join(hit["switch"].iloc[0]) if len(hit) else "none"
            r = on[(on["lever"] == lever.name) & (on["year"] == y)].iloc[0]
            if r["ci_low"] <= 0 <= r["ci_high"]:
                cell += f" (all-on effect {r['effect']:+.3f} not distinguishable from 0)"
            cells.append(cell)
        out.append(f"| {lever.name} | " + " | ".join(cells) + " |")
    out += [""]
    for lever in levers:
        out += [
            f"## {lever.name.replace('_', ' ').capitalize()}",
            "",
            f"{lever.label}. Effect on systemic change (95% t interval), ◆ = carries it.",
            "",
            lever_table(eff, lever.name),
            "",
            f"Effect on each level at year {mid:g}:",
            "",
            levels_table(eff, lever.name, mid),
            "",
        ]
    out += [
        "## Change of the effect when a mechanism is off",
        "",
        f"Effect with the switch off minus the all-on effect on systemic change at year "
        f"{mid:g}, per seed (the seeds are shared), with its 95% t interval.",
        "",
        "| configuration | " + " | ".join(lv.name for lv in levers) + " |",
        "|" + " --- |" * (len(levers) + 1),
    ]
    part = eff[(eff["outcome"] == "systemic_change") & (eff["year"] == mid)]
    for config in configs[1:]:
        cells = []
        for lever in levers:
            r = part[(part["config"] == config) & (part["lever"] == lever.name)].iloc[0]
            cells.append(f"{r['change']:+.3f} [{r['change_low']:+.3f}, {r['change_high']:+.3f}]")
        out.append(f"| {config} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
