"""Reading a finished run: a text summary and a plot of the conditions of systems change.

Analysis is kept apart from the model: every function here takes a
:class:`~ci_sim.runner.RunResult` and only reads its tables, so it works the same on
a fresh run and on one loaded from disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ci_sim.metrics import CONDITIONS, LEVELS, REPORTERS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ci_sim.runner import RunResult

#: Event kinds that recur many times per run; the summary counts them instead of listing.
ROUTINE_PREFIXES = ("org_",)
ROUTINE_KINDS = ("data_shared",)

#: Event kinds drawn as vertical lines in :func:`plot_conditions`: kind -> (label, style).
MARKED_EVENTS: dict[str, tuple[str, dict[str, object]]] = {
    "backbone_start": ("backbone start", {"color": "tab:green", "linestyle": "--"}),
    "sunset": ("sunset", {"color": "black", "linestyle": "--"}),
    "policy_change": ("policy change", {"color": "tab:purple", "linestyle": ":"}),
}


def _fmt_year(year: float) -> str:
    return f"{round(float(year), 2):g}"


def _title(result: RunResult) -> str:
    return result.params.meta.title or "(untitled scenario)"


def end_year(result: RunResult) -> float:
    """Return the year of the last recorded step of a run."""
    return float(result.metrics["year"].iloc[-1])


def sunset_status(result: RunResult) -> tuple[float | None, str]:
    """Say whether the backbone's sunset falls inside the run.

    Args:
        result: a finished run.

    Returns:
        ``(year, text)``: the sunset year if it lies inside the run (else ``None``)
        and one phrase describing it.

    """
    bb = result.params.backbone
    end = end_year(result)
    if not bb.enabled:
        return None, "no sunset (no backbone in this scenario)"
    if bb.sunset_year == "none":
        return None, "no sunset (backbone.sunset_year = 'none')"
    year = float(bb.sunset_year)
    if year > end:
        text = f"sunset at year {_fmt_year(year)} is after the run (run ends at year "
        return None, text + f"{_fmt_year(end)})"
    return year, f"sunset at year {_fmt_year(year)}"


def metric_table(result: RunResult) -> str:
    """Return every reporter at the start, at the sunset (if in the run) and at the end.

    Args:
        result: a finished run.

    Returns:
        A fixed-width text table, one metric per line.

    """
    sunset, _ = sunset_status(result)
    columns = [("start (year 0)", result.metrics.iloc[0])]
    if sunset is not None:
        last = result.metrics[result.metrics["year"] < sunset - 1e-9].iloc[-1]
        columns.append((f"before sunset (year {_fmt_year(float(last['year']))})", last))
    columns.append((f"end (year {_fmt_year(end_year(result))})", result.metrics.iloc[-1]))
    names = [m for m in REPORTERS if m in result.metrics.columns]
    width = max(len(m) for m in [*names, "metric"])
    cols = [(label, row, max(len(label), 8)) for label, row in columns]
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{lab:>{w}}" for lab, _, w in cols)]
    for m in names:
        cells = "  ".join(f"{row[m]:>{w}.3f}" for _, row, w in cols)
        lines.append(f"{m:<{width}}  {cells}")
    return "\n".join(lines)


def is_routine(kind: str) -> bool:
    """Return whether an event kind recurs often enough to be counted, not listed."""
    return kind.startswith(ROUTINE_PREFIXES) or kind in ROUTINE_KINDS


def events_text(events: pd.DataFrame) -> str:
    """Return the events of a run: milestones one per line, routine kinds as counts.

    Args:
        events: the events table of a run (``step``, ``year``, ``kind``, ``detail``).

    Returns:
        Text with a "Milestones" part (backbone start, handover, sunset, policy
        changes, shocks ... with their year) and a "Recurring events" part.

    """
    if events.empty:
        return "Events: none"
    routine = events["kind"].map(is_routine)
    lines = ["Milestones:"]
    for ev in events[~routine].itertuples(index=False):
        detail = f"({ev.detail})" if ev.detail else ""
        lines.append(f"  year {ev.year:6.2f}  {ev.kind:<24}{detail}")
    if len(lines) == 1:
        lines.append("  none")
    lines.append("Recurring events (count, first and last year):")
    for kind, group in events[routine].groupby("kind", sort=True):
        first, last = _fmt_year(group["year"].min()), _fmt_year(group["year"].max())
        lines.append(f"  {kind:<16} {len(group):4d}  years {first} to {last}")
    if not routine.any():
        lines.append("  none")
    return "\n".join(lines)


def summary_text(result: RunResult) -> str:
    """Return a readable summary of one run.

    Args:
        result: a finished run.

    Returns:
        The scenario title, seed and length; a table of every metric in
        :data:`ci_sim.metrics.REPORTERS` at the start, at the sunset and at the end;
        then the events, with recurring kinds collapsed into counts.

    """
    sim = result.params.simulation
    steps = len(result.metrics) - 1
    _, sunset = sunset_status(result)
    head = [
        _title(result),
        f"seed {result.seed}, {_fmt_year(sim.years)} years "
        f"({steps} steps, {sim.steps_per_year} per year), {sunset}",
        "",
    ]
    return "\n".join([*head, metric_table(result), "", events_text(result.events)]) + "\n"


def _mark_events(ax: Axes, events: pd.DataFrame, labelled: set[str]) -> None:
    """Draw a vertical line for every marked event; label each kind once."""
    if events.empty:
        return
    for ev in events[events["kind"].isin(MARKED_EVENTS)].itertuples(index=False):
        label, style = MARKED_EVENTS[ev.kind]
        shown = None if label in labelled else label
        ax.axvline(ev.year, linewidth=1.0, alpha=0.8, label=shown, **style)
        labelled.add(label)


def _panel(ax: Axes, metrics: pd.DataFrame, names: tuple[str, ...], ylabel: str) -> None:
    """Draw the metrics ``names`` over years on ``ax``."""
    for name in names:
        if name in metrics.columns:
            width = 2.5 if name == "systemic_change" else 1.5
            ax.plot(metrics["year"], metrics[name], label=name, linewidth=width)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)


def plot_conditions(result: RunResult, path: str | Path) -> Path:
    """Plot the six conditions and the three levels of systems change over the years.

    The top panel shows :data:`ci_sim.metrics.CONDITIONS`, the bottom panel the
    :data:`ci_sim.metrics.LEVELS` and ``systemic_change``. Vertical lines mark the
    backbone start, the sunset and each policy change, as read from the events.
    No pyplot state is touched: the figure has its own Agg canvas.

    Args:
        result: a finished run.
        path: where to write the PNG; missing folders are created.

    Returns:
        The path written.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    _panel(top, result.metrics, CONDITIONS, "condition level (0 to 1)")
    _panel(bottom, result.metrics, (*LEVELS, "systemic_change"), "level (0 to 1)")
    for ax in (top, bottom):
        _mark_events(ax, result.events, labelled=set())
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    top.set_title("Six conditions of systems change")
    bottom.set_title("Structural, relational and transformative levels")
    bottom.set_xlabel("year")
    fig.suptitle(f"{_title(result)} (seed {result.seed})")
    fig.savefig(path, format="png", dpi=100)
    return path
