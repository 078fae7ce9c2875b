"""Submodels of the step loop, each a function ``(model) -> None``.

The functions are called in the order of :meth:`ci_sim.model.CIModel.step`. They
update the model's arrays vectorised through the kernels in :mod:`ci_sim.kernels`;
no loop runs over pairs of people. Claim ids name the seed passages each mechanism
rests on; numbers without a claim id are modelling assumptions (see ``docs/ODD.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ci_sim import kernels
from ci_sim.agents import Backbone, Phase, Stance, Task
from ci_sim.logics import distance

if TYPE_CHECKING:
    from ci_sim.model import CIModel

#: Meeting kinds that count as relational activity, and whether they run via the backbone.
VIA_BACKBONE = ("coffee", "brokered", "coaching", "leader", "delivery")
#: Cross-organisation ties a brokered convening brings together (assumption).
BROKERED_TIES = 5
#: Yearly share of anchored habit that old routines win back (assumption, C1.1).
FORGETTING = 0.05
DIRECT = ("direct", "activity")


@dataclass
class MeetingTally:
    """Meetings of the current step by kind (for backbone dependence, C2.17, C3.2)."""

    counts: dict[str, float] = field(default_factory=dict)

    def add(self, kind: str, n: float) -> None:
        """Count ``n`` meetings of ``kind``."""
        self.counts[kind] = self.counts.get(kind, 0.0) + float(n)

    def share_via_backbone(self) -> float:
        """Share of cross-organisation meetings that ran through the backbone."""
        via = sum(self.counts.get(k, 0.0) for k in VIA_BACKBONE)
        total = via + sum(self.counts.get(k, 0.0) for k in DIRECT)
        return via / total if total > 0 else 0.0


# --- phases and environment -----------------------------------------------------------


def advance_phase(model: CIModel) -> None:
    """Move through mobilisation, active backbone, handover and sunset (C2.8, C3.7).

    Phase changes happen at the first whole step at or after the year
    (:meth:`ci_sim.model.CIModel.step_of`).
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
        handover = model.step_of(float(bb.sunset_year) - bb.handover_years)
    else:
        handover = np.inf
    if model.phase is Phase.ACTIVE and handover <= now < sunset:
        model.phase = Phase.HANDOVER
        model.log_event("handover_start", "leadership moves to local change leaders")
    if model.backbone is not None and now >= sunset:
        model.backbone.remove()
        model.backbone = None
        model.phase = Phase.AFTER_SUNSET
        model.log_event("sunset", "handover done" if bb.handover else "no handover")


def apply_shocks(model: CIModel) -> None:
    """Random and scheduled shocks: funding cut, leader wave, delivery pressure (C5.4)."""
    env = model.params.environment
    spy = model.params.simulation.steps_per_year
    kinds = {
        "funding_cut": env.funding_cut_per_year,
        "leader_wave": env.leader_wave_per_year,
        "delivery_pressure": env.delivery_pressure_per_year,
    }
    draws = model.rng.random(len(kinds))
    due = [
        k for (k, r), u in zip(kinds.items(), draws, strict=True) if u < kernels.per_step(r, spy)
    ]
    due += [s.kind for s in env.shocks if round(model.time) == model.step_of(s.year)]
    for kind in due:
        _SHOCKS[kind](model)
    if model.time >= model.funding_until:
        model.funding_factor = 1.0
    if model.time >= model.pressure_until:
        model.pressure = 0.0


def _funding_cut(model: CIModel) -> None:
    """Funding is cut for two years: backbone staff and organisations' mandates drop (C2.26)."""
    model.funding_factor = 0.6
    model.funding_until = model.time + model.step_of(2.0)
    model.mandate *= 0.85
    model.log_event("shock_funding_cut", "backbone at 60% for 2 years")


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


# --- meetings and trust ---------------------------------------------------------------


def change_leader_reach(model: CIModel) -> float:
    """How far change leaders can lead, by phase (C2.22, C3.7).

    Initiators lead before a backbone exists (C2.8); change leaders lead fully once
    leadership is handed over; without a handover they are left without a mandate.
    """
    if model.phase is Phase.MOBILISATION:
        return 1.0
    if model.phase is Phase.HANDOVER:
        return 1.0
    if model.phase is Phase.AFTER_SUNSET:
        return 1.0 if model.params.backbone.handover else 0.2
    return 0.5


