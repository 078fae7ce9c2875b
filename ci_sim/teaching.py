"""The printable figure set of the teaching plan (``docs/teaching.md``) and its numbers.

``ci-sim teach-figures [--out DIR]`` calls :func:`write_figures`: for every exercise of
:data:`EXERCISES` it runs the exercise's worlds with one seed and draws the dashboard's
views at a chosen year and at the end, then runs the same worlds over many seeds for a
median and a 10-90% band. It writes one PNG per figure, a ``numbers.md`` with the
medians (and 10-90% ranges) of the quantities each exercise's text talks about
(:attr:`Exercise.quote`), read from those same many-seed runs, and a ``README.md``
index with a caption per figure and the same tables. The plan itself types no model
numbers: they change with the model, so teachers read them from ``numbers.md``.
The figures are the dashboard's own panels (:mod:`ci_sim.figures`) at print resolution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim import figures, views
from ci_sim.logics import LOGICS
from ci_sim.metrics import REPORTERS
from ci_sim.sweep import derive_seeds

#: Resolution of the printable figures.
PRINT_DPI = 150

#: Prefix of a quoted quantity read from the organisation table rather than a reporter:
#: ``"trust_backbone:ngo"`` is the mean trust in the backbone of the people of the
#: organisations of that logic (as the dashboard's "trust in the backbone by logic").
BACKBONE_TRUST = "trust_backbone:"

#: Quantiles of the range shown next to each median.
LOW, HIGH = 0.1, 0.9


@dataclass(frozen=True)
class Side:
    """One world of an exercise: a scenario and the levers changed on it."""

    scenario: str
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exercise:
    """One exercise of the session plan and the figures and numbers it needs.

    Attributes:
        name: file prefix, e.g. ``"1_shared_will"``.
        title: the exercise's title.
        sides: the worlds compared (side A, side B).
        snapshot_year: the year at which the snapshot panels are drawn.
        snapshot: panels (names of :data:`ci_sim.figures.PANELS`) drawn at that year.
        final: panels drawn at the end of the run.
        band: the metric drawn over many seeds.
        quote: ``(metric, year)`` pairs the plan's text talks about; their medians and
            10-90% ranges over the many-seed runs go into ``numbers.md``. A metric is a
            name of :data:`ci_sim.metrics.REPORTERS` or ``"trust_backbone:<logic>"``
            (see :data:`BACKBONE_TRUST`).
    """

    name: str
    title: str
    sides: tuple[Side, ...]
    snapshot_year: float
    snapshot: tuple[str, ...]
    final: tuple[str, ...]
    band: str
    quote: tuple[tuple[str, float], ...] = ()

    @property
    def number(self) -> str:
        """The exercise's number as written in the plan, e.g. ``"1"``."""
        return self.name.split("_", 1)[0]

    @property
    def by_logic(self) -> bool:
        """Whether a quoted quantity needs the per-organisation table."""
        return any(m.startswith(BACKBONE_TRUST) for m, _ in self.quote)


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "1_shared_will",
        "Shared will: does it grow without a backbone?",
        (Side("default"), Side("no_backbone")),
        snapshot_year=4.0,
        snapshot=("network",),
        final=("will_trust",),
        band="shared_will",
        quote=(
            ("shared_will", 2.0),
            ("shared_will", 4.0),
            ("shared_will", 10.0),
            ("mean_trust", 4.0),
            ("mean_trust", 10.0),
            ("practices", 6.0),
            ("practices", 15.0),
        ),
    ),
    Exercise(
        "2_independent_but_connected",
        "Independent but connected: a neutral backbone against a captured one",
        (Side("default"), Side("captured_backbone")),
        snapshot_year=6.0,
        snapshot=("network", "trust_backbone"),
        final=("conditions",),
        band="relationships",
        quote=(
            (BACKBONE_TRUST + "municipality", 6.0),
            (BACKBONE_TRUST + "ngo", 6.0),
            (BACKBONE_TRUST + "business", 6.0),
            (BACKBONE_TRUST + "foundation", 6.0),
            ("cross_org_ties", 6.0),
            ("relationships", 6.0),
            ("relationships", 15.0),
            ("mental_models", 6.0),
            ("mental_models", 15.0),
        ),
    ),
    Exercise(
        "3_move_people",
        "Move people to move systems: relationship work and staff turnover",
        (Side("default", {"organisations.turnover_per_year": 0.5}), Side("default")),
        snapshot_year=8.0,
        snapshot=("network",),
        final=("will_trust",),
        band="mean_trust",
        quote=(
            ("mean_trust", 6.0),
            ("cross_org_ties", 6.0),
            ("shared_will", 4.0),
            ("shared_will", 8.0),
            ("shared_will", 15.0),
        ),
    ),
    Exercise(
        "4_four_tasks_and_sunset",
        "The four tasks and the sunset: what stays when the backbone goes?",
        (Side("default"), Side("early_sunset_no_handover")),
        snapshot_year=15.0,
        snapshot=("effort",),
        final=("conditions",),
        band="practices",
        quote=(
            ("practices", 6.0),
            ("practices", 10.0),
            ("practices", 15.0),
            ("mental_models", 6.0),
            ("mental_models", 15.0),
        ),
    ),
    Exercise(
        "5_case_medvind",
        "A case in calendar years: MedVind i Østerbyen (from 2016)",
        (Side("medvind", {"backbone.effort.develop_relations": 0.05}), Side("medvind")),
        snapshot_year=10.0,
        snapshot=("network",),
        final=("conditions",),
        band="relationships",
        quote=(
            ("relationships", 10.0),
            ("relationships", 14.0),
            ("mean_trust", 10.0),
            ("shared_will", 10.0),
        ),
    ),
)


