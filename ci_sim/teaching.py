"""The printable figure set of the teaching plan (``docs/teaching.md``).

``ci-sim teach-figures [--out DIR]`` calls :func:`write_figures`: for every exercise of
:data:`EXERCISES` it runs the exercise's worlds with one seed and draws the dashboard's
views at a chosen year and at the end, then runs the same worlds over many seeds for a
median and a 10-90% band. It writes one PNG per figure and a ``README.md`` index with a
caption per figure. The figures are the dashboard's own panels (:mod:`ci_sim.figures`)
at print resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_sim import figures, views
from ci_sim.sweep import derive_seeds

#: Resolution of the printable figures.
PRINT_DPI = 150


@dataclass(frozen=True)
class Side:
    """One world of an exercise: a scenario and the levers changed on it."""

    scenario: str
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exercise:
    """One exercise of the session plan and the figures it needs.

    Attributes:
        name: file prefix, e.g. ``"1_shared_will"``.
        title: the exercise's title.
        sides: the worlds compared (side A, side B).
        snapshot_year: the year at which the snapshot panels are drawn.
        snapshot: panels (names of :data:`ci_sim.figures.PANELS`) drawn at that year.
        final: panels drawn at the end of the run.
        band: the metric drawn over many seeds.
    """

    name: str
    title: str
    sides: tuple[Side, ...]
    snapshot_year: float
    snapshot: tuple[str, ...]
    final: tuple[str, ...]
    band: str


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "1_shared_will",
        "Shared will: does it grow without a backbone?",
        (Side("default"), Side("no_backbone")),
        snapshot_year=4.0,
        snapshot=("network",),
        final=("will_trust",),
        band="shared_will",
    ),
    Exercise(
        "2_independent_but_connected",
        "Independent but connected: a neutral backbone against a captured one",
        (Side("default"), Side("captured_backbone")),
        snapshot_year=6.0,
        snapshot=("network", "trust_backbone"),
        final=("conditions",),
        band="relationships",
    ),
    Exercise(
        "3_move_people",
        "Move people to move systems: relationship work and staff turnover",
        (Side("default"), Side("default", {"organisations.turnover_per_year": 0.5})),
        snapshot_year=8.0,
        snapshot=("network",),
        final=("will_trust",),
        band="mean_trust",
    ),
    Exercise(
        "4_four_tasks_and_sunset",
        "The four tasks and the sunset: what stays when the backbone goes?",
        (Side("default"), Side("early_sunset_no_handover")),
        snapshot_year=15.0,
        snapshot=("effort",),
        final=("conditions",),
        band="practices",
    ),
    Exercise(
        "5_case_medvind",
        "A case in calendar years: MedVind i Østerbyen (from 2016)",
        (Side("medvind"), Side("medvind", {"backbone.effort.develop_relations": 0.05})),
        snapshot_year=10.0,
        snapshot=("network",),
        final=("conditions",),
        band="relationships",
    ),
)


def _caption(exercise: Exercise, what: str, worlds: list[views.World]) -> str:
    sides = "; ".join(f"{figures.side_name(i)} = {w.label}" for i, w in enumerate(worlds))
    return f"Exercise {exercise.name.split('_', 1)[0]}, {what} ({sides})"


def exercise_figures(
    exercise: Exercise, out: Path, seed: int = 0, seeds: int = 20
) -> list[tuple[Path, str]]:
    """Write the figures of one exercise and return ``(path, caption)`` pairs.

    Args:
        exercise: the exercise.
        out: the output folder.
        seed: the seed of the single runs, also the root of the many-seed runs.
        seeds: runs per side behind the band figure.
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
    bands = [
        (f"{figures.side_name(i)}: {w.label}", views.seed_bands(w.name, w.overrides, run_seeds))
        for i, w in enumerate(worlds)
    ]
    fig = figures.bands_figure(bands, exercise.band, worlds[0].calendar_start, dpi=PRINT_DPI)
    path = out / f"{exercise.name}_seeds_{exercise.band}.png"
    fig.savefig(path, format="png", dpi=PRINT_DPI)
    what = f"{views.label(exercise.band)} over {seeds} seeds (median, 10-90% band)"
    written.append((path, _caption(exercise, what, worlds)))
    return written


def write_figures(out: str | Path, seed: int = 0, seeds: int = 20) -> list[Path]:
    """Write the figure set of every exercise and an index ``README.md``.

    Args:
        out: the output folder (created if missing).
        seed: the seed of the single runs and the root of the many-seed runs.
        seeds: runs per side behind each band figure.

    Returns:
        The files written, the index last.

    Raises:
        OSError: when the folder cannot be written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Teaching figures",
        "",
        f"Made by `ci-sim teach-figures` with seed {seed} and {seeds} seeds per band; "
        "the plan that uses them is `docs/teaching.md`.",
    ]
    paths: list[Path] = []
    for exercise in EXERCISES:
        lines += ["", f"## {exercise.title}", ""]
        for path, caption in exercise_figures(exercise, out, seed, seeds):
            lines.append(f"- `{path.name}`: {caption}")
            paths.append(path)
    index = out / "README.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*paths, index]
