"""Submodels of the step loop, each a function ``(model) -> None``.

The functions are called in the order of :meth:`ci_sim.model.CIModel.step`. They
update the model's arrays vectorised through the kernels in :mod:`ci_sim.kernels`;
no loop runs over pairs of people. Claim ids name the seed passages each mechanism
rests on; numbers without a claim id are modelling assumptions (see ``docs/ODD.md``).

Levers never enter an outcome directly. Each changes what an agent does: whom the
backbone meets and how often (effort shares, host, independence, growth), what it
asks (disturbance, handover), what it takes credit for, how long it stays, or what
the steering group asks of leaders; the effect travels through meetings, trust,
will, mindsets, leadership, mandate and practice (``docs/ODD.md``, "Lever paths").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ci_sim import kernels, network
from ci_sim.agents import Backbone, Phase, Stance, Task
from ci_sim.logics import distance

if TYPE_CHECKING:
    from ci_sim.model import CIModel

#: Yearly share of anchored habit that old routines win back (assumption, C1.1).
FORGETTING = 0.05
#: Yearly hazard with which a change leader who lost will or mindset gives the role up.
QUIT_PER_YEAR = 2.0
#: Extra mindset gap, in units of ``change_leader_spread``, before a change leader
#: drops the role (hysteresis; assumption).
KEEP_GAP_SPREADS = 1.5
#: Activities per year that a fully led organisation's change leaders start (assumption).
LOCAL_ACTIVITIES_PER_YEAR = 0.5


# --- phases and environment -----------------------------------------------------------


def advance_phase(model: CIModel) -> None:
    """Start the backbone, begin its handover, and end it at the sunset (C2.8, C3.7).

    The phases are the backbone's plan: when it starts, when it starts handing over
    (``handover_years`` before the sunset, if ``handover``), and when it leaves. Whether
    leadership actually moves to local change leaders is not decided here: it emerges
    from the coaching during the handover (:func:`_coach`, :func:`transfer_leadership`).
    Phase changes happen at the first whole step at or after the year.
    """
    bb = model.params.backbone
    if not bb.enabled:
        return
    now = round(model.time)
    sunset = np.inf if bb.sunset_year == "none" else model.step_of(float(bb.sunset_year))
    if model.phase is Phase.MOBILISATION and model.step_of(bb.start_year) <= now < sunset:
        model.backbone = Backbone(model)
        model.phase = Phase.ACTIVE
        model.log_event("backbone_start", f"staff {bb.staff:g} FTE")
    if bb.sunset_year != "none" and model.phase is Phase.ACTIVE and bb.handover:
        handover = model.step_of(max(0.0, float(bb.sunset_year) - bb.handover_years))
    else:
        handover = np.inf
    if model.phase is Phase.ACTIVE and handover <= now < sunset:
        model.phase = Phase.HANDOVER
        model.log_event("handover_start", "the backbone starts handing leadership over")
    if model.backbone is not None and now >= sunset:
        model.backbone.remove()
        model.backbone = None
        model.phase = Phase.AFTER_SUNSET
        lead = model.leadership()
        led = int((lead >= 0.5).sum())
        model.log_event(
            "sunset",
            f"the backbone leaves; local leadership in {led} of {lead.shape[0]} organisations",
        )


def apply_shocks(model: CIModel) -> None:
    """Random and scheduled shocks: funding cut, leader wave, delivery pressure (C5.4).

    Funders also judge the backbone by what they see of it (C3.11): each year they cut
    its funding with hazard ``visibility_risk_per_year * (1 - seen)``, where ``seen`` is
    the larger of its visibility (successes it took credit for) and the decision
    makers' mean trust in it (:func:`_funders_doubt`).
    """
    env = model.params.environment
    spy = model.params.simulation.steps_per_year
    kinds = {
        "funding_cut": env.funding_cut_per_year,
        "leader_wave": env.leader_wave_per_year,
        "delivery_pressure": env.delivery_pressure_per_year,
    }
    draws = model.rng.random(len(kinds) + 1)
    due = [
        k for (k, r), u in zip(kinds.items(), draws, strict=False) if u < kernels.per_step(r, spy)
    ]
    due += [s.kind for s in env.shocks if round(model.time) == model.step_of(s.year)]
    for kind in due:
        _SHOCKS[kind](model)
    _funders_doubt(model, draws[-1])
    if model.time >= model.funding_until:
        model.funding_factor = 1.0
    if model.time >= model.pressure_until:
        model.pressure = 0.0


def _funders_doubt(model: CIModel, u: float) -> None:
    """A backbone that is never seen risks disappearing (C3.11, C2.26)."""
    bb = model.backbone
    if bb is None or not model.params.switches.visibility_funding:
        return
    if model.time < model.funding_until:
        return
    seen = max(bb.visibility, kernels.mean(model.trust_bb[model.leader_of]))
    hazard = model.params.mechanisms.visibility_risk_per_year * (1.0 - seen)
    if u < model.rate(hazard):
        model.funding_factor = 0.6
        model.funding_until = model.time + model.step_of(2.0)
        model.log_event("funding_doubt", "funders do not see the backbone: at 60% for 2 years")


def _funding_cut(model: CIModel) -> None:
    """Funding is cut for two years: backbone staff and organisations' mandates drop (C2.26)."""
    model.mandate *= 0.85
    if model.backbone is not None:
        model.funding_factor = 0.6
        model.funding_until = model.time + model.step_of(2.0)
        model.log_event("shock_funding_cut", "mandates cut 15%; backbone at 60% for 2 years")
    else:
        model.log_event("shock_funding_cut", "mandates cut 15%")


def _leader_wave(model: CIModel) -> None:
    """A wave of leader turnover: 40% of leaders leave at once (C2.7, C2.24)."""
    leaders = model.leader_of[model.rng.random(model.leader_of.shape[0]) < 0.4]
    replace_people(model, leaders)
    model.log_event("shock_leader_wave", f"{leaders.shape[0]} leaders replaced")


def _delivery_pressure(model: CIModel) -> None:
    """Pressure to deliver for a year crowds out curiosity (C5.4)."""
    model.pressure = 0.8
    model.pressure_until = model.time + model.step_of(1.0)
    model.log_event("shock_delivery_pressure", "steering at 0.8 for 1 year")


_SHOCKS = {
    "funding_cut": _funding_cut,
    "leader_wave": _leader_wave,
    "delivery_pressure": _delivery_pressure,
}


# --- meetings, trust and the network -------------------------------------------------------


