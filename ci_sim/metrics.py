"""Model-level reporters: pure functions ``metric(model) -> float``.

The six conditions of systems change follow Kania, Kramer & Senge (2018), "The Water
of Systems Change": structural (policies, practices, resource flows), relational
(relationships, power dynamics) and transformative (mental models). How each is read
off the model's state is our operationalisation (an assumption), documented here and
in ``docs/ODD.md``. All but ``backbone_staff`` and ``cross_org_contacts`` lie in [0, 1].

Every condition reads only the state of people, their ties and organisations (and the
policy frame they changed): never a lever, the phase, or whether the backbone exists.
Removing the backbone changes no condition in that step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ci_sim import kernels
from ci_sim.agents import Stance
from ci_sim.logics import LOGICS
from ci_sim.network import end_sums

if TYPE_CHECKING:
    from ci_sim.model import CIModel


def _cross(model: CIModel) -> np.ndarray:
    return model.trust[model.contacts.cross]


def policies(model: CIModel) -> float:
    """Policy frame level: 0 = the old frame, 1 = frames fully changed (C5.3, C5.6)."""
    return float(model.policy)


def practices(model: CIModel) -> float:
    """Mean of the organisations' own practice (C2.5, C4.3).

    What the backbone delivers itself is not the organisations' practice; it is
    reported as :func:`backbone_delivery` (C2.17).
    """
    return kernels.mean(model.practice)


def backbone_delivery(model: CIModel) -> float:
    """Mean share of the organisations' work that backbone staff deliver themselves (C2.17)."""
    return kernels.mean(model.delivered)


def resource_flows(model: CIModel) -> float:
    """Mean committed mandate and resources of the organisations (C4.3, C5.7)."""
    return kernels.mean(model.mandate)


def mean_trust(model: CIModel) -> float:
    """Mean trust over cross-organisation ties (C2.24)."""
    return _mean_trust(_cross(model))


def _mean_trust(t: np.ndarray) -> float:
    return kernels.mean(t) if t.size else 0.0


def cross_org_ties(model: CIModel) -> float:
    """Share of cross-organisation ties whose trust exceeds ``tie_threshold``."""
    return _cross_org_ties(model, _cross(model))


def _cross_org_ties(model: CIModel, t: np.ndarray) -> float:
    return kernels.mean(t > model.params.mechanisms.tie_threshold) if t.size else 0.0


def cross_org_contacts(model: CIModel) -> float:
    """Mean number of cross-organisation acquaintances per person (C2.21, C2.24)."""
    return 2.0 * float(model.contacts.cross.sum()) / model.person_org.shape[0]


def relationships(model: CIModel) -> float:
    """Trusted connections across organisations per person (bridging ties, C2.20, C2.24).

    Each person's bridging capital is ``1 - exp(-S / 2)``, ``S`` the summed trust of
    their cross-organisation ties: about two fully trusted relations elsewhere give
    0.63. The metric is its mean over people. Operationalisation assumed.
    """
    return _relationships(model.cross_tie_sums()[1])


def _relationships(cross_trust_sum: np.ndarray) -> float:
    return kernels.mean(-np.expm1(-cross_trust_sum / 2.0))


def dependence(model: CIModel) -> float:
    """Share of the field's cross-border meetings held with the backbone (C2.17, C3.2)."""
    via, total = model.met_via.sum(), (model.met_via + model.met_direct).sum()
    return float(via / total) if total > 0 else 0.0


def power_dynamics(model: CIModel) -> float:
    """How widely decision power and voice are shared (C2.10, C2.16, C2.17, C2.22, C3.6).

    Each organisation's voice is 0 when it does not take part, else its people's mean
    trust on their cross-organisation ties times ``0.5 + 0.5 * leadership`` (the local
    leadership its people hold, C2.22, C4.4). The metric is the mean voice times one
    minus the power share of dominating organisations, times ``1 - 0.5 * dependence``:
    relations that run through the backbone are power the actors do not hold (C2.17).
    Operationalisation assumed; it reads only people's ties, meetings and leadership.
    """
    return _power_dynamics(model, model.cross_trust(), model.leadership(), dependence(model))