def meet(model: CIModel) -> None:
    """All meetings of the step: the backbone's, brokered, and direct ones.

    The backbone holds coffee meetings (C2.23), brokers cross-border talks (C2.21),
    coaches change leaders (C4.4) and meets leaders about mandate (C4.3). People also
    meet directly, more often when they trust each other and when change leaders
    convene them (C2.20). Trust decays without contact (C2.24).
    """
    mech = model.params.mechanisms
    model.meetings = MeetingTally()
    model.trust = kernels.decay(model.trust, model.rate(mech.trust_decay_per_year))
    model.trust_bb = kernels.decay(model.trust_bb, model.rate(mech.trust_decay_per_year))
    met = [_direct_meetings(model)]
    contacts_per_org = np.zeros(len(model.organisations))
    if model.backbone is not None:
        met.append(_backbone_meetings(model, contacts_per_org))
    edges = np.concatenate([m[0] for m in met])
    facilitation = np.concatenate([m[1] for m in met])
    _meet_on_ties(model, edges, facilitation)
    _update_reach(model, contacts_per_org)
    _lose_trust(model)


def _direct_meetings(model: CIModel) -> tuple[np.ndarray, np.ndarray]:
    """Ties that meet without the backbone this step (Bernoulli per tie)."""
    mech = model.params.mechanisms
    c = model.contacts
    cl_org = model.org_mean(model.change_leader.astype(float)) > 0
    convened = (cl_org[model.edge_org_a] | cl_org[model.edge_org_b]) * change_leader_reach(model)
    rate = np.where(
        c.cross,
        mech.direct_meetings_per_year * (0.3 + model.trust + 0.5 * convened),
        12.0,  # colleagues meet about monthly
    )
    engaged = model.engaged_people
    p = model.rate(rate) * engaged[c.a] * engaged[c.b]
    edges = np.flatnonzero(model.rng.random(c.size) < p)
    model.meetings.add("direct", c.cross[edges].sum())
    return edges, np.zeros(edges.shape[0])