class StepMeetings:
    """Meetings of one step: ties that met, with facilitation, and people met by the backbone."""

    def __init__(self, n_people: int, n_org: int) -> None:
        self.edges: list[np.ndarray] = []
        self.facilitation: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.via = np.zeros(n_people)  # meetings with the backbone, per person
        self.direct = np.zeros(n_people)  # cross-organisation meetings with people
        self.per_org = np.zeros(n_org)  # backbone meetings per organisation

    def add_ties(
        self, edges: np.ndarray, facilitation: float, count: np.ndarray | None = None
    ) -> None:
        """Record that ``edges`` met this step (``count`` times each; default once)."""
        self.edges.append(edges)
        self.facilitation.append(np.full(edges.shape[0], facilitation))
        self.counts.append(np.ones(edges.shape[0], dtype=np.int64) if count is None else count)


def meet(model: CIModel) -> None:
    """All meetings of the step: direct, introduced, brokered, and with the backbone.

    People meet directly, more often when they trust each other and when local change
    leaders convene them (C2.20); change leaders introduce people across borders
    (C2.20, C4.4). The backbone holds coffee meetings (C2.23), brokers new cross-border
    acquaintances (C2.21), coaches change leaders (C4.4), meets leaders about mandate
    (C4.3) and, if it grows, delivers itself (C2.17). Trust decays without contact
    (C2.24). Each person's share of cross-border meetings held with the backbone rather
    than with other people is their dependence on it (C2.17, C3.2).
    """
    mech = model.params.mechanisms
    model.trust = kernels.decay(model.trust, model.rate(mech.trust_decay_per_year))
    model.trust_bb = kernels.decay(model.trust_bb, model.rate(mech.trust_decay_per_year))
    model.tie_idle += model.dt
    step = StepMeetings(model.person_org.shape[0], len(model.organisations))
    lead = model.leadership()
    _direct_meetings(model, step, lead)
    if model.backbone is not None:
        _backbone_meetings(model, step)
    _introductions(model, step, lead)
    edges = np.concatenate(step.edges)
    facilitation = np.concatenate(step.facilitation)
    count = np.concatenate(step.counts)
    _meet_on_ties(model, edges, facilitation, count)
    own = model.contacts.cross[edges] & (facilitation < 1.0)
    n = step.direct.shape[0]
    step.direct += np.bincount(model.contacts.a[edges[own]], weights=count[own], minlength=n)
    step.direct += np.bincount(model.contacts.b[edges[own]], weights=count[own], minlength=n)
    _update_dependence(model, step)
    _update_reach(model, step.per_org)
    _lose_trust(model)


def _direct_meetings(model: CIModel, step: StepMeetings, lead: np.ndarray) -> None:
    """Ties that meet without the backbone this step (a Poisson number per tie).

    Cross ties meet at ``direct_meetings_per_year * (0.3 + trust + 0.5 * convened)``,
    ``convened`` being the larger local leadership of the two organisations (C2.20).
    People who get their cross-border contact through the backbone seek each other
    less: the rate falls by ``crowding * dependence`` (C2.17, C3.2; assumption).
    Colleagues meet about monthly.
    """
    mech, sw = model.params.mechanisms, model.params.switches
    c = model.contacts
    expected = kernels.direct_meeting_rates(
        c.a,
        c.b,
        c.cross,
        model.trust,
        model.edge_org_a,
        model.edge_org_b,
        lead,
        model.person_dependence() if sw.crowding_out else None,
        model.engaged_people,
        mech.direct_meetings_per_year,
        mech.crowding,
        model.dt,
    )
    count = model.rng.poisson(expected)
    edges = np.flatnonzero(count)
    step.add_ties(edges, 0.0, count[edges])


def _backbone_meetings(model: CIModel, step: StepMeetings) -> None:
    """The backbone's meetings this step, split over its tasks (C4.1, C4.3, C4.4)."""
    bb, mech = model.backbone, model.params.mechanisms
    bb.drift()
    if model.params.backbone.allocation == "adaptive" and model.time % round(1 / model.dt) == 0:
        bb.adapt_allocation()
    bb.grow()
    shares = bb.task_shares()
    total = mech.meetings_per_fte_year * bb.budget() * model.dt
    # Meetings per task; develop-capabilities effort goes to activities (run_activities).
    # relationship work is half coffee talks, half brokered convenings (last entry)
    expected = total * np.append(shares, 0.5 * shares[Task.DEVELOP_RELATIONS])
    expected[Task.DEVELOP_RELATIONS] *= 0.5
    n = model.rng.poisson(expected)
    met = [
        _coffee(model, step, n[Task.DEVELOP_RELATIONS]),
        _coach(model, step, n[Task.ANCHOR_RELATIONS]),
        _meet_leaders(model, step, n[Task.ANCHOR_CAPABILITIES]),
        _deliver(model, step),
    ]
    bb.met = np.concatenate(met)
    _broker(model, step, n[-1])


def _coffee(model: CIModel, step: StepMeetings, n: int) -> np.ndarray:
    """Coffee meetings without agenda: trust in the backbone and mindsets (C2.21, C2.23)."""
    weight = (1.0 + 2.0 * model.is_leader) * (1.2 - model.trust_bb)
    people = model.backbone.choose_people(n, weight)
    _backbone_talk(model, step, people, depth=1.0)
    return people


def leader_readiness(model: CIModel, gap: float = 0.0) -> np.ndarray:
    """Per person, how ready they are to act as a change leader, in [0, 1] (C2.20).

    Willing people whose mindset lies well above ``change_leader_mindset - gap`` are
    ready; readiness rises smoothly (logistic, width ``change_leader_spread``) around
    that point, so no single mindset value switches leadership on or off (assumption;
    a spread of 0 gives the hard threshold).
    """
    mech = model.params.mechanisms
    x = model.mindset - (mech.change_leader_mindset - gap)
    if mech.change_leader_spread <= 0.0:
        return model.willing & (x >= 0.0)
    return model.willing * (0.5 + 0.5 * np.tanh(x / (2.0 * mech.change_leader_spread)))


