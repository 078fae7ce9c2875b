"""``ci-sim results``: the mission's three questions answered from the shipped experiments.

The three questions (what relationship work, backbone neutrality and the sunset date do
to systemic change) each have a shipped experiment file in ``experiments/``. This module
runs them over paired seeds, reads paired effects on ``systemic_change`` at years 12, 15
and 25 with bootstrap 95% intervals, draws one figure per question and writes
``docs/results.md``::

    ci-sim results [--seeds N] [--root R] [--workers W] [--out DIR]

The same functions serve the notebooks in ``experiments/`` (:func:`notebook_design`,
:func:`run_design`, :func:`contrast_table`, :func:`question_figure`), so a notebook and
the report read one experiment the same way. Analysis functions are pure functions of a
sweep's results table. Argparse setup imports nothing heavy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_sim.report import markdown_table
from ci_sim.scenario_files import ScenarioError

#: Years at which every answer is read.
YEARS = (12.0, 15.0, 25.0)
#: The outcome of every answer.
METRIC = "systemic_change"
#: Environment variable that sets the paired seeds of a notebook (the small CI design).
SEEDS_ENV = "CI_SIM_NOTEBOOK_SEEDS"
#: Environment variable that sets a notebook's worker processes (default 2).
WORKERS_ENV = "CI_SIM_NOTEBOOK_WORKERS"
#: Environment variable naming a sweep cache folder for notebooks (see :func:`run_design`).
CACHE_ENV = "CI_SIM_NOTEBOOK_CACHE"
#: Default paired seeds of ``ci-sim results``.
DEFAULT_SEEDS = 20
#: Fewest paired seeds whose bootstrap interval :func:`direction` reads.
MIN_READ = 5
#: Bootstrap resamples of every interval (seeded: the report is reproducible).
RESAMPLES = 9999

#: One weighted cell of a contrast: ``(weight, {column: value, ...})``.
Term = tuple[float, dict[str, Any]]


@dataclass(frozen=True)
class Contrast:
    """A paired contrast between cells of a sweep: ``sum(weight * cell)`` per replicate.

    A cell is the runs whose columns hold the given values (intervention, factor levels,
    and optionally ``year``); every cell must hold one run per replicate. The runs of one
    replicate share their seed in every cell (the experiment pairs them), so the
    weighted sum is a within-seed difference. ``arm - reference`` is the weights
    ``(+1, -1)``; a difference of differences has four terms.

    Attributes:
        group: the table the contrast belongs to (a heading).
        label: the row label.
        terms: the weighted cells.
    """

    group: str
    label: str
    terms: tuple[Term, ...]

    @property
    def fixed_year(self) -> bool:
        """Whether every cell names its year (then it is read once, not per year)."""
        return all("year" in cell for _, cell in self.terms)


def simple(group: str, label: str, arm: Mapping[str, Any], ref: Mapping[str, Any]) -> Contrast:
    """Return the contrast ``arm - ref``."""
    return Contrast(group, label, ((1.0, dict(arm)), (-1.0, dict(ref))))


@dataclass(frozen=True)
class Question:
    """One of the three questions and how the report reads its experiment.

    Attributes:
        key: the experiment file's stem in ``experiments/``.
        title: the section title.
        question: the question in one sentence.
        claims: claim ids of ``docs/claims.md`` the answer tests.
        reading: how the contrasts are built, in words.
        contrasts: ``contrasts(experiment) -> [Contrast]``.
        trajectories: ``trajectories(experiment) -> [(label, cell)]`` drawn in the figure.
        headlines: ``(group, label)`` of the contrasts quoted as the headline answer.
        limits: what the answer does not show.
    """

    key: str
    title: str
    question: str
    claims: tuple[str, ...]
    reading: str
    contrasts: Callable[[Any], list[Contrast]]
    trajectories: Callable[[Any], list[tuple[str, dict[str, Any]]]]
    headlines: tuple[tuple[str, str], ...]
    limits: tuple[str, ...]


# --- the three questions -----------------------------------------------------------------


def _level(exp: Any, key: str, value: Any) -> Any:
    """Return a factor level as stored in the results table."""
    from ci_sim.experiments.spec import label_value

    return label_value(value, exp.column_kind(key))


def _relationship_contrasts(exp: Any) -> list[Contrast]:
    base = exp.baseline
    group = f"Against the default share ({base!r})"
    return [
        simple(group, arm, {"intervention": arm}, {"intervention": base})
        for arm in list(exp.interventions)[1:]
    ]


def _relationship_lines(exp: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(arm, {"intervention": arm}) for arm in exp.interventions]


HOST, INDEPENDENCE = "backbone.host", "backbone.independence"
SUNSET, ALLOCATION = "backbone.sunset_year", "backbone.allocation"


def _field_label(arm: str) -> str:
    return arm.replace("_", " ")


def _neutrality_contrasts(exp: Any) -> list[Contrast]:
    hosts = [_level(exp, HOST, h) for h in exp.factors[HOST]]
    levels = [_level(exp, INDEPENDENCE, i) for i in exp.factors[INDEPENDENCE]]
    ref, lower = levels[0], levels[1:]
    fields = list(exp.interventions)
    out: list[Contrast] = []
    for field in fields:
        for host in hosts:
            group = f"{_field_label(field)}, host {host}: against independence {ref:g}"
            for ind in lower:
                cell = {"intervention": field, HOST: host}
                out.append(
                    simple(
                        group,
                        f"independence {ind:g}",
                        {**cell, INDEPENDENCE: ind},
                        {**cell, INDEPENDENCE: ref},
                    )
                )
    if len(fields) >= 2:  # the control: does the effect shrink when all share one logic?
        mixed, control = fields[0], fields[1]
        group = (
            f"Control: effect in the {_field_label(mixed)} minus effect in the "
            f"{_field_label(control)}"
        )
        for host in hosts:
            for ind in lower:

                def cell(field: str, level: float, host: str = host) -> dict[str, Any]:
                    return {"intervention": field, HOST: host, INDEPENDENCE: level}

                terms = (
                    (1.0, cell(mixed, ind)),
                    (-1.0, cell(mixed, ref)),
                    (-1.0, cell(control, ind)),
                    (1.0, cell(control, ref)),
                )
                out.append(Contrast(group, f"host {host}, independence {ind:g}", terms))
    return out


def _neutrality_lines(exp: Any) -> list[tuple[str, dict[str, Any]]]:
    hosts = [_level(exp, HOST, h) for h in exp.factors[HOST]]
    levels = [_level(exp, INDEPENDENCE, i) for i in exp.factors[INDEPENDENCE]]
    out = []
    for field in exp.interventions:
        for ind in (levels[0], levels[-1]):
            label = f"{_field_label(field)}, host {hosts[0]}, independence {ind:g}"
            out.append((label, {"intervention": field, HOST: hosts[0], INDEPENDENCE: ind}))
    return out


def _sunset_years(exp: Any) -> tuple[list[Any], Any]:
    """Return the sunset levels with a date, and the 'never' level (or None)."""
    levels = [_level(exp, SUNSET, s) for s in exp.factors[SUNSET]]
    never = next((v for v in levels if str(v) == "none"), None)
    return [v for v in levels if str(v) != "none"], never


def _sunset_contrasts(exp: Any) -> list[Contrast]:
    dated, never = _sunset_years(exp)
    allocations = [_level(exp, ALLOCATION, a) for a in exp.factors.get(ALLOCATION, [])] or [None]
    arms = list(exp.interventions)
    keep, drop = arms[0], (arms[1] if len(arms) > 1 else None)

    def cell(arm: str, sunset: Any, alloc: Any, **extra: Any) -> dict[str, Any]:
        out = {"intervention": arm, SUNSET: sunset, **extra}
        if alloc is not None:
            out[ALLOCATION] = alloc
        return out

    out: list[Contrast] = []
    for alloc in allocations:
        how = f"{alloc} allocation" if alloc is not None else "allocation as in the scenario"
        if never is not None:
            group = f"Leaving at year S rather than never ({keep}, {how})"
            for s in dated:
                label = f"sunset {s}"
                out.append(simple(group, label, cell(keep, s, alloc), cell(keep, never, alloc)))
        if drop is not None:
            group = f"{drop} rather than {keep} ({how})"
            for s in dated:
                label = f"sunset {s}"
                out.append(simple(group, label, cell(drop, s, alloc), cell(keep, s, alloc)))
    end = float(exp.years)
    for alloc in allocations[:1]:
        how = f"{alloc} allocation" if alloc is not None else "allocation as in the scenario"
        for arm in [a for a in (keep, drop) if a is not None]:
            group = (
                f"What persists ({arm}, {how}): year {end:g} minus the last year with the "
                "backbone (S - 1)"
            )
            for s in dated:
                before = float(s) - 1.0
                if not 0.0 <= before < end:
                    continue
                label = f"sunset {s}: year {end:g} minus year {before:g}"
                out.append(
                    simple(
                        group,
                        label,
                        cell(arm, s, alloc, year=end),
                        cell(arm, s, alloc, year=before),
                    )
                )
    return out


def _sunset_lines(exp: Any) -> list[tuple[str, dict[str, Any]]]:
    dated, never = _sunset_years(exp)
    arms = list(exp.interventions)
    allocs = [_level(exp, ALLOCATION, a) for a in exp.factors.get(ALLOCATION, [])]
    base: dict[str, Any] = {ALLOCATION: allocs[0]} if allocs else {}
    picks = [dated[0], dated[len(dated) // 2]] + ([never] if never is not None else [])
    out = [(f"{arms[0]}, sunset {s}", {"intervention": arms[0], SUNSET: s, **base}) for s in picks]
    if len(arms) > 1:
        mid = dated[len(dated) // 2]
        out.append((f"{arms[1]}, sunset {mid}", {"intervention": arms[1], SUNSET: mid, **base}))
    return out


QUESTIONS: tuple[Question, ...] = (
    Question(
        key="relationship_work",
        title="Relationship work",
        question="What does the backbone's relationship work (its share of effort spent "
        "developing relations) do to systemic change?",
        claims=("C2.20", "C2.21", "C2.23", "C4.1", "C4.4"),
        reading="Each develop_relations share against the default share, same seeds.",
        contrasts=_relationship_contrasts,
        trajectories=_relationship_lines,
        headlines=(("Against the default share ('default')", "no_relation_work"),),
        limits=(
            "Shares are normalised: more relationship work means less of the other three "
            "tasks, so each row is a reallocation, not extra effort.",
            "Relationship work here is meetings that build trust between people; the "
            "quality of a conversation (coffee without an agenda, honest questions) is a "
            "fixed form, not a lever.",
        ),
    ),
    Question(
        key="neutrality",
        title="Backbone neutrality",
        question="What does a less independent backbone (hosted by the municipality or "
        "free-standing) do to systemic change, and does it matter when every actor "
        "shares one logic?",
        claims=("C2.11", "C2.12", "C2.16", "C2.19", "C3.6"),
        reading="Each independence level against independence 1.0 at the same host and "
        "field, same seeds; the control row is the effect in the mixed field minus the "
        "effect in the one-logic field (a difference of paired differences).",
        contrasts=_neutrality_contrasts,
        trajectories=_neutrality_lines,
        headlines=(
            ("mixed field, host municipality: against independence 1", "independence 0.1"),
            ("one logic field, host municipality: against independence 1", "independence 0.1"),
        ),
        limits=(
            "Independence is one number that blends the backbone's drift toward the "
            "logics it meets and its will to confront dominant actors; where the "
            "secretariat sits (its information flows) acts only through its host.",
            "The one-logic field is a control of the mechanism, not a realistic field: "
            "it removes the distance between logics that gives neutrality its value.",
        ),
    ),
    Question(
        key="sunset",
        title="Sunset date",
        question="What do the sunset date, a handover before it and the allocation of "
        "effort do to systemic change over 25 years, and what persists after the "
        "backbone has gone?",
        claims=("C3.7", "C2.15", "C2.22", "C3.12", "C4.3", "C4.4"),
        reading="Each sunset year against no sunset, and no handover against a "
        "handover at the same sunset year, same seeds, for fixed and adaptive "
        "allocation; what persists is the change of the same runs from the last year "
        "with the backbone to year 25.",
        contrasts=_sunset_contrasts,
        trajectories=_sunset_lines,
        headlines=(
            ("Leaving at year S rather than never (handover, fixed allocation)", "sunset 12"),
            ("no_handover rather than handover (fixed allocation)", "sunset 12"),
        ),
        limits=(
            "After the sunset nobody replaces the backbone: the handover is a level of "
            "local leadership, not a new organisation with its own budget.",
            "A sunset year is fixed in advance; a backbone that leaves when a condition "
            "is met (a trigger) is not modelled.",
        ),
    ),
)

#: What no run of the model can answer; the closing section of the report.
CANNOT_TELL = (
    "Effect sizes in the real world. The model's conditions are indices from 0 to 1 "
    "built from its own state; their units are not those of any survey or register, and "
    "the model is not calibrated to data (docs/ODD.md, section 1): its mechanism "
    "constants are not fitted to Danish initiatives. Read signs, orderings and rough "
    "sizes relative to each other, not the numbers.",
    "Whether a particular initiative will succeed. A run is one possible history of a "
    "generic field; the intervals are over seeds of the model, not over initiatives, "
    "and say nothing about how far a real field lies from the default scenario.",
    "Anything the model leaves out: claims marked 'explained' in docs/claims.md (the "
    "free space outside organisations, breadth of anchoring, thousands of people, the "
    "narrative, staff motivation, competences), politics beyond the scripted shocks, "
    "and money beyond the backbone's staff.",
    "Causal claims about mechanisms. An effect here follows from the mechanisms as "
    "written (docs/ODD.md); docs/ablation.md shows which mechanisms carry it and "
    "docs/sensitivity.md how it moves with their constants. A different but equally "
    "defensible mechanism could change it.",
    "Long horizons with confidence. Beyond the 10 to 15 years the source speaks of, "
    "the runs extrapolate the same rules; effects at year 25 show where the rules lead, "
    "not what a field would do.",
)


def question(key: str) -> Question:
    """Return the question whose experiment file is ``experiments/<key>.toml``.

    Raises:
        ScenarioError: for an unknown key (naming the known ones).
    """
    for q in QUESTIONS:
        if q.key == key:
            return q
    known = ", ".join(q.key for q in QUESTIONS)
    raise ScenarioError(f"question {key!r}: unknown (known: {known})")


# --- designs and runs --------------------------------------------------------------------


def experiments_dir() -> Path:
    """Return the ``experiments/`` folder of the repository this package runs from."""
    return Path(__file__).resolve().parent.parent / "experiments"


def load_design(
    key: str,
    seeds: int | None = None,
    root: int | None = None,
    folder: str | Path | None = None,
) -> Any:
    """Load a shipped experiment, optionally with another number of seeds or root.

    Args:
        key: the file's stem (``"relationship_work"``, ``"neutrality"``, ``"sunset"``).
        seeds: paired seeds (replicates); ``None`` keeps the file's.
        root: root of the SeedSequence the seeds derive from; ``None`` keeps the file's.
        folder: the experiments folder (default :func:`experiments_dir`).

    Returns:
        The :class:`ci_sim.experiments.Experiment`; the first ``n`` seeds of a root are
        the same for every ``n`` (SeedSequence spawns), so a small design is a prefix
        of the full one.

    Raises:
        ci_sim.experiments.ExperimentError: for a missing or invalid file or a bad
            number of seeds or root (one line naming the file and key).
    """
    from ci_sim.experiments import ExperimentError, load

    path = Path(folder) if folder is not None else experiments_dir()
    path = path / f"{key}.toml"
    if seeds is None and root is None:
        return load(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExperimentError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{path}: not valid TOML: {' '.join(str(exc).split())}") from None
    table = raw.setdefault("experiment", {})
    if seeds is not None:
        table["replicates"] = seeds
    if root is not None:
        table["root_seed"] = root
    try:
        exp = load(raw)
    except ExperimentError as exc:
        raise ExperimentError(str(exc).replace("<mapping>", str(path), 1)) from None
    return dataclasses.replace(exp, name=key, source=str(path))


def notebook_design(key: str) -> Any:
    """Return a shipped experiment with the seeds a notebook should run.

    ``CI_SIM_NOTEBOOK_SEEDS`` (a whole number from 2) overrides the file's replicates;
    the notebook test sets it to run every notebook quickly on a small design.

    Raises:
        ScenarioError: for a value that is not a whole number from 2.
    """
    return load_design(key, seeds=env_count(SEEDS_ENV, None, low=2))


def notebook_workers() -> int:
    """Return the worker processes a notebook should use (``CI_SIM_NOTEBOOK_WORKERS``, 2).

    Raises:
        ScenarioError: for a value that is not a whole number from 1.
    """
    return env_count(WORKERS_ENV, 2, low=1) or 2


def env_count(name: str, default: int | None, low: int) -> int | None:
    """Return the whole number in environment variable ``name`` (``default`` if unset).

    Raises:
        ScenarioError: for a value that is not a whole number from ``low``.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise ScenarioError(f"environment variable {name}={text!r}: allowed: {low} or more")
    return value