def _backbone_meetings(
    model: CIModel, contacts_per_org: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The backbone's meetings this step, split over its tasks (C4.1, C4.3, C4.4)."""
    bb, mech = model.backbone, model.params.mechanisms
    bb.drift()
    if model.params.backbone.allocation == "adaptive" and model.time % round(1 / model.dt) == 0:
        bb.adapt_allocation()
    bb.grow()
    shares = bb.task_shares()
    total = mech.meetings_per_fte_year * bb.budget() * model.dt
    # Meetings per task; develop-capabilities effort goes to activities (run_activities).
    n = model.rng.poisson(total * shares)
    extra = bb.staff - model.params.backbone.staff
    model.meetings.add("delivery", extra * mech.meetings_per_fte_year * model.dt)
    relations = n[Task.DEVELOP_RELATIONS]  # half coffee talks, half brokered convenings
    _coffee(model, relations - relations // 2, contacts_per_org)
    _coach(model, n[Task.ANCHOR_RELATIONS], contacts_per_org)
    _meet_leaders(model, n[Task.ANCHOR_CAPABILITIES], contacts_per_org)
    brokered = _choose_bridges(model, relations // 2)
    return brokered, np.ones(brokered.shape[0])


def _coffee(model: CIModel, n: int, contacts_per_org: np.ndarray) -> None:
    """Coffee meetings without agenda: trust in the backbone and mindsets (C2.21, C2.23)."""
    weight = (1.0 + 2.0 * model.is_leader) * (1.2 - model.trust_bb)
    people = model.backbone.choose_people(n, weight)
    _backbone_talk(model, people, contacts_per_org, depth=1.0)
    model.meetings.add("coffee", people.shape[0])


def _coach(model: CIModel, n: int, contacts_per_org: np.ndarray) -> None:
    """Anchor through relations: coach willing people into change leaders (C4.4, C2.20)."""
    mech = model.params.mechanisms
    ready = model.willing & (model.mindset > mech.change_leader_mindset - 0.15)
    weight = 0.2 + ready * (1.0 - model.change_leader)
    people = model.backbone.choose_people(n, weight)
    _backbone_talk(model, people, contacts_per_org, depth=0.5)
    promote = people[
        model.willing[people]
        & (model.mindset[people] >= mech.change_leader_mindset)
        & (model.rng.random(people.shape[0]) < 0.2 * model.trust_bb[people])
    ]
    model.change_leader[promote] = True
    model.meetings.add("coaching", people.shape[0])


def _meet_leaders(model: CIModel, n: int, contacts_per_org: np.ndarray) -> None:
    """Anchor through capabilities: mandate, resources, data access with leaders (C4.3)."""
    weight = model.is_leader * (1.1 - model.mandate[model.person_org])
    people = model.backbone.choose_people(n, weight)
    _backbone_talk(model, people, contacts_per_org, depth=0.3)
    org = model.person_org[people]
    buy_in = model.willing[people] * model.trust_bb[people]
    gain = np.bincount(org, weights=0.03 * buy_in, minlength=model.mandate.shape[0])
    model.mandate += np.clip(gain, 0, 1) * (1.0 - model.mandate)
    model.meetings.add("leader", people.shape[0])


def _backbone_talk(
    model: CIModel, people: np.ndarray, contacts_per_org: np.ndarray, depth: float
) -> None:
    """A backbone meeting with each of ``people``: trust and bounded-confidence influence.

    ``depth`` is 1 for open coffee talks (C2.23) and lower for task meetings about
    change leadership or mandate, which build less trust and move mindsets less
    (assumption). Too much disturbance makes talks less comfortable (C2.14): gains
    shrink by ``0.5 * disturbance**2`` and with logic distance; the mindset pull is
    scaled by ``depth`` only.
    """
    if people.shape[0] == 0:
        return
    mech, bb = model.params.mechanisms, model.params.backbone
    q = depth * model.bb_quality[people] * (1.0 - 0.5 * bb.disturbance**2)
    model.trust_bb[people] = kernels.gain_trust(
        model.trust_bb[people], q, min(1.0, 2 * mech.trust_gain)
    )
    eps = mech.confidence * curiosity(model) + mech.confidence_trust * model.trust_bb[people]
    target = mech.backbone_mindset * (1.0 - 0.5 * model.backbone.capture)
    model.mindset[people] += kernels.confidence_pull(
        model.mindset[people], target, eps, depth * mech.convergence
    )
    contacts_per_org += np.bincount(model.person_org[people], minlength=contacts_per_org.shape[0])


def _choose_bridges(model: CIModel, n: int) -> np.ndarray:
    """Cross-border ties the backbone brokers: weak ties across distant logics (C2.21)."""
    c = model.contacts
    engaged = model.engaged_people
    w = c.cross * (1.05 - model.trust) * (0.5 + model.edge_distance) * engaged[c.a] * engaged[c.b]
    total = w.sum()
    if n <= 0 or total <= 0:
        return np.empty(0, dtype=np.int64)
    model.meetings.add("brokered", BROKERED_TIES * n)
    return model.rng.choice(c.size, size=BROKERED_TIES * n, p=w / total)


def curiosity(model: CIModel) -> float:
    """Openness of conversations; pressure to deliver crowds it out (C5.4, C3.8)."""
    return 1.0 - 0.5 * model.steering


def _meet_on_ties(model: CIModel, edges: np.ndarray, facilitation: np.ndarray) -> None:
    """Trust grows on ties that met; partners influence each other's mindsets (C2.20).

    Trust gain falls with logic distance; facilitation and shared understanding let
    distant logics connect (C3.9, C2.3). Mindsets follow the generalised Deffuant rule:
    the confidence bound widens with trust.
    """
    if edges.shape[0] == 0:
        return
    mech, c = model.params.mechanisms, model.contacts
    scale = mech.logic_distance_scale * (1.0 + facilitation + model.code_knowledge)
    q = kernels.meeting_quality(model.edge_distance[edges], scale)
    model.trust[edges] = kernels.gain_trust(model.trust[edges], q, mech.trust_gain)
    eps = mech.confidence * curiosity(model) + mech.confidence_trust * model.trust[edges]
    model.mindset = kernels.bounded_confidence(
        model.mindset, c.a[edges], c.b[edges], eps, mech.convergence
    )


def _update_reach(model: CIModel, contacts_per_org: np.ndarray) -> None:
    """Backbone reach per organisation: meetings per person-year, smoothed over ~6 months."""
    per_year = contacts_per_org / (model.params.organisations.people * model.dt)
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

    The backbone orchestrates activities (develop capabilities, C4.2); change leaders
    start some themselves (C2.20). Success is likelier with willing, like-minded,
    trusting, understanding and mandated actors (assumed logistic form). Participants
    build trust even when an action fails (the "kilometres run together", C2.4).
    """
    rate = _activity_rate(model)
    n_act = model.rng.poisson(rate * model.dt)
    engaged = np.flatnonzero(model.taking_part)
    n_act = min(n_act, engaged.shape[0] // 3)
    model.success *= 1.0 - model.rate(0.5)
    model.capability *= 1.0 - model.rate(0.2)
    if n_act > 0:
        will = _org_will(model)
        w = (0.2 + will[engaged]) / (0.2 + will[engaged]).sum()
        chosen = model.rng.choice(engaged, size=3 * n_act, replace=False, p=w)
        act = np.full(len(model.organisations), -1)
        act[chosen] = np.repeat(np.arange(n_act), 3)
        _settle_activities(model, act, n_act)
    share = model.meetings.share_via_backbone()
    model.dependence += model.rate(1.0) * (share - model.dependence)


def _activity_rate(model: CIModel) -> float:
    mech = model.params.mechanisms
    cl = model.change_leader.sum() * 0.1 * change_leader_reach(model)
    if model.backbone is None:
        return cl
    share = model.backbone.task_shares()[Task.DEVELOP_CAPABILITIES]
    return cl + mech.activities_per_fte_year * model.backbone.budget() * share


def _settle_activities(model: CIModel, act: np.ndarray, n_act: int) -> None:
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
    model.meetings.add("activity", edges.shape[0])


def _credit(model: CIModel, orgs: np.ndarray) -> None:
    """Successes become practice; credit goes to the actors or to the backbone (C3.11).

    Credit to the actors raises their will; credit taken by the backbone costs trust
    in it and pushes people back into their own logics.
    """
    if orgs.shape[0] == 0:
        return
    taken = model.params.backbone.credit_taking if model.backbone is not None else 0.0
    delivered = min(1.0, model.params.backbone.growth) if model.backbone is not None else 0.0
    model.practice[orgs] += 0.05 * (1 - delivered) * (1 - model.practice[orgs])
    model.delivered[orgs] += 0.05 * delivered * (1 - model.delivered[orgs])
    model.success[orgs] = np.minimum(1.0, model.success[orgs] + 0.15 * (1 - taken))
    people = np.isin(model.person_org, orgs)
    shared = 0.1 * (1 - taken) * (model.backbone is not None)
    model.trust_bb[people] = (1.0 - 0.3 * taken) * kernels.gain_trust(
        model.trust_bb[people], 1.0, shared
    )
    back = model.default_mindset[model.person_org[people]]
    model.mindset[people] += 0.1 * taken * (back - model.mindset[people])


# --- will, change leaders -------------------------------------------------------------


def _org_will(model: CIModel) -> np.ndarray:
    """Will of each organisation: its leader's willingness and its staff's (C2.7)."""
    staff = model.org_mean(model.willing.astype(float))
    return 0.5 * model.willing[model.leader_of] + 0.5 * staff


def update_minds(model: CIModel) -> None:
    """Shared will by threshold mobilisation; change leaders; mindset relapse (C2.1, C2.20).

    Exposure is ``(pull + anchor) / (daily + weight + anchor) + 0.2 * success``: ``pull``
    sums trust over willing contacts, ``weight`` over all contacts; ``anchor`` is a
    willing anchor, the larger of ``2 * trust in the backbone`` and local leadership
    (change leaders after handover or before a backbone exists, C2.22); ``daily`` is a
    prior ``1 + 2 * routine`` of not-willing voices, the core task's pressure (C5.5);
    ``success`` is the will that credited successes bring (C3.11). Assumed forms.
    """
    mech, c = model.params.mechanisms, model.contacts
    n = model.person_org.shape[0]
    w = model.trust * model.engaged_people[c.a] * model.engaged_people[c.b]
    willing = model.willing.astype(float)
    pull = np.bincount(c.a, weights=w * willing[c.b], minlength=n) + np.bincount(
        c.b, weights=w * willing[c.a], minlength=n
    )
    weight = np.bincount(c.a, weights=w, minlength=n) + np.bincount(c.b, weights=w, minlength=n)
    bb = np.maximum(_local_leadership(model)[model.person_org], 0.0)
    if model.backbone is not None:
        bb = np.maximum(bb, 2.0 * model.trust_bb)
    daily = 1.0 + 2.0 * model.routine[model.person_org]  # the core task competes (C5.5)
    exposure = (pull + bb) / (daily + weight + bb) + 0.2 * model.success[model.person_org]
    model.willing = kernels.mobilise(exposure, model.threshold, model.willing, mech.will_hysteresis)
    _relapse_mindsets(model)
    _update_change_leaders(model)


def _local_leadership(model: CIModel) -> np.ndarray:
    """Weight of local change leaders as a willing anchor in each organisation (C2.22).

    Once leadership is handed over (or before a backbone exists, for the initiators'
    organisations), change leaders carry the mobilising role the backbone had.
    """
    cl_share = model.org_mean(model.change_leader.astype(float))
    return 2.0 * np.minimum(1.0, 3.0 * cl_share) * change_leader_reach(model) * 0.5


def _relapse_mindsets(model: CIModel) -> None:
    """Mental models drift back to the own logic unless disturbed (C2.15, C3.11)."""
    org = model.person_org
    rate = model.rate(model.params.mechanisms.mindset_relapse_per_year)
    pull = rate * model.routine[org] * (1.0 - disturbance(model)[org])
    model.mindset += pull * (model.default_mindset[org] - model.mindset)


def _update_change_leaders(model: CIModel) -> None:
    """Change leaders emerge among willing, changed people and fade when will goes (C2.20)."""
    mech = model.params.mechanisms
    spy = model.params.simulation.steps_per_year
    ready = model.willing & (model.mindset >= mech.change_leader_mindset)
    spontaneous = model.rng.random(ready.shape[0]) < kernels.per_step(0.03, spy)
    model.change_leader |= ready & spontaneous
    keep = model.willing & (model.mindset >= mech.change_leader_mindset - 0.15)
    model.change_leader &= keep | model.initiator
    if change_leader_reach(model) < 0.5:  # left without a mandate, some give up (C2.22)
        quit_ = model.rng.random(ready.shape[0]) < kernels.per_step(0.3, spy)
        model.change_leader &= ~quit_ | model.initiator  # initiators stay committed


def disturbance(model: CIModel) -> np.ndarray:
    """Disturbance of routines per organisation, in [0, 1] (C2.15, C2.22).

    The backbone's disturbance reaches organisations it meets often; change leaders
    disturb their own organisation, fully once leadership is handed to them.
    """
    cl_share = model.org_mean(model.change_leader.astype(float))
    local = (
        model.params.mechanisms.change_leader_disturbance
        * np.minimum(1.0, 3.0 * cl_share)
        * change_leader_reach(model)
    )
    d = local
    if model.backbone is not None:
        reach = 1.0 - np.exp(-model.reach / 2.0)
        d = d + 1.5 * model.params.backbone.disturbance * reach
    return np.clip(d, 0.0, 1.0)


# --- shared understanding (March 1991) --------------------------------------------------


def learn_together(model: CIModel) -> None:
    """The shared problem analysis learns from members and socialises them (C2.3, C3.12).

    Gathering around a shared analysis is what lets change succeed (C0.2). It is
    March's (1991) organisational code: members attached to the initiative adopt
    it (socialisation), and it learns from members who know more, weighted by voice:
    organisations that share data (C2.9) and, under a captured backbone, those close
    to it (C2.16). Fast socialisation (tight steering raises it) makes the code plateau
    early; with stable membership, slow socialisation learns more in the long run (C3.12).
    """
    mech, spy = model.params.mechanisms, model.params.simulation.steps_per_year
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
    """Who keeps the shared analysis alive: the backbone (C4.2) or change leaders."""
    if model.backbone is not None:
        share = model.backbone.task_shares()[Task.DEVELOP_CAPABILITIES]
        return min(1.0, 0.3 + 2.8 * share * model.backbone.budget() / 3.0)
    return min(0.3, model.change_leader.mean() * 3.0)


def _voice(model: CIModel) -> np.ndarray:
    """Weight of each person in the shared analysis (C2.9, C2.16, C2.10)."""
    voice = np.where(model.data_shared, 1.0, 0.3)
    voice = voice * np.where(model.stance == Stance.DOMINATING, 3.0, 1.0)
    if model.backbone is not None:
        ind = model.params.backbone.independence
        near = np.exp(-distance(model.org_pos, model.backbone.position) / 0.2)
        voice = voice * (ind + (1 - ind) * near)
    return voice[model.person_org]


def _share_data(model: CIModel) -> None:
    """Data sharing, the first acid test of will (C2.9)."""
    leader_willing = model.willing[model.leader_of]
    trusting = model.org_mean(model.trust_bb) >= 0.25
    if model.backbone is None:
        trusting = model.org_mean(model.change_leader.astype(float)) > 0
    new = leader_willing & trusting & ~model.data_shared
    for i in np.flatnonzero(new):
        model.log_event("data_shared", model.organisations[i].name)
    model.data_shared = (model.data_shared | new) & leader_willing


# --- routines, practice, mandate, policy frame ------------------------------------------


def change_practice(model: CIModel) -> None:
    """Practice grows with will and mindset, is pulled back to routine, and anchors.

    Push: will x mindset x mandate x capability from joint activities (C2.20, C4.2,
    C4.3); the four tasks are preconditions of each other, and without anchoring a
    free-floating backbone's ideas rarely become practice (C2.13). A growing backbone's delivery
    crowds it out (C2.17). Pull: routines pull practice back to the anchored habit,
    weakened by disturbance (C1.1, C2.15). Habit: practice becomes routine where
    mandate and mindset carry it (C4.3, C2.20). Policy frames spread it (C5.6).
    """
    mech = model.params.mechanisms
    engaged = model.taking_part
    mind = model.org_mean(model.mindset)
    will = _org_will(model)
    crowd = 1.0 - 0.7 * model.delivered
    capable = (0.1 + 0.9 * model.mandate) * (0.1 + 0.9 * model.capability)
    push = model.rate(
        mech.practice_push_per_year * will * mind * capable * crowd * engaged + 0.15 * model.policy
    )
    model.practice += push * (1.0 - model.practice)
    model.practice = kernels.relax_practice(
        model.practice,
        model.habit,
        model.routine,
        disturbance(model),
        model.rate(mech.routine_pull_per_year),
    )
    gap = model.practice - model.habit
    anchor = model.rate(mech.anchoring_per_year * (model.mandate * mind + 0.5 * model.policy))
    model.habit += np.where(gap > 0, anchor * gap, model.rate(0.2) * gap)
    model.habit -= model.rate(FORGETTING) * model.habit
    _update_mandate(model, will)
    _update_delivery(model)
    _update_policy(model, will, mind)


def _update_mandate(model: CIModel, will: np.ndarray) -> None:
    """Leaders with buy-in commit mandate and resources; it erodes slowly (C2.7, C4.3)."""
    mech = model.params.mechanisms
    leader = model.willing[model.leader_of] * model.mindset[model.leader_of]
    model.mandate += model.rate(0.05 * mech.mandate_per_year * leader) * (1.0 - model.mandate)
    model.mandate -= model.rate(0.1 * (1.0 - will)) * model.mandate


def _update_delivery(model: CIModel) -> None:
    """What the backbone delivers itself vanishes after it is gone (C2.17, C3.3)."""
    if model.backbone is None:
        model.delivered *= 1.0 - model.rate(2.0)
        return
    g = model.params.backbone.growth
    model.delivered += model.rate(1.0) * (0.5 * g - model.delivered)


def _update_policy(model: CIModel, will: np.ndarray, mind: np.ndarray) -> None:
    """A policy frame changes when enough aligned, mobilised power pushes (C5.3, C5.6)."""
    env = model.params.environment
    engaged = model.taking_part
    proof = 0.3 + 0.7 * model.practice  # pilots that work make the case (C5.3)
    push = float(model.power @ (engaged * will * mind * proof)) * (0.5 + 0.5 * model.code_knowledge)
    ready = model.year - model.last_policy_year >= env.policy_cooldown_years
    if push < env.policy_threshold or not ready or model.policy >= 1.0:
        return
    now = round(model.time)
    scheduled = any(model.step_of(y) <= now < model.step_of(y + 1.0) for y in env.policy_windows)
    p = model.rate(12.0 if scheduled else env.policy_window_per_year)  # hazards per year
    if model.rng.random() < p:
        model.policy = min(1.0, model.policy + env.policy_step)
        model.last_policy_year = model.year
        model.log_event("policy_change", f"policy frame at {model.policy:.2f}")


# --- stances and turnover ---------------------------------------------------------------


def shift_stances(model: CIModel) -> None:
    """Organisations dominate or withdraw; the backbone confronts and pulls in (C2.10, C2.14).

    Hazards per year (assumed forms): powerful actors with high stakes try to dominate,
    ``0.3 * power/max_power * stake``, deterred by an independent backbone by
    ``1 - 0.6 * independence`` except its own host (C2.16). A dominating actor is
    confronted at ``0.3 + 3 * independence`` (never its host: 0.3). Actors with little
    will and trust withdraw at ``0.3 * stake * (1 - will) * (1 - trust)``; relationship
    work pulls them back at ``0.3 + 4 * develop_relations share``.
    """
    n = len(model.organisations)
    bb = model.backbone
    ind = model.params.backbone.independence if bb is not None else 0.0
    host = np.zeros(n, dtype=bool)
    if bb is not None:
        host[bb.hosts] = True
    trust = model.org_mean(model.trust_bb) if bb is not None else np.zeros(n)
    deter = np.where(host, 0.0, 0.6 * ind)
    dominate = 0.3 * model.power / model.power.max() * model.stake * (1.0 - deter)
    withdraw = 0.3 * model.stake * (1.0 - _org_will(model)) * (1.0 - trust)
    relations = bb.task_shares()[Task.DEVELOP_RELATIONS] if bb is not None else 0.0
    confront = np.where(host, 0.3, 0.3 + 3.0 * ind)
    back = np.where(model.stance == Stance.DOMINATING, confront, 0.3 + 4.0 * relations)
    u = model.rng.random((3, n))
    engaged = model.stance == Stance.ENGAGED
    to_dom = engaged & (u[0] < model.rate(dominate))
    to_wd = engaged & ~to_dom & (u[1] < model.rate(withdraw))
    to_eng = ~engaged & (model.stance != Stance.LEFT) & (u[0] < model.rate(back))
    to_left = _let_go(model, u[2]) & ~to_dom & ~to_eng
    for target, mask in (
        (Stance.DOMINATING, to_dom),
        (Stance.WITHDRAWN, to_wd & ~to_left),
        (Stance.ENGAGED, to_eng),
        (Stance.LEFT, to_left),
    ):
        for i in np.flatnonzero(mask):
            model.organisations[i].set_stance(target)


def _let_go(model: CIModel, u: np.ndarray) -> np.ndarray:
    """Organisations the backbone stops working with: no will for two years (C2.10).

    Each organisation counts the years its will has stayed below 0.2 while a backbone
    works; after two such years the backbone lets it go at the yearly hazard
    ``backbone.let_go``. Initiators' organisations are kept.
    """
    idle = (_org_will(model) < 0.2) & (model.backbone is not None)
    model.idle_years = np.where(idle, model.idle_years + model.dt, 0.0)
    rate = model.params.backbone.let_go
    if model.backbone is None or rate <= 0:
        return np.zeros(u.shape[0], dtype=bool)
    keep = np.bincount(model.person_org, weights=model.initiator, minlength=u.shape[0]) > 0
    due = (model.idle_years >= 2.0) & (model.stance != Stance.LEFT) & ~keep
    return due & (u < model.rate(rate))


def turn_over(model: CIModel) -> None:
    """People leave at the turnover rate; newcomers start without ties (C2.7, C2.24)."""
    rate = kernels.per_step(
        model.params.organisations.turnover_per_year, model.params.simulation.steps_per_year
    )
    leavers = np.flatnonzero(model.rng.random(model.person_org.shape[0]) < rate)
    replace_people(model, leavers)


def replace_people(model: CIModel, people: np.ndarray) -> None:
    """Replace ``people`` by newcomers: default mindset, no will, no trust (C2.24).

    A new leader reviews the organisation's commitments: mandate drops by 20% (C2.7).
    """
    if people.shape[0] == 0:
        return
    model.draw_people(people)
    gone = np.zeros(model.person_org.shape[0], dtype=bool)
    gone[people] = True
    model.trust[gone[model.contacts.a] | gone[model.contacts.b]] = 0.0
    new_leaders = model.person_org[people[model.is_leader[people]]]
    model.mandate[new_leaders] *= 0.8
