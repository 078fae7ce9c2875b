"""Reading a finished run: a text summary and a plot of the conditions of systems change.

Analysis is kept apart from the model: every function here takes a
:class:`~ci_sim.runner.RunResult` and only reads its tables, so it works the same on
a fresh run and on one loaded from disk.
"""

from __future__ import annotations

import textwrap
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ci_sim.scenario_files import list_scenarios, scenario_dir

# pandas, matplotlib, the metrics (and with them Mesa) and pydantic are imported where
# they are used, so that ``ci-sim scenarios`` can list the library without them.
if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ci_sim.params import Params
    from ci_sim.runner import RunResult

#: Width to which the summary wraps its paragraphs.
WRAP = 88
#: Scenario groups of the library, in the order ``ci-sim scenarios`` lists them.
GROUPS = ("default", "cases", "teaching")
GROUP_TITLES = {
    "default": "The default",
    "cases": "Cases (Danish initiatives described in the source)",
    "teaching": "Teaching scenarios (the default with one lever changed)",
    "other": "Other scenarios",
}

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


# --- the scenario library: groups and levers ---------------------------------------------


def _extends(name: str) -> str | None:
    """Return the ``extends`` value of a built-in scenario file, if any."""
    try:
        with (scenario_dir() / f"{name}.toml").open("rb") as fh:
            parent = tomllib.load(fh).get("extends")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return parent if isinstance(parent, str) else None


def scenario_group(name: str) -> str:
    """Return the group of a built-in scenario: ``default``, ``cases`` or ``teaching``.

    Teaching scenarios extend the default and change one lever; cases are the other
    built-in files (complete descriptions of a Danish initiative). A name that is not
    built in is ``other``.
    """
    if name == "default":
        return "default"
    if name not in list_scenarios():
        return "other"
    return "teaching" if _extends(name) == "default" else "cases"


def scenario_groups() -> dict[str, list[str]]:
    """Return the built-in scenario names by group (see :func:`scenario_group`)."""
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for name in list_scenarios():
        groups.setdefault(scenario_group(name), []).append(name)
    return {g: names for g, names in groups.items() if names}