def notebook_cache() -> Path | None:
    """Return the sweep cache folder of a notebook (``CI_SIM_NOTEBOOK_CACHE``), if set."""
    text = os.environ.get(CACHE_ENV, "").strip()
    return Path(text) if text else None


def run_design(
    exp: Any, workers: int = 2, quiet: bool = True, cache: str | Path | None = None
) -> Any:
    """Run an experiment (every run's seed fixed before dispatch) and return its table.

    Args:
        exp: a loaded experiment.
        workers: worker processes; 1 runs serially in this process.
        quiet: no progress bar.
        cache: a folder that keeps each design's sweep in ``<name>-<sha256[:12]>/``, so
            the same design (same file text, seeds and root) is read back instead of
            run again (a sweep resumes). It does not notice a change of the model's
            code: use it within one session (the tests do), not across model changes.
            ``None`` runs in a temporary folder.

    Returns:
        The results table of :func:`ci_sim.experiments.sweep`.
    """
    from ci_sim import experiments

    engine = "serial" if workers <= 1 else "local"
    out = None if cache is None else Path(cache) / f"{exp.name}-{exp.sha256[:12]}"
    return experiments.sweep(exp, engine=engine, workers=workers, quiet=quiet, out=out)


# --- paired contrasts (pure functions of a results table) --------------------------------


