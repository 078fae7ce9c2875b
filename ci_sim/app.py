"""The teaching dashboard: a Solara page that steps ci_sim's Mesa models in the browser.

Start it with ``ci-sim app`` (binds 127.0.0.1; ``--host``/``--port`` to change) or
``solara run ci_sim/app.py``. The page holds a :class:`DashboardModel`, a
``mesa.Model`` that steps one or two worlds (:class:`ci_sim.views.World`) in step with
the same seed: side A is a scenario with your lever changes, side B a comparison
scenario as it stands in the library.

Controls: a scenario picker per side (grouped into the default, cases and teaching
scenarios, each with its "what to watch"), sliders for the levers of side A, a seed,
Reset, Play/Pause and Step, and "Run 20 seeds", which shows the median and the 10-90%
band of a metric for both sides. Any change of scenario, lever or seed starts both
worlds again from year 0. The page can be opened on a given state with a query string:
``?a=default&b=captured_backbone&seed=3``.

Views (matplotlib, rendered as PNG on the server, so the page needs nothing from the
internet): the trust network of people, the six conditions and three levels over time
with the events marked, shared will and trust, the backbone's effort split and staff,
trust in the backbone by logic, and an event log in plain words.

Mesa's own ``SolaraViz`` builds its parameter inputs once from fixed defaults; here the
sliders follow the chosen scenario's values and two worlds share one clock, so the page
lays out its own controls (modelled on Mesa's ``ModelController``) around a ``mesa.Model``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

import mesa
import solara

from ci_sim import figures, views
from ci_sim.report import GROUP_TITLES, lever_changes, scenario_groups, value_text
from ci_sim.scenarios import ScenarioError, list_scenarios, load_scenario
from ci_sim.sweep import derive_seeds

#: The value of the side-B picker that shows one world only.
NONE = "(none)"
#: Seeds per side behind the "Run 20 seeds" button.
SEEDS = 20
#: Pause between two steps while playing, in seconds.
PLAY_INTERVAL = 0.05
#: Steps per press of Step (and per frame while playing) that the page offers.
STEP_CHOICES = {"1 month": 1, "3 months": 3, "1 year": 12}


# --- levers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """A slider, checkbox or picker for one scenario parameter.

    Attributes:
        key: the dotted parameter key, as after ``--set``.
        label: the control's label.
        kind: ``"float"``, ``"bool"``, ``"host"`` (a picker) or ``"sunset"`` (a year
            slider with a "no sunset" box).
        high: the slider's upper end (the parameter's own bound may be higher).
        step: the slider's step.
    """

    key: str
    label: str
    kind: str = "float"
    high: float = 1.0
    step: float = 0.05


LEVERS: tuple[Lever, ...] = (
    Lever("backbone.enabled", "A backbone at all", "bool"),
    Lever("backbone.effort.develop_relations", "Effort: develop relations"),
    Lever("backbone.effort.develop_capabilities", "Effort: develop capabilities"),
    Lever("backbone.effort.anchor_capabilities", "Effort: anchor capabilities"),
    Lever("backbone.effort.anchor_relations", "Effort: anchor relations"),
    Lever("backbone.independence", "Independence of the backbone"),
    Lever("backbone.host", "Host of the backbone", "host"),
    Lever("backbone.disturbance", "Disturbance of routines"),
    Lever("backbone.credit_taking", "Credit-taking by the backbone"),
    Lever("backbone.growth", "Growth: the backbone takes on delivery"),
    Lever("backbone.sunset_year", "Sunset year", "sunset", step=0.5),
    Lever("backbone.handover", "Hand over to local change leaders", "bool"),
    Lever("governance.goal_steering", "Goal steering by the funders"),
    Lever("organisations.turnover_per_year", "Staff turnover per year", high=0.5, step=0.01),
)


def lever_value(params: Any, key: str) -> Any:
    """Return the value of a dotted parameter key in validated parameters."""
    node: Any = params
    for part in key.split("."):
        node = getattr(node, part)
    return node


def host_options(params: Any) -> list[str]:
    """Return the host picker's values: none, each logic present, and the scenario's own."""
    from ci_sim.params import roster

    logics = list(dict.fromkeys(lg.value for _, lg in roster(params.organisations)))
    own = params.backbone.host
    own_text = own if isinstance(own, str) else " + ".join(own)
    return list(dict.fromkeys(["none", own_text, *logics]))


def host_value(text: str) -> str | list[str]:
    """Turn a host picker value back into a parameter (``"a + b"`` is a joint host)."""
    parts = [p.strip() for p in text.split("+")]
    return parts[0] if len(parts) == 1 else parts


# --- state -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the controls say: two scenarios, a seed, and the levers moved on side A.

    ``levers`` holds only the levers the user moved; :meth:`overrides` keeps those that
    differ from scenario A's own values.
    """

    scenario_a: str = "default"
    scenario_b: str = "captured_backbone"
    seed: int = 0
    levers: Mapping[str, Any] = field(default_factory=dict)

    def overrides(self) -> dict[str, Any]:
        """Return the lever changes that differ from scenario A, as dotted overrides."""
        params = load_scenario(self.scenario_a)
        return {k: v for k, v in self.levers.items() if lever_value(params, k) != v}

    def model_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments of :class:`DashboardModel` for these settings."""
        return {
            "scenario_a": self.scenario_a,
            "scenario_b": self.scenario_b,
            "seed": self.seed,
            "overrides": self.overrides(),
        }


def settings_from_query(search: str | None) -> Settings:
    """Return the settings named by a query string (``a``, ``b``, ``seed``).

    Unknown scenario names and a seed that is not a whole number fall back to the defaults.
    """
    query = parse_qs(search or "")
    names = list_scenarios()
    base = Settings()
    a = query.get("a", [base.scenario_a])[0]
    b = query.get("b", [base.scenario_b])[0]
    seed = query.get("seed", [str(base.seed)])[0]
    return Settings(
        scenario_a=a if a in names else base.scenario_a,
        scenario_b=b if b in names or b == NONE else base.scenario_b,
        seed=int(seed) if seed.isdigit() else base.seed,
    )


class DashboardModel(mesa.Model):
    """One or two worlds stepped together with the same seed.

    Args:
        scenario_a: side A's scenario (a built-in name or a TOML path).
        scenario_b: side B's scenario, or :data:`NONE` for one world only.
        seed: the seed of both worlds.
        overrides: dotted overrides applied to side A only.

    Raises:
        ci_sim.ScenarioError: for an invalid scenario or override.
    """

    def __init__(
        self,
        scenario_a: str = "default",
        scenario_b: str = NONE,
        seed: int = 0,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.worlds = [views.World(scenario_a, overrides, seed)]
        if scenario_b and scenario_b != NONE:
            self.worlds.append(views.World(scenario_b, None, seed))
        self.running = True

    def step(self) -> None:
        """Advance every world by one step (a world at its end stays there)."""
        for world in self.worlds:
            world.step()
        self.running = not all(w.done for w in self.worlds)

    def advance(self, steps: int) -> None:
        """Advance up to ``steps`` steps, stopping when every world is done."""
        for _ in range(steps):
            if not self.running:
                break
            self.step()


def run_bands(settings: Settings, seeds: int | None = None) -> list[tuple[str, Any]]:
    """Run both sides over ``seeds`` seeds (default :data:`SEEDS`) derived from the seed.

    Returns:
        ``(title, table)`` per side; tables from :func:`ci_sim.views.seed_bands`.
    """
    run_seeds = derive_seeds(settings.seed, SEEDS if seeds is None else seeds)
    sides = [(settings.scenario_a, settings.overrides())]
    if settings.scenario_b != NONE:
        sides.append((settings.scenario_b, {}))
    out = []
    for i, (name, overrides) in enumerate(sides):
        title = f"{figures.side_name(i)}: {views.run_label(name, overrides)}"
        out.append((title, views.seed_bands(name, overrides, run_seeds)))
    return out


# --- components --------------------------------------------------------------------------


def _scenario_items(with_none: bool) -> list[dict[str, Any]]:
    """Return picker items grouped under headers: the default, cases, teaching."""
    items: list[dict[str, Any]] = []
    if with_none:
        items.append({"text": "(none: show side A alone)", "value": NONE})
    for group, names in scenario_groups().items():
        items.append({"header": GROUP_TITLES[group]})
        for name in names:
            title = load_scenario(name).meta.title
            items.append({"text": f"{name}: {title}", "value": name})
    return items


@solara.component
def ScenarioPicker(label: str, value: str, on_value: Callable[[str], None], with_none: bool):
    """A grouped scenario picker with the chosen scenario's "what to watch" below it."""
    items = solara.use_memo(lambda: _scenario_items(with_none), [with_none])
    solara.v.Select(
        label=label,
        items=items,
        v_model=value,
        on_v_model=on_value,
        dense=True,
        hide_details=True,
        class_="ci-picker",
    )
    if value != NONE:
        params = load_scenario(value)
        solara.Markdown(
            f"**What to watch.** {' '.join(params.meta.what_to_watch.split())}",
            style={"font-size": "0.85em"},
        )
        changes = lever_changes(value)
        if changes:
            text = "; ".join(
                f"`{k}` = {value_text(v)} (default {value_text(d)})" for k, v, d in changes
            )
            solara.Markdown(f"**Lever changed:** {text}", style={"font-size": "0.85em"})


