"""Statistics that compare interventions over paired seeds (pure functions).

Two settings run with the same seeds form pairs; the paired differences carry the
effect. Every function takes plain arrays and returns plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PairedEffect:
    """Effect of setting B against setting A over paired runs.

    Attributes:
        n: number of pairs.
        mean_a, mean_b: means of the two settings.
        mean_diff: mean of ``b - a``.
        dz: standardised paired effect (mean difference over its standard deviation,
            Cohen's d_z); 0 when all differences are equal to zero.
        p_value: two-sided Wilcoxon signed-rank p-value (1.0 when all pairs tie).
        share_b_greater: share of pairs in which B exceeds A.
    """

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    dz: float
    p_value: float
    share_b_greater: float

    def __str__(self) -> str:
        return (
            f"{self.mean_a:.3f} -> {self.mean_b:.3f} (diff {self.mean_diff:+.3f}, "
            f"dz {self.dz:+.2f}, Wilcoxon p {self.p_value:.2g}, n {self.n})"
        )


def paired_effect(a: np.ndarray, b: np.ndarray) -> PairedEffect:
    """Compare outcomes ``b`` against ``a``, element ``i`` of both from seed ``i``.

    Raises:
        ValueError: when the arrays differ in length or hold fewer than two pairs.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.shape[0] < 2:
        raise ValueError("paired_effect needs two 1-d arrays of equal length >= 2")
    d = b - a
    sd = d.std(ddof=1)
    dz = float(d.mean() / sd) if sd > 0 else 0.0
    p = 1.0 if np.all(d == 0) else float(stats.wilcoxon(b, a).pvalue)
    return PairedEffect(
        n=int(a.shape[0]),
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        mean_diff=float(d.mean()),
        dz=dz,
        p_value=p,
        share_b_greater=float((d > 0).mean()),
    )