def _coach(model: CIModel, step: StepMeetings, n: int) -> np.ndarray:
    """Anchor through relations: coach willing people into change leaders (C4.4, C2.20).

    During the handover the backbone coaches change leaders to take over its roles:
    each coaching meeting moves ``handover_gain * trust`` of the remaining leadership
    to the person (C2.22, C3.7); before, coaching moves ``coaching_lead_gain * trust``.
    A handover to people who do not trust the backbone, or to nobody, moves little.
    """
    mech = model.params.mechanisms
    ready = leader_readiness(model, gap=0.15)
    handing_over = model.phase is Phase.HANDOVER
    weight = 0.2 + ready * (1.0 - model.change_leader) + 2.0 * handing_over * model.change_leader
    people = model.backbone.choose_people(n, weight)
    _backbone_talk(model, step, people, depth=0.5)
    chance = 0.05 * model.trust_bb[people] * leader_readiness(model)[people]
    promote = people[model.rng.random(people.shape[0]) < chance]
    model.change_leader[promote] = True
    cl = people[model.change_leader[people]]
    gain = mech.handover_gain if handing_over else mech.coaching_lead_gain
    add = np.bincount(cl, weights=gain * model.trust_bb[cl], minlength=model.leads.shape[0])
    model.leads += np.minimum(add, 1.0) * (1.0 - model.leads)
    return people


def _meet_leaders(model: CIModel, step: StepMeetings, n: int) -> np.ndarray:
    """Anchor through capabilities: mandate, resources, data access with leaders (C4.3).

    A leader commits mandate in proportion to their own will and trust in the
    backbone: access to decision makers is earned, not given (C3.6).
    """
    weight = model.is_leader * (1.1 - model.mandate[model.person_org])
    people = model.backbone.choose_people(n, weight)
    _backbone_talk(model, step, people, depth=0.3)
    org = model.person_org[people]
    buy_in = model.willing[people] * model.trust_bb[people]
    gain = np.bincount(org, weights=0.03 * buy_in, minlength=model.mandate.shape[0])
    model.mandate += np.clip(gain, 0, 1) * (1.0 - model.mandate)
    return people


def _deliver(model: CIModel, step: StepMeetings) -> np.ndarray:
    """Staff added by growth deliver services to people themselves (C2.17, C3.3).

    Each delivery meeting takes over a piece of an organisation's work (``delivered``
    rises) and is a meeting with the backbone instead of with other organisations.
    """
    mech = model.params.mechanisms
    extra = max(0.0, model.backbone.staff - model.params.backbone.staff)
    n = model.rng.poisson(extra * mech.meetings_per_fte_year * model.dt)
    people = model.backbone.choose_people(n, np.ones(model.person_org.shape[0]))
    _backbone_talk(model, step, people, depth=0.2, dialogue=False)
    per_org = np.bincount(model.person_org[people], minlength=model.delivered.shape[0])
    model.delivered += (1.0 - (1.0 - 0.02) ** per_org) * (1.0 - model.delivered)
    return people


def _backbone_talk(
    model: CIModel, step: StepMeetings, people: np.ndarray, depth: float, dialogue: bool = True
) -> None:
    """A backbone meeting with each of ``people``: trust and bounded-confidence influence.

    ``depth`` is 1 for open coffee talks (C2.23) and lower for task meetings, which build
    less trust and move mindsets less (assumption). Too much disturbance makes talks less
    comfortable (C2.14): trust gains shrink by ``0.5 * disturbance**2``. People move
    toward the backbone staff's own mindset when it lies within their confidence bound
    (Deffuant), which widens with trust; delivery meetings (``dialogue=False``) build
    trust but do not move mindsets.
    """
    if people.shape[0] == 0:
        return
    mech, bb = model.params.mechanisms, model.backbone
    times = np.bincount(people, minlength=model.person_org.shape[0])
    people = np.flatnonzero(times)
    k = times[people]
    q = depth * model.bb_quality[people] * (1.0 - 0.5 * model.params.backbone.disturbance**2)
    model.trust_bb[people] = kernels.gain_trust(
        model.trust_bb[people], q, min(1.0, 2 * mech.trust_gain), k
    )
    eps = mech.confidence * curiosity(model) + mech.confidence_trust * model.trust_bb[people]
    if dialogue:  # delivering a service is not a conversation about the problem (C2.17)
        mu = -np.expm1(k * np.log1p(-depth * mech.convergence))  # k meetings compound
        pull = kernels.confidence_pull(model.mindset[people], bb.mindset, eps, mu)
        model.mindset[people] += pull
    step.via += times
    step.per_org += np.bincount(model.person_org[people], minlength=step.per_org.shape[0])


def _broker(model: CIModel, step: StepMeetings, n: int) -> None:
    """The backbone convenes people across distant logics who did not know each other (C2.21).

    Each convening brings ``brokered_ties`` pairs together: a person and someone of
    another organisation, drawn with weight rising with the distance of their logics.
    Pairs that are not yet acquainted become new ties (C2.21); all meet with
    facilitation. Without network dynamics, convenings use existing weak ties. For the
    people brokered, the meeting is one the backbone convened (it counts toward their
    dependence, C2.17).
    """
    k = model.params.mechanisms.brokered_ties * n
    if k <= 0:
        return
    engaged = model.engaged_people
    if not model.params.switches.network_dynamics:
        c = model.contacts
        w = c.cross * (1.05 - model.trust) * (0.5 + model.edge_distance)
        w = w * engaged[c.a] * engaged[c.b]
        edges = _draw(model.rng, w, k)
        step.add_ties(edges, 1.0)
        step.via += np.bincount(c.a[edges], minlength=step.via.shape[0])
        step.via += np.bincount(c.b[edges], minlength=step.via.shape[0])
        return
    first = _draw(model.rng, engaged * model.bb_quality, k)
    if first.shape[0] == 0:  # nobody it can reach (e.g. a vanishing logic_distance_scale)
        return
    other = _draw(model.rng, engaged, k)
    keep = model.person_org[first] != model.person_org[other]
    first, other = first[keep], other[keep]
    d = distance(model.org_pos[model.person_org[first]], model.org_pos[model.person_org[other]])
    keep = model.rng.random(first.shape[0]) < 0.5 + d  # prefer distant logics
    step.add_ties(model.connect(np.stack([first[keep], other[keep]], axis=1)), 1.0)
    n_people = step.via.shape[0]
    step.via += np.bincount(first[keep], minlength=n_people)
    step.via += np.bincount(other[keep], minlength=n_people)


