"""View data for the dashboard and the teaching figures: pure functions of a running model.

This is the ONE module that reads the model's internals (``model.trust``,
``model.contacts``, ``model.person_org``, ``model.org_logic``, ``model.change_leader``,
``model.trust_bb``, ``model.backbone``, ``model.events`` ...). Everything else
(:mod:`ci_sim.app`, :mod:`ci_sim.figures`, :mod:`ci_sim.teaching`) works on the plain
data returned here: numpy arrays, pandas tables, strings. When the model's internals
change, only this module needs to follow. Where a metric of
:data:`ci_sim.metrics.REPORTERS` says the same thing, it is read from the model's
``DataCollector`` rather than recomputed from arrays.

A :class:`World` is one seeded run of one scenario that can be stepped; the dashboard
shows one or two of them side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ci_sim.logics import LOGICS
from ci_sim.metrics import CONDITIONS, LEVELS, REPORTERS
from ci_sim.model import CIModel
from ci_sim.params import Params
from ci_sim.scenarios import load_scenario

# --- readable labels ----------------------------------------------------------------

#: Readable names of metrics; names not listed are made readable by :func:`label`.
LABELS: dict[str, str] = {
    "policies": "Policies",
    "practices": "Practices",
    "resource_flows": "Resource flows",
    "relationships": "Relationships",
    "power_dynamics": "Power dynamics",
    "mental_models": "Mental models",
    "structural": "Structural level",
    "relational": "Relational level",
    "transformative": "Transformative level",
    "systemic_change": "Systemic change",
    "shared_will": "Shared will",
    "mean_trust": "Trust across organisations",
    "cross_org_ties": "Strong ties across organisations",
    "understanding": "Shared understanding",
    "change_leaders": "Change leaders",
    "backbone_present": "Backbone present",
    "backbone_staff": "Backbone staff (FTE)",
    "backbone_dependence": "Dependence on the backbone",
    "backbone_delivery": "Delivery by the backbone",
    "cross_org_contacts": "Contacts across organisations",
}

#: Readable names of the institutional logics.
LOGIC_LABELS: dict[str, str] = {
    "municipality": "Municipality",
    "state_agency": "State agency",
    "police": "Police",
    "ngo": "Associations (NGO)",
    "foundation": "Foundation",
    "business": "Business",
    "housing": "Housing",
    "research": "Research",
}

#: One colour per logic (colour-blind friendly, Okabe-Ito and tab10 tones).
LOGIC_COLOURS: dict[str, str] = {
    "municipality": "#0072B2",
    "state_agency": "#56B4E9",
    "police": "#332288",
    "ngo": "#009E73",
    "foundation": "#E69F00",
    "business": "#D55E00",
    "housing": "#CC79A7",
    "research": "#999933",
}

#: The backbone's four tasks (chapter 4), in the model's effort-share order.
TASKS: tuple[str, ...] = (
    "develop_relations",
    "develop_capabilities",
    "anchor_capabilities",
    "anchor_relations",
)
TASK_LABELS: dict[str, str] = {
    "develop_relations": "Develop relations",
    "develop_capabilities": "Develop capabilities",
    "anchor_capabilities": "Anchor capabilities",
    "anchor_relations": "Anchor relations",
}

#: Metrics of the "shared will and trust" view, when the model reports them.
WILL_AND_TRUST: tuple[str, ...] = (
    "shared_will",
    "mean_trust",
    "cross_org_ties",
    "change_leaders",
    "understanding",
)

#: Event kinds drawn as vertical lines on time plots: kind -> (short label, colour, style).
MARKERS: dict[str, tuple[str, str, str]] = {
    "backbone_start": ("backbone starts", "tab:green", "--"),
    "handover_start": ("handover", "tab:olive", "-."),
    "sunset": ("sunset", "black", "--"),
    "policy_change": ("policy change", "tab:purple", ":"),
    "shock_funding_cut": ("shock", "tab:red", ":"),
    "shock_leader_wave": ("shock", "tab:red", ":"),
    "shock_delivery_pressure": ("shock", "tab:red", ":"),
}


def label(metric: str) -> str:
    """Return the readable name of a metric, e.g. ``"Resource flows"``."""
    if metric in LABELS:
        return LABELS[metric]
    return metric.replace("_", " ").capitalize()


def logic_label(logic: str) -> str:
    """Return the readable name of an institutional logic."""
    return LOGIC_LABELS.get(logic, logic.replace("_", " ").capitalize())


#: Short logic names for numbered organisations (``ngo_3`` -> ``NGO 3``).
_ORG_PREFIX = {**{k: v.split(" (")[0] for k, v in LOGIC_LABELS.items()}, "ngo": "NGO"}


def org_label(name: str) -> str:
    """Return an organisation's name in words: ``"ngo_3"`` -> ``"NGO 3"``."""
    logic, _, number = name.rpartition("_")
    if logic in _ORG_PREFIX and number.isdigit():
        return f"{_ORG_PREFIX[logic]} {number}"
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def metric_names() -> list[str]:
    """Return the names of every metric the model reports, in report order."""
    return list(REPORTERS)


