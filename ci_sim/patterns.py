"""Stylised facts from the seed, checked over paired seeds (pattern-oriented modelling).

Each :class:`Pattern` names the claims it rests on, two settings (or two statistics of
one setting) run with the same seeds, the statistic compared, and the direction the
seed predicts. :func:`check_patterns` runs them all and returns one
:class:`PatternResult` per pattern; :func:`write_report` writes a markdown report with a
pass/fail table and one figure per pattern. The statistical test is a one-sided
Wilcoxon signed-rank test on the paired differences at ``alpha``; the effect size is
Cohen's d_z (mean paired difference over its standard deviation).

Patterns follow Grimm et al. (2005): several weak patterns together constrain a model
more than one strong one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ci_sim.logics import LOGIC_TABLE, Logic, distance
from ci_sim.report import markdown_table
from ci_sim.runner import RunResult
from ci_sim.sweep import derive_seeds, run_seeds

ROOT_SEED = 1991
YEARS = (0.0, 2.0, 4.0, 6.0, 7.9, 11.0, 11.9, 15.0)
METRICS = (
    "systemic_change",
    "structural",
    "relational",
    "transformative",
    "practices",
    "shared_will",
    "mean_trust",
    "relationships",
    "understanding",
    "local_leadership",
    "backbone_dependence",
    "backbone_delivery",
    "change_leaders",
    "cross_org_contacts",
    "resource_flows",
    "mental_models",
    "policies",
)
#: Years at which a failing pattern's report shows what moved instead (with the years its
#: statistic reads).
MOVED_YEARS = (7.9, 11.9, 15.0)
_HOST = Logic.MUNICIPALITY
#: Logics far (> 0.4 normalised distance) from the municipality's in logic space.
DISTANT_LOGICS = tuple(
    lg.value
    for lg in Logic
    if distance(np.array(LOGIC_TABLE[lg].position), np.array(LOGIC_TABLE[_HOST].position)) > 0.4
)


#: Patterns the round-2 model does not reproduce, with what the runs show instead.
#: Measured on the validation seeds of :data:`ROOT_SEED` (30 seeds) and on the 12 seeds of
#: ``tests/test_patterns.py`` (which marks these strict xfails), not tuned away. Each
#: reason is read off the "what moved instead" table the report prints for a failing
#: pattern; a pattern listed here that starts to hold makes the test suite say so.
NOT_REPRODUCED: dict[str, str] = {
    "relapse_unless_anchored": (
        "Without a backbone (sunset at 8, no handover) own practice relapses slowly in "
        "both settings, and cutting anchoring through capabilities to 2% of the effort "
        "leaves practice as it is: it lowers resource flows instead. In the model "
        "practice is held "
        "by routines and the local leadership left behind, which this setting does not "
        "remove (its effort goes to the other tasks, local leadership is slightly higher)."
    ),
    "free_floating": (
        "At year 11.9 a free-floating backbone's organisations practise about as much: "
        "its brokering builds more cross-organisation contacts and relations. It builds "
        "much less local leadership and fewer change leaders, so practice falls behind "
        "after the sunset at 12 (see year 15). Understanding is not higher either, so "
        "the first half of the claim does not show. The pattern's year was set before "
        "round 2 and was not moved after seeing these seeds."
    ),
    "balance_beats_develop_relations": (
        "The direction holds (systemic change lower with an 85% focus on developing "
        "relations) but the gap is small: the focus builds many more cross-organisation "
        "contacts and relationships, which offset its lower practice, resource flows "
        "and local leadership."
    ),
    "balance_beats_anchor_relations": (
        "An 85% focus on anchoring through relations trails the balanced split while "
        "the backbone is there (year 7.9), but its coaching makes so many change leaders "
        "that local leadership about doubles, and after the sunset at 12 that leadership "
        "carries practice and systemic change above the balanced split by year 15. The "
        "source names all four tasks as needed (C4.1-C4.4) but gives no sizes; in the "
        "model coaching change leaders is the strongest route to durable change."
    ),
    "growth_drop_after_sunset": (
        "Since round 2 `practices` is the organisations' own practice; what the backbone "
        "delivers is `backbone_delivery`. A growing backbone lowers own practice while "
        "it is there (its delivery crowds out local leadership), and own practice "
        "recovers after it leaves, so the drop at the sunset shows in "
        "`backbone_delivery`, which falls to zero, not in `practices`."
    ),
    "policy_amplifies": (
        "A policy frame changes the incentives organisations face, and the "
        "local-to-national step is rare and earned (ODD 7.11): by year 15 a frame has "
        "changed in few runs (see `policies`), so the amplification of practice, "
        "averaged over all runs, is small."
    ),
}


def _half_time(result: RunResult, metric: str, until: float = 11.9) -> float:
    """Year at which ``metric`` first covers half its rise from year 0 to ``until``."""
    m = result.metrics
    start, end = m[metric].iloc[0], float(result.at_year(until)[metric])
    if end <= start:
        return until
    reached = m[(m[metric] >= start + 0.5 * (end - start)) & (m["year"] <= until)]
    return float(reached["year"].iloc[0]) if len(reached) else until


def outcome(result: RunResult) -> dict[str, float]:
    """All statistics the patterns read off one run (picklable, module level)."""
    out: dict[str, float] = {}
    for y in YEARS:
        if y <= result.metrics["year"].max():
            row = result.at_year(y)
            out.update({f"{m}@{y:g}": float(row[m]) for m in METRICS})
    orgs = result.organisations
    mid = orgs[(orgs["year"] - 6.0).abs() < 1e-9]
    out["distant_trust_bb@6"] = float(
        mid.loc[mid["logic"].isin(DISTANT_LOGICS), "trust_backbone"].mean()
    )
    out["half_time:shared_will"] = _half_time(result, "shared_will")
    out["half_time:practices"] = _half_time(result, "practices")
    yearly = result.metrics[result.metrics["step"] % result.params.simulation.steps_per_year == 0]
    for metric in METRICS:
        for y, v in zip(yearly["year"], yearly[metric], strict=True):
            out[f"traj:{metric}@{y:g}"] = float(v)
    return out


def _drop(a: str, b: str) -> Any:
    return ("drop", a, b)


@dataclass(frozen=True)
class Pattern:
    """One stylised fact.

    Attributes:
        key: short identifier.
        claim: the pattern in words.
        claims: claim ids it rests on.
        a, b: overrides of the two settings (``b`` is the one the claim is about).
        statistic: column of :func:`outcome`, or ``("drop", col1, col2)`` for
            ``col1 - col2``, or ``("reldrop", col1, col2)`` for ``(col1 - col2) / col1``.
        statistic_b: if set, read from setting ``a`` too and compared with
            ``statistic`` (two statistics of the same runs).
        expect: ``"lower"`` or ``"higher"``: how ``b`` compares with ``a``.
        plot: metric whose yearly trajectory the figure shows.
        label_a, label_b: legend labels.
    """

    key: str
    claim: str
    claims: tuple[str, ...]
    a: Mapping[str, Any]
    b: Mapping[str, Any]
    statistic: Any
    expect: str
    plot: str
    label_a: str = "reference"
    label_b: str = "intervention"
    statistic_b: Any = None


@dataclass
class PatternResult:
    """The outcome of one pattern check."""

    pattern: Pattern
    values_a: np.ndarray
    values_b: np.ndarray
    p_value: float
    dz: float
    passed: bool
    trajectories: dict[str, pd.DataFrame] = field(default_factory=dict)
    moved: pd.DataFrame | None = None

    @property
    def mean_diff(self) -> float:
        """Mean of ``b - a``."""
        return float((self.values_b - self.values_a).mean())


TASKS = ("develop_relations", "develop_capabilities", "anchor_capabilities", "anchor_relations")


def _focus(task: str) -> dict[str, float]:
    return {f"backbone.effort.{t}": (0.85 if t == task else 0.05) for t in TASKS}


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "stuck_without_backbone",
        "Without a backbone a stubborn problem stays stuck",
        ("C0.1", "C0.2", "C1.3", "C2.11"),
        {},
        {"backbone.enabled": False},
        _drop("systemic_change@11.9", "systemic_change@0"),
        "lower",
        "systemic_change",
        "backbone",
        "no backbone",
    ),
    Pattern(
        "relapse_unless_anchored",
        "When disturbance stops, practice relapses unless anchored",
        ("C2.15", "C4.3", "C1.1"),
        {"backbone.sunset_year": 8, "backbone.handover": False},
        {
            "backbone.sunset_year": 8,
            "backbone.handover": False,
            "backbone.effort.anchor_capabilities": 0.02,
        },
        ("reldrop", "practices@7.9", "practices@11"),
        "higher",
        "practices",
        "balanced effort",
        "almost no anchoring through capabilities",
    ),
    Pattern(
        "free_floating",
        "A free-floating backbone produces understanding but little practice change",
        ("C2.13", "C4.3"),
        {},
        {
            "backbone.independence": 1.0,
            "backbone.effort.develop_relations": 0.47,
            "backbone.effort.develop_capabilities": 0.47,
            "backbone.effort.anchor_capabilities": 0.03,
            "backbone.effort.anchor_relations": 0.03,
        },
        "practices@11.9",
        "lower",
        "practices",
        "default",
        "free-floating",
    ),
    Pattern(
        "captured_loses_distant",
        "A captured backbone loses the trust of actors with distant logics",
        ("C2.11", "C2.12", "C2.16", "C3.6"),
        {"backbone.host": "municipality", "backbone.independence": 1.0},
        {"backbone.host": "municipality", "backbone.independence": 0.1},
        "distant_trust_bb@6",
        "lower",
        "relational",
        "independent (host municipality)",
        "captured (independence 0.1)",
    ),
    *(
        Pattern(
            f"balance_beats_{task}",
            f"A balanced split of the four tasks beats a focus on {task.replace('_', ' ')}",
            ("C4.1", "C4.2", "C4.3", "C4.4"),
            {},
            _focus(task),
            "systemic_change@15",
            "lower",
            "systemic_change",
            "balanced",
            f"85% {task.replace('_', ' ')}",
        )
        for task in TASKS
    ),
    Pattern(
        "slow_start",
        "Little visible change in the first two years",
        ("C3.7", "C2.8"),
        {},
        {},
        _drop("structural@2", "structural@0"),
        "higher",
        "structural",
        "years 0-2",
        "years 4-6",
        statistic_b=_drop("structural@6", "structural@4"),
    ),
    Pattern(
        "credit_taking",
        "Credit-taking by the backbone lowers shared will",
        ("C3.11",),
        {"backbone.credit_taking": 0.0},
        {"backbone.credit_taking": 0.9},
        "shared_will@11.9",
        "lower",
        "shared_will",
        "credit to actors",
        "credit taken",
    ),
    Pattern(
        "tight_steering",
        "Tight goal steering lowers transformative change",
        ("C3.4", "C3.5", "C3.8", "C5.4"),
        {"governance.goal_steering": 0.1, "governance.reporting_burden": 0.1},
        {"governance.goal_steering": 0.9, "governance.reporting_burden": 0.8},
        "transformative@11.9",
        "lower",
        "transformative",
        "loose steering",
        "tight steering",
    ),
    Pattern(
        "growth_dependence",
        "A growing backbone raises dependence on it",
        ("C2.17", "C3.2", "C3.3"),
        {},
        {"backbone.growth": 0.9},
        "backbone_dependence@11.9",
        "higher",
        "backbone_dependence",
        "lean",
        "growing",
    ),
    Pattern(
        "growth_drop_after_sunset",
        "A growing backbone leaves a larger drop in practice after its sunset",
        ("C2.17", "C3.3"),
        {},
        {"backbone.growth": 0.9},
        _drop("practices@11.9", "practices@15"),
        "higher",
        "practices",
        "lean",
        "growing",
    ),
    Pattern(
        "handover",
        "Handover to local change leaders keeps change alive after the sunset",
        ("C3.7", "C2.22", "C4.4"),
        {},
        {"backbone.handover": False},
        _drop("systemic_change@11.9", "systemic_change@15"),
        "higher",
        "systemic_change",
        "handover",
        "no handover",
    ),
    Pattern(
        "turnover",
        "Turnover of people erodes trust",
        ("C2.7", "C2.24"),
        {"organisations.turnover_per_year": 0.05},
        {"organisations.turnover_per_year": 0.4},
        "mean_trust@11.9",
        "lower",
        "mean_trust",
        "turnover 5%/year",
        "turnover 40%/year",
    ),
    Pattern(
        "policy_amplifies",
        "A policy change amplifies practice change",
        ("C5.3", "C5.6"),
        {"environment.policy_window_per_year": 0.0},
        {},
        "practices@15",
        "higher",
        "practices",
        "frames never open",
        "default (frames can change)",
    ),
    Pattern(
        "disturbance",
        "Disturbing routines keeps practice from sliding back",
        ("C2.15", "C1.1", "C2.14"),
        {"backbone.disturbance": 0.8},
        {"backbone.disturbance": 0.0},
        "practices@11.9",
        "lower",
        "practices",
        "disturbance 0.8",
        "no disturbance",
    ),
    Pattern(
        "will_before_practice",
        "Shared will grows before practice does (relations first)",
        ("C2.1", "C2.20", "C4.1"),
        {},
        {},
        "half_time:shared_will",
        "higher",
        "shared_will",
        "shared will: half-way year",
        "practice: half-way year",
        statistic_b="half_time:practices",
    ),
)


def _read(table: pd.DataFrame, statistic: Any) -> np.ndarray:
    if isinstance(statistic, tuple):
        kind, first, second = statistic
        drop = (table[first] - table[second]).to_numpy()
        return drop / np.maximum(table[first].to_numpy(), 1e-9) if kind == "reldrop" else drop
    return table[statistic].to_numpy()


def _settings(patterns: Sequence[Pattern]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for p in patterns:
        for overrides in (p.a, p.b):
            out.setdefault(repr(sorted(overrides.items())), overrides)
    return out


def _trajectory(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    cols = [c for c in table.columns if c.startswith(f"traj:{metric}@")]
    years = [float(c.split("@")[1]) for c in cols]
    values = table[cols].to_numpy()
    return pd.DataFrame(
        {
            "year": years,
            "mean": values.mean(axis=0),
            "low": np.quantile(values, 0.1, axis=0),
            "high": np.quantile(values, 0.9, axis=0),
        }
    )


def evaluate(
    pattern: Pattern, table_a: pd.DataFrame, table_b: pd.DataFrame, alpha: float
) -> PatternResult:
    """Compare one pattern's statistic between the two tables (rows paired by seed)."""
    values_a = _read(table_a, pattern.statistic)
    values_b = (
        _read(table_a, pattern.statistic_b)
        if pattern.statistic_b is not None
        else _read(table_b, pattern.statistic)
    )
    d = values_b - values_a
    sd = d.std(ddof=1)
    dz = float(d.mean() / sd) if sd > 0 else 0.0
    alternative = "less" if pattern.expect == "lower" else "greater"
    p = (
        1.0
        if np.all(d == 0)
        else float(stats.wilcoxon(values_b, values_a, alternative=alternative).pvalue)
    )
    right_way = d.mean() < 0 if pattern.expect == "lower" else d.mean() > 0
    trajectories = {pattern.label_a: _trajectory(table_a, pattern.plot)}
    if pattern.statistic_b is None:
        trajectories[pattern.label_b] = _trajectory(table_b, pattern.plot)
    moved = None if pattern.statistic_b is not None else moved_table(pattern, table_a, table_b)
    return PatternResult(
        pattern, values_a, values_b, p, dz, bool(right_way and p < alpha), trajectories, moved
    )