def is_quotable(metric: str) -> bool:
    """Return whether ``metric`` may stand in :attr:`Exercise.quote`."""
    if metric.startswith(BACKBONE_TRUST):
        return metric.removeprefix(BACKBONE_TRUST) in {lg.value for lg in LOGICS}
    return metric in REPORTERS


def quote_label(metric: str) -> str:
    """Return a quoted quantity in words, e.g. ``"Trust in the backbone: Police"``."""
    if metric.startswith(BACKBONE_TRUST):
        return f"Trust in the backbone: {views.logic_label(metric.removeprefix(BACKBONE_TRUST))}"
    return views.label(metric)


# --- many-seed runs -------------------------------------------------------------------


def seed_tables(side: Side, seeds: Sequence[int], by_logic: bool = False) -> list[pd.DataFrame]:
    """Run one side once per seed and return each run's metrics table.

    Args:
        side: the world.
        seeds: the run seeds (from :func:`ci_sim.sweep.derive_seeds`).
        by_logic: also add a column ``trust_backbone:<logic>`` per logic present: the
            mean of its organisations' ``trust_backbone`` (organisations have equal
            staff, so this is the mean over the logic's people).

    Returns:
        One table per seed: ``step``, ``year`` and one column per metric.
    """
    from ci_sim.runner import run

    tables = []
    for s in seeds:
        result = run(
            side.scenario,
            seed=int(s),
            overrides=dict(side.overrides) or None,
            record_organisations=by_logic,
        )
        table = result.metrics
        if by_logic:
            trust = result.organisations.pivot_table(
                index="step", columns="logic", values="trust_backbone", aggfunc="mean"
            ).add_prefix(BACKBONE_TRUST)
            trust.columns.name = None
            table = table.merge(trust, left_on="step", right_index=True, how="left")
        tables.append(table)
    return tables


def seed_bands(
    tables: Sequence[pd.DataFrame], low: float = LOW, high: float = HIGH
) -> pd.DataFrame:
    """Return the median and a band of every metric over runs, per step.

    The same long format as :func:`ci_sim.views.seed_bands`, so that
    :func:`ci_sim.figures.bands_figure` draws it.

    Args:
        tables: one metrics table per run (:func:`seed_tables`), all of one length.
        low: the quantile of the band's lower edge.
        high: the quantile of the band's upper edge.

    Returns:
        One row per step and metric: ``year``, ``metric``, ``low``, ``median``,
        ``high`` and ``runs``.
    """
    names = [c for c in tables[0].columns if c not in ("step", "year")]
    return views.bands_of(tables, names, low, high)