def _introductions(model: CIModel, step: StepMeetings, lead: np.ndarray) -> None:
    """Local change leaders introduce colleagues to their contacts elsewhere (C2.20, C4.4).

    Each cross tie of a person with leadership ``l`` yields an introduction at
    ``introductions_per_year * l / contacts`` per year: a colleague of the leader meets
    the contact, and the two become acquainted. This is the field's own way of growing
    its network; without network dynamics there are no introductions.
    """
    if not model.params.switches.network_dynamics:
        return
    c, mech = model.contacts, model.params.mechanisms
    la, lb = model.leads[c.a], model.leads[c.b]
    per_tie = mech.introductions_per_year / model.params.organisations.contacts
    p = model.rate(per_tie * np.maximum(la, lb)) * c.cross
    engaged = model.engaged_people
    p = p * engaged[c.a] * engaged[c.b]
    chosen = np.flatnonzero(model.rng.random(c.size) < p)
    if chosen.shape[0] == 0:
        return
    leader_is_a = la[chosen] >= lb[chosen]
    leader = np.where(leader_is_a, c.a[chosen], c.b[chosen])
    contact = np.where(leader_is_a, c.b[chosen], c.a[chosen])
    per = model.params.organisations.people
    colleague = model.person_org[leader] * per + model.rng.integers(0, per, leader.shape[0])
    ok = colleague != leader
    step.add_ties(model.connect(np.stack([colleague[ok], contact[ok]], axis=1)), 0.5)