def _flat(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def parameter_changes(params: Params, base: Params) -> list[tuple[str, Any, Any]]:
    """Return the parameters that differ between two scenarios (``meta`` aside).

    Returns:
        ``(dotted key, value, base value)`` per difference, in parameter order; a key
        missing on one side has ``None`` there.
    """
    mine = _flat(params.model_dump(exclude={"meta"}))
    theirs = _flat(base.model_dump(exclude={"meta"}))
    keys = list(dict.fromkeys([*theirs, *mine]))
    return [(k, mine.get(k), theirs.get(k)) for k in keys if mine.get(k) != theirs.get(k)]


def value_text(value: Any) -> str:
    """Return a parameter value as a user would type it after ``--set``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return str(value)


def changes_text(changes: list[tuple[str, Any, Any]], base: str = "default") -> str:
    """Return ``key = value (default: value)`` pieces joined by semicolons."""
    return "; ".join(f"{k} = {value_text(v)} ({base}: {value_text(b)})" for k, v, b in changes)


def lever_changes(name: str) -> list[tuple[str, Any, Any]]:
    """Return what a teaching scenario changes from the default (empty for others)."""
    from ci_sim.scenarios import load_scenario

    if scenario_group(name) != "teaching":
        return []
    return parameter_changes(load_scenario(name), load_scenario("default"))


def override_text(overrides: Mapping[str, Any] | None) -> str:
    """Return ``--set`` overrides as ``key=value, key=value`` (empty when none)."""
    return ", ".join(f"{k}={value_text(v)}" for k, v in (overrides or {}).items())


def run_title(
    result: RunResult, name: str | None = None, overrides: Mapping[str, Any] | None = None
) -> str:
    """Return a run's title: the scenario's name and title, and any ``--set`` overrides.

    Args:
        result: a finished run.
        name: the scenario name or path the run was started with.
        overrides: the ``--set`` overrides of the run.

    Returns:
        E.g. ``"default: Default: a generic ... (with --set backbone.handover=false)"``.
    """
    title = _title(result)
    head = f"{name}: {title}" if name else title
    extra = override_text(overrides)
    return f"{head} (with --set {extra})" if extra else head


def calendar_text(year: float, start: int | None) -> str:
    """Return a model year, with its calendar year for a dated case: ``"5 = 2021"``."""
    text = _fmt_year(year)
    if start is None:
        return text
    return f"{text} = {start + int(year + 1e-9)}"


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
    start = result.params.meta.calendar_start
    columns = [(f"start (year {calendar_text(0, start)})", result.metrics.iloc[0])]
    if sunset is not None:
        last = result.metrics[result.metrics["year"] < sunset - 1e-9].iloc[-1]
        when = calendar_text(float(last["year"]), start)
        columns.append((f"before sunset (year {when})", last))
    columns.append(
        (f"end (year {calendar_text(end_year(result), start)})", result.metrics.iloc[-1])
    )
    from ci_sim.metrics import REPORTERS

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


def events_text(events: pd.DataFrame, calendar_start: int | None = None) -> str:
    """Return the events of a run: milestones one per line, routine kinds as counts.

    Args:
        events: the events table of a run (``step``, ``year``, ``kind``, ``detail``).
        calendar_start: calendar year of model year 0 (dated cases), shown after the year.

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
        date = "" if calendar_start is None else f" ({calendar_start + int(ev.year + 1e-9)})"
        lines.append(f"  year {ev.year:6.2f}{date}  {ev.kind:<24}{detail}")
    if len(lines) == 1:
        lines.append("  none")
    lines.append("Recurring events (count, first and last year):")
    for kind, group in events[routine].groupby("kind", sort=True):
        first, last = _fmt_year(group["year"].min()), _fmt_year(group["year"].max())
        lines.append(f"  {kind:<16} {len(group):4d}  years {first} to {last}")
    if not routine.any():
        lines.append("  none")
    return "\n".join(lines)


def _para(label: str, text: str) -> list[str]:
    body = " ".join(text.split())
    if not body:
        return []
    return textwrap.wrap(f"{label} {body}", WRAP, subsequent_indent="  ")


def summary_text(
    result: RunResult, name: str | None = None, overrides: Mapping[str, Any] | None = None
) -> str:
    """Return a readable summary of one run, for a class.

    Args:
        result: a finished run.
        name: the scenario name or path the run was started with (shown in the title
            and used to name the lever a teaching scenario changes).
        overrides: the run's ``--set`` overrides (shown in the title, each with the
            scenario's own value).

    Returns:
        The title (scenario name, title, overrides), seed and length; what to watch;
        for a teaching scenario the lever it changes and the default's value; the
        overrides against the scenario's values; a table of every metric in
        :data:`ci_sim.metrics.REPORTERS` at the start, at the sunset and at the end
        (with calendar years for dated cases); then the events, with recurring kinds
        collapsed into counts.

    """
    sim = result.params.simulation
    steps = len(result.metrics) - 1
    _, sunset = sunset_status(result)
    start = result.params.meta.calendar_start
    dated = f", year 0 = {start}" if start is not None else ""
    head = [
        run_title(result, name, overrides),
        f"seed {result.seed}, {_fmt_year(sim.years)} years "
        f"({steps} steps, {sim.steps_per_year} per year{dated}), {sunset}",
    ]
    notes = _para("What to watch:", result.params.meta.what_to_watch)
    levers = lever_changes(name) if name else []
    if levers:
        notes += _para(f"Lever changed from the default in {name}:", changes_text(levers))
    if overrides:
        from ci_sim.scenarios import load_scenario

        base = load_scenario(name) if name else None
        if base is not None:
            mine = parameter_changes(result.params, base)
            shown = [
                c for c in mine if any(c[0] == k or c[0].startswith(f"{k}.") for k in overrides)
            ]
            notes += _para("Your --set changes:", changes_text(shown, base="scenario"))
    parts = [*head, ""]
    if notes:
        parts += [*notes, ""]
    parts += [metric_table(result), "", events_text(result.events, start)]
    return "\n".join(parts) + "\n"


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


def conditions_figure(result: RunResult, title: str | None = None) -> Figure:
    """Draw the six conditions and the three levels of systems change over the years.

    The top panel shows :data:`ci_sim.metrics.CONDITIONS`, the bottom panel the
    :data:`ci_sim.metrics.LEVELS` and ``systemic_change``. Vertical lines mark the
    backbone start, the sunset and each policy change, as read from the events.
    No pyplot state is touched: the figure has its own Agg canvas, so a notebook shows
    it once (as the cell's value) and a script may save it.

    Args:
        result: a finished run.
        title: the figure's title (default: the scenario's title); the seed is added.

    Returns:
        The figure.

    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ci_sim.metrics import CONDITIONS, LEVELS

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
    fig.suptitle(f"{title or _title(result)} (seed {result.seed})")
    return fig


def plot_conditions(result: RunResult, path: str | Path, title: str | None = None) -> Path:
    """Write the figure of :func:`conditions_figure` as a PNG.

    Args:
        result: a finished run.
        path: where to write the PNG; missing folders are created.
        title: the figure's title (default: the scenario's title); the seed is added.

    Returns:
        The path written.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conditions_figure(result, title).savefig(path, format="png", dpi=100)
    return path


def markdown_table(frame: Any) -> list[str]:
    """Return the lines of a markdown table of ``frame`` (cells as text; NaN empty)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.fillna("").astype(str).itertuples(index=False):
        lines.append("| " + " | ".join(row) + " |")
    return lines