@solara.component
def LeverControls(settings: solara.Reactive[Settings], on_change: Callable[[Settings], None]):
    """Sliders and boxes for the levers of side A, starting at scenario A's values."""
    current = settings.value
    params = load_scenario(current.scenario_a)
    years = params.simulation.years

    def value_of(lever: Lever) -> Any:
        return current.levers.get(lever.key, lever_value(params, lever.key))

    def setter(key: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            on_change(replace(current, levers={**current.levers, key: value}))

        return set_value

    for lever in LEVERS:
        value = value_of(lever)
        if lever.kind == "bool":
            solara.Checkbox(label=lever.label, value=bool(value), on_value=setter(lever.key))
        elif lever.kind == "host":
            options = host_options(params)
            shown = value if isinstance(value, str) else " + ".join(value)
            solara.Select(
                label=lever.label,
                value=shown if shown in options else "none",
                values=options,
                on_value=lambda text: setter("backbone.host")(host_value(text)),
            )
        elif lever.kind == "sunset":
            none = value == "none"
            solara.Checkbox(
                label="No sunset: the backbone stays",
                value=none,
                on_value=lambda flag: setter("backbone.sunset_year")(
                    "none" if flag else float(min(12, years))
                ),
            )
            if not none:
                solara.SliderFloat(
                    f"{lever.label}: {float(value):g}",
                    value=float(value),
                    min=0.0,
                    max=float(years),
                    step=lever.step,
                    on_value=setter(lever.key),
                )
        else:
            solara.SliderFloat(
                f"{lever.label}: {float(value):.2f}",
                value=float(value),
                min=0.0,
                max=lever.high,
                step=lever.step,
                on_value=setter(lever.key),
            )
    overrides = current.overrides()
    if overrides:
        text = ", ".join(f"`{k}` = {value_text(v)}" for k, v in overrides.items())
        solara.Markdown(f"**Changed on side A:** {text}", style={"font-size": "0.85em"})
        solara.Button(
            "Back to the scenario's values",
            text=True,
            small=True,
            on_click=lambda: on_change(replace(current, levers={})),
        )


@solara.component
def EventLog(world: views.World, heading: str, tick: int):
    """The events of one world in plain words, newest first."""
    lines = [text for _, text in reversed(world.log())]
    body = "\n".join(f"- {line}" for line in lines[:60]) or "_Nothing has happened yet._"
    with solara.Column(gap="4px"):
        solara.Markdown(f"**{heading}**")
        solara.Markdown(
            body, style={"max-height": "260px", "overflow-y": "auto", "font-size": "0.85em"}
        )


@solara.component
def ManySeeds(settings: Settings):
    """The "Run 20 seeds" button and the median and 10-90% band of a chosen metric."""
    request = solara.use_reactive(0)
    metric = solara.use_reactive(views.label("systemic_change"))
    labels = {views.label(m): m for m in views.metric_names()}

    def compute() -> tuple[Settings, list[tuple[str, Any]]] | None:
        if request.value == 0:
            return None
        return settings, run_bands(settings)

    task = solara.lab.use_task(compute, dependencies=[request.value])
    with solara.Card(f"Many seeds: what is robust, what is luck ({SEEDS} seeds per side)"):
        with solara.Row(style={"align-items": "center"}):
            solara.Button(
                f"Run {SEEDS} seeds",
                color="primary",
                disabled=task.pending,
                on_click=lambda: request.set(request.value + 1),
            )
            solara.Select("Metric", value=metric, values=list(labels))
        if task.pending:
            solara.ProgressLinear(True)
            solara.Text(f"Running {SEEDS} seeds per side ...")
        elif task.finished and task.value is not None:
            done_for, bands = task.value
            if done_for != settings:
                solara.Info("The settings changed since these seeds ran: run them again.")
            start = load_scenario(done_for.scenario_a).meta.calendar_start
            fig = figures.bands_figure(bands, labels[metric.value], start)
            solara.Image(figures.png(fig), width="100%", classes=["ci-bands"])
        elif task.error:
            solara.Error(f"The seeds did not run: {task.exception}")


@solara.component
def Page():
    """The dashboard page."""
    search = solara.use_router().search
    settings = solara.use_reactive(solara.use_memo(lambda: settings_from_query(search), []))
    resets = solara.use_reactive(0)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    per_step = solara.use_reactive("1 month")
    error = solara.use_reactive("")

    model = solara.use_memo(
        lambda: DashboardModel(**settings.value.model_kwargs()),
        dependencies=[settings.value, resets.value],
    )
    current = solara.use_ref(model)
    current.current = model
    lock = solara.use_memo(threading.Lock, [])
    panels = solara.use_memo(
        lambda: {name: panel(model.worlds) for name, panel in figures.PANELS.items()},
        dependencies=[model],
    )

    def render_images() -> dict[str, bytes]:
        with lock:
            return {name: panel.png() for name, panel in panels.items()}

    images = solara.use_memo(render_images, dependencies=[model, tick.value])

    def change(new: Settings) -> None:
        try:
            load_scenario(new.scenario_a, new.overrides() or None)
        except ScenarioError as exc:
            error.set(str(exc))
            return
        error.set("")
        settings.set(new)

    def do_step() -> None:
        with lock:
            model.advance(STEP_CHOICES[per_step.value])
        tick.set(tick.value + 1)

    def do_reset() -> None:
        playing.set(False)
        resets.set(resets.value + 1)

    def play_loop() -> None:
        mine = model
        while playing.value and current.current is mine and mine.running:
            time.sleep(PLAY_INTERVAL)
            if not playing.value or current.current is not mine:
                return
            with lock:
                mine.advance(STEP_CHOICES[per_step.value])
            tick.set(tick.value + 1)
        if current.current is mine and not mine.running:
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value, model], prefer_threaded=True)

    first = model.worlds[0]
    solara.Style(".ci-picker .v-select__selection { white-space: normal; font-size: 0.9em; }")
    with solara.AppBar():
        solara.AppBarTitle("ci_sim: Collective Impact in the classroom")

    with solara.Columns([1, 3], style={"align-items": "flex-start"}):
        with solara.Column(gap="6px", classes=["ci-controls"]):
            with solara.Card("Worlds"):
                ScenarioPicker(
                    "Side A: scenario (your levers apply here)",
                    settings.value.scenario_a,
                    lambda v: change(replace(settings.value, scenario_a=v, levers={})),
                    False,
                )
                ScenarioPicker(
                    "Side B: comparison (as in the library)",
                    settings.value.scenario_b,
                    lambda v: change(replace(settings.value, scenario_b=v)),
                    True,
                )
                solara.InputInt(
                    "Seed (same for both sides)",
                    value=settings.value.seed,
                    on_value=lambda v: change(replace(settings.value, seed=int(v or 0))),
                )
            with solara.Card("Run"):
                with solara.Row(justify="space-between"):
                    solara.Button("Reset", color="primary", on_click=do_reset)
                    solara.Button(
                        "Pause" if playing.value else "Play",
                        color="primary",
                        disabled=not model.running,
                        on_click=lambda: playing.set(not playing.value),
                    )
                    solara.Button(
                        "Step",
                        color="primary",
                        disabled=playing.value or not model.running,
                        on_click=do_step,
                    )
                solara.ToggleButtonsSingle(value=per_step, values=list(STEP_CHOICES), dense=True)
                ended = "" if model.running else " (the run has ended: press Reset)"
                solara.Markdown(
                    f"**{views.year_text(first.year, first.calendar_start)}** of "
                    f"{first.end_year:g} years{ended}",
                    style={"font-size": "0.9em"},
                )
            with solara.Card("Levers of side A"):
                LeverControls(settings, change)
            if error.value:
                solara.Error(error.value)
        MainViews(model, images, tick.value, settings.value)


