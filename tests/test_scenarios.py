"""Scenario library: each case reproduces its qualitative history; each teaching
scenario differs from ``default`` in the direction its name promises.

Every check runs 20 seeds derived from one root ``SeedSequence`` (deterministic). The
checks and their sources are listed in docs/scenarios.md.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from ci_sim.runner import RunResult
from ci_sim.stats import paired_effect
from ci_sim.sweep import derive_seeds, run_seeds

SEEDS = derive_seeds(3, 20)


def _orgs_at(result: RunResult, year: float) -> pd.DataFrame:
    o = result.organisations
    return o[(o["year"] - year).abs() < 1e-9]


def case_outcome(result: RunResult) -> dict[str, float]:
    """Numbers the case checks read off one run."""
    ev = result.events
    policy = ev.loc[ev["kind"] == "policy_change", "year"]
    out = {"first_policy": float(policy.min()) if len(policy) else np.inf}
    for y in (0.0, 4.0, 5.0, 8.0, 9.0, 10.0, 12.0):
        if y > result.metrics["year"].max():
            continue
        o = _orgs_at(result, y)
        out[f"taking_part@{y:g}"] = float(o["stance"].isin(["engaged", "dominating"]).sum())
        out[f"respected@{y:g}"] = float((o["mean_trust"] >= RESPECT).mean())
        others = o[o["logic"] != "police"]
        out[f"others_willing@{y:g}"] = float((others["willingness"] >= 0.5).mean())
        out[f"others_practice@{y:g}"] = float((others["practice"] >= 0.3).mean())
        out[f"police_share@{y:g}"] = float(
            o.loc[o["logic"] == "police", "practice"].sum() / o["practice"].sum()
        )
        out[f"municipal_practice@{y:g}"] = float(
            o.loc[o["logic"] == "municipality", "practice"].mean()
        )
    o = _orgs_at(result, 6.0) if result.metrics["year"].max() >= 6 else _orgs_at(result, 0.0)
    out["police_trust_bb@6"] = float(o.loc[o["logic"] == "police", "trust_backbone"].mean())
    return out


#: An organisation "feels respected" when its people's mean trust toward contacts in
#: other organisations is at least this (operational choice, docs/scenarios.md).
RESPECT = 0.3


@cache
def case(name: str, **overrides) -> pd.DataFrame:
    return run_seeds(name, SEEDS, case_outcome, overrides=overrides or None, processes=2)


def test_landskaber_policy_rises_in_year_four():
    """Four years in, the national budget funds pilots nationwide (seed L324-345).

    The window's date is the scenario's (the case names it, no random windows); whether
    it changes the frame is the model's: only when the mobilised push passes the
    threshold. Without a backbone the same window finds too little push (C2.8, C5.3).
    """
    first = case("landskaber")["first_policy"]
    assert ((first >= 4.0) & (first < 5.0)).mean() >= 0.75
    alone = case("landskaber", **{"backbone.enabled": False})["first_policy"]
    assert (alone < 5.0).mean() <= 0.25, alone.tolist()


def test_bo_trygt_ownership_spreads_from_the_police():
    """From 'the police's job alone' to many owners after eight years (seed L586-608)."""
    t = case("bo_trygt")
    assert (t["others_willing@0"] == 0).all() and (t["others_practice@0"] == 0).all()
    assert t["others_willing@8"].median() >= 0.75
    assert (t["police_share@8"] < t["police_share@0"]).all()
    assert t["police_share@8"].median() < 0.3


def test_hjem_til_alle_changes_the_national_frame_in_year_five():
    """The 2021 agreement (seed L1428-1462, C5.3), then practice spreads faster (C5.6).

    ``policy_threshold`` was calibrated on seed root 7 (docs/scenarios.md); these are
    root-3 seeds.
    """
    t = case("hjem_til_alle")
    first = t["first_policy"]
    assert ((first >= 5.0) & (first < 6.0)).mean() >= 0.75
    # the 2021 window is scheduled; the change is earned: alone, the field rarely gets there
    alone = case("hjem_til_alle", **{"backbone.enabled": False})["first_policy"]
    assert (alone < 6.0).mean() <= 0.25, alone.tolist()
    changed = first < 6.0
    rise = t.loc[changed, "municipal_practice@9"] - t.loc[changed, "municipal_practice@5"]
    before = t.loc[changed, "municipal_practice@5"] - t.loc[changed, "municipal_practice@0"]
    # Practice spreads faster after the frame changes (C5.6). The suite's paired
    # criterion (p < 0.01, at least 75% of runs); round 1 asked for 90% of runs; with
    # sequential mindset meetings 18 of 19 runs (docs/scenarios.md).
    e = paired_effect(before.to_numpy(), rise.to_numpy())
    assert e.mean_diff > 0 and e.p_value < 0.01 and e.share_b_greater >= 0.75, str(e)