def condition_names() -> tuple[str, ...]:
    """Return the six conditions of systems change (Kania, Kramer & Senge 2018)."""
    return CONDITIONS


def level_names() -> tuple[str, ...]:
    """Return the three levels of systems change and ``systemic_change`` if reported."""
    return (*LEVELS, "systemic_change") if "systemic_change" in REPORTERS else LEVELS


# --- calendar years -------------------------------------------------------------------


def calendar_start(params: Params) -> int | None:
    """Return the calendar year of model year 0 for a case scenario, else ``None``."""
    return getattr(params.meta, "calendar_start", None)


def year_text(year: float, start: int | None = None) -> str:
    """Return a year for people: ``"year 3.5"`` or, for a dated case, ``"2019 (year 3.5)"``."""
    short = f"{round(float(year), 1):g}"
    if start is None:
        return f"year {short}"
    return f"{start + int(np.floor(year + 1e-9))} (year {short})"


# --- events in plain words -----------------------------------------------------------

_STANCE_WORDS = {
    "org_withdrawn": "withdraws from the joint work",
    "org_dominating": "starts to dominate the joint work",
    "org_left": "is let go: the backbone stops working with it (no will to change)",
}


def plain_event(kind: str, detail: str, previous_stance: str | None = None) -> str:
    """Return one event as a sentence a class can read.

    Args:
        kind: the event kind the model logged (``backbone_start``, ``org_withdrawn`` ...).
        detail: the event's detail text (an organisation name for stance changes).
        previous_stance: for ``org_engaged``, the organisation's stance before it, so
            that "rejoins" and "stops dominating" can be told apart.

    Returns:
        A sentence; unknown kinds are written as their name and detail.
    """
    who = org_label(detail) if detail else "An organisation"
    if kind == "backbone_start":
        return (
            f"The backbone secretariat starts work ({detail})."
            if detail
            else ("The backbone secretariat starts work.")
        )
    if kind == "handover_start":
        return "Handover begins: the backbone coaches local change leaders to take over."
    if kind == "sunset":
        rest = detail.split("; ", 1)[1] if "; " in detail else detail
        return f"Sunset: the backbone closes ({rest})." if rest else "Sunset: the backbone closes."
    if kind == "shock_funding_cut":
        return f"Shock: a funding cut ({detail})." if detail else "Shock: a funding cut."
    if kind == "funding_doubt":
        return "Funders do not see the backbone's value: its funding drops for two years."
    if kind == "relapse":
        return f"Relapse: the effort falls back without leaders ({detail})."
    if kind == "remobilisation":
        return f"The effort is mobilised anew ({detail})."
    if kind == "shock_leader_wave":
        return f"Shock: a wave of leader changes ({detail}); newcomers start without ties."
    if kind == "shock_delivery_pressure":
        return "Shock: pressure to deliver quick results tightens steering for a year."
    if kind == "policy_change":
        return f"The policy frame changes ({detail})."
    if kind == "data_shared":
        return f"{who} starts sharing its data with the partners."
    if kind == "initiator_missing":
        return f"Note: an initiator is missing ({detail})."
    if kind == "org_engaged":
        if previous_stance == "org_dominating":
            return f"{who} stops dominating and works as an equal partner again."
        return f"{who} rejoins the joint work."
    if kind in _STANCE_WORDS:
        return f"{who} {_STANCE_WORDS[kind]}."
    text = kind.replace("_", " ").capitalize()
    return f"{text}: {detail}." if detail else f"{text}."


