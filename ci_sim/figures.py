"""Figures of the dashboard and the teaching set, drawn from :mod:`ci_sim.views` data.

Nothing here reads the model: worlds are read through :class:`ci_sim.views.World`.
Labels are readable ("Resource flows", not ``resource_flows``) and case scenarios with
a calendar start show calendar years.

Each view is a :class:`Panel`: a matplotlib figure (own Agg canvas, no pyplot state)
whose axes, ticks, labels and legends are drawn once, while the parts that change with
each step (lines, the network, bars, titles with the year) are redrawn on top of that
cached background. The axes never rescale (x runs to the end of the run, y over 0 to
1), so a step costs a few milliseconds of drawing instead of a full redraw. For print,
:meth:`Panel.save` draws the whole figure at a higher resolution.
"""

from __future__ import annotations

import io
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from PIL import Image

from ci_sim import views

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

    from ci_sim.views import World

#: Dots per inch of dashboard figures (small and quick); :meth:`Panel.save` uses more.
DPI = 72
#: Line colours of metrics (Okabe-Ito, then others).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#332288",
    "#999933",
    "#882255",
    "#000000",
)
TASK_COLOURS = {
    "develop_relations": "#009E73",
    "develop_capabilities": "#56B4E9",
    "anchor_capabilities": "#0072B2",
    "anchor_relations": "#E69F00",
}
#: Line style of side A and side B where both share one axes.
SIDE_STYLES = ("-", "--")


def side_name(index: int) -> str:
    """Return the letter of a side of the dashboard: ``"A"``, ``"B"`` ..."""
    return chr(ord("A") + index)


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def world_title(index: int, world: World, many: bool) -> str:
    """Return a side's heading: ``"A: default with independence=0"`` (no letter when alone)."""
    title = _short(world.label if world.overrides else world.title, 56)
    return f"{side_name(index)}: {title}" if many else title


def _calendar_axis(ax: Axes, start: int | None) -> None:
    """Label the x axis in years since the start, or in calendar years for a case."""
    if start is None:
        ax.set_xlabel("year")
        return
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{start + x:.0f}"))
    ax.set_xlabel(f"calendar year (year 0 = {start})")


def _time_axis(ax: Axes, end: float, start: int | None, unit: bool = True) -> None:
    ax.set_xlim(0, end)
    if unit:
        ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    _calendar_axis(ax, start)


def _title_text(ax: Axes, size: float) -> Any:
    """Return an empty text above ``ax`` to be used as a title that changes.

    (An axes title that is hidden while the background is drawn gets misplaced, so
    changing titles are plain texts.)
    """
    return ax.text(0.5, 1.015, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=size)


def marker_handles() -> list[Line2D]:
    """Return legend entries for the event lines (one per kind of line)."""
    seen: dict[str, Line2D] = {}
    for text, colour, style in views.MARKERS.values():
        seen.setdefault(text, Line2D([], [], color=colour, linestyle=style, label=text))
    return list(seen.values())