def _statistic_years(statistic: Any) -> list[float]:
    columns = statistic[1:] if isinstance(statistic, tuple) else (statistic,)
    return [float(c.split("@")[1]) for c in columns if "@" in c]


def moved_table(pattern: Pattern, table_a: pd.DataFrame, table_b: pd.DataFrame) -> pd.DataFrame:
    """Return the mean of A and the mean paired difference B - A of every recorded metric.

    One row per metric of :data:`METRICS`, columns ``A@y`` and ``B-A@y`` for the years the
    statistic reads and :data:`MOVED_YEARS`: what else the two settings changed, so a
    pattern that does not hold can be read (the report prints it for those).
    """
    years = sorted(set(_statistic_years(pattern.statistic)) | set(MOVED_YEARS))
    rows = []
    for metric in METRICS:
        row: dict[str, Any] = {"metric": metric}
        for y in years:
            col = f"{metric}@{y:g}"
            if col in table_a and col in table_b:
                a = table_a[col].to_numpy(dtype=float)
                b = table_b[col].to_numpy(dtype=float)
                row[f"A@{y:g}"] = float(a.mean())
                row[f"B-A@{y:g}"] = float((b - a).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def smallest_p_value(seeds: int) -> float:
    """Return the smallest p-value a one-sided exact Wilcoxon test over ``seeds`` pairs gives.

    Under the null hypothesis each of the ``2**n`` sign patterns of the ranked paired
    differences is equally likely; the most extreme one (every difference in the expected
    direction) has probability ``2**-n``, so no data can give a smaller p-value.
    Zero differences are dropped by the test and only make it larger.
    """
    return 0.5 ** max(int(seeds), 0)


def min_seeds(alpha: float) -> int:
    """Return the fewest paired seeds with which a pattern can pass at ``alpha``.

    A pattern passes when ``p < alpha``; this is the smallest ``n`` with
    :func:`smallest_p_value` ``(n) < alpha`` (7 at alpha 0.01, 5 at 0.05).

    Raises:
        ValueError: for an alpha outside (0, 1).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha {alpha!r}: allowed range above 0 to below 1")
    n = 1
    while smallest_p_value(n) >= alpha:
        n += 1
    return n


def check_patterns(
    seeds: int = 30,
    processes: int = 2,
    alpha: float = 0.01,
    patterns: Sequence[Pattern] = PATTERNS,
    root_seed: int = ROOT_SEED,
) -> list[PatternResult]:
    """Run every pattern over ``seeds`` paired seeds and return the results.

    Raises:
        ValueError: for fewer seeds than :func:`min_seeds` ``(alpha)``: no pattern
            could pass, whatever the model does.
    """
    needed = min_seeds(alpha)
    if seeds < needed:
        raise ValueError(
            f"{seeds} paired seeds cannot reach alpha {alpha:g}: the smallest one-sided "
            f"Wilcoxon p-value with {seeds} seeds is {smallest_p_value(seeds):.3g}; "
            f"use at least {needed} seeds"
        )
    run_seeds_ = derive_seeds(root_seed, seeds)
    tables = {
        key: run_seeds("default", run_seeds_, outcome, dict(overrides) or None, processes)
        for key, overrides in _settings(patterns).items()
    }
    return [
        evaluate(p, tables[repr(sorted(p.a.items()))], tables[repr(sorted(p.b.items()))], alpha)
        for p in patterns
    ]


def results_table(results: Sequence[PatternResult]) -> pd.DataFrame:
    """One row per pattern: claim ids, means, difference, d_z, p, pass."""
    return pd.DataFrame(
        [
            {
                "pattern": r.pattern.key,
                "claim": r.pattern.claim,
                "claims": ", ".join(r.pattern.claims),
                "expect": r.pattern.expect,
                "n": len(r.values_a),
                "mean_a": round(float(r.values_a.mean()), 4),
                "mean_b": round(float(r.values_b.mean()), 4),
                "diff": round(r.mean_diff, 4),
                "dz": round(r.dz, 2),
                "p": float(f"{r.p_value:.2g}"),
                "passed": r.passed,
            }
            for r in results
        ]
    )


def plot_pattern(result: PatternResult, path: Path) -> Path:
    """Draw the mean trajectory (10-90% band over seeds) of both settings to ``path``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.4), dpi=100)
    ax = fig.subplots()
    for label, traj in result.trajectories.items():
        ax.plot(traj["year"], traj["mean"], label=label)
        ax.fill_between(traj["year"], traj["low"], traj["high"], alpha=0.2)
    ax.set_xlabel("year")
    ax.set_ylabel(result.pattern.plot)
    verdict = "pass" if result.passed else "FAIL"
    ax.set_title(f"{result.pattern.claim} [{verdict}]", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _describe_statistic(stat: Any) -> str:
    if not isinstance(stat, tuple):
        return str(stat)
    kind, first, second = stat
    return f"({first} - {second}) / {first}" if kind == "reldrop" else f"{first} - {second}"


def _moved_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The moved table as text: means to 3 decimals, differences signed."""
    text = frame.copy()
    for col in frame.columns[1:]:
        form = "{:+.3f}" if col.startswith("B-A") else "{:.3f}"
        text[col] = frame[col].map(form.format)
    return text


def _not_holding_lines(results: Sequence[PatternResult]) -> list[str]:
    """The report's section on patterns that do not hold: why, and what moved instead."""
    failing = [r for r in results if not r.passed]
    lines: list[str] = []
    if failing:
        lines += [
            "## Patterns that do not hold, and why",
            "",
            "For each pattern that does not pass: what the runs show instead (the reason is "
            "kept in `ci_sim.patterns.NOT_REPRODUCED` and read off the table below it), and "
            "the mean of A and the mean paired difference B - A of every recorded metric "
            "over the same seeds.",
            "",
        ]
    for r in failing:
        reason = NOT_REPRODUCED.get(
            r.pattern.key, "Not explained yet: this pattern is not in `NOT_REPRODUCED`."
        )
        lines += [f"### {r.pattern.claim} (`{r.pattern.key}`)", "", reason, ""]
        if r.moved is not None:
            lines += markdown_table(_moved_text(r.moved)) + [""]
    holding = [r.pattern.key for r in results if r.passed and r.pattern.key in NOT_REPRODUCED]
    if holding:
        lines += [
            "Listed in `NOT_REPRODUCED` but holding in this run: "
            + ", ".join(f"`{k}`" for k in holding)
            + ".",
            "",
        ]
    return lines


def write_report(
    results: Sequence[PatternResult], out: Path, seeds: int, figures: str = "figures"
) -> Path:
    """Write ``patterns.md`` and one PNG per pattern into ``out``; return the report path."""
    out.mkdir(parents=True, exist_ok=True)
    table = results_table(results)
    lines = [
        "# Stylised facts from the seed",
        "",
        "Generated by `ci-sim check-patterns --seeds "
        f"{seeds}` (root seed {ROOT_SEED}); do not edit by hand.",
        "",
        "Each pattern compares two settings (B against A) over the same seeds with a one-sided",
        "Wilcoxon signed-rank test at alpha 0.01; d_z is the mean paired difference over its",
        "standard deviation. Settings are overrides of the `default` scenario.",
        "",
        f"**{int(table['passed'].sum())} of {len(table)} patterns pass.**",
        "",
        "| pattern | claims | expect B | mean A | mean B | diff | d_z | p | result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r, row in zip(results, table.itertuples(), strict=True):
        lines.append(
            f"| {r.pattern.claim} | {row.claims} | {row.expect} | {row.mean_a:.3f} | "
            f"{row.mean_b:.3f} | {row.diff:+.3f} | {row.dz:+.2f} | {row.p:.2g} | "
            f"{'pass' if row.passed else 'FAIL'} |"
        )
    lines.append("")
    lines += _not_holding_lines(results)
    for r in results:
        png = plot_pattern(r, out / figures / f"{r.pattern.key}.png")
        stat = r.pattern.statistic
        stat_text = _describe_statistic(stat)
        lines += [
            f"## {r.pattern.claim}",
            "",
            f"Claims {', '.join(r.pattern.claims)}. A = {r.pattern.label_a} "
            f"(`{dict(r.pattern.a) or 'default'}`), B = {r.pattern.label_b} "
            f"(`{dict(r.pattern.b) or 'default'}`). Statistic: `{stat_text}`"
            + (
                f" against `{_describe_statistic(r.pattern.statistic_b)}`"
                if r.pattern.statistic_b
                else ""
            )
            + f"; B expected {r.pattern.expect}.",
            "",
            f"![{r.pattern.key}]({figures}/{png.name})",
            "",
        ]
    path = out / "patterns.md"
    path.write_text("\n".join(lines))
    return path