@solara.component
def MainViews(model: DashboardModel, images: Mapping[str, bytes], tick: int, settings: Settings):
    """The views: headings, network, conditions, will and trust, effort, events, seeds."""
    with solara.Column(style={"padding": "4px"}, classes=["ci-views"]):
        with solara.Columns([1] * len(model.worlds)):
            for i, world in enumerate(model.worlds):
                with solara.Column(gap="2px"):
                    solara.Markdown(f"### {figures.world_title(i, world, len(model.worlds) > 1)}")
                    if world.what_to_watch:
                        solara.Markdown(f"**What to watch.** {world.what_to_watch}")
        solara.Image(images["network"], width="100%", classes=["ci-network"])
        solara.Image(images["conditions"], width="100%", classes=["ci-conditions"])
        with solara.Columns([1, 1]):
            solara.Image(images["will_trust"], width="100%", classes=["ci-will-trust"])
            solara.Image(images["trust_backbone"], width="100%", classes=["ci-trust-backbone"])
        with solara.Columns([3, 2]):
            solara.Image(images["effort"], width="100%", classes=["ci-effort"])
            with solara.Column():
                for i, world in enumerate(model.worlds):
                    EventLog(world, f"Events {figures.side_name(i)}: {world.name}", tick)
        ManySeeds(settings)