def _power_dynamics(
    model: CIModel, cross_trust: np.ndarray, leadership: np.ndarray, dependence: float
) -> float:
    voice = model.org_mean(cross_trust) * (0.5 + 0.5 * leadership) * model.taking_part
    dominated = float(model.power[model.stance == Stance.DOMINATING].sum())
    return kernels.mean(voice) * (1.0 - dominated) * (1.0 - 0.5 * dependence)


def shared_view(model: CIModel) -> float:
    """How far people of different logics hold the same view of the problem (C2.3, C0.2).

    For every two logics, the probability that a person of one and a person of the other
    hold the same non-neutral belief on a dimension of the problem, averaged over
    dimensions and over pairs of logics (weighted by their people). It is agreement,
    not correctness: a field can share a wrong analysis.
    """
    lg = model.org_logic[model.person_org]
    n_plus, n_minus, n_size = kernels.belief_counts(model.beliefs, lg, len(LOGICS))
    present = n_size > 0  # the logics present, in their order
    if int(present.sum()) < 2:
        return 1.0
    size = n_size[present].astype(float)
    plus = n_plus[present] / size[:, None]
    minus = n_minus[present] / size[:, None]
    agree = (plus @ plus.T + minus @ minus.T) / model.beliefs.shape[1]
    w = np.outer(size, size)
    np.fill_diagonal(w, 0.0)
    return float((agree * w).sum() / w.sum())


def mental_models(model: CIModel) -> float:
    """Shared mental models: openness beyond the own logic and a shared view (C2.3, C2.20).

    Mean of people's mindsets (0 own-logic view, 1 a systems view) and of
    :func:`shared_view` across logics. Neither reads what the backbone thinks.
    """
    return 0.5 * kernels.mean(model.mindset) + 0.5 * shared_view(model)


def structural(model: CIModel) -> float:
    """Mean of policies, practices and resource flows."""
    return (policies(model) + practices(model) + resource_flows(model)) / 3.0


def relational(model: CIModel) -> float:
    """Mean of relationships and power dynamics."""
    return (relationships(model) + power_dynamics(model)) / 2.0


def transformative(model: CIModel) -> float:
    """Mental models."""
    return mental_models(model)


def systemic_change(model: CIModel) -> float:
    """Mean of the structural, relational and transformative levels."""
    return (structural(model) + relational(model) + transformative(model)) / 3.0


def shared_will(model: CIModel) -> float:
    """Share of people willing to change (C2.1)."""
    return kernels.mean(model.willing)


def understanding(model: CIModel) -> float:
    """How well the shared analysis matches the root causes as they are now (March, C2.3)."""
    return float(model.code_knowledge)


def change_leaders(model: CIModel) -> float:
    """Share of people who are change leaders in their own organisation (C2.20, C4.4)."""
    return kernels.mean(model.change_leader)


def local_leadership(model: CIModel) -> float:
    """Mean local leadership over organisations (C2.22): leadership people hold, not roles."""
    return kernels.mean(model.leadership())


def backbone_present(model: CIModel) -> float:
    """1 while the backbone exists, else 0 (a descriptor; no condition reads it)."""
    return 1.0 if model.backbone is not None else 0.0


def backbone_staff(model: CIModel) -> float:
    """Backbone staff in FTE (0 when absent; not bounded; a descriptor)."""
    return float(model.backbone.staff) if model.backbone is not None else 0.0


def backbone_dependence(model: CIModel) -> float:
    """Share of the field's cross-border meetings held with the backbone (C2.17, C3.2).

    Smoothed over about a year from who met whom: meetings people had with backbone
    staff over those plus their meetings with people of other organisations.
    """
    return dependence(model)


