"""The stylised-facts suite (issue: validation) with fewer seeds than the full report.

The full report (30 seeds, alpha 0.01) is docs/patterns.md, made by
``ci-sim check-patterns --seeds 30 --out docs``. Here 12 seeds must show every pattern
in the direction the seed predicts with p < 0.05, so a behaviour change that breaks a
pattern is caught; the patterns the round-2 model does not reproduce are strict xfails.
"""

from __future__ import annotations

from functools import cache

import pytest

from ci_sim.patterns import PATTERNS, check_patterns, results_table, write_report


@cache
def results():
    return check_patterns(seeds=12, processes=2, alpha=0.05)


def test_there_are_at_least_twelve_patterns_with_claims():
    assert len(PATTERNS) >= 12
    assert len({p.key for p in PATTERNS}) == len(PATTERNS)
    assert all(p.claims and all(c.startswith("C") for c in p.claims) for p in PATTERNS)


#: Patterns that the round-2 model does not reproduce on these 12 seeds (measured, not
#: tuned away; docs/patterns.md and the issue-7 note discuss each). Strict xfail: if one
#: starts to hold again, the suite says so and this list must be revised.
NOT_REPRODUCED_IN_ROUND_2 = {
    "relapse_unless_anchored": "practice after an early sunset without anchoring does not "
    "relapse more than with balanced effort: local leaders keep disturbing",
    "free_floating": "a free-floating backbone's practice is not lower at year 11.9",
    "balance_beats_develop_relations": "a relationship-only focus is as good as balance "
    "(it builds more bridging relations; resource flows and practice lag)",
    "balance_beats_anchor_relations": "an anchoring-through-relations focus builds "
    "leadership that carries the rest; balance is not better",
    "growth_drop_after_sunset": "practices now exclude what the backbone delivers; own "
    "practice recovers after a growing backbone leaves",
    "policy_amplifies": "a policy change now changes incentives (routines, stakes, "
    "thresholds, mandate), not practice directly; no amplification within the window",
}


def _marks(key: str) -> list:
    reason = NOT_REPRODUCED_IN_ROUND_2.get(key)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.parametrize(
    "index",
    [pytest.param(i, id=p.key, marks=_marks(p.key)) for i, p in enumerate(PATTERNS)],
)
def test_pattern_holds_with_twelve_seeds(index):
    r = results()[index]
    assert r.passed, results_table([r]).to_dict("records")


def test_every_listed_exception_is_a_pattern():
    assert set(NOT_REPRODUCED_IN_ROUND_2) <= {p.key for p in PATTERNS}


def test_report_has_a_table_row_and_a_figure_per_pattern(tmp_path):
    path = write_report(results(), tmp_path, seeds=12)
    text = path.read_text()
    for r in results():
        assert f"figures/{r.pattern.key}.png" in text
        png = tmp_path / "figures" / f"{r.pattern.key}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert text.count("| pass |") + text.count("| FAIL |") == len(PATTERNS)