def quote_table(exercise: Exercise, bands: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Read the quoted ``(metric, year)`` pairs of an exercise from each side's bands.

    Args:
        exercise: the exercise.
        bands: per side, its :func:`seed_bands` table.

    Returns:
        One row per quoted pair and side, in quote order: ``metric``, ``year``,
        ``side`` (0 for A), ``low``, ``median``, ``high`` and ``runs``.

    Raises:
        ValueError: for a quoted metric a side does not have, or a year that is not
            a recorded step of its run (within half a step).
    """
    rows = []
    for metric, year in exercise.quote:
        for i, table in enumerate(bands):
            part = table[table["metric"] == metric]
            if part.empty:
                raise ValueError(f"exercise {exercise.name}: no metric {metric!r} on side {i}")
            years = part["year"].to_numpy()
            at = int(np.abs(years - year).argmin())
            half_step = (years[1] - years[0]) / 2 if len(years) > 1 else 0.0
            if abs(years[at] - year) > half_step + 1e-9:
                raise ValueError(
                    f"exercise {exercise.name}: year {year:g} of {metric!r} is outside "
                    f"the run (0 to {years[-1]:g})"
                )
            row = part.iloc[at]
            rows.append(
                {
                    "metric": metric,
                    "year": float(year),
                    "side": i,
                    **{k: row[k] for k in ("low", "median", "high", "runs")},
                }
            )
    return pd.DataFrame(rows, columns=["metric", "year", "side", "low", "median", "high", "runs"])


def quote_markdown(
    exercise: Exercise,
    table: pd.DataFrame,
    labels: Sequence[str],
    calendar_start: int | None = None,
) -> list[str]:
    """Return the lines of an exercise's numbers as a markdown table.

    Args:
        exercise: the exercise.
        table: its :func:`quote_table`.
        labels: the sides' labels (``"default"``, ``"default with ..."``).
        calendar_start: calendar year of year 0, if the case has one.
    """
    if table.empty:
        return []
    runs = int(table["runs"].iloc[0])
    letters = [figures.side_name(i) for i in range(len(labels))]
    sides = "; ".join(f"{x} = {lab}" for x, lab in zip(letters, labels, strict=True))
    band = f"{LOW:.0%} to {HIGH:.0%}"
    head = " | ".join(f"{x}: median ({band})" for x in letters)
    lines = [
        f"Exercise {exercise.number}: {sides}. Medians over {runs} seeds, "
        f"with the range of the runs from the {LOW:.0%} to the {HIGH:.0%} quantile "
        "in brackets.",
        "",
        f"| quantity | when | {head} |",
        "| --- | --- |" + " --- |" * len(labels),
    ]
    for (metric, year), rows in table.groupby(["metric", "year"], sort=False):
        cells = [
            f"{r.median:.2f} ({r.low:.2f} to {r.high:.2f})"
            for r in rows.sort_values("side").itertuples(index=False)
        ]
        when = views.year_text(float(year), calendar_start)
        lines.append(f"| {quote_label(str(metric))} | {when} | " + " | ".join(cells) + " |")
    return lines


# --- the figure set -------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseOutput:
    """What :func:`exercise_figures` made for one exercise.

    Attributes:
        figures: ``(path, caption)`` per figure written.
        numbers: the markdown lines of the exercise's quoted medians.
        table: the quoted medians as a table (:func:`quote_table`).
    """

    figures: list[tuple[Path, str]]
    numbers: list[str]
    table: pd.DataFrame


def _caption(exercise: Exercise, what: str, worlds: list[views.World]) -> str:
    sides = "; ".join(f"{figures.side_name(i)} = {w.label}" for i, w in enumerate(worlds))
    return f"Exercise {exercise.number}, {what} ({sides})"


def exercise_figures(
    exercise: Exercise, out: Path, seed: int = 0, seeds: int = 20
) -> ExerciseOutput:
    """Write the figures of one exercise and compute its quoted numbers.

    The band figure and the numbers come from the same many-seed runs.

    Args:
        exercise: the exercise.
        out: the output folder.
        seed: the seed of the single runs, also the root of the many-seed runs.
        seeds: runs per side behind the band figure and the numbers.
    """
    worlds = [views.World(s.scenario, s.overrides, seed) for s in exercise.sides]
    written: list[tuple[Path, str]] = []
    for world in worlds:
        world.run_to(exercise.snapshot_year)
    when = views.year_text(worlds[0].year, worlds[0].calendar_start)
    for name in exercise.snapshot:
        path = out / f"{exercise.name}_{name}.png"
        figures.PANELS[name](worlds).save(path, dpi=PRINT_DPI)
        written.append((path, _caption(exercise, f"{name.replace('_', ' ')} at {when}", worlds)))
    for world in worlds:
        world.run_to(world.end_year)
    for name in exercise.final:
        path = out / f"{exercise.name}_{name}.png"
        figures.PANELS[name](worlds).save(path, dpi=PRINT_DPI)
        written.append((path, _caption(exercise, f"{name.replace('_', ' ')} over the run", worlds)))
    run_seeds = derive_seeds(seed, seeds)
    side_bands = [
        seed_bands(seed_tables(side, run_seeds, exercise.by_logic)) for side in exercise.sides
    ]
    bands = [
        (f"{figures.side_name(i)}: {w.label}", b)
        for i, (w, b) in enumerate(zip(worlds, side_bands, strict=True))
    ]
    fig = figures.bands_figure(bands, exercise.band, worlds[0].calendar_start, dpi=PRINT_DPI)
    path = out / f"{exercise.name}_seeds_{exercise.band}.png"
    fig.savefig(path, format="png", dpi=PRINT_DPI)
    what = f"{views.label(exercise.band)} over {seeds} seeds (median, 10-90% band)"
    written.append((path, _caption(exercise, what, worlds)))
    table = quote_table(exercise, side_bands)
    numbers = quote_markdown(exercise, table, [w.label for w in worlds], worlds[0].calendar_start)
    return ExerciseOutput(written, numbers, table)


def _made_by(seed: int, seeds: int) -> str:
    from ci_sim.experiments.store import git_commit
    from ci_sim.runner import provenance

    commit = git_commit()
    version = f"ci_sim {provenance()['ci_sim']}"
    if commit is not None:
        version += f", commit {commit['commit'][:10]}" + (" (modified)" if commit["dirty"] else "")
    return (
        f"Made by `ci-sim teach-figures` with seed {seed} and {seeds} seeds per side "
        f"(`ci_sim.sweep.derive_seeds({seed}, {seeds})`) at {version}; "
        "the plan that uses them is `docs/teaching.md`."
    )


def write_figures(out: str | Path, seed: int = 0, seeds: int = 20) -> list[Path]:
    """Write the figure set of every exercise, ``numbers.md`` and an index ``README.md``.

    Args:
        out: the output folder (created if missing).
        seed: the seed of the single runs and the root of the many-seed runs.
        seeds: runs per side behind each band figure and each median.

    Returns:
        The files written, ``numbers.md`` and the index last.

    Raises:
        OSError: when the folder cannot be written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made_by = _made_by(seed, seeds)
    index = ["# Teaching figures", "", made_by, "The numbers are also in `numbers.md`."]
    numbers = [
        "# Numbers of the teaching plan",
        "",
        made_by,
        "These are the medians `docs/teaching.md` talks about; the model changes, so "
        "regenerate them before class.",
    ]
    paths: list[Path] = []
    for exercise in EXERCISES:
        made = exercise_figures(exercise, out, seed, seeds)
        index += ["", f"## {exercise.title}", ""]
        for path, caption in made.figures:
            index.append(f"- `{path.name}`: {caption}")
            paths.append(path)
        if made.numbers:
            index += ["", *made.numbers]
            numbers += ["", f"## {exercise.title}", "", *made.numbers]
    numbers_path = out / "numbers.md"
    numbers_path.write_text("\n".join(numbers) + "\n", encoding="utf-8")
    index_path = out / "README.md"
    index_path.write_text("\n".join(index) + "\n", encoding="utf-8")
    return [*paths, numbers_path, index_path]
