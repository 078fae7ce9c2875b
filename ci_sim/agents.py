"""Agents: organisations and the backbone secretariat.

Organisations and the backbone are Mesa agents. Their numeric state lives in numpy
arrays owned by the model (one row per organisation or person) so that the step loop
updates all of them at once; the agents expose that state as properties and carry the
discrete, rare decisions (stance changes) and the backbone's choices.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from ci_sim import kernels, logics
from ci_sim.logics import Logic

if TYPE_CHECKING:
    from ci_sim.model import CIModel


class Stance(IntEnum):
    """How an organisation takes part (C2.10, C2.14)."""

    ENGAGED = 0
    DOMINATING = 1
    WITHDRAWN = 2
    LEFT = 3  # the backbone stopped working with it (C2.10); it does not come back


class Phase(StrEnum):
    """Phases of an initiative (C2.8, C3.7)."""

    MOBILISATION = "mobilisation"
    ACTIVE = "active"
    HANDOVER = "handover"
    AFTER_SUNSET = "after_sunset"


class Task(IntEnum):
    """The four backbone tasks of chapter 4 (C4.1-C4.4), in effort-share order."""

    DEVELOP_RELATIONS = 0
    DEVELOP_CAPABILITIES = 1
    ANCHOR_CAPABILITIES = 2
    ANCHOR_RELATIONS = 3


class Organisation(mesa.Agent):
    """An organisation with an institutional logic (C2.2).

    Attributes:
        idx: row of this organisation in the model's organisation arrays.
        name: unique name, e.g. ``municipality_1``.
        logic: its :class:`~ci_sim.logics.Logic`.
    """

    def __init__(self, model: CIModel, idx: int, name: str, logic: Logic) -> None:
        super().__init__(model)
        self.idx = idx
        self.name = name
        self.logic = logic

    @property
    def practice(self) -> float:
        """How far the new solutions are part of daily work, in [0, 1]."""
        return float(self.model.practice[self.idx])

    @property
    def stance(self) -> Stance:
        """Current :class:`Stance`."""
        return Stance(int(self.model.stance[self.idx]))

    @property
    def people(self) -> np.ndarray:
        """Indices of this organisation's people (the first is the leader)."""
        return np.flatnonzero(self.model.person_org == self.idx)

    def set_stance(self, stance: Stance) -> None:
        """Change stance and log it as an event (C2.10, C2.14)."""
        if self.stance is stance:
            return
        self.model.stance[self.idx] = stance
        self.model.log_event(f"org_{stance.name.lower()}", self.name)