def _matches(column: Any, value: Any) -> Any:
    import numpy as np

    if column.dtype.kind == "f" and isinstance(value, int | float) and not isinstance(value, bool):
        return np.isclose(column.to_numpy(dtype=float), float(value), rtol=0.0, atol=1e-9)
    if column.dtype.kind in "OUST" and not isinstance(value, str):
        value = json.dumps(value)
    return (column == value).to_numpy()


def cell_values(
    df: Any, cell: Mapping[str, Any], metric: str = METRIC, year: float | None = None
) -> Any:
    """Return the metric of one cell of a sweep per replicate, with the replicate's seed.

    Args:
        df: a sweep results table.
        cell: column -> value (``intervention``, factor levels, optionally ``year``).
        metric: the metric column.
        year: the year read when ``cell`` does not name one.

    Returns:
        A DataFrame indexed by ``replicate`` with columns ``seed`` and ``value``.

    Raises:
        ValueError: for an unknown column, no year, or a cell that holds more than one
            row per replicate (a factor left unnamed).
    """
    import numpy as np

    where = dict(cell)
    if "year" not in where:
        if year is None:
            raise ValueError(f"cell {cell}: no year (name one, or pass year=)")
        where["year"] = float(year)
    keep = np.ones(len(df), dtype=bool)
    for column, value in where.items():
        if column not in df.columns:
            raise ValueError(f"cell {cell}: {column!r} is not a column of the results table")
        keep &= _matches(df[column], value)
    rows = df.loc[keep, ["replicate", "seed", metric]]
    if rows["replicate"].duplicated().any():
        raise ValueError(f"cell {cell} holds more than one run per replicate; name every factor")
    return rows.set_index("replicate").rename(columns={metric: "value"}).sort_index()