class Panel(ABC):
    """A figure with a cached static background and artists redrawn at each update.

    Subclasses build the static parts and the changing artists in ``__init__`` and set
    the changing artists' data in :meth:`update`. Changing artists are registered with
    :meth:`_animate`.

    Args:
        worlds: the one or two worlds shown (side A, side B).
        width, height: figure size in inches.
    """

    def __init__(self, worlds: Sequence[World], width: float, height: float) -> None:
        self.worlds = list(worlds)
        self.fig = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self._animated: list[Artist] = []
        self._background: Any = None
        self._lock = threading.Lock()

    @property
    def many(self) -> bool:
        """Whether more than one world is shown."""
        return len(self.worlds) > 1

    @property
    def end(self) -> float:
        """The last year shown: the end of the longest run."""
        return max(w.end_year for w in self.worlds)

    def _animate(self, *artists: Artist) -> None:
        self._animated.extend(artists)

    def _drop(self, artist: Artist) -> None:
        """Remove a changing artist from the figure."""
        if artist in self._animated:
            self._animated.remove(artist)
        artist.remove()

    @abstractmethod
    def update(self) -> None:
        """Set the changing artists from the worlds' current state."""

    def png(self) -> bytes:
        """Update and return the figure as PNG bytes (screen resolution, fast path)."""
        with self._lock:
            self.update()
            if self._background is None:
                shown = [artist.get_visible() for artist in self._animated]
                for artist in self._animated:
                    artist.set_visible(False)
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
                for artist, visible in zip(self._animated, shown, strict=True):
                    artist.set_visible(visible)
            self.canvas.restore_region(self._background)
            renderer = self.canvas.get_renderer()
            for artist in self._animated:
                if artist.get_visible():
                    artist.draw(renderer)
            buf = io.BytesIO()
            Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(
                buf, format="png", compress_level=3
            )
            return buf.getvalue()

    def save(self, path: str | Path, dpi: int = 150) -> Path:
        """Update and write the whole figure as a PNG at ``dpi`` (for print)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.update()
            self.fig.savefig(path, format="png", dpi=dpi)
            self._background = None  # the full draw replaced the cached background
        return path


# --- the trust network ---------------------------------------------------------------------


class NetworkPanel(Panel):
    """The trust network of people of each world, side by side.

    Ties across organisations are grey lines, darker and wider with more trust (strong
    ties dark). People are dots coloured by their organisation's logic: filled when
    willing to change, hollow when not; change leaders carry a black ring; leaders are
    larger; people of organisations that no longer take part are faint. The backbone
    is a black square at its place in logic space (a captured one drifts to its host).
    """

    def __init__(self, worlds: Sequence[World], width: float = 5.0) -> None:
        super().__init__(worlds, width * len(worlds), width * 1.02)
        n = len(self.worlds)
        self.fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.08, wspace=0.03)
        self.axes = np.atleast_1d(self.fig.subplots(1, n))
        self._parts = []
        for ax, world in zip(self.axes, self.worlds, strict=True):
            net = world.network()
            ax.set_xlim(-0.17, 1.17)
            ax.set_ylim(-0.14, 1.22)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            ties = LineCollection([], zorder=1)
            ax.add_collection(ties)
            people = ax.scatter(*net.xy.T, s=16, zorder=2)
            rings = ax.scatter(
                [], [], s=60, facecolors="none", edgecolors="black", linewidths=1.1, zorder=3
            )
            bb = ax.scatter([0.5], [0.5], s=150, marker="s", c="black", zorder=4)
            bb_text = ax.text(0, 0, "backbone", fontsize=8, zorder=4)
            title = _title_text(ax, 9)
            self._animate(ties, people, rings, bb, bb_text, title)
            for logic, (x, y) in net.logic_xy.items():  # drawn last: on top of the ties
                self._animate(
                    ax.text(
                        x,
                        y + 0.12,
                        views.logic_label(logic),
                        ha="center",
                        va="bottom",
                        fontsize=7.5,
                        color=views.LOGIC_COLOURS.get(logic, "grey"),
                        zorder=5,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5},
                    )
                )
            self._parts.append((ties, people, rings, bb, bb_text, title))
        handles = [
            Line2D([], [], marker="o", linestyle="", color="grey", label="willing to change"),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="white",
                color="grey",
                label="not (yet) willing",
            ),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="none",
                markersize=10,
                color="black",
                label="change leader",
            ),
            Line2D([], [], color="0.15", linewidth=2, label="strong trust"),
            Line2D([], [], marker="s", linestyle="", color="black", label="backbone"),
        ]
        self.fig.legend(
            handles=handles,
            loc="lower center",
            ncol=3 if n == 1 else 5,
            fontsize=7.5,
            frameon=False,
        )

    def update(self) -> None:
        """Redraw ties, people, change leaders, the backbone and the titles."""
        for i, (world, parts) in enumerate(zip(self.worlds, self._parts, strict=True)):
            ties, people, rings, bb, bb_text, title = parts
            net = world.network()
            cross = net.cross & (net.trust > 0.03)
            t = net.trust[cross]
            colours = np.zeros((t.shape[0], 4))
            colours[:, 3] = 0.08 + 0.8 * t
            colours[:, :3] = np.where((t > net.strong)[:, None], 0.15, 0.55)
            ties.set_segments(net.xy[net.edges[cross]])
            ties.set_color(colours)
            ties.set_linewidths(0.3 + 1.8 * t)
            base = np.array([to_rgba(views.LOGIC_COLOURS.get(lg, "grey")) for lg in net.logic])
            alpha = np.where(net.active, 1.0, 0.25)
            edge = base.copy()
            edge[:, 3] = alpha
            face = np.where(net.willing[:, None], base, 1.0)
            face[:, 3] = alpha
            size = np.where(net.leader, 42.0, 16.0)
            people.set_offsets(net.xy)
            people.set_facecolors(face)
            people.set_edgecolors(edge)
            people.set_sizes(size)
            cl = net.change_leader
            rings.set_offsets(net.xy[cl] if cl.any() else np.empty((0, 2)))
            rings.set_sizes(size[cl] * 2.6)
            present = net.backbone_xy is not None
            bb.set_visible(present)
            bb_text.set_visible(present)
            if present:
                bb.set_offsets([net.backbone_xy])
                bb_text.set_position((net.backbone_xy[0] + 0.03, net.backbone_xy[1] - 0.05))
            strong = int((net.trust[net.cross] > net.strong).sum())
            title.set_text(
                f"{world_title(i, world, self.many)}\n"
                f"{views.year_text(world.year, world.calendar_start)}: "
                f"{strong} strong ties across organisations"
            )


# --- time series ---------------------------------------------------------------------------


class _EventLines:
    """Vertical lines for a world's marked events, added as the events happen."""

    def __init__(self, panel: Panel, ax: Axes, world: World) -> None:
        self.panel, self.ax, self.world = panel, ax, world
        self.lines: list[Line2D] = []
        self.seen: list[tuple[float, str, str, str]] = []

    def update(self) -> None:
        marks = views.markers(self.world.events())
        if marks[: len(self.seen)] != self.seen:  # a new run: start over
            for line in self.lines:
                self.panel._drop(line)
            self.lines, self.seen = [], []
        for year, _text, colour, style in marks[len(self.seen) :]:
            line = self.ax.axvline(year, color=colour, linestyle=style, linewidth=1.0, alpha=0.8)
            self.panel._animate(line)
            self.lines.append(line)
        self.seen = marks