class Backbone(mesa.Agent):
    """The backbone secretariat: the separate support organisation of CI (C1.3, chapters 2-4).

    It has staff and an effort budget split over the four tasks (C4.1-C4.4), a
    position in logic space and a mindset of its own (its staff are people too), and a
    growth tendency (C2.17, C3.3). Whom it meets pulls on its position and mindset:
    the host's people are its colleagues, and when it is not independent it gives the
    powerful more of its time and lets them move it (C2.11, C2.12, C2.16, C3.6).

    Attributes:
        staff: current staff in full-time equivalents.
        shares: effort shares of the four tasks (sum 1).
        position: the backbone's position in logic space.
        mindset: the staff's view of the problem, in [0, 1] like people's mindsets.
        hosts: indices of the host organisations (none, one, or two for a joint
            coordinator employed by two organisations, C2.19).
        visibility: how visible its own contribution is to funders, in [0, 1] (C3.11).
        met: the people it met in the last step.
    """

    def __init__(self, model: CIModel) -> None:
        super().__init__(model)
        bb = model.params.backbone
        self.staff = float(bb.staff)
        self.shares = np.array(bb.effort.shares())
        self.hosts = model.hosts
        self.host_people = np.isin(model.person_org, self.hosts).astype(float)
        self.position = model.neutral_position.copy()
        if self.hosts.size:
            self.position = bb.independence * model.neutral_position + (
                1 - bb.independence
            ) * model.org_pos[self.hosts].mean(axis=0)
            # colleagues in the host organisations know the secretariat (C2.12, C2.19)
            colleagues = self.host_people > 0
            model.trust_bb[colleagues] = np.maximum(model.trust_bb[colleagues], 0.5)
        self.mindset = float(model.params.mechanisms.backbone_mindset)
        self.visibility = 0.0
        self.credited = 0.0
        self.met = np.empty(0, dtype=np.int64)
        self.quality = self._meeting_quality()

    def _meeting_quality(self) -> np.ndarray:
        """Quality of a meeting with each person, by logic distance from the backbone."""
        m = self.model
        d = logics.distance(m.org_pos, self.position)[m.person_org]
        return np.exp(-d / (2.0 * m.params.mechanisms.logic_distance_scale))

    @property
    def capture(self) -> float:
        """Distance of the backbone from the neutral centre, in [0, 1] (C2.16)."""
        d = float(logics.distance(self.position, self.model.neutral_position))
        return min(1.0, 2.0 * d)

    def budget(self) -> float:
        """FTE-years per year left for the four tasks after steering and reporting.

        Reporting burden and goal steering take backbone time (C3.4, C3.8); a funding
        cut removes staff for a while (C2.26, C5.4). Staff added by growth goes to
        delivery, not to the four tasks (C2.17).
        """
        m = self.model
        gov = m.params.governance
        base = min(self.staff, m.params.backbone.staff) * m.funding_factor
        return base * (1.0 - 0.4 * gov.reporting_burden - 0.2 * m.steering)

    def task_shares(self) -> np.ndarray:
        """Effective effort shares this step.

        Tight steering moves effort from relationship work to visible activities (C3.5);
        during handover the backbone steps back from convening and brokering and moves
        effort to anchoring through relations (C3.7, C2.22).
        """
        s = self.shares.copy()
        moved = 0.6 * self.model.steering * s[Task.DEVELOP_RELATIONS]
        s[Task.DEVELOP_RELATIONS] -= moved
        s[Task.DEVELOP_CAPABILITIES] += moved
        if self.model.phase is Phase.HANDOVER:  # it steps back from convening itself
            s[Task.DEVELOP_RELATIONS] *= 0.3
            s[Task.ANCHOR_RELATIONS] *= 3.0
            s[Task.ANCHOR_CAPABILITIES] *= 1.5
        return s / s.sum()

    def drift(self) -> None:
        """Move toward the people it met, as far as it is not independent (C2.16, C2.19).

        Position and mindset relax (rate 1 per year) toward ``independence * own +
        (1 - independence) * met``, where ``met`` is the power-weighted mean logic
        position and the mean mindset of the people it met in the last step, and ``own``
        is the neutral centre and the backbone's own view. Whom it meets follows from
        its host and how it spends its time (:meth:`choose_people`), so capture emerges
        from where it sits. Also updates its visibility (successes it took credit for,
        smoothed over a year, C3.11).
        """
        m = self.model
        r = m.rate(1.0)
        per_year = self.credited / m.dt
        self.visibility += r * (min(1.0, per_year / 2.0) - self.visibility)
        self.credited = 0.0
        if not m.params.switches.backbone_drift or self.met.shape[0] == 0:
            return
        ind = m.params.backbone.independence
        org = m.person_org[self.met]
        w = m.power[org]
        pull = (w @ m.org_pos[org]) / w.sum()
        target = ind * m.neutral_position + (1.0 - ind) * pull
        self.position = self.position + r * (target - self.position)
        own = m.params.mechanisms.backbone_mindset
        view = ind * own + (1.0 - ind) * kernels.mean(m.mindset[self.met])
        self.mindset += m.rate(12.0 * m.params.mechanisms.backbone_adaptation) * (
            view - self.mindset
        )
        self.quality = self._meeting_quality()  # the position moved: once per step

    def adapt_allocation(self) -> None:
        """Shift effort toward the weakest task once a year (adaptive policy, C3.7, C3.12).

        Each task has an indicator in [0, 1] (trust in the backbone, understanding,
        mandate, change-leader share); 30% of effort moves toward a softmax of deficits.
        Changing how it works renews its disturbance: organisations' habituation falls
        by the share of effort that moved (C3.12, "keep tearing down and rebuilding").
        """
        m = self.model
        ind = np.array(
            [
                m.trust_bb.mean(),
                m.code_knowledge,
                m.mandate.mean(),
                min(1.0, 5.0 * m.change_leader.mean()),
            ]
        )
        target = np.exp(-ind / 0.15)
        new = 0.7 * self.shares + 0.3 * target / target.sum()
        moved = 0.5 * float(np.abs(new - self.shares).sum())
        m.habituation *= 1.0 - min(1.0, 2.0 * moved)
        self.shares = new

    def grow(self) -> None:
        """Take on delivery and grow (C2.17, C3.3): staff rises with ``growth``."""
        g = self.model.params.backbone.growth
        self.staff += g * 0.15 * self.model.params.backbone.staff * self.model.dt

    def choose_people(self, n: int, weight: np.ndarray) -> np.ndarray:
        """Return ``n`` people to meet, drawn with probability ``weight`` (with replacement).

        The backbone meets more easily the people whose logic is close to its own
        position, so a captured backbone's information flows narrow (C2.19); people of
        its host organisations are colleagues, met three times as easily (C2.12, C2.19;
        a joint coordinator in two organisations has that access to both). A backbone
        without a clear stance gives the powerful more of its time: weight times ``1 + 2
        * (1 - independence) * power / max power`` (C2.16).
        """
        m = self.model
        ind = m.params.backbone.independence
        cum = kernels.cumulative_meeting_weights(
            weight,
            m.taking_part,
            m.person_org,
            m.bb_quality,
            self.host_people,
            m.power / m.power.max(),
            2.0 * (1.0 - ind),
        )
        if n <= 0 or cum[-1] <= 0:
            return np.empty(0, dtype=np.int64)
        return np.searchsorted(cum, m.rng.random(n) * cum[-1], side="right").astype(np.int64)