def paired_contrast(
    df: Any,
    contrast: Contrast,
    metric: str = METRIC,
    year: float | None = None,
    confidence: float = 0.95,
    n_resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Return the paired contrast's mean with a bootstrap interval over replicates.

    Only replicates present in every cell count (a failed run drops its pair).

    Returns:
        ``n``, ``reference`` (mean of the single negative cell, NaN otherwise),
        ``diff``, ``ci_low``, ``ci_high``, ``dz``, ``p`` (Wilcoxon), ``share_positive``.

    Raises:
        ValueError: for a bad cell (see :func:`cell_values`) or cells whose seeds
            differ for one replicate (not paired).
    """
    import numpy as np
    import pandas as pd

    from ci_sim import stats

    parts = [cell_values(df, cell, metric, year) for _, cell in contrast.terms]
    common = parts[0].index
    for part in parts[1:]:
        common = common.intersection(part.index)
    seeds = pd.concat([p.loc[common, "seed"] for p in parts], axis=1)
    if len(common) and not (seeds.nunique(axis=1) == 1).all():
        raise ValueError(f"{contrast.label}: cells do not share their seeds (not paired)")
    d = np.zeros(len(common))
    for (weight, _), part in zip(contrast.terms, parts, strict=True):
        d = d + weight * part.loc[common, "value"].to_numpy(dtype=float)
    negative = [p for (w, _), p in zip(contrast.terms, parts, strict=True) if w < 0]
    reference = (
        float(negative[0].loc[common, "value"].mean())
        if len(negative) == 1 and len(common)
        else math.nan
    )
    n = int(d.size)
    low, high = stats.bootstrap_ci(d, confidence, n_resamples, seed) if n >= 2 else (math.nan,) * 2
    return {
        "n": n,
        "reference": reference,
        "diff": float(d.mean()) if n else math.nan,
        "ci_low": low,
        "ci_high": high,
        "dz": stats.cohen_dz(d) if n >= 2 and np.ptp(d) > 0 else math.nan,
        "p": stats.wilcoxon_p(d) if n >= 2 and np.any(d != 0) else math.nan,
        "share_positive": float((d > 0).mean()) if n else math.nan,
    }


def contrast_table(
    df: Any,
    contrasts: Sequence[Contrast],
    metric: str = METRIC,
    years: Sequence[float] = YEARS,
    confidence: float = 0.95,
    n_resamples: int = RESAMPLES,
) -> Any:
    """Return every contrast at every year (once for a contrast that fixes its years).

    Returns:
        A DataFrame, one row per contrast and year: ``group, contrast, year`` (NaN for
        a fixed-year contrast), then the fields of :func:`paired_contrast` and
        ``p_holm`` (Holm over the table). ``attrs`` hold the metric and confidence.
    """
    import pandas as pd

    from ci_sim import stats

    rows = []
    for c in contrasts:
        for year in [None] if c.fixed_year else years:
            effect = paired_contrast(df, c, metric, year, confidence, n_resamples)
            rows.append(
                {
                    "group": c.group,
                    "contrast": c.label,
                    "year": math.nan if year is None else float(year),
                    **effect,
                }
            )
    table = pd.DataFrame(rows)
    if len(table):
        p = table["p"].to_numpy(dtype=float)
        holm = stats.holm(p[~pd.isna(p)]) if (~pd.isna(p)).any() else []
        table["p_holm"] = math.nan
        table.loc[~pd.isna(p), "p_holm"] = holm
    table.attrs.update({"metric": metric, "confidence": confidence})
    return table


def effect_text(row: Mapping[str, Any], digits: int = 3) -> str:
    """Return ``+0.012 [-0.004, +0.030]`` for a contrast row (``n/a`` without pairs)."""
    diff, low, high = row["diff"], row["ci_low"], row["ci_high"]
    if diff is None or (isinstance(diff, float) and math.isnan(diff)):
        return "n/a"
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        return f"{diff:+.{digits}f}"
    return f"{diff:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"


def direction(row: Mapping[str, Any]) -> str:
    """Say what a contrast's interval shows: higher, lower, or no clear difference.

    With fewer than :data:`MIN_READ` pairs a bootstrap interval is too rough to read,
    and the answer says so instead.
    """
    low, high = row["ci_low"], row["ci_high"]
    if row.get("n", 0) < MIN_READ:
        return f"not read: {row.get('n', 0)} paired seeds (a reading needs {MIN_READ} or more)"
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "no interval"
    if low > 0:
        return "higher (95% CI above 0)"
    if high < 0:
        return "lower (95% CI below 0)"
    return "no clear difference (95% CI includes 0)"


def wide_table(table: Any) -> Any:
    """Return the contrast table with one column per year (cells ``diff [low, high]``).

    ``reference`` holds the mean of the reference cell at each year read (``/``
    between years); a fixed-year contrast has its one effect in an ``effect`` column.
    Columns that no row fills are left out.
    """
    import pandas as pd

    out = []
    for (group, label), part in table.groupby(["group", "contrast"], sort=False):
        row: dict[str, Any] = {"group": group, "contrast": label}
        refs = [r for r in part["reference"] if not pd.isna(r)]
        if refs:
            row["reference"] = " / ".join(f"{r:.3f}" for r in refs)
        for r in part.to_dict(orient="records"):
            col = "effect" if pd.isna(r["year"]) else f"year {r['year']:g}"
            row[col] = effect_text(r)
        row["n"] = int(part["n"].min())
        out.append(row)
    frame = pd.DataFrame(out)
    return frame.dropna(axis=1, how="all")


# --- figures -----------------------------------------------------------------------------


def _trajectory(ax: Any, df: Any, cell: Mapping[str, Any], label: str, metric: str) -> None:
    import numpy as np
    from scipy import stats as sps

    keep = np.ones(len(df), dtype=bool)
    for column, value in cell.items():
        keep &= _matches(df[column], value)
    g = df[keep].groupby("year")[metric]
    mean, sd, n = g.mean(), g.std(ddof=1), g.count()
    half = (sps.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)).fillna(0.0)
    x = mean.index.to_numpy(dtype=float)
    line = ax.plot(x, mean.to_numpy(), lw=1.5, label=label)[0]
    ax.fill_between(
        x, (mean - half).to_numpy(), (mean + half).to_numpy(), color=line.get_color(), alpha=0.18
    )


def question_figure(df: Any, table: Any, q: Question, exp: Any, metric: str = METRIC) -> Any:
    """Draw a question's answer: mean trajectories (95% bands) and the paired effects.

    Left: the mean of ``metric`` over the seeds for a few cells of the design, with a
    95% t-band. Right: every contrast's paired effect with its 95% bootstrap interval,
    one marker per year read (a diamond for a contrast that fixes its years).

    Returns:
        A :class:`matplotlib.figure.Figure` with its own Agg canvas (no pyplot state).
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = list(dict.fromkeys(zip(table["group"], table["contrast"], strict=True)))
    height = max(4.5, 0.6 + 0.24 * len(labels))
    fig = Figure(figsize=(13, height), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.25])
    for label, cell in q.trajectories(exp):
        _trajectory(left, df, cell, label, metric)
    for year in YEARS:
        left.axvline(year, color="0.75", lw=0.8, ls=":")
    left.set_xlabel("year")
    left.set_ylabel(f"{metric} (mean, 95% band)")
    left.set_title("Trajectories", fontsize=10)
    left.legend(fontsize=7, frameon=False, loc="best")
    left.grid(True, alpha=0.3)

    ypos = {key: i for i, key in enumerate(reversed(labels))}
    offsets = dict(zip(YEARS, (0.22, 0.0, -0.22), strict=False))
    colours = dict(zip(YEARS, ("tab:blue", "tab:orange", "tab:green"), strict=False))
    shown: set[str] = set()
    for r in table.to_dict(orient="records"):
        y = ypos[(r["group"], r["contrast"])]
        fixed = isinstance(r["year"], float) and math.isnan(r["year"])
        name = "fixed years" if fixed else f"year {r['year']:g}"
        lo = np.nan_to_num(r["diff"] - r["ci_low"])
        hi = np.nan_to_num(r["ci_high"] - r["diff"])
        right.errorbar(
            r["diff"],
            y + (0.0 if fixed else offsets.get(r["year"], 0.0)),
            xerr=[[lo], [hi]],
            fmt="D" if fixed else "o",
            ms=4,
            capsize=2,
            color="black" if fixed else colours.get(r["year"], "tab:gray"),
            label=None if name in shown else name,
        )
        shown.add(name)
    groups = list(dict.fromkeys(g for g, _ in labels))
    for i, (g, _) in enumerate(reversed(labels)):  # shade every other group
        if groups.index(g) % 2 == 1:
            right.axhspan(i - 0.5, i + 0.5, color="0.93", lw=0, zorder=0)
    tick = [f"{c}  [{groups.index(g) + 1}]" for g, c in reversed(labels)]
    right.set_yticks(range(len(labels)), tick, fontsize=7)
    right.axvline(0.0, color="0.4", lw=0.8)
    right.set_xlabel(f"paired difference in {metric} (95% bootstrap CI)")
    right.set_title(
        "Effects; groups: " + "; ".join(f"[{i + 1}] {g}" for i, g in enumerate(groups)),
        fontsize=7,
        wrap=True,
    )
    right.legend(fontsize=7, frameon=False, loc="best")
    right.grid(True, axis="x", alpha=0.3)
    n = int(table["n"].min()) if len(table) else 0
    fig.suptitle(f"{q.title}: {q.question} ({n} paired seeds)", fontsize=10, wrap=True)
    return fig


