"""Parameters declared as data: every lever and rate with its type, bounds and default.

A scenario is a :class:`Params` object. Sections mirror the TOML tables of a scenario
file (``[backbone]``, ``[governance]`` ...). Unknown keys are refused
(``extra="forbid"``) and types are strict, so a typo never goes unnoticed. Rates are
given per *year* and converted to per-step quantities by the model, so that changing
``simulation.steps_per_year`` keeps the dynamics comparable.

The levers carry claim ids (see ``docs/ODD.md``); the ``mechanisms`` section holds
calibration constants of the functional forms, which are modelling assumptions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ci_sim.logics import Logic

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
PerYear = Annotated[float, Field(ge=0.0, le=12.0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Meta(_Section):
    """Text that describes a scenario (shown by the CLI and the dashboard)."""

    title: str = ""
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    what_to_watch: str = ""
    calendar_start: Annotated[int, Field(ge=1000, le=3000)] | None = None  # year 0 as a date


class Simulation(_Section):
    """Length and resolution of a run."""

    years: Annotated[float, Field(gt=0.0, le=200.0)] = 15.0
    steps_per_year: Annotated[int, Field(ge=4, le=365)] = 12


DEFAULT_MIX: dict[str, float] = {
    "municipality": 3,
    "state_agency": 2,
    "police": 1,
    "ngo": 5,
    "foundation": 2,
    "business": 3,
    "housing": 2,
    "research": 2,
}


class Profile(_Section):
    """Overrides of one logic's typical traits (see :data:`ci_sim.logics.LOGIC_TABLE`).

    ``practice`` is the starting practice level of organisations with that logic (how far
    they already work the new way, e.g. the police in a burglary initiative).
    """

    routine: Unit | None = None
    size: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    mindset: Unit | None = None
    stake: Unit | None = None
    practice: Unit | None = None


class Organisations(_Section):
    """The actor field: how many organisations of which logics, and their people.

    ``mix`` weighs logics (split by largest remainder); ``names`` optionally names a
    logic's organisations in order; ``profiles`` overrides a logic's typical traits;
    ``initiators`` names organisations or logics (or gives a number) whose leaders
    start the initiative (C2.8).
    """

    count: Annotated[int, Field(ge=2, le=5000)] = 20
    people: Annotated[int, Field(ge=2, le=200)] = 6
    turnover_per_year: Unit = 0.12
    contacts: Annotated[int, Field(ge=1, le=50)] = 6
    initiators: Annotated[int, Field(ge=0, le=50)] | list[str] = Field(
        default_factory=lambda: ["municipality", "foundation"]
    )
    mix: dict[str, Annotated[float, Field(ge=0.0, le=1e6)]] = Field(
        default_factory=lambda: dict(DEFAULT_MIX)
    )
    names: dict[str, list[str]] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(default_factory=dict)

    @field_validator("mix", "names", "profiles")
    @classmethod
    def _known_logics(cls, table: dict[str, Any]) -> dict[str, Any]:
        allowed = [lg.value for lg in Logic]
        for key in table:
            if key not in allowed:
                raise ValueError(f"unknown logic {key!r}; allowed: {', '.join(allowed)}")
        return table

    @model_validator(mode="after")
    def _consistent(self) -> Organisations:
        if sum(self.mix.values()) <= 0:
            raise ValueError("organisations.mix: at least one logic must have a positive weight")
        counts: dict[str, int] = {}
        for _, lg in roster(self, named=False):
            counts[lg.value] = counts.get(lg.value, 0) + 1
        seen: set[str] = set()
        for logic, names in self.names.items():
            if len(names) > counts.get(logic, 0):
                raise ValueError(
                    f"organisations.names.{logic}: {len(names)} names but only "
                    f"{counts.get(logic, 0)} {logic} organisations in the mix"
                )
            for name in names:
                if name in seen or not name:
                    raise ValueError(f"organisations.names: {name!r} is empty or repeated")
                seen.add(name)
        return self


TASK_KEYS = ("develop_relations", "develop_capabilities", "anchor_capabilities", "anchor_relations")


class Effort(_Section):
    """Shares of backbone effort over the four tasks of chapter 4.

    Shares are normalised to sum to one when a scenario is read, and the normalised
    values are what ``params.json`` records and the CLI prints (``develop_relations =
    0.5`` with the other three at 0.25 becomes 0.4).
    """

    develop_relations: Unit = 0.25
    develop_capabilities: Unit = 0.25
    anchor_capabilities: Unit = 0.25
    anchor_relations: Unit = 0.25

    @model_validator(mode="after")
    def _normalised(self) -> Effort:
        raw = self.shares()
        total = sum(raw)
        if total <= 0:
            raise ValueError("effort shares must not all be zero")
        if abs(total - 1.0) > 1e-12:
            for name, value in zip(TASK_KEYS, raw, strict=True):
                object.__setattr__(self, name, value / total)
        return self

    def shares(self) -> tuple[float, float, float, float]:
        """Return the four shares in task order (they sum to one once validated)."""
        return (
            self.develop_relations,
            self.develop_capabilities,
            self.anchor_capabilities,
            self.anchor_relations,
        )


class Backbone(_Section):
    """The backbone secretariat (chapter 2 to 4).

    ``let_go`` is the yearly hazard with which the backbone stops working with an
    organisation that shows no will (C2.10: work with the willing).
    """

    enabled: bool = True
    start_year: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    staff: Annotated[float, Field(ge=0.0, le=100.0)] = 3.0
    effort: Effort = Field(default_factory=Effort)
    allocation: Literal["fixed", "adaptive"] = "fixed"
    independence: Unit = 0.9
    host: str | list[str] = "none"
    disturbance: Unit = 0.5
    credit_taking: Unit = 0.1
    growth: Unit = 0.0
    sunset_year: Annotated[float, Field(ge=0.0, le=200.0)] | Literal["none"] = 12.0
    handover: bool = True
    handover_years: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0
    let_go: PerYear = 0.0


class Governance(_Section):
    """Steering-group choices (C3.4, C3.5, C3.8)."""

    goal_steering: Unit = 0.2
    reporting_burden: Unit = 0.2


SHOCK_KINDS = ("funding_cut", "leader_wave", "delivery_pressure")


class Shock(_Section):
    """A shock scheduled at a given year (C5.4, C2.7, C2.26)."""

    kind: Literal["funding_cut", "leader_wave", "delivery_pressure"]
    year: Annotated[float, Field(ge=0.0, le=200.0)]


class Environment(_Section):
    """Random shocks and the policy frame (C5.3, C5.4, C5.6).

    A policy window opens at random (``policy_window_per_year``) and for one year from
    each year in ``policy_windows`` (e.g. a national budget round the case names).
    """

    funding_cut_per_year: Unit = 0.03
    leader_wave_per_year: Unit = 0.03
    delivery_pressure_per_year: Unit = 0.03
    shocks: list[Shock] = Field(default_factory=list)
    policy_threshold: Unit = 0.3
    policy_window_per_year: PerYear = 0.3
    policy_windows: list[Annotated[float, Field(ge=0.0, le=200.0)]] = Field(default_factory=list)
    policy_step: Unit = 0.25
    policy_cooldown_years: Annotated[float, Field(ge=0.0, le=50.0)] = 2.0


class Mechanisms(_Section):
    """Calibration constants of the functional forms (modelling assumptions).

    Every value is per year where it is a rate, per meeting where it is a gain.
    """

    logic_distance_scale: Annotated[float, Field(gt=0.0, le=10.0)] = 0.35
    trust_gain: Unit = 0.25
    trust_decay_per_year: PerYear = 0.25
    tie_threshold: Unit = 0.5
    confidence: Unit = 0.25
    confidence_trust: Unit = 0.5
    convergence: Annotated[float, Field(ge=0.0, le=0.5)] = 0.3
    backbone_mindset: Unit = 0.85
    mindset_relapse_per_year: PerYear = 0.1
    threshold_mean: Unit = 0.4
    threshold_sd: Unit = 0.2
    threshold_stake: Unit = 0.3
    will_hysteresis: Unit = 0.15
    knowledge_dims: Annotated[int, Field(ge=2, le=200)] = 30
    socialisation: Unit = 0.1
    code_learning: Unit = 0.5
    meetings_per_fte_year: Annotated[float, Field(ge=0.0, le=10000.0)] = 200.0
    activities_per_fte_year: Annotated[float, Field(ge=0.0, le=1000.0)] = 6.0
    direct_meetings_per_year: Annotated[float, Field(ge=0.0, le=100.0)] = 2.0
    routine_pull_per_year: PerYear = 1.0
    practice_push_per_year: PerYear = 0.8
    anchoring_per_year: PerYear = 0.3
    mandate_per_year: PerYear = 1.0
    change_leader_mindset: Unit = 0.7
    change_leader_spread: Annotated[float, Field(ge=0.0, le=0.5)] = 0.1
    change_leader_disturbance: Unit = 0.8
    # Round 2: leadership, habituation, a changing problem, visibility, the network.
    leadership_growth_per_year: PerYear = 0.4
    leadership_decay_per_year: PerYear = 0.5
    handover_gain: Unit = 0.15
    coaching_lead_gain: Unit = 0.03
    local_anchor: Annotated[float, Field(ge=0.0, le=5.0)] = 1.5
    crowding: Unit = 1.0
    habituation_per_year: PerYear = 0.3
    habituation_recovery_per_year: PerYear = 0.5
    problem_drift_per_year: Unit = 0.02
    policy_problem_shift: Unit = 0.1
    visibility_risk_per_year: Unit = 0.15
    steering_mandate: PerYear = 0.5
    backbone_adaptation: Unit = 0.05
    introductions_per_year: PerYear = 1.0
    brokered_ties: Annotated[int, Field(ge=1, le=50)] = 5
    tie_fade_years: Annotated[float, Field(gt=0.0, le=50.0)] = 3.0
    tie_fade_trust: Unit = 0.02
    chance_acquaintances_per_year: Annotated[float, Field(ge=0.0, le=50.0)] = 1.0
    leader_voice: Annotated[float, Field(ge=0.0, le=20.0)] = 4.0
    leader_commitment: Unit = 0.8
    inspiration_per_year: PerYear = 0.1


class Switches(_Section):
    """Mechanisms that can be switched off one at a time (ablation, ``ci-sim ablate``).

    Every switch is on in every shipped scenario; switching one off removes that
    mechanism and nothing else (see ``docs/ODD.md``, "Lever paths").
    """

    network_dynamics: bool = True
    local_leadership: bool = True
    crowding_out: bool = True
    habituation: bool = True
    problem_drift: bool = True
    backbone_drift: bool = True
    visibility_funding: bool = True
    steering_mandate: bool = True
    policy_incentives: bool = True


class Params(_Section):
    """A whole scenario: every section with its defaults."""

    meta: Meta = Field(default_factory=Meta)
    simulation: Simulation = Field(default_factory=Simulation)
    organisations: Organisations = Field(default_factory=Organisations)
    backbone: Backbone = Field(default_factory=Backbone)
    governance: Governance = Field(default_factory=Governance)
    environment: Environment = Field(default_factory=Environment)
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)
    switches: Switches = Field(default_factory=Switches)

    @model_validator(mode="after")
    def _names_exist(self) -> Params:
        bb = self.backbone
        if bb.enabled and bb.sunset_year != "none" and bb.sunset_year <= bb.start_year:
            raise ValueError(
                f"backbone.sunset_year {bb.sunset_year:g} is not after backbone.start_year "
                f"{bb.start_year:g}; allowed: a year after the start, or 'none'"
            )
        names = {name for name, _ in roster(self.organisations)}
        logics = {lg.value for _, lg in roster(self.organisations)}
        allowed = (
            f"allowed: a logic present ({', '.join(sorted(logics))}) or an organisation "
            f"name such as {sorted(names)[0]!r}"
        )
        hosts = self.backbone.host
        for host in [hosts] if isinstance(hosts, str) else hosts:
            if host != "none" and host not in names and host not in logics:
                raise ValueError(
                    f"backbone.host {host!r} names no organisation or logic in this "
                    f"scenario; 'none' or {allowed}"
                )
        if not isinstance(self.organisations.initiators, int):
            every_logic = {lg.value for lg in Logic}
            for who in self.organisations.initiators:  # absent logics are logged, not fatal
                if who not in names and who not in every_logic:
                    raise ValueError(
                        f"organisations.initiators: {who!r} names no organisation or logic "
                        f"in this scenario; {allowed}"
                    )
        return self

    @property
    def steps(self) -> int:
        """Number of steps in a run."""
        return round(self.simulation.years * self.simulation.steps_per_year)


def resolve_names(
    names: str | list[str], orgs: list[tuple[str, Logic]], power: list[float]
) -> list[int]:
    """Return organisation indices for names that are organisation names or logics.

    A logic name means the most powerful organisation with that logic; ``"none"`` and
    unknown names give nothing.
    """
    out: list[int] = []
    for name in [names] if isinstance(names, str) else names:
        exact = [i for i, (n, _) in enumerate(orgs) if n == name]
        members = [i for i, (_, lg) in enumerate(orgs) if lg.value == name]
        if exact:
            out.append(exact[0])
        elif members:
            out.append(max(members, key=lambda i: power[i]))
    return list(dict.fromkeys(out))


def roster(orgs: Organisations, named: bool = True) -> list[tuple[str, Logic]]:
    """Return the (name, logic) of every organisation, deterministic for ``orgs``.

    ``orgs.count`` organisations are split over ``orgs.mix`` by largest remainder.
    Names come from ``orgs.names`` in order, then ``<logic>_<k>`` with ``k`` counted
    from 1 within each logic.
    """
    weights = {Logic(k): v for k, v in orgs.mix.items() if v > 0}
    total = sum(weights.values())
    quotas = {lg: orgs.count * w / total for lg, w in weights.items()}
    counts = {lg: int(q) for lg, q in quotas.items()}
    rest = orgs.count - sum(counts.values())
    order = sorted(quotas, key=lambda lg: (-(quotas[lg] - counts[lg]), list(Logic).index(lg)))
    for lg in order[:rest]:
        counts[lg] += 1
    out: list[tuple[str, Logic]] = []
    for lg in Logic:
        given = orgs.names.get(lg.value, []) if named else []
        out.extend(
            (given[k] if k < len(given) else f"{lg.value}_{k + 1}", lg)
            for k in range(counts.get(lg, 0))
        )
    return out


def _bounds(annotation: Any, metadata: list[Any]) -> tuple[Any, Any, bool]:
    """Return (low, high, low_is_strict) from field metadata or a union's Annotated arm."""
    items = list(metadata)
    for arg in get_args(annotation):
        for extra in get_args(arg)[1:]:
            items.extend(getattr(extra, "metadata", []))
    lo = hi = None
    strict = False
    for m in items:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, strict = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
    return lo, hi, strict


def parameter_table() -> list[dict[str, Any]]:
    """Return every numeric or boolean parameter as data: key, kind, bounds, default.

    ``low_strict`` is true when the lower bound itself is not allowed. The table serves
    sensitivity analysis and documentation (EMA-Workbench style).
    """
    rows: list[dict[str, Any]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, key + ".")
                continue
            lo, hi, strict = _bounds(ann, field.metadata)
            default = field.get_default(call_default_factory=True)
            kind = type(default).__name__
            rows.append(
                {
                    "key": key,
                    "kind": kind,
                    "low": lo,
                    "high": hi,
                    "low_strict": strict,
                    "default": default,
                }
            )

    for section, field in Params.model_fields.items():
        if section != "meta":
            walk(field.annotation, section + ".")
    return rows
