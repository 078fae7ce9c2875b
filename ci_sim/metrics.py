"""Model-level reporters: pure functions ``metric(model) -> float``.

The six conditions of systems change follow Kania, Kramer & Senge (2018), "The Water
of Systems Change": structural (policies, practices, resource flows), relational
(relationships, power dynamics) and transformative (mental models). How each is read
off the model's state is our operationalisation (an assumption), documented here and
in ``docs/ODD.md``. All but ``backbone_staff`` lie in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ci_sim.agents import Stance

if TYPE_CHECKING:
    from ci_sim.model import CIModel


def _cross(model: CIModel) -> np.ndarray:
    return model.trust[model.contacts.cross]


def policies(model: CIModel) -> float:
    """Policy frame level: 0 = the old frame, 1 = frames fully changed (C5.3, C5.6)."""
    return float(model.policy)


def practices(model: CIModel) -> float:
    """Mean practice over organisations, including what the backbone delivers (C2.17)."""
    p = model.practice + model.delivered * (1.0 - model.practice)
    return float(p.mean())


def resource_flows(model: CIModel) -> float:
    """Mean committed mandate and resources of the organisations (C4.3, C5.7)."""
    return float(model.mandate.mean())


def mean_trust(model: CIModel) -> float:
    """Mean trust over cross-organisation contact ties (C2.24)."""
    t = _cross(model)
    return float(t.mean()) if t.size else 0.0


def cross_org_ties(model: CIModel) -> float:
    """Share of cross-organisation contact pairs whose trust exceeds ``tie_threshold``.

    Pairs are the people pairs of the contact network (who can meet, see
    :mod:`ci_sim.network`), not all pairs of people.
    """
    t = _cross(model)
    return float((t > model.params.mechanisms.tie_threshold).mean()) if t.size else 0.0


def relationships(model: CIModel) -> float:
    """Quality of connections across organisations: mean of trust and strong-tie share."""
    return 0.5 * (mean_trust(model) + cross_org_ties(model))


def power_dynamics(model: CIModel) -> float:
    """How widely decision power and voice are shared (C2.10, C2.16, C2.17, C2.22, C3.6).

    Each organisation's voice is 0 when it does not take part, else its people's trust in
    the arena (the larger of trust in the backbone while it exists and their mean
    cross-tie trust) times ``0.5 + 0.5 * leadership``, where leadership is
    ``min(1, 3 * change-leader share)``: change leaders give an organisation informal
    influence over the joint work (C2.22, C4.4). The metric is the mean voice times one
    minus the power share of dominating organisations, times ``1 - 0.5 *
    backbone_dependence`` (power held by the backbone is not shared, C2.17).
    Operationalisation assumed.
    """
    n = model.person_org.shape[0]
    c = model.contacts
    w = model.trust * c.cross
    deg = np.bincount(c.a, weights=c.cross, minlength=n) + np.bincount(
        c.b, weights=c.cross, minlength=n
    )
    own = (np.bincount(c.a, weights=w, minlength=n) + np.bincount(c.b, weights=w, minlength=n)) / (
        np.maximum(deg, 1)
    )
    arena = np.maximum(own, model.trust_bb) if model.backbone is not None else own
    leadership = np.minimum(1.0, 3.0 * model.org_mean(model.change_leader.astype(float)))
    voice = model.org_mean(arena) * (0.5 + 0.5 * leadership) * model.taking_part
    dominated = float(model.power[model.stance == Stance.DOMINATING].sum())
    return float(voice.mean() * (1.0 - dominated) * (1.0 - 0.5 * model.dependence))


def mental_models(model: CIModel) -> float:
    """Mean mindset of all people: 0 own-logic views, 1 the shared systems view (C2.20)."""
    return float(model.mindset.mean())


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
    return float(model.willing.mean())


def understanding(model: CIModel) -> float:
    """How well the shared analysis matches the true root causes (March's code, C2.3)."""
    return float(model.code_knowledge)


def change_leaders(model: CIModel) -> float:
    """Share of people who are change leaders in their own organisation (C2.20, C4.4)."""
    return float(model.change_leader.mean())


def backbone_present(model: CIModel) -> float:
    """1 while the backbone exists, else 0."""
    return 1.0 if model.backbone is not None else 0.0


def backbone_staff(model: CIModel) -> float:
    """Backbone staff in FTE (0 when absent; not bounded)."""
    return float(model.backbone.staff) if model.backbone is not None else 0.0


def backbone_dependence(model: CIModel) -> float:
    """Share of relational activity that runs through the backbone (C2.17, C3.2).

    Smoothed over about a year: meetings the backbone holds, brokers or delivers, over
    those plus direct cross-organisation meetings and joint activities.
    """
    return float(model.dependence)


REPORTERS: dict[str, Callable[[CIModel], float]] = {
    "policies": policies,
    "practices": practices,
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
    "understanding": understanding,
    "change_leaders": change_leaders,
    "backbone_present": backbone_present,
    "backbone_staff": backbone_staff,
    "backbone_dependence": backbone_dependence,
}

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
    tsum = np.bincount(oa, weights=model.trust * cross, minlength=n) + np.bincount(
        ob, weights=model.trust * cross, minlength=n
    )
    tcnt = np.bincount(oa, weights=cross, minlength=n) + np.bincount(ob, weights=cross, minlength=n)
    vision = model.params.mechanisms.backbone_mindset
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
        "alignment": 1.0 - model.org_mean(np.abs(model.mindset - vision)),
        "change_leaders": model.org_mean(model.change_leader.astype(float)),
        "data_shared": model.data_shared.copy(),
    }