class ConditionsPanel(Panel):
    """The six conditions (top) and the three levels (bottom) over time, one column per world.

    Vertical lines mark the backbone start, handover, sunset, shocks and policy changes.
    """

    def __init__(self, worlds: Sequence[World], width: float = 5.2) -> None:
        super().__init__(worlds, width * len(worlds) + 1.9, 6.0)
        n = len(self.worlds)
        right = 1 - 1.9 / (width * n + 1.9)
        self.fig.subplots_adjust(
            left=0.07, right=right - 0.01, top=0.94, bottom=0.09, hspace=0.32, wspace=0.06
        )
        self.axes = np.array(self.fig.subplots(2, n, sharey=True, squeeze=False))
        self._lines: list[tuple[World, str, Line2D]] = []
        self._events: list[_EventLines] = []
        for i, world in enumerate(self.worlds):
            for row, names in enumerate((views.condition_names(), views.level_names())):
                ax = self.axes[row, i]
                for k, name in enumerate(names):
                    (line,) = ax.plot(
                        [],
                        [],
                        color=PALETTE[k],
                        label=views.label(name),
                        linewidth=2.4 if name == "systemic_change" else 1.5,
                    )
                    self._animate(line)
                    self._lines.append((world, name, line))
                _time_axis(ax, self.end, world.calendar_start)
                self._events.append(_EventLines(self, ax, world))
            self.axes[0, i].set_title(world_title(i, world, self.many), fontsize=10)
        self.axes[0, 0].set_ylabel("six conditions (0 to 1)")
        self.axes[1, 0].set_ylabel("levels (0 to 1)")
        self.axes[0, -1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
        self.axes[1, -1].legend(
            handles=[*self.axes[1, -1].get_legend_handles_labels()[0], *marker_handles()],
            loc="center left",
            bbox_to_anchor=(1.02, 0.5),
            fontsize=8,
        )

    def update(self) -> None:
        """Set every line to the metrics so far and add new event lines."""
        tables = {id(w): w.metrics() for w in self.worlds}
        for world, name, line in self._lines:
            table = tables[id(world)]
            if name in table.columns:
                line.set_data(table["year"].to_numpy(), table[name].to_numpy())
        for events in self._events:
            events.update()


class WillTrustPanel(Panel):
    """Shared will, trust, strong ties, change leaders and understanding over time.

    Side A is drawn with solid lines, side B dashed, on one axes.
    """

    def __init__(self, worlds: Sequence[World], width: float = 6.6) -> None:
        super().__init__(worlds, width, 3.5)
        self.fig.subplots_adjust(left=0.08, right=0.64, top=0.9, bottom=0.15)
        ax = self.ax = self.fig.subplots()
        names = [m for m in views.WILL_AND_TRUST if m in views.metric_names()]
        self._lines = []
        for i, world in enumerate(self.worlds):
            for k, name in enumerate(names):
                (line,) = ax.plot(
                    [],
                    [],
                    color=PALETTE[k],
                    linestyle=SIDE_STYLES[i % 2],
                    linewidth=1.6,
                    label=views.label(name) if i == 0 else None,
                )
                self._animate(line)
                self._lines.append((world, name, line))
        _time_axis(ax, self.end, self.worlds[0].calendar_start)
        handles, _ = ax.get_legend_handles_labels()
        if self.many:
            handles += [
                Line2D(
                    [],
                    [],
                    color="black",
                    linestyle=SIDE_STYLES[i % 2],
                    label=f"{side_name(i)}: {_short(w.label, 30)}",
                )
                for i, w in enumerate(self.worlds)
            ]
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
        ax.set_title("Shared will and trust", fontsize=10)

    def update(self) -> None:
        """Set every line to the metrics so far."""
        tables = {id(w): w.metrics() for w in self.worlds}
        for world, name, line in self._lines:
            table = tables[id(world)]
            line.set_data(table["year"].to_numpy(), table[name].to_numpy())


class EffortPanel(Panel):
    """The backbone's effort per task (stacked, FTE) and its staff over time, per world."""

    def __init__(self, worlds: Sequence[World], width: float = 4.2) -> None:
        super().__init__(worlds, width * len(worlds) + 2.0, 3.3)
        n = len(self.worlds)
        right = 1 - 2.0 / (width * n + 2.0)
        self.fig.subplots_adjust(left=0.08, right=right - 0.01, top=0.9, bottom=0.16, wspace=0.08)
        self.axes = np.atleast_1d(self.fig.subplots(1, n, sharey=True))
        top = max(1.0, *(1.25 * w.params.backbone.staff for w in self.worlds))
        top = max(
            top,
            *(
                w.params.backbone.staff * (1 + 0.15 * w.params.backbone.growth * w.end_year) * 1.1
                for w in self.worlds
            ),
        )
        self._stacks: list[PolyCollection] = []
        self._staff = []
        self._events = []
        for i, (ax, world) in enumerate(zip(self.axes, self.worlds, strict=True)):
            (staff,) = ax.plot([], [], color="black", linewidth=1.8, label="staff")
            self._animate(staff)
            self._staff.append(staff)
            self._events.append(_EventLines(self, ax, world))
            _time_axis(ax, self.end, world.calendar_start, unit=False)
            ax.set_title(
                f"{side_name(i)}: backbone effort" if self.many else "Backbone effort", fontsize=10
            )
        self.axes[0].set_ylim(0, top)
        self.axes[0].set_ylabel("FTE")
        handles = [Patch(color=TASK_COLOURS[t], label=views.TASK_LABELS[t]) for t in views.TASKS]
        handles.append(Line2D([], [], color="black", linewidth=1.8, label="staff"))
        self.axes[-1].legend(
            handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8
        )

    def update(self) -> None:
        """Redraw the stacked effort areas and the staff line."""
        for stack in self._stacks:
            self._drop(stack)
        self._stacks = []
        for ax, world, staff in zip(self.axes, self.worlds, self._staff, strict=True):
            hist = world.history()
            years = hist["year"].to_numpy()
            low = np.zeros_like(years)
            for task in views.TASKS:
                high = low + hist[task].to_numpy()
                if years.size > 1:
                    poly = ax.fill_between(
                        years, low, high, color=TASK_COLOURS[task], alpha=0.85, linewidth=0
                    )
                    self._animate(poly)
                    self._stacks.append(poly)
                low = high
            staff.set_data(years, hist["staff"].to_numpy())
        for events in self._events:
            events.update()


class TrustBackbonePanel(Panel):
    """Mean trust in the backbone by logic now, one bar per world and logic.

    A captured backbone is trusted by its host's logic and less by distant logics.
    """

    def __init__(self, worlds: Sequence[World], width: float = 6.6) -> None:
        super().__init__(worlds, width, 3.5)
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.3)
        ax = self.ax = self.fig.subplots()
        self.logics = list(dict.fromkeys(lg for w in self.worlds for lg in w.trust_by_logic()))
        x = np.arange(len(self.logics))
        n = len(self.worlds)
        bar = 0.8 / n
        self._bars = []
        for i, _world in enumerate(self.worlds):
            colours = [views.LOGIC_COLOURS.get(lg, "grey") for lg in self.logics]
            bars = ax.bar(
                x - 0.4 + bar * (i + 0.5),
                np.zeros(len(self.logics)),
                bar,
                color=colours,
                alpha=1.0 if i == 0 else 0.45,
                hatch=None if i == 0 else "//",
                edgecolor="black",
                linewidth=0.5,
                label=f"{side_name(i)}: {_short(_world.label, 30)}" if n > 1 else None,
            )
            self._animate(*bars.patches)
            self._bars.append(bars)
        ax.set_xticks(
            x, [views.logic_label(lg) for lg in self.logics], rotation=25, ha="right", fontsize=8
        )
        ax.set_ylim(0, 1)
        ax.set_ylabel("trust in the backbone")
        ax.grid(True, axis="y", alpha=0.3)
        if n > 1:
            ax.legend(fontsize=8, loc="upper right")
        self._title = _title_text(ax, 10)
        self._none = ax.text(
            0.5, 0.5, "no backbone at this time", transform=ax.transAxes, ha="center", color="0.4"
        )
        self._animate(self._title, self._none)

    def update(self) -> None:
        """Set the bars to the current trust in the backbone."""
        for world, bars in zip(self.worlds, self._bars, strict=True):
            values = world.trust_by_logic()
            for lg, patch in zip(self.logics, bars.patches, strict=True):
                patch.set_height(values.get(lg, 0.0))
        first = self.worlds[0]
        when = views.year_text(first.year, first.calendar_start)
        self._title.set_text(f"Trust in the backbone by logic, {when}")
        self._none.set_visible(not any(w.backbone_present() for w in self.worlds))


