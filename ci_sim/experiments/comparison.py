"""Compare interventions over paired seeds: effects, intervals, corrected p-values.

Runs of the same point and replicate share their seed under every intervention, so
each intervention's outcome minus the baseline's is a paired difference. For every
intervention (and factor level with ``by``) :func:`compare` reports the mean, the mean
paired difference with a seeded bootstrap 95% interval, Cohen's d_z, the Wilcoxon
signed-rank p-value, its Holm correction over all comparisons of the table, and the
share of pairs in which the intervention beats the baseline. These are pure functions
of the results table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_sim import stats
from ci_sim.experiments.spec import ID_COLUMNS, ExperimentError

#: Keys of each object printed by ``ci-sim compare --json`` (plus ``n``, the pairs).
JSON_KEYS = (
    "intervention",
    "level",
    "mean",
    "diff",
    "ci_low",
    "ci_high",
    "dz",
    "p",
    "p_holm",
    "share_better",
    "n",
)
_TOL = 1e-6


def value_columns(df: pd.DataFrame) -> list[str]:
    """Return the metric and outcome columns of a results table (those after ``year``)."""
    cols = list(df.columns)
    if "year" not in cols:
        raise ExperimentError("not a sweep results table: no 'year' column")
    return cols[cols.index("year") + 1 :]


def key_columns(df: pd.DataFrame) -> list[str]:
    """Return the factor or sampled lever columns (between ``seed`` and ``step``)."""
    cols = list(df.columns)
    if "seed" not in cols or "step" not in cols:
        raise ExperimentError("not a sweep results table: no 'seed' or 'step' column")
    return cols[cols.index("seed") + 1 : cols.index("step")]


def interventions(df: pd.DataFrame) -> list[str]:
    """Return the interventions in run order; the first is the experiment's baseline."""
    order = df.sort_values("run_id", kind="stable")["intervention"]
    return list(dict.fromkeys(order))


def recorded_years(df: pd.DataFrame) -> list[float]:
    """Return the sorted distinct years in the table."""
    return sorted({float(y) for y in df["year"].unique()})


def _years_text(years: Sequence[float]) -> str:
    shown = [f"{y:g}" for y in years]
    if len(shown) > 8:
        shown = [*shown[:3], "...", *shown[-3:]]
    return ", ".join(shown)


def check_year(df: pd.DataFrame, year: float | None) -> float:
    """Return the recorded year to compare at (default: the last one).

    Raises:
        ExperimentError: for a year past the end of the runs, before their start, or
            between recorded steps (never the nearest row in its place).
    """
    years = recorded_years(df)
    if not years:
        raise ExperimentError("the results table has no rows")
    if year is None:
        return years[-1]
    if not math.isfinite(year):
        raise ExperimentError(f"--year {year}: must be a finite number of years")
    if year > years[-1] + _TOL:
        raise ExperimentError(
            f"--year {year:g} is past the end of the runs (last recorded year {years[-1]:g})"
        )
    if year < years[0] - _TOL:
        raise ExperimentError(f"--year {year:g} is before the first recorded year {years[0]:g}")
    for y in years:
        if abs(y - year) <= _TOL:
            return y
    raise ExperimentError(
        f"--year {year:g} was not recorded; recorded years: {_years_text(years)} "
        "(record = 'yearly' or 'every_step' in [experiment] keeps more)"
    )


def check_metric(df: pd.DataFrame, metric: str) -> str:
    """Return ``metric`` if it is a column of values of the table.

    Raises:
        ExperimentError: naming the known metrics otherwise.
    """
    import difflib

    known = value_columns(df)
    if metric not in known:
        hint = difflib.get_close_matches(metric, known, n=1)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ExperimentError(
            f"--metric {metric!r}: unknown metric{did} (known: {', '.join(known)})"
        )
    return metric


def _at_year(df: pd.DataFrame, year: float) -> pd.DataFrame:
    return df[(df["year"] - year).abs() <= _TOL]