@pytest.mark.xfail(
    strict=True,
    reason="round 2: the field stays wider than the case's 24 partners; on calibration "
    "root 7 the median taking part at year 10 is 37 with let_go 1.0 and 30 with 3.0 "
    "(local leaders pull withdrawn organisations back, docs/ODD.md 7.12)",
)
def test_hjem_til_alle_narrows_to_about_24_partners():
    """80+ actors narrow to 24 partners ten years in (C2.10, seed L1445-1447)."""
    t = case("hjem_til_alle")
    assert t["taking_part@10"].between(10, 44).all()  # always narrows to under 55% of 80
    assert abs(t["taking_part@10"].median() - 24) <= 6


def test_naboskab_dual_host_keeps_the_police_close():
    """A joint coordinator in two organisations (seed L763-784, C2.19)."""
    dual = case("naboskab")["police_trust_bb@6"].to_numpy()
    single = case("naboskab", **{"backbone.host": "hjoerring_kommune"})["police_trust_bb@6"]
    e = paired_effect(single.to_numpy(), dual)
    assert e.mean_diff > 0 and e.p_value < 0.01, str(e)


@pytest.mark.xfail(
    strict=True,
    reason="round-2 finding: the respected share at year 10 is 0.49 (round 1: 0.925) "
    "against the case's 0.96; the respect cut-off (0.3 trust) was a round-1 calibration",
)
def test_medvind_respect_reached_ten_years_in():
    """96% of actors feel respected by the other organisations in 2026 (seed L928-956)."""
    t = case("medvind")
    assert t["respected@10"].mean() >= 0.9
    assert t["respected@0"].max() == 0.0
    without = case("medvind", **{"backbone.enabled": False})
    assert without["respected@10"].mean() < 0.5


# --- teaching scenarios ------------------------------------------------------------------

TEACHING_METRICS = (
    "systemic_change",
    "relational",
    "transformative",
    "practices",
    "understanding",
    "shared_will",
    "backbone_dependence",
    "backbone_staff",
    "backbone_present",
)


def teaching_outcome(result: RunResult) -> dict[str, float]:
    out = {}
    for y in (11.9, 15.0):
        row = result.at_year(y)
        out.update({f"{m}@{y:g}": float(row[m]) for m in TEACHING_METRICS})
    return out


@cache
def teaching(name: str) -> pd.DataFrame:
    return run_seeds(name, SEEDS, teaching_outcome, processes=2)


def lower(name: str, col: str) -> None:
    e = paired_effect(teaching("default")[col].to_numpy(), teaching(name)[col].to_numpy())
    assert e.mean_diff < 0 and e.p_value < 0.01, (name, col, str(e))


def higher(name: str, col: str) -> None:
    e = paired_effect(teaching("default")[col].to_numpy(), teaching(name)[col].to_numpy())
    assert e.mean_diff > 0 and e.p_value < 0.01, (name, col, str(e))


@pytest.mark.parametrize(
    ("name", "direction", "col"),
    [
        ("no_backbone", lower, "systemic_change@11.9"),
        ("no_backbone", lower, "systemic_change@15"),
        ("captured_backbone", lower, "relational@11.9"),
        ("captured_backbone", lower, "systemic_change@11.9"),
        pytest.param(
            "free_floating_backbone",
            lower,
            "practices@11.9",
            marks=pytest.mark.xfail(
                strict=True, reason="round 2: -0.046, p 0.019 (not < 0.01) on 20 seeds"
            ),
        ),
        ("free_floating_backbone", lower, "practices@15"),
        ("growing_backbone", higher, "backbone_dependence@11.9"),
        ("tight_steering", lower, "transformative@11.9"),
        ("tight_steering", lower, "systemic_change@11.9"),
        # failed at p 0.051 with the simultaneous mindset update; holds again with
        # sequential meetings (kernels.sequential_confidence)
        ("credit_taking", lower, "shared_will@11.9"),
        ("no_sunset", higher, "systemic_change@15"),
        ("early_sunset_no_handover", lower, "systemic_change@11.9"),
        ("early_sunset_no_handover", lower, "practices@15"),
    ],
)
def test_teaching_scenario_moves_the_promised_way(name, direction, col):
    direction(name, col)


def test_free_floating_backbone_still_builds_understanding():
    """C2.13: free-floating ideas flow, but they are not anchored.

    Both halves, paired over the same seeds: a free-floating backbone builds far more
    understanding than no backbone at all, and more of its understanding stays
    unpractised (understanding minus own practice at year 15) than in the default.
    """
    free, default = teaching("free_floating_backbone"), teaching("default")
    built = paired_effect(
        teaching("no_backbone")["understanding@11.9"].to_numpy(),
        free["understanding@11.9"].to_numpy(),
    )
    assert built.mean_diff > 0 and built.p_value < 0.01 and built.share_b_greater >= 0.75
    gap = paired_effect(
        (default["understanding@15"] - default["practices@15"]).to_numpy(),
        (free["understanding@15"] - free["practices@15"]).to_numpy(),
    )
    assert gap.mean_diff > 0 and gap.p_value < 0.01 and gap.share_b_greater >= 0.75, str(gap)