# --- the report --------------------------------------------------------------------------


@dataclass
class Answer:
    """One question answered: its experiment, runs, contrast table and figure path."""

    question: Question
    experiment: Any
    table: Any
    figure: Path | None
    seeds: list[int]
    runs: int
    failed: int


def answer(
    q: Question,
    seeds: int,
    root: int | None = None,
    workers: int = 2,
    figures: Path | None = None,
    quiet: bool = True,
    cache: Path | None = None,
) -> Answer:
    """Run one question's experiment and read its answer.

    Args:
        q: the question.
        seeds: paired seeds.
        root: seed root (default: the experiment file's).
        workers: worker processes.
        figures: folder for ``results_<key>.png`` (none written if ``None``).
        quiet: no progress bar.
        cache: sweep cache folder (see :func:`run_design`).
    """
    exp = load_design(q.key, seeds=seeds, root=root)
    df = run_design(exp, workers=workers, quiet=quiet, cache=cache)
    table = contrast_table(df, q.contrasts(exp))
    path = None
    if figures is not None:
        figures.mkdir(parents=True, exist_ok=True)
        path = figures / f"results_{q.key}.png"
        question_figure(df, table, q, exp).savefig(path, dpi=110)
    failed = len(df.attrs.get("manifest", {}).get("failed", []) or [])
    return Answer(q, exp, table, path, exp.seeds(), exp.n_runs(), failed)