def event_table(model: CIModel) -> pd.DataFrame:
    """Return the model's events so far (``step``, ``year``, ``kind``, ``detail``)."""
    return pd.DataFrame(list(model.events), columns=["step", "year", "kind", "detail"])


def plain_events(events: pd.DataFrame, start: int | None = None) -> list[tuple[float, str]]:
    """Return every event as ``(year, "2019 (year 3.5): sentence")``, oldest first.

    Args:
        events: an events table (``year``, ``kind``, ``detail``).
        start: calendar year of model year 0, if the scenario has one.
    """
    last: dict[str, str] = {}
    out = []
    for ev in events.itertuples(index=False):
        prev = last.get(ev.detail) if ev.kind.startswith("org_") else None
        out.append(
            (
                float(ev.year),
                f"{year_text(ev.year, start)}: {plain_event(ev.kind, ev.detail, prev)}",
            )
        )
        if ev.kind.startswith("org_"):
            last[ev.detail] = ev.kind
    return out


def markers(events: pd.DataFrame) -> list[tuple[float, str, str, str]]:
    """Return the events drawn on time plots: ``(year, label, colour, linestyle)``."""
    if events.empty:
        return []
    marked = events[events["kind"].isin(MARKERS)]
    return [(float(ev.year), *MARKERS[ev.kind]) for ev in marked.itertuples(index=False)]


# --- the trust network of people ----------------------------------------------------


@dataclass(frozen=True)
class NetworkView:
    """The trust network of people at one step, ready to draw.

    Attributes:
        xy: (people, 2) positions; organisations sit near their logic's place in logic
            space, their people around them.
        logic: per person, the name of their organisation's logic.
        leader: per person, whether they lead their organisation.
        change_leader: per person, whether they are a change leader.
        willing: per person, whether they are willing to change.
        active: per person, whether their organisation still takes part.
        edges: (ties, 2) person indices of the contact ties.
        trust: per tie, its trust in [0, 1].
        cross: per tie, whether it links two organisations.
        strong: the trust above which a tie counts as strong.
        backbone_xy: the backbone's position in logic space, or ``None`` when absent.
        logic_xy: centre of each present logic's cluster, for labels.
    """

    xy: np.ndarray
    logic: np.ndarray
    leader: np.ndarray
    change_leader: np.ndarray
    willing: np.ndarray
    active: np.ndarray
    edges: np.ndarray
    trust: np.ndarray
    cross: np.ndarray
    strong: float
    backbone_xy: np.ndarray | None
    logic_xy: dict[str, tuple[float, float]]


def person_layout(org_logic: np.ndarray, person_org: np.ndarray) -> np.ndarray:
    """Return a fixed, readable position for every person (no random layout).

    Each logic has its place in logic space (:mod:`ci_sim.logics`); the organisations of
    one logic sit on a small ring around that place and each organisation's people on a
    smaller ring around it, the leader in the middle.

    Args:
        org_logic: logic index per organisation.
        person_org: organisation index per person.

    Returns:
        (people, 2) positions.
    """
    from ci_sim.logics import positions

    n_org = org_logic.shape[0]
    centre = positions(org_logic)
    org_xy = np.zeros((n_org, 2))
    for lg in np.unique(org_logic):
        members = np.flatnonzero(org_logic == lg)
        k = members.shape[0]
        radius = 0.0 if k == 1 else 0.035 + 0.012 * k
        angle = 2 * np.pi * np.arange(k) / k + 0.3 * lg
        org_xy[members] = centre[members] + radius * np.c_[np.cos(angle), np.sin(angle)]
    xy = org_xy[person_org].copy()
    for org in range(n_org):
        people = np.flatnonzero(person_org == org)
        staff = people[1:]
        if staff.size:
            angle = 2 * np.pi * np.arange(staff.size) / staff.size
            xy[staff] += 0.022 * np.c_[np.cos(angle), np.sin(angle)]
    return xy