REPORTERS: dict[str, Callable[[CIModel], float]] = {
    "policies": policies,
    "practices": practices,
    "backbone_delivery": backbone_delivery,
    "resource_flows": resource_flows,
    "relationships": relationships,
    "power_dynamics": power_dynamics,
    "mental_models": mental_models,
    "structural": structural,
    "relational": relational,
    "transformative": transformative,
    "systemic_change": systemic_change,
    "shared_will": shared_will,
    "mean_trust": mean_trust,
    "cross_org_ties": cross_org_ties,
    "cross_org_contacts": cross_org_contacts,
    "shared_view": shared_view,
    "understanding": understanding,
    "change_leaders": change_leaders,
    "local_leadership": local_leadership,
    "backbone_present": backbone_present,
    "backbone_staff": backbone_staff,
    "backbone_dependence": backbone_dependence,
}


def all_metrics(model: CIModel) -> dict[str, float]:
    """Return every reporter's value, computing each shared quantity once.

    Equal to ``{name: f(model) for name, f in REPORTERS.items()}`` (tested); the model's
    data collector uses it so that a step computes each metric once. Quantities that
    several reporters read (cross-tie trust, the sums over cross ties, leadership,
    dependence) are computed once here.
    """
    t = _cross(model)
    sums = model.cross_tie_sums()
    lead = model.leadership()
    dep = dependence(model)
    base = {name: REPORTERS[name](model) for name in REPORTERS if name not in _SHARED_OR_DERIVED}
    base["mean_trust"] = _mean_trust(t)
    base["cross_org_ties"] = _cross_org_ties(model, t)
    base["relationships"] = _relationships(sums[1])
    base["power_dynamics"] = _power_dynamics(model, model.cross_trust(sums), lead, dep)
    base["local_leadership"] = kernels.mean(lead)
    base["backbone_dependence"] = dep
    base["mental_models"] = 0.5 * kernels.mean(model.mindset) + 0.5 * base["shared_view"]
    s = (base["policies"] + base["practices"] + base["resource_flows"]) / 3.0
    r = (base["relationships"] + base["power_dynamics"]) / 2.0
    t = base["mental_models"]
    levels = {"structural": s, "relational": r, "transformative": t}
    levels["systemic_change"] = (s + r + t) / 3.0
    out = {**base, **levels}
    return {name: out[name] for name in REPORTERS}


#: Reporters :func:`all_metrics` computes from shared quantities or from other metrics.
_SHARED_OR_DERIVED = frozenset(
    {
        "mean_trust",
        "cross_org_ties",
        "relationships",
        "power_dynamics",
        "local_leadership",
        "backbone_dependence",
        "mental_models",
        "structural",
        "relational",
        "transformative",
        "systemic_change",
    }
)


def latest(name: str) -> Callable[[CIModel], float]:
    """Return a reporter that reads metric ``name`` from the model's latest :func:`all_metrics`."""

    def reporter(model: CIModel) -> float:
        return model.latest_metrics[name]

    reporter.__name__ = name
    return reporter


#: The six conditions of systems change, in Kania et al.'s order.
CONDITIONS = (
    "policies",
    "practices",
    "resource_flows",
    "relationships",
    "power_dynamics",
    "mental_models",
)
LEVELS = ("structural", "relational", "transformative")


def organisation_snapshot(model: CIModel) -> dict[str, np.ndarray]:
    """Return this step's per-organisation state as columns (for the organisations table)."""
    n = len(model.organisations)
    c = model.contacts
    cross = c.cross.astype(float)
    oa, ob = model.edge_org_a, model.edge_org_b
    tcnt, tsum = end_sums(oa, ob, np.stack([cross, model.trust * cross]), n)
    return {
        "step": np.full(n, int(model.time)),
        "org": np.arange(n),
        "stance": model.stance.copy(),
        "practice": model.practice.copy(),
        "habit": model.habit.copy(),
        "mandate": model.mandate.copy(),
        "delivered": model.delivered.copy(),
        "capability": model.capability.copy(),
        "mean_trust": tsum / np.maximum(tcnt, 1),
        "trust_backbone": model.org_mean(model.trust_bb),
        "willingness": model.org_mean(model.willing.astype(float)),
        "mindset": model.org_mean(model.mindset),
        "change_leaders": model.org_mean(model.change_leader.astype(float)),
        "leadership": model.leadership(),
        "habituation": model.habituation.copy(),
        "data_shared": model.data_shared.copy(),
    }