def headline_lines(a: Answer) -> list[str]:
    """Return the headline answers of a question, one line per headline contrast."""
    lines = []
    for group, label in a.question.headlines:
        part = a.table[(a.table["group"] == group) & (a.table["contrast"] == label)]
        if part.empty:
            continue
        cells = [
            f"year {r['year']:g}: {effect_text(r)}"
            for r in part.to_dict(orient="records")
            if not (isinstance(r["year"], float) and math.isnan(r["year"]))
        ]
        last = part.to_dict(orient="records")[-1]
        lines.append(
            f"{a.question.title}: {label} ({group}): " + "; ".join(cells) + f"; at year "
            f"{last['year']:g} {direction(last)}."
        )
    return lines


def render_markdown(answers: Sequence[Answer], command: str, out: Path) -> str:
    """Return ``results.md`` for the answered questions.

    Args:
        answers: one per question, in report order.
        command: the command line that regenerates the report.
        out: the report's folder (figure links are relative to it).
    """
    from ci_sim.runner import provenance

    seeds = {len(a.seeds) for a in answers}
    roots = {a.experiment.root_seed for a in answers}
    versions = provenance()
    lines = [
        "# Results: the three questions (generated)",
        "",
        f"Generated by `{command}`; do not edit by hand. Model ci_sim "
        f"{versions['ci_sim']}, mesa {versions['mesa']}, Python {versions['python']}. "
        f"Every answer is a paired difference in `{METRIC}` (0 to 1): the same seed runs "
        "under both settings, and the mean of the per-seed differences is shown with its "
        "95% bootstrap CI (BCa, 9,999 resamples, seeded) at years "
        + ", ".join(f"{y:g}" for y in YEARS)
        + f". Seeds: {', '.join(map(str, sorted(seeds)))} paired seeds per cell, derived "
        f"from `numpy.random.SeedSequence(root)` with root "
        f"{', '.join(map(str, sorted(roots)))} (the experiment files' `root_seed` unless "
        "`--root` says otherwise). A table's `reference` column is the mean of the reference "
        "cell at each year read (separated by /). Each experiment file in `experiments/` "
        "runs the same design with `ci-sim sweep`; `experiments/*.ipynb` read it step by "
        "step.",
        "",
        "## Headline answers",
        "",
    ]
    for a in answers:
        lines += [f"- {text}" for text in headline_lines(a)]
    for i, a in enumerate(answers, start=1):
        q, exp = a.question, a.experiment
        lines += [
            "",
            f"## {i}. {q.title}",
            "",
            f"**Question.** {q.question}",
            "",
            f"**Claims tested.** {', '.join(q.claims)} (see `docs/claims.md`).",
            "",
            f"**Design.** `experiments/{q.key}.toml` ({exp.title}): scenario "
            f"`{exp.scenario}`, {exp.years:g} years, recorded {exp.record}; "
            + _design_text(exp)
            + f"; {len(a.seeds)} paired seeds (root {exp.root_seed}: "
            f"{', '.join(map(str, a.seeds))}); {a.runs} runs"
            + (f", {a.failed} failed" if a.failed else "")
            + f". {q.reading}",
            "",
        ]
        for group, part in a.table.groupby("group", sort=False):
            lines += [f"**{group}**", ""]
            lines += markdown_table(wide_table(part).drop(columns="group"))
            lines.append("")
        if a.figure is not None:
            rel = os.path.relpath(a.figure, out).replace(os.sep, "/")
            lines += [f"![{q.title}]({rel})", ""]
        lines += ["**What this does not show.**", ""]
        lines += [f"- {text}" for text in q.limits]
        lines += [
            "- Whether the effect would hold with other mechanism constants: see "
            "`docs/sensitivity.md`; which mechanisms carry it: `docs/ablation.md`.",
        ]
    lines += ["", "## What the model cannot tell you", ""]
    lines += [f"- {text}" for text in CANNOT_TELL]
    return "\n".join(lines) + "\n"