def network_view(model: CIModel, layout: np.ndarray | None = None) -> NetworkView:
    """Return the trust network of people at the model's current step.

    Args:
        model: a running model.
        layout: person positions from :func:`person_layout` (computed if ``None``).
    """
    xy = layout if layout is not None else person_layout(model.org_logic, model.person_org)
    logic_names = np.array([lg.value for lg in LOGICS])
    person_logic = logic_names[model.org_logic[model.person_org]]
    c = model.contacts
    from ci_sim.logics import positions

    present = np.unique(model.org_logic)
    centres = positions(present)
    bb = model.backbone
    return NetworkView(
        xy=xy,
        logic=person_logic,
        leader=np.asarray(model.is_leader, dtype=bool).copy(),
        change_leader=np.asarray(model.change_leader, dtype=bool).copy(),
        willing=np.asarray(model.willing, dtype=bool).copy(),
        active=np.asarray(model.taking_part, dtype=bool)[model.person_org].copy(),
        edges=np.c_[c.a, c.b],
        trust=np.asarray(model.trust, dtype=float).copy(),
        cross=np.asarray(c.cross, dtype=bool).copy(),
        strong=float(model.params.mechanisms.tie_threshold),
        backbone_xy=None if bb is None else np.asarray(bb.position, dtype=float).copy(),
        logic_xy={
            str(logic_names[lg]): (float(x), float(y))
            for lg, (x, y) in zip(present, centres, strict=True)
        },
    )


# --- backbone: effort and trust by logic ---------------------------------------------


def effort_split(model: CIModel) -> dict[str, float]:
    """Return the backbone's effort this step in FTE per task, and its staff.

    Keys are :data:`TASKS` (FTE-years per year spent on each of the four tasks after
    steering and reporting take their share) plus ``"staff"``. All zero when there is
    no backbone.
    """
    bb = model.backbone
    if bb is None:
        return {**dict.fromkeys(TASKS, 0.0), "staff": 0.0}
    fte = np.asarray(bb.task_shares(), dtype=float) * float(bb.budget())
    return {**{t: float(v) for t, v in zip(TASKS, fte, strict=True)}, "staff": float(bb.staff)}


def trust_in_backbone_by_logic(model: CIModel) -> dict[str, float]:
    """Return the mean trust in the backbone of the people of each present logic.

    Trust in the backbone is zero before it starts and after it closes.
    """
    names = [lg.value for lg in LOGICS]
    person_logic = model.org_logic[model.person_org]
    trust = np.asarray(model.trust_bb, dtype=float)
    out = {}
    for lg in np.unique(model.org_logic):
        out[names[lg]] = float(trust[person_logic == lg].mean())
    return out


def metrics_table(model: CIModel) -> pd.DataFrame:
    """Return the model's metrics so far: ``step``, ``year`` and one column per reporter."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    table.insert(0, "step", np.arange(len(table)))
    table.insert(1, "year", table["step"] * model.dt)
    return table


# --- a world that the dashboard steps -------------------------------------------------


def run_label(scenario: str, overrides: Mapping[str, Any] | None = None) -> str:
    """Return a short name of a run: ``"default with independence=0.2"``."""
    if not overrides:
        return scenario
    changes = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in overrides.items())
    return f"{scenario} with {changes}"


class World:
    """One seeded run of one scenario, stepped by the dashboard.

    Args:
        scenario: a built-in scenario name or a TOML path.
        overrides: dotted keys to values applied to the scenario.
        seed: the run's seed.

    Raises:
        ci_sim.ScenarioError: for an invalid scenario or override.
    """

    def __init__(
        self, scenario: str, overrides: Mapping[str, Any] | None = None, seed: int = 0
    ) -> None:
        self.name = scenario
        self.overrides = dict(overrides or {})
        self.seed = int(seed)
        self.params = load_scenario(scenario, self.overrides or None)
        self.model = CIModel(self.params, rng=self.seed, record_organisations=False)
        self.layout = person_layout(self.model.org_logic, self.model.person_org)
        self._history: list[dict[str, float]] = []
        self._record()

    def _record(self) -> None:
        row = {"year": float(self.model.year), **effort_split(self.model)}
        row.update({f"trust_bb:{k}": v for k, v in trust_in_backbone_by_logic(self.model).items()})
        self._history.append(row)

    @property
    def steps(self) -> int:
        """Number of steps of the scenario's run."""
        return self.params.steps

    @property
    def time(self) -> int:
        """Steps done so far."""
        return int(self.model.time)

    @property
    def year(self) -> float:
        """Years since the start."""
        return float(self.model.year)

    @property
    def end_year(self) -> float:
        """The year the scenario's run ends."""
        return self.steps / self.params.simulation.steps_per_year

    @property
    def done(self) -> bool:
        """Whether the run has reached the scenario's length."""
        return self.time >= self.steps

    @property
    def calendar_start(self) -> int | None:
        """Calendar year of model year 0 (case scenarios), else ``None``."""
        return calendar_start(self.params)

    @property
    def title(self) -> str:
        """The scenario's title (or its name)."""
        return self.params.meta.title or self.name

    @property
    def label(self) -> str:
        """A short name for figure headings: the scenario name and any changed levers."""
        return run_label(self.name, self.overrides)

    @property
    def what_to_watch(self) -> str:
        """The scenario's "what to watch" text."""
        return " ".join(self.params.meta.what_to_watch.split())

    def step(self) -> bool:
        """Advance one step unless the run is done; return whether it stepped."""
        if self.done:
            return False
        self.model.step()
        self._record()
        return True

    def run_to(self, year: float) -> None:
        """Step until ``year`` (or the end of the run)."""
        while self.year < year - 1e-9 and self.step():
            pass

    def metrics(self) -> pd.DataFrame:
        """Return the metrics so far (see :func:`metrics_table`)."""
        return metrics_table(self.model)

    def events(self) -> pd.DataFrame:
        """Return the events so far (see :func:`event_table`)."""
        return event_table(self.model)

    def network(self) -> NetworkView:
        """Return the trust network of people now."""
        return network_view(self.model, self.layout)

    def history(self) -> pd.DataFrame:
        """Return per step the backbone's effort per task (FTE), staff and trust by logic."""
        return pd.DataFrame(self._history)

    def trust_by_logic(self) -> dict[str, float]:
        """Return the mean trust in the backbone per logic now."""
        return trust_in_backbone_by_logic(self.model)

    def backbone_present(self) -> bool:
        """Return whether the backbone exists now."""
        return self.model.backbone is not None

    def log(self) -> list[tuple[float, str]]:
        """Return the events so far in plain words, oldest first."""
        return plain_events(self.events(), self.calendar_start)


