"""The stylised-facts suite (issue: validation) with fewer seeds than the full report.

The full report (30 seeds, alpha 0.01) is docs/patterns.md, made by
``ci-sim check-patterns --seeds 30 --out docs``. Here 12 seeds must show every pattern
in the direction the seed predicts with p < 0.05, so a behaviour change that breaks a
pattern is caught.
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


@pytest.mark.parametrize("index", range(len(PATTERNS)), ids=[p.key for p in PATTERNS])
def test_pattern_holds_with_twelve_seeds(index):
    r = results()[index]
    assert r.passed, results_table([r]).to_dict("records")


def test_report_has_a_table_row_and_a_figure_per_pattern(tmp_path):
    path = write_report(results(), tmp_path, seeds=12)
    text = path.read_text()
    for r in results():
        assert f"figures/{r.pattern.key}.png" in text
        png = tmp_path / "figures" / f"{r.pattern.key}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert text.count("| pass |") + text.count("| FAIL |") == len(PATTERNS)