def _design_text(exp: Any) -> str:
    parts = [f"{k} in {', '.join(map(str, v))}" for k, v in exp.factors.items()]
    arms = []
    for name, over in exp.interventions.items():
        what = ", ".join(f"{k} = {json.dumps(v)}" for k, v in over.items()) or "as the scenario"
        arms.append(f"{name} ({what})")
    parts.append("interventions " + "; ".join(arms) + f" (baseline {exp.baseline})")
    return "; ".join(parts)


def write_report(
    out: Path,
    seeds: int = DEFAULT_SEEDS,
    root: int | None = None,
    workers: int = 2,
    command: str | None = None,
    quiet: bool = True,
    log: Callable[[str], None] | None = None,
    cache: Path | None = None,
) -> Path:
    """Answer every question and write ``out/results.md`` and ``out/figures/results_*.png``.

    Returns:
        The report's path.
    """
    out = Path(out)
    answers = []
    for q in QUESTIONS:
        start = time.perf_counter()
        answers.append(answer(q, seeds, root, workers, out / "figures", quiet, cache))
        if log is not None:
            log(f"{q.key}: {answers[-1].runs} runs in {time.perf_counter() - start:.0f} s")
    argv = ["ci-sim", "results", "--seeds", str(seeds)]
    if root is not None:
        argv += ["--root", str(root)]
    argv += ["--out", out.as_posix()]
    path = out / "results.md"
    path.write_text(render_markdown(answers, command or " ".join(argv), out), encoding="utf-8")
    return path