# --- many seeds ---------------------------------------------------------------------


def seed_bands(
    scenario: str,
    overrides: Mapping[str, Any] | None,
    seeds: Sequence[int],
    metrics: Sequence[str] | None = None,
    low: float = 0.1,
    high: float = 0.9,
) -> pd.DataFrame:
    """Run a scenario once per seed and return the median and a band of each metric.

    Args:
        scenario: a built-in scenario name or a TOML path.
        overrides: dotted keys to values applied to every run.
        seeds: the run seeds (derive them with :func:`ci_sim.sweep.derive_seeds`).
        metrics: metric names (default: every reporter).
        low: the quantile of the band's lower edge.
        high: the quantile of the band's upper edge.

    Returns:
        One row per step and metric: ``year``, ``metric``, ``low``, ``median``,
        ``high`` and ``runs``.
    """
    from ci_sim.runner import run

    names = list(metrics) if metrics is not None else metric_names()
    tables = [
        run(
            scenario,
            seed=int(s),
            overrides=dict(overrides or {}) or None,
            record_organisations=False,
        ).metrics
        for s in seeds
    ]
    return bands_of(tables, names, low, high)


def bands_of(
    tables: Sequence[pd.DataFrame],
    names: Sequence[str],
    low: float = 0.1,
    high: float = 0.9,
) -> pd.DataFrame:
    """Return the median and the ``low``-``high`` quantile band of ``names`` over runs.

    Args:
        tables: one metrics table per run, all with the same ``year`` column.
        names: the columns to summarise.
        low: the quantile of the band's lower edge.
        high: the quantile of the band's upper edge.

    Returns:
        One row per step and metric: ``year``, ``metric``, ``low``, ``median``,
        ``high`` and ``runs``.
    """
    stacked = np.stack([t[list(names)].to_numpy(dtype=float) for t in tables])
    q = np.quantile(stacked, [low, 0.5, high], axis=0)  # quantile, step, metric
    years = tables[0]["year"].to_numpy()
    frames = [
        pd.DataFrame(
            {
                "year": years,
                "metric": name,
                "low": q[0, :, j],
                "median": q[1, :, j],
                "high": q[2, :, j],
                "runs": len(tables),
            }
        )
        for j, name in enumerate(names)
    ]
    return pd.concat(frames, ignore_index=True)