def _draw(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    """Return ``k`` indices drawn with replacement with probability ``weight``."""
    cum = np.cumsum(weight)
    if k <= 0 or cum.shape[0] == 0 or cum[-1] <= 0:
        return np.empty(0, dtype=np.int64)
    return np.searchsorted(cum, rng.random(k) * cum[-1], side="right").astype(np.int64)


def curiosity(model: CIModel) -> float:
    """Openness of conversations; pressure to deliver crowds it out (C5.4, C3.8)."""
    return 1.0 - 0.5 * model.steering


def _meet_on_ties(
    model: CIModel, edges: np.ndarray, facilitation: np.ndarray, count: np.ndarray
) -> None:
    """Trust grows on ties that met; partners influence each other's mindsets (C2.20).

    Trust gain falls with logic distance; facilitation and shared understanding let
    distant logics connect (C3.9, C2.3). Mindsets follow the generalised Deffuant rule,
    the step's meetings taking place one after another in random order (so the step
    length does not change how far minds move): the confidence bound widens with trust;
    change leaders hold their view, moving only ``1 - leader_commitment`` as far as
    others (C2.20; assumption).
    """
    if edges.shape[0] == 0:
        return
    mech, c = model.params.mechanisms, model.contacts
    scale = mech.logic_distance_scale * (1.0 + facilitation + model.code_knowledge)
    q = kernels.meeting_quality(model.edge_distance[edges], scale)
    # a tie listed twice (met directly and brokered) gets both meetings' gains
    log_keep = np.log1p(-np.clip(mech.trust_gain * q, 0.0, 1.0 - 1e-12))
    gain = -np.bincount(edges, weights=count * log_keep, minlength=c.size)
    met = np.flatnonzero(gain)
    model.trust[met] += -np.expm1(-gain[met]) * (1.0 - model.trust[met])
    model.tie_idle[met] = 0.0
    eps = mech.confidence * curiosity(model) + mech.confidence_trust * model.trust[edges]
    held = 1.0 - mech.leader_commitment * model.change_leader
    a, b = np.repeat(c.a[edges], count), np.repeat(c.b[edges], count)
    order = model.rng.permutation(a.shape[0])  # the step's meetings, one after another
    model.mindset = kernels.sequential_confidence(
        model.mindset, a, b, np.repeat(eps, count), mech.convergence, held, order
    )


def _update_dependence(model: CIModel, step: StepMeetings) -> None:
    """Smoothed (about a year) counts of each person's meetings with the backbone and others."""
    r = model.rate(1.0)
    model.met_via += r * (step.via / model.dt - model.met_via)
    model.met_direct += r * (step.direct / model.dt - model.met_direct)


def _update_reach(model: CIModel, per_org: np.ndarray) -> None:
    """Backbone reach per organisation: meetings per person-year, smoothed over ~6 months."""
    per_year = per_org / (model.params.organisations.people * model.dt)
    model.reach += model.rate(2.0) * (per_year - model.reach)


def _lose_trust(model: CIModel) -> None:
    """Betrayal-like erosion: dominating actors and a captured backbone (C2.10, C2.16)."""
    dom = (model.stance == Stance.DOMINATING).astype(float)
    hit = np.maximum(dom[model.edge_org_a], dom[model.edge_org_b]) * model.contacts.cross
    model.trust *= 1.0 - model.rate(0.5 * hit)
    if model.backbone is not None:
        cap = model.backbone.capture
        d = 1.0 - model.bb_quality
        model.trust_bb *= 1.0 - model.rate(2.0 * cap * d)


# --- activities, successes, credit ------------------------------------------------------


def run_activities(model: CIModel) -> None:
    """Joint trial actions that succeed stochastically; credit raises will (C2.4, C3.11).

    The backbone orchestrates activities (develop capabilities, C4.2); organisations led
    by local change leaders start some themselves (C2.20). Success is likelier with
    willing, like-minded, trusting, understanding and mandated actors (assumed logistic
    form). Participants build trust even when an action fails (the "kilometres run
    together", C2.4), and people of the organisations get to know each other.
    """
    rate = _activity_rate(model)
    n_act = model.rng.poisson(rate * model.dt)
    engaged = np.flatnonzero(model.taking_part)
    n_act = min(n_act, engaged.shape[0] // 3)
    model.success *= 1.0 - model.rate(0.5)
    model.capability *= 1.0 - model.rate(0.2)
    if n_act > 0:
        will = _org_will(model)
        chosen = _choose_without_replacement(model.rng, engaged, 0.2 + will[engaged], 3 * n_act)
        act = np.full(len(model.organisations), -1)
        act[chosen] = np.repeat(np.arange(n_act), 3)
        _settle_activities(model, act, n_act)


def _choose_without_replacement(
    rng: np.random.Generator, items: np.ndarray, weight: np.ndarray, k: int
) -> np.ndarray:
    """Return ``k`` distinct ``items`` drawn with probability proportional to ``weight``.

    Efraimidis-Spirakis keys: the ``k`` largest ``u ** (1 / w)``.
    """
    keys = np.log(rng.random(items.shape[0])) / weight
    return items[np.argsort(-keys, kind="stable")[:k]]


def _activity_rate(model: CIModel) -> float:
    cl = LOCAL_ACTIVITIES_PER_YEAR * float(model.leadership().sum())
    if model.backbone is None:
        return cl
    share = model.backbone.task_shares()[Task.DEVELOP_CAPABILITIES]
    mech = model.params.mechanisms
    return cl + mech.activities_per_fte_year * model.backbone.budget() * share


def _settle_activities(model: CIModel, act: np.ndarray, n_act: int) -> None:
    if model.params.switches.network_dynamics:
        _acquaint_participants(model, act, n_act)
    c = model.contacts
    aa, ab = act[model.edge_org_a], act[model.edge_org_b]
    inside = c.cross & (aa >= 0) & (aa == ab)
    tie_trust = np.bincount(aa[inside], weights=model.trust[inside], minlength=n_act)
    tie_count = np.bincount(aa[inside], minlength=n_act)
    part = np.flatnonzero(act >= 0)
    group = act[part]
    mean_of = lambda x: np.bincount(group, weights=x[part], minlength=n_act) / 3.0  # noqa: E731
    logit = (
        -2.5
        + 2.0 * mean_of(_org_will(model))
        + 2.0 * mean_of(model.org_mean(model.mindset))
        + 1.5 * tie_trust / np.maximum(tie_count, 1)
        + 1.5 * model.code_knowledge
        + 1.0 * mean_of(model.mandate)
        - 1.0 * model.steering  # deadlines rush trial actions (C3.4)
    )
    won = model.rng.random(n_act) < 1.0 / (1.0 + np.exp(-logit))
    gain = np.where(won[group], 0.2, 0.05)  # failures teach a little too (C2.4)
    model.capability[part] += gain * (1.0 - model.capability[part])
    _credit(model, part[won[group]])
    edges = np.flatnonzero(inside)
    q = kernels.meeting_quality(
        model.edge_distance[edges], model.params.mechanisms.logic_distance_scale * 1.5
    )
    factor = 0.5 + 0.5 * won[aa[edges]]
    model.trust[edges] = kernels.gain_trust(
        model.trust[edges], q * factor, model.params.mechanisms.trust_gain
    )
    model.tie_idle[edges] = 0.0


def _acquaint_participants(model: CIModel, act: np.ndarray, n_act: int) -> None:
    """People of organisations in one activity get to know each other (C2.4, C2.21)."""
    per = model.params.organisations.people
    part = np.flatnonzero(act >= 0)
    part = part[np.argsort(act[part], kind="stable")].reshape(n_act, 3)
    pairs = np.concatenate([part[:, [0, 1]], part[:, [1, 2]], part[:, [0, 2]]])
    people = pairs * per + model.rng.integers(0, per, pairs.shape)
    model.connect(people)


def _credit(model: CIModel, orgs: np.ndarray) -> None:
    """Successes become practice; credit goes to the actors or to the backbone (C3.11).

    Credit to the actors raises their will; credit taken by the backbone costs trust in
    it and pushes people back into their own logics, but makes the backbone visible to
    its funders (:func:`_funders_doubt`).
    """
    if orgs.shape[0] == 0:
        return
    bb = model.backbone
    taken = model.params.backbone.credit_taking if bb is not None else 0.0
    model.practice[orgs] += 0.05 * (1.0 - model.delivered[orgs]) * (1 - model.practice[orgs])
    model.success[orgs] = np.minimum(1.0, model.success[orgs] + 0.15 * (1 - taken))
    if bb is None:
        return
    bb.credited += taken * orgs.shape[0]
    people = np.isin(model.person_org, orgs)
    model.trust_bb[people] = (1.0 - 0.3 * taken) * kernels.gain_trust(
        model.trust_bb[people], 1.0, 0.1 * (1 - taken)
    )
    back = model.default_mindset[model.person_org[people]]
    model.mindset[people] += 0.1 * taken * (back - model.mindset[people])


# --- will, change leaders, leadership -------------------------------------------------------


def _org_will(model: CIModel) -> np.ndarray:
    """Will of each organisation: its leader's willingness and its staff's (C2.7)."""
    staff = model.org_mean(model.willing.astype(float))
    return 0.5 * model.willing[model.leader_of] + 0.5 * staff


def update_minds(model: CIModel) -> None:
    """Shared will by threshold mobilisation; change leaders; mindset relapse (C2.1, C2.20).

    Exposure is ``(pull + anchor) / (daily + weight + anchor) + 0.2 * success``: ``pull``
    sums trust over willing contacts, ``weight`` over all contacts, each contact counting
    ``1 + leader_voice * leadership`` (people listen to leaders, C2.7); ``anchor`` is a
    willing anchor, the larger of ``2 * trust in the backbone`` (while it works) and
    ``local_anchor * leadership`` of the own organisation (C2.22); ``daily`` is a prior
    ``1 + 2 * routine`` of not-willing voices, the core task's pressure (C5.5);
    ``success`` is the will that credited successes bring (C3.11). Assumed forms.
    """
    mech, c = model.params.mechanisms, model.contacts
    n = model.person_org.shape[0]
    engaged = model.engaged_people
    w = model.trust * engaged[c.a] * engaged[c.b]
    voice = 1.0 + mech.leader_voice * model.leads  # people listen to leaders (C2.7)
    willing = model.willing * voice
    # the leadership around each person (read by _update_change_leaders) in the same pass
    pull, weight, inspired = network.neighbour_sum(c, w, np.stack([willing, voice, model.leads]), n)
    anchor = mech.local_anchor * model.leadership()[model.person_org]
    if model.backbone is not None:
        anchor = np.maximum(anchor, 2.0 * model.trust_bb)
    daily = 1.0 + 2.0 * model.routine[model.person_org]  # the core task competes (C5.5)
    exposure = (pull + anchor) / (daily + weight + anchor) + 0.2 * model.success[model.person_org]
    model.willing = kernels.mobilise(exposure, model.threshold, model.willing, mech.will_hysteresis)
    _relapse_mindsets(model)
    _update_change_leaders(model, inspired)
    transfer_leadership(model)
    _watch_the_field(model)


def _relapse_mindsets(model: CIModel) -> None:
    """Mental models drift back to the own logic unless disturbed (C2.15, C3.11)."""
    org = model.person_org
    rate = model.rate(model.params.mechanisms.mindset_relapse_per_year)
    pull = rate * model.routine[org] * (1.0 - disturbance(model)[org])
    model.mindset += pull * (model.default_mindset[org] - model.mindset)


def _update_change_leaders(model: CIModel, inspired: np.ndarray) -> None:
    """Change leaders emerge among willing, changed people and fade when will goes (C2.20).

    People become change leaders at ``readiness * (0.03 + inspiration_per_year *
    min(1, inspired))`` per year (:func:`leader_readiness`), ``inspired`` summing trust
    times leadership over their ties: leaders inspire others to lead (C2.20, C4.4). The
    backbone also promotes people it coaches (:func:`_coach`). Change leaders give the
    role up at ``QUIT_PER_YEAR * (1 - keep)``, ``keep`` being their readiness measured
    ``0.15 + KEEP_GAP_SPREADS * change_leader_spread`` lower (hysteresis): about half a
    year once will or mindset is gone. Initiators stay committed. ``inspired`` is that
    sum per person, computed by :func:`update_minds` in its pass over the ties.
    """
    mech = model.params.mechanisms
    n = model.person_org.shape[0]
    hazard = leader_readiness(model) * (
        0.03 + mech.inspiration_per_year * np.minimum(1.0, inspired)
    )
    model.change_leader |= model.rng.random(n) < model.rate(hazard)
    keep = leader_readiness(model, gap=0.15 + KEEP_GAP_SPREADS * mech.change_leader_spread)
    quit_ = model.rng.random(n) < model.rate(QUIT_PER_YEAR * (1.0 - keep))
    model.change_leader &= ~quit_ | model.initiator


def transfer_leadership(model: CIModel) -> None:
    """Change leaders earn leadership; others lose it (C2.20, C2.22, C4.4).

    A change leader's leadership grows at ``leadership_growth_per_year * trust`` toward 1,
    ``trust`` being the mean trust on their cross-organisation ties (people follow those
    they trust across borders), slowed by ``crowding * dependence`` when the backbone
    holds the convening role (C2.17, C3.2). People who are not change leaders lose
    leadership at ``leadership_decay_per_year``. The backbone adds leadership by coaching,
    most during a handover (:func:`_coach`). Leavers take theirs with them.
    """
    mech, sw = model.params.mechanisms, model.params.switches
    cl = model.change_leader
    if sw.local_leadership:
        trust = model.cross_trust()
        room = 1.0 - mech.crowding * model.person_dependence() if sw.crowding_out else 1.0
        grow = model.rate(mech.leadership_growth_per_year * trust * room)
        model.leads += cl * grow * (1.0 - model.leads)
    model.leads -= ~cl * model.rate(mech.leadership_decay_per_year) * model.leads
    model.leads[model.initiator] = np.maximum(model.leads[model.initiator], 1.0)


def _watch_the_field(model: CIModel) -> None:
    """Log when the effort relapses and when it is mobilised anew (C2.22).

    Descriptive only (nothing reads these events): a relapse is logged when, without a
    backbone, local leadership is below 0.1 and shared will has fallen below half its
    peak while the backbone worked; a remobilisation when leadership passes 0.3 or will
    regains three quarters of that peak.
    """
    if model.phase is Phase.MOBILISATION:
        return
    lead = kernels.mean(model.leadership())
    will = kernels.mean(model.willing)
    if model.backbone is not None:
        model.peak_will = max(model.peak_will, will)
    low = will < 0.5 * model.peak_will
    if not model.relapsed and model.backbone is None and lead < 0.1 and low:
        model.relapsed = True
        model.log_event("relapse", f"local leadership {lead:.2f}, shared will {will:.2f}")
    elif model.relapsed and (lead > 0.3 or will > 0.75 * model.peak_will):
        model.relapsed = False
        model.log_event("remobilisation", f"local leadership {lead:.2f}, shared will {will:.2f}")


def disturbance(model: CIModel) -> np.ndarray:
    """Disturbance of routines per organisation, in [0, 1] (C2.15, C2.22).

    The backbone's disturbance reaches organisations it meets often, and wears off as
    they get used to it (:func:`habituate`); change leaders disturb their own
    organisation in proportion to the leadership they hold.
    """
    d = model.params.mechanisms.change_leader_disturbance * model.leadership()
    if model.backbone is not None:
        d = d + backbone_disturbance(model) * (1.0 - model.habituation)
    return np.clip(d, 0.0, 1.0)


def backbone_disturbance(model: CIModel) -> np.ndarray:
    """The backbone's raw disturbance per organisation, before habituation."""
    reach = 1.0 - np.exp(-model.reach / 2.0)
    return np.minimum(1.0, 1.5 * model.params.backbone.disturbance * reach)


def habituate(model: CIModel) -> None:
    """Organisations get used to a disturbance that never changes form (C2.15, C3.12).

    Habituation grows at ``habituation_per_year * raw disturbance`` and wears off at
    ``habituation_recovery_per_year`` when the backbone does not disturb. A backbone that
    changes how it works (adaptive allocation) renews its disturbance
    (:meth:`ci_sim.agents.Backbone.adapt_allocation`).
    """
    mech = model.params.mechanisms
    if not model.params.switches.habituation:
        return
    raw = backbone_disturbance(model) if model.backbone is not None else 0.0
    h = model.habituation
    h += model.rate(mech.habituation_per_year * raw) * (1.0 - h)
    h -= model.rate(mech.habituation_recovery_per_year * (1.0 - raw)) * h


# --- shared understanding (March 1991) --------------------------------------------------


def learn_together(model: CIModel) -> None:
    """The shared problem analysis learns from members and socialises them (C2.3, C3.12).

    Gathering around a shared analysis is what lets change succeed (C0.2). It is
    March's (1991) organisational code: members attached to the initiative adopt
    it (socialisation), and it learns from members who know more, weighted by voice:
    organisations that share data (C2.9) and, under a captured backbone, those close
    to it (C2.16). The problem itself changes on the way (C5.3, C3.12): each dimension
    of the root causes flips at ``problem_drift_per_year``.
    """
    mech, spy = model.params.mechanisms, model.params.simulation.steps_per_year
    if model.params.switches.problem_drift:
        flip = model.rng.random(model.reality.shape[0]) < kernels.per_step(
            mech.problem_drift_per_year, spy
        )
        model.reality[flip] *= -1
    _share_data(model)
    engaged = model.engaged_people
    bb = model.trust_bb if model.backbone is not None else np.zeros_like(model.trust_bb)
    attached = engaged * np.maximum.reduce([bb, 0.6 * model.change_leader, 0.2 * model.willing])
    p1 = kernels.per_step(min(1.0, mech.socialisation * (1 + 2 * model.steering)), spy) * attached
    old_code = model.code
    capacity = _analysis_capacity(model)
    if capacity > 0:  # both updates read the state at the start of the step (March p. 74)
        p2 = kernels.per_step(mech.code_learning * capacity * (1 - 0.5 * model.steering), spy)
        model.code = kernels.learn_code(
            old_code, model.beliefs, model.reality, p2, model.rng, _voice(model) * attached
        )
    model.beliefs = kernels.socialise(model.beliefs, old_code, p1, model.rng)
    model.code_knowledge = float(kernels.knowledge(model.code, model.reality))


def _analysis_capacity(model: CIModel) -> float:
    """Who keeps the shared analysis alive: the backbone (C4.2) or local change leaders."""
    local = min(0.3, 0.5 * kernels.mean(model.leadership()))
    if model.backbone is not None:
        share = model.backbone.task_shares()[Task.DEVELOP_CAPABILITIES]
        return max(local, min(1.0, 0.3 + 2.8 * share * model.backbone.budget() / 3.0))
    return local


def _voice(model: CIModel) -> np.ndarray:
    """Weight of each person in the shared analysis (C2.9, C2.16, C2.10).

    Data sharers and dominating actors weigh more; under a backbone that has drifted
    toward some logics (capture), those close to it are heard more.
    """
    voice = np.where(model.data_shared, 1.0, 0.3)
    voice = voice * np.where(model.stance == Stance.DOMINATING, 3.0, 1.0)
    if model.backbone is not None:
        cap = model.backbone.capture
        near = np.exp(-distance(model.org_pos, model.backbone.position) / 0.2)
        voice = voice * ((1.0 - cap) + cap * near)
    return voice[model.person_org]


def _share_data(model: CIModel) -> None:
    """Data sharing, the first acid test of will (C2.9)."""
    leader_willing = model.willing[model.leader_of]
    trusting = model.leadership() >= 0.3
    if model.backbone is not None:
        trusting |= model.org_mean(model.trust_bb) >= 0.25
    new = leader_willing & trusting & ~model.data_shared
    for i in np.flatnonzero(new):
        model.log_event("data_shared", model.organisations[i].name)
    model.data_shared = (model.data_shared | new) & leader_willing


# --- routines, practice, mandate, policy frame ------------------------------------------


def change_practice(model: CIModel) -> None:
    """Practice grows with will and mindset, is pulled back to routine, and anchors.

    Push: will x mindset x mandate x capability from joint activities (C2.20, C4.2,
    C4.3); the four tasks are preconditions of each other, and without anchoring a
    free-floating backbone's ideas rarely become practice (C2.13). Work the backbone
    delivers itself crowds the organisations' own practice out (C2.17). Pull: routines
    pull practice back to the anchored habit, weakened by disturbance (C1.1, C2.15).
    Habit: practice becomes routine where mandate and mindset carry it (C4.3, C2.20).
    """
    mech = model.params.mechanisms
    engaged = model.taking_part
    mind = model.org_mean(model.mindset)
    will = _org_will(model)
    crowd = 1.0 - 0.7 * model.delivered
    capable = (0.1 + 0.9 * model.mandate) * (0.1 + 0.9 * model.capability)
    push = model.rate(mech.practice_push_per_year * will * mind * capable * crowd * engaged)
    model.practice += push * (1.0 - model.practice)
    habituate(model)
    model.practice = kernels.relax_practice(
        model.practice,
        model.habit,
        model.routine,
        disturbance(model),
        model.rate(mech.routine_pull_per_year),
    )
    gap = model.practice - model.habit
    anchor = model.rate(mech.anchoring_per_year * model.mandate * mind)
    model.habit += np.where(gap > 0, anchor * gap, model.rate(0.2) * gap)
    model.habit -= model.rate(FORGETTING) * model.habit
    _update_mandate(model, will)
    _update_delivery(model)
    _update_policy(model, will, mind)


def _update_mandate(model: CIModel, will: np.ndarray) -> None:
    """Leaders with buy-in commit mandate and resources; it erodes slowly (C2.7, C4.3).

    A steering group that sets goals also asks its member leaders for formal commitment:
    willing leaders commit mandate at ``steering_mandate * goal_steering`` (C3.4).
    """
    mech = model.params.mechanisms
    leader_will = model.willing[model.leader_of]
    commit = 0.05 * mech.mandate_per_year * leader_will * model.mindset[model.leader_of]
    if model.params.switches.steering_mandate:
        commit = commit + mech.steering_mandate * model.params.governance.goal_steering * (
            leader_will * model.taking_part
        )
    model.mandate += model.rate(commit) * (1.0 - model.mandate)
    model.mandate -= model.rate(0.1 * (1.0 - will)) * model.mandate


def _update_delivery(model: CIModel) -> None:
    """What the backbone delivers itself fades unless renewed (C2.17, C3.3)."""
    model.delivered *= 1.0 - model.rate(1.0)


def _update_policy(model: CIModel, will: np.ndarray, mind: np.ndarray) -> None:
    """A policy frame changes when enough aligned, mobilised power pushes (C5.3, C5.6).

    The push is the power-weighted will x mindset x practice of taking-part organisations
    (pilots that work make the case), scaled by the shared understanding. Above
    ``policy_threshold`` a window opens at random or at a scheduled year. A change moves
    the frame by ``policy_step`` and changes the incentives organisations face
    (:func:`_new_incentives`), and the task itself changes (C5.3).
    """
    env = model.params.environment
    engaged = model.taking_part
    push = float(model.power @ (engaged * will * mind * model.practice))
    push *= 0.5 + 0.5 * model.code_knowledge
    ready = model.year - model.last_policy_year >= env.policy_cooldown_years
    if push < env.policy_threshold or not ready or model.policy >= 1.0:
        return
    now = round(model.time)
    scheduled = any(model.step_of(y) <= now < model.step_of(y + 1.0) for y in env.policy_windows)
    p = model.rate(12.0 if scheduled else env.policy_window_per_year)  # hazards per year
    if model.rng.random() < p:
        step = min(env.policy_step, 1.0 - model.policy)
        model.policy += step
        model.last_policy_year = model.year
        model.log_event("policy_change", f"policy frame at {model.policy:.2f}")
        _new_incentives(model, step)


def _new_incentives(model: CIModel, step: float) -> None:
    """A changed frame changes what organisations face (C5.6, C5.3, C5.2).

    Regulation and funding now back the new way: routines hold less (``routine`` falls
    by ``30% * step``), interests compete less (``stake`` falls by ``30% * step``), will
    comes easier (thresholds fall by ``0.1 * step``), and resources follow (mandate
    rises by ``30% * step`` of what is missing). The problem changes with the frame:
    ``policy_problem_shift`` of its dimensions flip (C5.3).
    """
    if model.params.switches.policy_incentives:
        model.routine *= 1.0 - 0.3 * step
        model.stake *= 1.0 - 0.3 * step
        model.threshold = np.maximum(0.0, model.threshold - 0.1 * step)
        model.mandate += 0.3 * step * (1.0 - model.mandate)
    if model.params.switches.problem_drift:
        flip = (
            model.rng.random(model.reality.shape[0]) < model.params.mechanisms.policy_problem_shift
        )
        model.reality[flip] *= -1


# --- stances and turnover ---------------------------------------------------------------


def shift_stances(model: CIModel) -> None:
    """Organisations dominate or withdraw; the backbone confronts and pulls in (C2.10, C2.14).

    Hazards per year (assumed forms): powerful actors with high stakes try to dominate,
    ``0.3 * power/max_power * stake``, deterred by an independent backbone by
    ``1 - 0.6 * independence`` except its own host (C2.16). A dominating actor is
    confronted at ``0.3 + 3 * independence`` (never its host: 0.3). Actors with little
    will and trust withdraw at ``0.3 * stake * (1 - will) * (1 - trust)``; relationship
    work pulls them back at ``0.3 + 4 * develop_relations share``; local leadership in
    the field pulls at ``0.3 * mean leadership`` (C2.14, C3.10).
    """
    n = len(model.organisations)
    bb = model.backbone
    ind = model.params.backbone.independence if bb is not None else 0.0
    host = np.zeros(n, dtype=bool)
    if bb is not None:
        host[bb.hosts] = True
    lead = model.leadership()
    will = _org_will(model)
    trust = model.org_mean(model.trust_bb) if bb is not None else lead
    deter = np.where(host, 0.0, 0.6 * ind)
    dominate = 0.3 * model.power / model.power.max() * model.stake * (1.0 - deter)
    withdraw = 0.3 * model.stake * (1.0 - will) * (1.0 - trust)
    relations = bb.task_shares()[Task.DEVELOP_RELATIONS] if bb is not None else 0.0
    confront = np.where(host, 0.3, 0.3 + 3.0 * ind)
    pull_in = 0.3 + 4.0 * relations + 0.3 * kernels.mean(lead)
    back = np.where(model.stance == Stance.DOMINATING, confront, pull_in)
    u = model.rng.random((3, n))
    engaged = model.stance == Stance.ENGAGED
    to_dom = engaged & (u[0] < model.rate(dominate))
    to_wd = engaged & ~to_dom & (u[1] < model.rate(withdraw))
    to_eng = ~engaged & (model.stance != Stance.LEFT) & (u[0] < model.rate(back))
    to_left = _let_go(model, u[2], will) & ~to_dom & ~to_eng
    for target, mask in (
        (Stance.DOMINATING, to_dom),
        (Stance.WITHDRAWN, to_wd & ~to_left),
        (Stance.ENGAGED, to_eng),
        (Stance.LEFT, to_left),
    ):
        for i in np.flatnonzero(mask):
            model.organisations[i].set_stance(target)


def _let_go(model: CIModel, u: np.ndarray, will: np.ndarray) -> np.ndarray:
    """Organisations the backbone stops working with: no will for two years (C2.10).

    Each organisation counts the years its will has stayed below 0.2 while a backbone
    works; after two such years the backbone lets it go at the yearly hazard
    ``backbone.let_go``. Initiators' organisations are kept. ``will`` is
    :func:`_org_will` this step.
    """
    idle = (will < 0.2) & (model.backbone is not None)
    model.idle_years = np.where(idle, model.idle_years + model.dt, 0.0)
    rate = model.params.backbone.let_go
    if model.backbone is None or rate <= 0:
        return np.zeros(u.shape[0], dtype=bool)
    keep = np.bincount(model.person_org, weights=model.initiator, minlength=u.shape[0]) > 0
    due = (model.idle_years >= 2.0) & (model.stance != Stance.LEFT) & ~keep
    return due & (u < model.rate(rate))


def turn_over(model: CIModel) -> None:
    """People leave at the turnover rate; acquaintances come by chance and fade (C2.7, C2.24).

    Everyone meets new people elsewhere by chance in ordinary work, at
    ``chance_acquaintances_per_year`` per person; a cross tie that has not met for
    ``tie_fade_years`` and whose trust is below ``tie_fade_trust`` is forgotten.
    """
    rate = kernels.per_step(
        model.params.organisations.turnover_per_year, model.params.simulation.steps_per_year
    )
    leavers = np.flatnonzero(model.rng.random(model.person_org.shape[0]) < rate)
    replace_people(model, leavers)
    if model.params.switches.network_dynamics:
        mech = model.params.mechanisms
        n = model.person_org.shape[0]
        k = model.rng.poisson(mech.chance_acquaintances_per_year * n * model.dt)
        model.connect(
            network.random_cross_pairs(model.person_org, model.rng.integers(0, n, k), 1, model.rng)
        )
        faded = (
            model.contacts.cross
            & (model.tie_idle >= mech.tie_fade_years)
            & (model.trust < mech.tie_fade_trust)
        )
        if faded.any():
            model.keep_ties(~faded)


def replace_people(model: CIModel, people: np.ndarray) -> None:
    """Replace ``people`` by newcomers: default mindset, no will, no trust (C2.24).

    Leavers take their acquaintances in other organisations with them; a newcomer
    knows as many people elsewhere as anyone did at the start (drawn at random, with
    little trust) and starts colleague ties without trust. A new leader
    reviews the organisation's commitments: mandate drops by 20% (C2.7).
    """
    if people.shape[0] == 0:
        return
    model.draw_people(people)
    gone = np.zeros(model.person_org.shape[0], dtype=bool)
    gone[people] = True
    if model.params.switches.network_dynamics:
        touched = gone[model.contacts.a] | gone[model.contacts.b]
        model.keep_ties(~(touched & model.contacts.cross))
        k = model.params.organisations.contacts
        fresh = network.random_cross_pairs(model.person_org, people, k, model.rng)
        model.connect(fresh)
        network.reset_trust(model.contacts, model.trust, gone, 0.05, 0.0)
    else:
        network.reset_trust(model.contacts, model.trust, gone, 0.0, 0.0)
    new_leaders = model.person_org[people[model.is_leader[people]]]
    model.mandate[new_leaders] *= 0.8