# --- command line ------------------------------------------------------------------------


def add_parsers(sub: Any) -> None:
    """Add the ``results`` subcommand to the subparsers ``sub``."""
    cmd = sub.add_parser(
        "results",
        help="answer the three questions from the shipped experiments (docs/results.md)",
        description="Run experiments/relationship_work.toml, neutrality.toml and "
        "sunset.toml over paired seeds and write results.md (paired effects on "
        f"{METRIC} with 95%% CIs at years 12, 15 and 25) and one figure per question "
        "(figures/results_*.png) into --out.",
    )
    cmd.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        help=f"paired seeds per cell, from 2 (default {DEFAULT_SEEDS})",
    )
    cmd.add_argument(
        "--root", type=int, default=None, help="seed root (default: each file's root_seed)"
    )
    cmd.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    cmd.add_argument("--out", type=Path, default=Path("docs"), help="report folder (docs)")
    cmd.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep each design's runs in DIR and reuse them for the same design (seeds, "
        "root, file); it does not notice model changes (default: run afresh)",
    )
    cmd.set_defaults(func=cmd_results)


def cmd_results(args: argparse.Namespace) -> int:
    """Write the results report.

    Raises:
        ScenarioError: for fewer than 2 seeds, fewer than 1 worker, a negative root, or
            an invalid experiment file.
        OSError: when the report cannot be written.
    """
    if args.seeds < 2:
        raise ScenarioError(f"--seeds {args.seeds}: allowed: 2 or more paired seeds")
    if args.workers < 1:
        raise ScenarioError(f"--workers {args.workers}: allowed: 1 or more")
    if args.root is not None and args.root < 0:
        raise ScenarioError(f"--root {args.root}: allowed: 0 or more")
    start = time.perf_counter()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    path = write_report(args.out, args.seeds, args.root, args.workers, log=log, cache=args.cache)
    print(
        f"Wrote {path} and {args.out / 'figures'}/results_*.png "
        f"({time.perf_counter() - start:.0f} s)"
    )
    return 0
