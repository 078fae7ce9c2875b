"""The world of ci_sim: organisations, their people, a backbone, and the step loop.

:class:`CIModel` is a ``mesa.Model``. Per-step state lives in numpy arrays owned by
the model (one row per organisation, person, or contact tie); the submodels in
:mod:`ci_sim.dynamics` update them vectorised. See ``docs/ODD.md`` for the full
description and the claim ids each mechanism rests on.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import mesa
import numpy as np

from ci_sim import dynamics, logics, metrics
from ci_sim.agents import Backbone, Organisation, Phase, Stance
from ci_sim.logics import LOGICS, Logic, LogicProfile
from ci_sim.network import Contacts, add_pairs, append_ties, build_contacts, tie_sum
from ci_sim.params import Params, resolve_names, roster
from ci_sim.scenarios import load_scenario


@functools.lru_cache(maxsize=256)
def _scalar_rate(per_year: float, dt: float) -> np.float64:
    """:meth:`CIModel.rate` of a Python float (cached: the model asks the same each step)."""
    return -np.expm1(-np.asarray(per_year, dtype=float) * dt)


class StepCollector(mesa.DataCollector):
    """Mesa's ``DataCollector`` for reporters that read the step's cached metrics.

    The model's reporters (:func:`ci_sim.metrics.latest`) read ``model.latest_metrics``.
    After Mesa's first ``collect`` (which validates them), each step appends those values
    to the columns directly instead of calling every reporter and deep-copying each
    float: the same values in the same columns.
    """

    def collect(self, model: CIModel) -> None:
        """Append this step's metrics (Mesa's own ``collect`` on the first call)."""
        if (
            not getattr(self, "_validated", False)
            or self.agent_reporters
            or self.agenttype_reporters
        ):
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        latest = model.latest_metrics
        for name, column in self.model_vars.items():
            column.append(latest[name])


class CIModel(mesa.Model):
    """A Collective Impact initiative in a field of organisations.

    Args:
        params: a validated :class:`~ci_sim.params.Params` (default: the ``default``
            scenario).
        rng: seed or ``numpy.random.Generator``; one seed fixes the whole run.
        record_organisations: keep a per-organisation row every step.
    """

    def __init__(
        self,
        params: Params | None = None,
        *,
        rng: Any = None,
        record_organisations: bool = True,
    ) -> None:
        super().__init__(rng=rng)
        if not isinstance(params, Params):  # None, a scenario name, a path or a mapping
            params = load_scenario("default" if params is None else params)
        self.params = params
        self.dt = 1.0 / self.params.simulation.steps_per_year
        self.record_organisations = record_organisations
        self.events: list[dict[str, Any]] = []
        self.org_records: list[dict[str, np.ndarray]] = []
        self._build_organisations()
        self._build_people()
        self._build_understanding()
        self._init_state()
        self.latest_metrics: dict[str, float] = {}
        self.datacollector = StepCollector(
            model_reporters={name: metrics.latest(name) for name in metrics.REPORTERS}
        )
        self._collect()

    # --- construction -----------------------------------------------------------------

    def _build_organisations(self) -> None:
        """Create organisations from the scenario's roster (C2.2, C2.18, C3.10)."""
        names = roster(self.params.organisations)
        self.org_logic = np.array([LOGICS.index(lg) for _, lg in names])
        n = self.org_logic.shape[0]
        jitter = self.rng.normal(0.0, 0.04, size=(n, 2))
        self.org_pos = np.clip(logics.positions(self.org_logic) + jitter, 0.0, 1.0)
        size = self._profile("size") * self.rng.lognormal(0, 0.3, n)
        self.power = size / size.sum()
        self.routine = np.clip(
            self._profile("routine") + self.rng.normal(0, 0.05, n),
            0.05,
            1.0,
        )
        self.stake = np.clip(
            self._profile("stake") + self.rng.normal(0, 0.05, n),
            0.0,
            1.0,
        )
        self.default_mindset = self._profile("mindset")
        self.neutral_position = self.org_pos.mean(axis=0)
        self.organisations = [Organisation(self, i, name, lg) for i, (name, lg) in enumerate(names)]
        power = list(self.power)
        self.hosts = np.array(resolve_names(self.params.backbone.host, names, power), dtype=int)

    def _profile(self, field: str, default: float = 0.0) -> np.ndarray:
        """Return a trait per organisation: its logic's profile, with scenario overrides."""
        if field in LogicProfile.__dataclass_fields__:
            values = logics.profile_array(self.org_logic, field)
        else:
            values = np.full(self.org_logic.shape[0], default)
        for logic, profile in self.params.organisations.profiles.items():
            value = getattr(profile, field)
            if value is not None:
                values[self.org_logic == LOGICS.index(Logic(logic))] = value
        return values

    def _build_people(self) -> None:
        """People: a leader and staff per organisation, with contact ties (C2.24)."""
        n_org, per = len(self.organisations), self.params.organisations.people
        self.person_org = np.repeat(np.arange(n_org), per)
        self.is_leader = np.zeros(self.person_org.shape[0], dtype=bool)
        self.is_leader[::per] = True
        self.leader_of = np.arange(n_org) * per
        contacts = build_contacts(self.person_org, self.params.organisations.contacts, self.rng)
        trust = np.where(contacts.cross, 0.05, 0.5)
        self._set_ties(contacts.a, contacts.b, trust, np.zeros(contacts.size))

    # --- the network of ties ---------------------------------------------------------------

    def _set_ties(self, a: np.ndarray, b: np.ndarray, trust: np.ndarray, idle: np.ndarray) -> None:
        """Install the ties ``(a, b)`` with their trust and idle years, and derived arrays."""
        oa, ob = self.person_org[a], self.person_org[b]
        self.contacts = Contacts(a=a, b=b, cross=oa != ob)
        self.trust, self.tie_idle = trust, idle
        self.edge_org_a, self.edge_org_b = oa, ob
        self.edge_distance = logics.distance(self.org_pos[oa], self.org_pos[ob])

    def connect(self, pairs: np.ndarray) -> np.ndarray:
        """Acquaint the people in each row of ``pairs``; return the ties' indices.

        Pairs that are not yet ties become new ties with little trust (0.05 across
        organisations, C2.24); existing ties are returned as they are. Rows pairing a
        person with themself are dropped.
        """
        if pairs.shape[0] == 0:
            return np.empty(0, dtype=np.int64)
        c, n = self.contacts, self.person_org.shape[0]
        na, nb, index = add_pairs(c.a, c.b, pairs, n)
        if na.shape[0]:
            start = c.size
            ties = (c.a, c.b, c.cross, self.trust, self.tie_idle, self.edge_org_a, self.edge_org_b)
            a, b, cross, self.trust, self.tie_idle, self.edge_org_a, self.edge_org_b = append_ties(
                ties, na, nb, self.person_org, 0.05, 0.5
            )
            self.contacts = Contacts(a=a, b=b, cross=cross)
            oa, ob = self.edge_org_a[start:], self.edge_org_b[start:]
            d = logics.distance(self.org_pos[oa], self.org_pos[ob])
            self.edge_distance = np.concatenate([self.edge_distance, d])
        return index

    def keep_ties(self, keep: np.ndarray) -> None:
        """Keep only the ties where ``keep`` is true (the others fade or leave)."""
        c = self.contacts
        keep = np.flatnonzero(keep)  # one mask-to-index pass for the eight per-tie arrays
        self.contacts = Contacts(a=c.a[keep], b=c.b[keep], cross=c.cross[keep])
        self.trust, self.tie_idle = self.trust[keep], self.tie_idle[keep]
        self.edge_org_a, self.edge_org_b = self.edge_org_a[keep], self.edge_org_b[keep]
        self.edge_distance = self.edge_distance[keep]

    def _build_understanding(self) -> None:
        """The true root causes and each logic's partial view of them (C0.1, C2.3)."""
        m = self.params.mechanisms.knowledge_dims
        self.reality = self.rng.choice(np.array([-1, 1], dtype=np.int8), size=m)
        n_logic = len(LOGICS)
        self.logic_domain = self.rng.random((n_logic, m)) < 0.3
        outside = self.rng.choice([-1, 0, 1], size=(n_logic, m), p=[0.35, 0.45, 0.2])
        self.logic_view = np.where(outside == 1, self.reality, outside * self.reality)
        self.code = np.zeros(m, dtype=np.int8)

    def draw_beliefs(self, people: np.ndarray) -> np.ndarray:
        """Return fresh beliefs for ``people``: their logic's partial view of the problem.

        Within its domain a logic sees the truth (70% of people hold it); outside it
        people share their logic's view, right or wrong, 80% of the time (C2.2, C2.3).
        """
        lg = self.org_logic[self.person_org[people]]
        shape = (people.shape[0], self.reality.shape[0])
        u = self.rng.random(shape)
        inside = self.logic_domain[lg]
        belief = np.where(inside, np.where(u < 0.7, self.reality, 0), self.logic_view[lg])
        belief = np.where(~inside & (u >= 0.8), 0, belief)
        return belief.astype(np.int8)

    def draw_people(self, people: np.ndarray) -> None:
        """(Re)initialise ``people`` as newcomers with their organisation's defaults (C2.7)."""
        mech = self.params.mechanisms
        org = self.person_org[people]
        k = people.shape[0]
        self.mindset[people] = np.clip(
            self.default_mindset[org] + self.rng.normal(0, 0.08, k), 0.0, 1.0
        )
        mean = mech.threshold_mean + mech.threshold_stake * (self.stake[org] - 0.25)
        self.threshold[people] = np.clip(self.rng.normal(mean, mech.threshold_sd, k), 0.02, 1.0)
        self.willing[people] = False
        self.change_leader[people] = False
        self.initiator[people] = False
        self.trust_bb[people] = 0.0
        self.leads[people] = 0.0
        self.met_via[people] = 0.0
        self.met_direct[people] = 0.0
        self.beliefs[people] = self.draw_beliefs(people)

    def _init_state(self) -> None:
        n_org, n_p = len(self.organisations), self.person_org.shape[0]
        self.mindset = np.zeros(n_p)
        self.threshold = np.zeros(n_p)
        self.willing = np.zeros(n_p, dtype=bool)
        self.change_leader = np.zeros(n_p, dtype=bool)
        self.initiator = np.zeros(n_p, dtype=bool)
        self.trust_bb = np.zeros(n_p)
        self.leads = np.zeros(n_p)
        self.met_via = np.zeros(n_p)
        self.met_direct = np.zeros(n_p)
        self.beliefs = np.zeros((n_p, self.reality.shape[0]), dtype=np.int8)
        self.draw_people(np.arange(n_p))
        self.practice = self._profile("practice", default=0.05)
        self.habit = self.practice.copy()  # what an organisation already does is routine
        self.mandate = np.full(n_org, 0.05)
        self.delivered = np.zeros(n_org)
        self.success = np.zeros(n_org)
        self.capability = np.zeros(n_org)
        self.habituation = np.zeros(n_org)
        self.relapsed = False
        self.peak_will = 0.0
        self.idle_years = np.zeros(n_org)
        self.reach = np.zeros(n_org)
        self.stance = np.full(n_org, int(Stance.ENGAGED), dtype=np.int8)
        self.data_shared = np.zeros(n_org, dtype=bool)
        self.policy = 0.0
        self.last_policy_year = -np.inf
        self.funding_factor = 1.0
        self.funding_until = -1.0
        self.pressure = 0.0
        self.pressure_until = -1.0
        self.backbone: Backbone | None = None
        self.phase = Phase.MOBILISATION
        self.code_knowledge = 0.0
        self._seed_initiators()

    def _seed_initiators(self) -> None:
        """Initiators' leaders are committed, willing change leaders from the start (C2.8).

        ``organisations.initiators`` names organisations or logics; a number ``k`` picks
        the ``k`` organisations with most power and least stake. Initiators keep their
        commitment until they leave (turnover).
        """
        who = self.params.organisations.initiators
        if isinstance(who, int):
            orgs = np.argsort(-self.power * (1 - self.stake))[: min(who, self.power.shape[0])]
        else:
            names = [(o.name, o.logic) for o in self.organisations]
            orgs = np.array(resolve_names(who, names, list(self.power)), dtype=int)
            present = {n for n, _ in names} | {lg.value for _, lg in names}
            for missing in [w for w in who if w not in present]:
                self.log_event("initiator_missing", f"no {missing} organisation in this field")
        lead = self.leader_of[orgs]
        self.initiator[lead] = True
        self.willing[lead] = True
        self.threshold[lead] = 0.0
        self.change_leader[lead] = True
        self.leads[lead] = 1.0
        self.mindset[lead] = np.maximum(self.mindset[lead], 0.8)

    # --- derived state used by several submodels --------------------------------------

    @property
    def year(self) -> float:
        """Years since the start."""
        return self.time * self.dt

    def rate(self, per_year: float | np.ndarray) -> float | np.ndarray:
        """Return the share of a quantity that changes in one step at ``per_year`` rate.

        ``1 - exp(-per_year * dt)``: always in [0, 1), whatever the step length. A
        Python float is looked up in a small cache of earlier results (the value numpy
        computes; zero is not cached, as ``0.0 == -0.0`` give zeros of either sign).
        """
        if type(per_year) is float and per_year != 0.0:
            return _scalar_rate(per_year, self.dt)
        return -np.expm1(-np.asarray(per_year, dtype=float) * self.dt)

    def step_of(self, year: float) -> int:
        """Return the first step whose time is at or after ``year``."""
        return math.ceil(year * self.params.simulation.steps_per_year - 1e-9)

    @property
    def steering(self) -> float:
        """Effective goal steering: the scenario's, raised by delivery pressure (C5.4)."""
        return max(self.params.governance.goal_steering, self.pressure)

    @property
    def taking_part(self) -> np.ndarray:
        """Per organisation: engaged or dominating (not withdrawn, not let go)."""
        return self.stance <= Stance.DOMINATING

    @property
    def engaged_people(self) -> np.ndarray:
        """1.0 for people of organisations that have not withdrawn, else 0.0."""
        return (self.taking_part)[self.person_org].astype(float)

    @property
    def bb_quality(self) -> np.ndarray:
        """Quality of a backbone meeting with each person, by logic distance (C2.16)."""
        if self.backbone is None:
            return np.zeros(self.person_org.shape[0])
        return self.backbone.quality

    def leadership(self) -> np.ndarray:
        """Local leadership per organisation, in [0, 1]: the sum of its people's (C2.22)."""
        return np.minimum(
            1.0,
            np.bincount(self.person_org, weights=self.leads, minlength=len(self.organisations)),
        )

    def cross_tie_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Per person, the number of cross-organisation ties and their summed trust."""
        c, n = self.contacts, self.person_org.shape[0]
        degree, trust = tie_sum(c, np.stack([c.cross, self.trust * c.cross]), n)
        return degree, trust

    def cross_trust(self, sums: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Each person's mean trust over their cross-organisation ties (0 without any).

        ``sums`` is :meth:`cross_tie_sums` if the caller already has it.
        """
        degree, trust = self.cross_tie_sums() if sums is None else sums
        return trust / np.maximum(degree, 1.0)

    def person_dependence(self) -> np.ndarray:
        """Each person's share of cross-border meetings held with the backbone (C2.17)."""
        total = self.met_via + self.met_direct
        return np.where(total > 0, self.met_via / np.maximum(total, 1e-12), 0.0)

    def org_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of a per-person array within each organisation."""
        return np.bincount(self.person_org, weights=values, minlength=len(self.organisations)) / (
            self.params.organisations.people
        )

    def log_event(self, kind: str, detail: str = "") -> None:
        """Append an event (shock, phase change, policy change, stance ...)."""
        self.events.append(
            {
                "step": int(self.time),
                "year": round(self.year, 4),
                "kind": kind,
                "detail": detail,
            }
        )

    # --- the step ---------------------------------------------------------------------

    def run_for(self, duration: int) -> None:
        """Advance ``duration`` whole steps (a step is a month by default).

        Raises:
            ValueError: for a fractional or negative number of steps, or one that would
                run past the scenario's ``simulation.years`` (set it to run longer).
        """
        if isinstance(duration, bool) or not np.isfinite(duration) or duration != int(duration):
            raise ValueError(f"run_for({duration!r}): give a whole number of steps")
        left = self.params.steps - round(self.time)
        if not 0 <= duration <= left:
            raise ValueError(
                f"run_for({duration}): the run has {self.params.steps} steps "
                f"(simulation.years {self.params.simulation.years:g} x "
                f"{self.params.simulation.steps_per_year} steps a year) and {left} are left; "
                "allowed: 0 to that, or set simulation.years to run longer"
            )
        super().run_for(int(duration))

    def step(self) -> None:
        """Advance one step (a month by default); see ``docs/ODD.md`` for the order."""
        dynamics.advance_phase(self)
        dynamics.apply_shocks(self)
        dynamics.meet(self)
        dynamics.run_activities(self)
        dynamics.update_minds(self)
        dynamics.learn_together(self)
        dynamics.change_practice(self)
        dynamics.shift_stances(self)
        dynamics.turn_over(self)
        self._collect()

    def _collect(self) -> None:
        self.latest_metrics = metrics.all_metrics(self)
        self.datacollector.collect(self)
        if self.record_organisations:
            self.org_records.append(metrics.organisation_snapshot(self))