#: The dashboard's panels by name, in page order.
PANELS: dict[str, type[Panel]] = {
    "network": NetworkPanel,
    "conditions": ConditionsPanel,
    "will_trust": WillTrustPanel,
    "effort": EffortPanel,
    "trust_backbone": TrustBackbonePanel,
}


# --- many seeds ------------------------------------------------------------------------------


def bands_figure(
    bands: Sequence[tuple[str, pd.DataFrame]],
    metric: str,
    calendar_start: int | None = None,
    width: float = 6.6,
    dpi: int = DPI,
) -> Figure:
    """Return the median and the 10-90% band of a metric over many seeds, per world.

    Args:
        bands: ``(title, table)`` per world; tables from :func:`ci_sim.views.seed_bands`.
        metric: the metric to draw.
        calendar_start: calendar year of year 0 for the x axis, if any.
        width: figure width in inches.
        dpi: resolution.
    """
    fig = Figure(figsize=(width, 3.6), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    end = 0.0
    for i, (title, table) in enumerate(bands):
        part = table[table["metric"] == metric]
        if part.empty:
            continue
        colour = PALETTE[i]
        runs = int(part["runs"].iloc[0])
        ax.fill_between(part["year"], part["low"], part["high"], color=colour, alpha=0.22)
        ax.plot(
            part["year"],
            part["median"],
            color=colour,
            linewidth=2,
            linestyle=SIDE_STYLES[i % 2],
            label=f"{_short(title, 40)} ({runs} seeds)",
        )
        end = max(end, float(part["year"].max()))
    ax.set_xlim(0, end or 1)
    ax.grid(True, alpha=0.3)
    if metric != "backbone_staff":
        ax.set_ylim(-0.02, 1.02)
    _calendar_axis(ax, calendar_start)
    ax.set_ylabel(views.label(metric))
    ax.set_title(f"{views.label(metric)}: median and 10-90% band over seeds", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return fig


def png(fig: Figure, dpi: int | None = None) -> bytes:
    """Return a whole figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi if dpi is not None else fig.dpi)
    return buf.getvalue()