def compare(
    df: pd.DataFrame,
    metric: str,
    year: float | None = None,
    baseline: str | None = None,
    by: str | None = None,
    *,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare every intervention with the baseline over paired seeds.

    Args:
        df: a results table (from :func:`ci_sim.experiments.sweep` or
            ``results.parquet``).
        metric: a metric or outcome column.
        year: a recorded year (default: the last one).
        baseline: the reference intervention (default: the experiment's first).
        by: a factor column; then one comparison per level of it.
        higher_is_better: whether ``share_better`` counts pairs where the intervention
            is higher (default) or lower than the baseline.
        confidence: level of the bootstrap interval.
        n_resamples: bootstrap resamples.
        seed: seed of the bootstrap (the table is reproducible).

    Returns:
        One row per intervention and level: ``intervention, level, mean, diff,
        ci_low, ci_high, dz, p, p_holm, share_better, n``. The baseline's row has its
        mean and ``n`` only. ``level`` is ``None`` without ``by``. ``n`` counts the
        pairs (point and replicate) in which both arms finished. ``p_holm`` is
        corrected over every comparison in the table. A :class:`ComparisonTable`: a
        DataFrame that a notebook shows as a captioned, formatted table.

    Raises:
        ExperimentError: for an unknown metric, intervention or factor, a year that was
            not recorded, or fewer than two interventions.
    """
    check_metric(df, metric)
    at = check_year(df, year)
    arms = interventions(df)
    if len(arms) < 2:
        raise ExperimentError(
            f"compare needs at least two interventions; this sweep has {arms or 'none'} "
            "(add an [interventions] table to the experiment)"
        )
    base = arms[0] if baseline is None else baseline
    if base not in arms:
        raise ExperimentError(
            f"--baseline {base!r}: unknown intervention (known: {', '.join(arms)})"
        )
    if by is not None and by not in key_columns(df):
        keys = key_columns(df)
        raise ExperimentError(
            f"--by {by!r}: not a factor of this sweep (factors: {', '.join(keys) or 'none'})"
        )
    rows_at = _at_year(df, at)
    levels: list[Any] = [None] if by is None else sorted(rows_at[by].unique(), key=_sort_key)
    order = [base, *[a for a in arms if a != base]]
    records: list[dict[str, Any]] = []
    for level in levels:
        part = rows_at if by is None else rows_at[rows_at[by] == level]
        wide = part.pivot_table(
            index=["point", "replicate"], columns="intervention", values=metric, aggfunc="first"
        )
        base_values = wide[base].dropna() if base in wide else pd.Series(dtype=float)
        records.append(_row(base, level, base_values.to_numpy(), None))
        for arm in order[1:]:
            if arm not in wide or base not in wide:
                pair = np.empty((0, 2))
            else:
                pair = wide[[base, arm]].dropna().to_numpy()
            records.append(
                _row(
                    arm,
                    level,
                    pair[:, 1],
                    pair[:, 1] - pair[:, 0],
                    higher_is_better,
                    confidence,
                    n_resamples,
                    seed,
                )
            )
    table = ComparisonTable(pd.DataFrame.from_records(records, columns=list(JSON_KEYS)))
    table["p_holm"] = stats.holm(table["p"].to_numpy(dtype=float))
    table.attrs.update(
        {"metric": metric, "year": at, "baseline": base, "by": by, "confidence": confidence}
    )
    return table


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return (0, float(value))
    try:
        return (0, float(value))
    except (TypeError, ValueError):
        return (1, str(value))


def _row(
    arm: str,
    level: Any,
    values: np.ndarray,
    d: np.ndarray | None,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> dict[str, Any]:
    level = level.item() if isinstance(level, np.generic) else level
    mean = float(values.mean()) if values.size else math.nan
    if d is None:
        return {
            "intervention": arm,
            "level": level,
            "mean": mean,
            "diff": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "dz": math.nan,
            "p": math.nan,
            "p_holm": math.nan,
            "share_better": math.nan,
            "n": int(values.size),
        }
    n = int(d.size)
    low, high = stats.bootstrap_ci(d, confidence, n_resamples, seed) if n >= 2 else (math.nan,) * 2
    better = (d > 0) if higher_is_better else (d < 0)
    return {
        "intervention": arm,
        "level": level,
        "mean": mean,
        "diff": float(d.mean()) if n else math.nan,
        "ci_low": low,
        "ci_high": high,
        "dz": stats.cohen_dz(d) if n >= 2 else math.nan,
        "p": stats.wilcoxon_p(d) if n >= 2 else math.nan,
        "p_holm": math.nan,
        "share_better": float(better.mean()) if n else math.nan,
        "n": n,
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value


def to_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the comparison as JSON-ready objects (NaN as ``None``, infinite d_z as text)."""
    return [
        {key: _json_value(row[key]) for key in JSON_KEYS} for row in table.to_dict(orient="records")
    ]


def _shown(table: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """Return the header line of a comparison and its cells formatted as text."""
    a = table.attrs
    n_tests = int(table["p"].notna().sum())
    pairs = table.loc[table["intervention"] != a.get("baseline"), "n"]
    n_text = (
        f"{int(pairs.min())}"
        if len(pairs) and pairs.min() == pairs.max()
        else (f"{int(pairs.min())} to {int(pairs.max())}" if len(pairs) else "0")
    )
    head = (
        f"{a.get('metric')} at year {a.get('year', math.nan):g}; baseline "
        f"{a.get('baseline')!r}; {n_text} paired seeds per comparison; diff = intervention "
        f"- baseline with {a.get('confidence', 0.95):.0%} bootstrap CI; Wilcoxon p, Holm-"
        f"corrected over {n_tests} comparisons"
    )
    shown = pd.DataFrame(table).copy()
    if a.get("by") is None:
        shown = shown.drop(columns="level")
    else:
        shown = shown.rename(columns={"level": a["by"]})

    def num(fmt: str) -> Any:
        return lambda v: (
            "" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)
        )

    formats = {
        "mean": num("{:.4f}"),
        "diff": num("{:+.4f}"),
        "ci_low": num("{:+.4f}"),
        "ci_high": num("{:+.4f}"),
        "dz": num("{:+.2f}"),
        "p": num("{:.3g}"),
        "p_holm": num("{:.3g}"),
        "share_better": num("{:.2f}"),
    }
    for col, f in formats.items():
        shown[col] = [f(v) for v in shown[col]]
    return head, shown


def format_table(table: pd.DataFrame) -> str:
    """Return the comparison as aligned text with a header line."""
    head, shown = _shown(table)
    return head + "\n" + shown.to_string(index=False)


def format_markdown(table: pd.DataFrame) -> str:
    """Return the comparison as a Markdown table under its header line."""
    head, shown = _shown(table)
    cells = shown.astype(str)
    lines = [
        "| " + " | ".join(map(str, cells.columns)) + " |",
        "|" + "---|" * len(cells.columns),
        *("| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)),
    ]
    return f"{head}\n\n" + "\n".join(lines) + "\n"


def format_html(table: pd.DataFrame) -> str:
    """Return the comparison as an HTML table captioned by its header line."""
    import html

    head, shown = _shown(table)
    body = shown.to_html(index=False, escape=True, border=0)
    return f"<p><b>{html.escape(head)}</b></p>\n{body}"


class ComparisonTable(pd.DataFrame):
    """The table :func:`compare` returns: a DataFrame that reads as a table in Jupyter.

    It is a plain :class:`pandas.DataFrame` (its columns are :data:`JSON_KEYS`, its
    ``attrs`` the metric, year, baseline, factor and confidence) that a notebook shows
    as a captioned table with formatted cells (:func:`format_html`,
    :func:`format_markdown`), and ``print`` shows as :func:`format_table`. Any frame
    derived from it (a slice, a copy) is a plain DataFrame again.
    """

    @property
    def _constructor(self) -> Any:
        return pd.DataFrame

    def _repr_html_(self) -> str:
        return format_html(self)

    def _repr_markdown_(self) -> str:
        return format_markdown(self)

    def __str__(self) -> str:
        return format_table(self)


def compare_figure(df: pd.DataFrame, table: pd.DataFrame) -> Any:
    """Draw the comparison and return the figure (a notebook shows it as the cell's value).

    With several recorded steps per run: mean trajectory of each intervention with a
    95% band (t-interval over runs), one panel per level of ``by``. With one step per
    run: a forest plot of the paired differences with their bootstrap intervals.

    Returns:
        A :class:`matplotlib.figure.Figure` with its own Agg canvas (no pyplot state).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    a = table.attrs
    metric, by, year, base = a["metric"], a.get("by"), a["year"], a["baseline"]
    steps_per_run = df.groupby("run_id")["step"].nunique().max()
    if steps_per_run > 1:
        levels = [None] if by is None else sorted(df[by].unique(), key=_sort_key)
        cols = min(3, len(levels))
        rows = -(-len(levels) // cols)
        fig = Figure(figsize=(5.5 * cols, 3.6 * rows), layout="constrained")
        for i, level in enumerate(levels):
            ax = fig.add_subplot(rows, cols, i + 1)
            part = df if by is None else df[df[by] == level]
            _trajectories(ax, part, metric, interventions(df))
            ax.axvline(year, color="0.6", lw=0.8, ls="--")
            ax.set_title(metric if by is None else f"{by} = {level}", fontsize=9)
            ax.set_xlabel("year")
            ax.set_ylabel(metric)
            if i == 0:
                ax.legend(fontsize=7, frameon=False)
    else:
        arms = table[table["intervention"] != base].reset_index(drop=True)
        fig = Figure(figsize=(6.5, 0.9 + 0.35 * max(1, len(arms))), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        labels = [
            arm if by is None else f"{arm} | {by} = {lev}"
            for arm, lev in zip(arms["intervention"], arms["level"], strict=True)
        ]
        y = np.arange(len(arms))[::-1]
        diff = arms["diff"].to_numpy(dtype=float)
        low = diff - arms["ci_low"].to_numpy(dtype=float)
        high = arms["ci_high"].to_numpy(dtype=float) - diff
        ax.errorbar(diff, y, xerr=[np.nan_to_num(low), np.nan_to_num(high)], fmt="o", capsize=3)
        ax.axvline(0.0, color="0.5", lw=0.8)
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel(f"{metric} at year {year:g}: difference to {base!r} (95% CI)")
    FigureCanvasAgg(fig)
    return fig


def plot_compare(df: pd.DataFrame, table: pd.DataFrame, path: str | Path) -> Path:
    """Draw the comparison (:func:`compare_figure`) and save it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    compare_figure(df, table).savefig(path, dpi=120)
    return path


def _trajectories(ax: Any, part: pd.DataFrame, metric: str, arms: Sequence[str]) -> None:
    from scipy import stats as sps

    for arm in arms:
        sub = part[part["intervention"] == arm]
        if sub.empty:
            continue
        g = sub.groupby("year")[metric]
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        half = sps.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        x = mean.index.to_numpy(dtype=float)
        line = ax.plot(x, mean.to_numpy(), lw=1.4, label=arm)[0]
        ax.fill_between(
            x,
            (mean - half).to_numpy(),
            (mean + half).to_numpy(),
            color=line.get_color(),
            alpha=0.2,
            lw=0,
        )


__all__ = [
    "ID_COLUMNS",
    "ComparisonTable",
    "check_metric",
    "check_year",
    "compare",
    "compare_figure",
    "format_html",
    "format_markdown",
    "format_table",
    "plot_compare",
    "to_records",
]
