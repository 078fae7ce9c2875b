"""Statistics that compare interventions over paired seeds (pure functions).

Two settings run with the same seeds form pairs; the paired differences carry the
effect. Every function takes plain arrays and returns plain numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
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
            Cohen's d_z); 0 when every difference is zero, and ``+inf`` or ``-inf``
            when every difference is the same non-zero number (a shift without noise).
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


def _finite_1d(x: Sequence[float] | np.ndarray, name: str, func: str) -> np.ndarray:
    """Return ``x`` as a 1-d float array; refuse NaN and infinite values.

    Raises:
        ValueError: naming ``func``, the argument and the first bad positions.
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{func}: {name} must be a 1-d array, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        where = ", ".join(str(i) for i in bad[:5]) + (" ..." if bad.size > 5 else "")
        raise ValueError(
            f"{func}: {name} holds {bad.size} NaN or infinite value(s) at position(s) "
            f"{where}; drop failed or missing runs (and their pairs) first"
        )
    return arr


def cohen_dz(d: Sequence[float] | np.ndarray) -> float:
    """Return Cohen's d_z of paired differences ``d``: mean over standard deviation.

    Returns:
        0.0 when every difference is zero; ``+inf``/``-inf`` when every difference is
        the same non-zero number (a deterministic shift is not "no effect"); NaN for
        fewer than two differences.

    Raises:
        ValueError: for NaN or infinite input.
    """
    d = _finite_1d(d, "d", "cohen_dz")
    if d.size < 2:
        return math.nan
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    # A spread at rounding level of the mean is no spread: treat as an exact shift.
    if sd <= 1e-12 * max(1.0, abs(mean)):
        return 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    return mean / sd


def wilcoxon_p(d: Sequence[float] | np.ndarray) -> float:
    """Return the two-sided Wilcoxon signed-rank p-value of paired differences ``d``.

    Zero differences are dropped (``zero_method="wilcox"``); 1.0 when all are zero,
    NaN for fewer than two differences.

    Raises:
        ValueError: for NaN or infinite input.
    """
    d = _finite_1d(d, "d", "wilcoxon_p")
    if d.size < 2:
        return math.nan
    if np.all(d == 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample notes from scipy; p is still exact
        return float(stats.wilcoxon(d).pvalue)


def paired_effect(a: np.ndarray, b: np.ndarray) -> PairedEffect:
    """Compare outcomes ``b`` against ``a``, element ``i`` of both from seed ``i``.

    Raises:
        ValueError: when the arrays differ in length, hold fewer than two pairs, or
            hold NaN or infinite values.
    """
    a = _finite_1d(a, "a", "paired_effect")
    b = _finite_1d(b, "b", "paired_effect")
    if a.shape != b.shape or a.shape[0] < 2:
        raise ValueError("paired_effect needs two 1-d arrays of equal length >= 2")
    d = b - a
    return PairedEffect(
        n=int(a.shape[0]),
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        mean_diff=float(d.mean()),
        dz=cohen_dz(d),
        p_value=wilcoxon_p(d),
        share_b_greater=float((d > 0).mean()),
    )


def bootstrap_ci(
    x: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
    method: str = "BCa",
) -> tuple[float, float]:
    """Return a bootstrap confidence interval of the mean of ``x``.

    Uses :func:`scipy.stats.bootstrap` with a generator seeded by ``seed``, so the
    interval is reproducible. When every value is equal the interval is that value;
    when BCa is degenerate (too few distinct values) it falls back to the percentile
    method.

    Args:
        x: the sample, e.g. paired differences.
        confidence: confidence level, above 0 and below 1.
        n_resamples: bootstrap resamples.
        seed: seed of the resampling generator.
        method: ``"BCa"``, ``"percentile"`` or ``"basic"``.

    Returns:
        ``(low, high)``; ``(nan, nan)`` for fewer than two values.

    Raises:
        ValueError: for NaN or infinite input or a confidence outside (0, 1).
    """
    x = _finite_1d(x, "x", "bootstrap_ci")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"bootstrap_ci: confidence = {confidence}: allowed above 0 to below 1")
    if x.size < 2:
        return (math.nan, math.nan)
    if np.all(x == x[0]):
        return (float(x[0]), float(x[0]))

    def interval(how: str) -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.bootstrap(
                (x,),
                np.mean,
                confidence_level=confidence,
                n_resamples=n_resamples,
                method=how,
                rng=np.random.default_rng(seed),
            )
        return float(res.confidence_interval.low), float(res.confidence_interval.high)

    low, high = interval(method)
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = interval("percentile")
    return low, high


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return Holm-Bonferroni adjusted p-values (step-down, monotone, at most 1).

    NaN p-values (comparisons that could not be made) stay NaN and do not count in
    the family size.

    Args:
        pvalues: the raw p-values of one family of comparisons.

    Returns:
        The adjusted p-values, in the input order.

    Raises:
        ValueError: for p-values outside [0, 1].
    """
    p = np.asarray(pvalues, dtype=float).reshape(-1)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size == 0:
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("holm: p-values must lie in [0, 1]")
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out
