"""Tests of the ablation suite and the Morris screen machinery (tiny configurations)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import ci_sim
from ci_sim import ablation, screening
from ci_sim.cli import main
from ci_sim.params import parameter_table
from ci_sim.scenarios import ScenarioError
from ci_sim.sweep import derive_seeds

SWITCH = "network_dynamics"
YEARS = (1.0, 2.0)
ROOT = 2027


@pytest.fixture(scope="module")
def tiny() -> ablation.Ablation:
    return ablation.ablate(seeds=2, root=ROOT, years=YEARS, switches=[SWITCH])


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ci-sim: error: ")
    return lines[0]


# --- ablation -------------------------------------------------------------------------


def test_configurations_are_all_on_plus_one_per_switch() -> None:
    configs = ablation.configurations()
    assert list(configs)[0] == ablation.ALL_ON and configs[ablation.ALL_ON] == {}
    assert len(configs) == 1 + len(ablation.switch_names())
    for name in ablation.switch_names():
        assert configs[f"{name} off"] == {f"switches.{name}": False}


def test_bad_switch_name_is_one_clear_error() -> None:
    with pytest.raises(ScenarioError, match="unknown switch 'habituaton'; allowed: .*habituation"):
        ablation.configurations(["habituaton"])


def test_cli_bad_switch_name_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ablate", "--switches", "nope", "--seeds", "2", "--years", "1"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "'nope'" in line and SWITCH in line


@pytest.mark.parametrize(
    "argv",
    [
        ["ablate", "--seeds", "1"],
        ["ablate", "--years", "0"],
        ["ablate", "--workers", "0"],
        ["screen", "--seeds", "1"],
        ["screen", "--trajectories", "1"],
        ["screen", "--levels", "3"],
        ["screen", "--year", "-1"],
    ],
)
def test_cli_bad_numbers_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    one_error_line(capsys.readouterr().err)


def test_table_shape(tiny: ablation.Ablation) -> None:
    eff = tiny.effects
    assert len(eff) == len(ablation.LEVERS) * 2 * len(ablation.OUTCOMES) * len(YEARS)
    assert set(eff["config"]) == {ablation.ALL_ON, f"{SWITCH} off"}
    assert set(eff["lever"]) == {lv.name for lv in ablation.LEVERS}
    assert set(eff["year"]) == set(YEARS)
    expected = {"effect", "ci_low", "ci_high", "dz", "p", "change", "carries", "n"}
    assert expected <= set(eff.columns)
    assert (eff["n"] == 2).all()
    assert (eff["ci_low"] <= eff["effect"] + 1e-12).all()
    assert (eff["effect"] <= eff["ci_high"] + 1e-12).all()
    on = eff[eff["config"] == ablation.ALL_ON]
    assert (on["change"] == 0).all() and not on["carries"].any()


def test_shared_arms_are_run_once(tiny: ablation.Ablation) -> None:
    # default serves relationship work, handover and sunset: 6 distinct arms per config
    per_config = tiny.raw.groupby("config")["arm"].nunique()
    assert (per_config == 6).all()
    assert tiny.arms == 12


def test_every_arm_runs_the_same_seeds(tiny: ablation.Ablation) -> None:
    seeds = derive_seeds(ROOT, 2)
    assert list(tiny.seeds) == seeds
    for _, part in tiny.raw.groupby(["config", "arm"]):
        assert part["seed"].tolist() == seeds


def test_effect_is_the_mean_paired_difference(tiny: ablation.Ablation) -> None:
    _, sides = ablation.plan(ablation.configurations([SWITCH]), years=max(YEARS))
    raw = tiny.raw
    for row in tiny.effects.itertuples():
        col = f"{row.outcome}@{row.year:g}"

        def arm(side: str, row=row, col=col) -> np.ndarray:
            key = sides[(row.config, row.lever, side)]
            part = raw[(raw["config"] == row.config) & (raw["arm"] == key)]
            return part.set_index("seed").loc[list(tiny.seeds), col].to_numpy()

        d = arm("treatment") - arm("reference")
        assert row.effect == pytest.approx(d.mean(), abs=1e-12)


def test_switching_off_changes_the_run(tiny: ablation.Ablation) -> None:
    raw = tiny.raw.set_index(["arm", "seed"])
    on = raw[raw["config"] == ablation.ALL_ON].drop(columns="config")
    off = raw[raw["config"] == f"{SWITCH} off"].drop(columns="config")
    assert not on.sort_index().equals(off.sort_index())
    a = ci_sim.run("default", seed=3, years=2, record_organisations=False).metrics
    b = ci_sim.run(
        "default",
        seed=3,
        years=2,
        overrides={f"switches.{SWITCH}": False},
        record_organisations=False,
    ).metrics
    assert not a.equals(b)


def test_carries_rule() -> None:
    assert ablation.carries(0.1, -0.01)
    assert ablation.carries(0.1, 0.04)
    assert not ablation.carries(0.1, 0.06)
    assert not ablation.carries(-0.1, -0.2)
    assert ablation.carries(-0.1, 0.0)
    assert not ablation.carries(0.0, 0.3)


def test_report_and_figure(tiny: ablation.Ablation, tmp_path) -> None:
    fig = ablation.plot_ablation(tiny.effects, tmp_path / "figures" / "ablation.png")
    assert fig.read_bytes().startswith(b"\x89PNG")
    text = ablation.render_markdown(tiny, "figures/ablation.png", "ci-sim ablate")
    assert f"Validation root {ROOT}" in text and f"root {ablation.CALIBRATION_ROOT}" in text
    for lever in ablation.LEVERS:
        assert lever.name in text
    assert f"{SWITCH} off" in text


# --- screening ------------------------------------------------------------------------


def _mechanism_rows() -> dict[str, dict]:
    return {
        r["key"]: r
        for r in parameter_table()
        if r["key"].startswith("mechanisms.") and r["kind"] in ("int", "float")
    }


def test_every_mechanism_constant_is_screened_or_explained() -> None:
    screened, skipped = screening.factors()
    keys = {f.key for f in screened} | set(skipped)
    assert keys == set(_mechanism_rows())
    assert screened  # the screen is not empty


def test_ranges_are_within_30_percent_and_bounds() -> None:
    rows = _mechanism_rows()
    for f in screening.factors()[0]:
        row = rows[f.key]
        d = float(row["default"])
        assert f.default == d
        assert min(0.7 * d, 1.3 * d) - 1e-9 <= f.low < f.high <= max(0.7 * d, 1.3 * d) + 1e-9
        if row["low"] is not None:
            assert f.low > row["low"] if row["low_strict"] else f.low >= row["low"]
        if row["high"] is not None:
            assert f.high <= row["high"]
        assert f.integer == (row["kind"] == "int")


def test_design_respects_ranges_and_integers() -> None:
    screened = screening.factors()[0]
    x, values = screening.design(screened, trajectories=3, seed=5)
    assert x.shape == (3 * (len(screened) + 1), len(screened))
    assert list(values.columns) == [f.key for f in screened]
    for f in screened:
        col = values[f.key]
        assert col.between(f.low, f.high).all(), f.key
        if f.integer:
            assert pd.api.types.is_integer_dtype(col), f.key
            assert all(isinstance(v, int) for v in col.tolist())
    # every design point is a valid scenario
    first = {k: v for k, v in values.iloc[0].to_dict().items()}
    ints = {f.key for f in screened if f.integer}
    ci_sim.load_scenario(
        "default", {k: int(v) if k in ints else float(v) for k, v in first.items()}
    )


def test_integer_values_are_rounded_half_up() -> None:
    f = screening.Factor("mechanisms.brokered_ties", 5.0, 4.0, 6.0, True)
    assert [f.value(v) for v in (4.0, 4.49, 4.5, 5.5, 6.0)] == [4, 4, 5, 6, 6]


def test_design_is_reproducible_from_a_seed() -> None:
    screened = screening.factors()[0]
    x1, v1 = screening.design(screened, trajectories=2, seed=11)
    x2, v2 = screening.design(screened, trajectories=2, seed=11)
    x3, _ = screening.design(screened, trajectories=2, seed=12)
    assert np.array_equal(x1, x2) and v1.equals(v2)
    assert not np.array_equal(x1, x3)


def test_bad_design_settings_are_clear_errors() -> None:
    screened = screening.factors()[0]
    with pytest.raises(ScenarioError, match="trajectories"):
        screening.design(screened, trajectories=1)
    with pytest.raises(ScenarioError, match="levels"):
        screening.design(screened, trajectories=2, levels=3)
    with pytest.raises(ScenarioError, match="not a screened constant"):
        screening.screen(trajectories=2, seeds=2, year=1, keys=["mechanisms.nope"])


def test_tiny_screen_end_to_end(tmp_path) -> None:
    keys = ["mechanisms.trust_gain", "mechanisms.brokered_ties"]
    res = screening.screen(trajectories=2, seeds=2, year=1, keys=keys, reference_seeds=2)
    assert len(res.values) == 2 * (len(keys) + 1)
    assert len(res.effects) == len(res.values)
    assert len(res.morris) == len(screening.HEADLINE) * len(keys)
    assert (res.morris["mu_star"] >= 0).all()
    signs = screening.sign_table(res)
    assert len(signs) == len(screening.HEADLINE) * len(ablation.OUTCOMES)
    shares = signs["kept"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()
    # the design points run with integer brokered_ties and the same seeds as the reference
    assert pd.api.types.is_integer_dtype(res.values["mechanisms.brokered_ties"])
    assert list(res.seeds) == derive_seeds(ROOT, 2)
    fig = screening.plot_screen(res, tmp_path / "figures" / "sensitivity.png")
    assert fig.read_bytes().startswith(b"\x89PNG")
    text = screening.render_markdown(res, "figures/sensitivity.png", "ci-sim screen")
    assert "keep their sign" in text and "`trust_gain`" in text
    assert not any(math.isnan(v) for v in res.reference.values())
    # the design table rebuilds the same report without running
    back = screening.load_points(screening.save_points(res, tmp_path / "points.csv"))
    again = screening.load_points(screening.save_points(back, tmp_path / "again.csv"))
    assert screening.render_markdown(back, None, "x") == screening.render_markdown(again, None, "x")
    assert np.allclose(back.morris["mu_star"], res.morris["mu_star"], atol=1e-4)


def test_runs_table_round_trip(tiny: ablation.Ablation, tmp_path) -> None:
    path = ablation.save_runs(tiny, tmp_path / "data" / "runs.csv")
    back = ablation.load_runs(path)
    assert back.seeds == tiny.seeds and back.root == tiny.root and back.years == tiny.years
    keys = ["lever", "config", "outcome", "year", "n", "carries"]
    pd.testing.assert_frame_equal(back.effects[keys], tiny.effects[keys])
    for col in ("effect", "ci_low", "ci_high", "change"):
        assert np.allclose(back.effects[col], tiny.effects[col], atol=1e-5)


def test_cli_report_is_rewritten_identically_from_its_runs(tmp_path, capsys) -> None:
    argv = ["ablate", "--seeds", "2", "--years", "1", "2", "--switches", SWITCH]
    assert main([*argv, "--workers", "1", "--out", str(tmp_path)]) == 0
    first = (tmp_path / "ablation.md").read_text()
    assert "ci-sim ablate --seeds 2 --root 2027 --years 1 2 --switches" in first
    assert (tmp_path / "figures" / "ablation.png").is_file()
    runs = tmp_path / "data" / "ablation_runs.csv"
    assert main(["ablate", "--from-runs", str(runs), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ablation.md").read_text() == first


def test_bad_runs_table_is_one_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ScenarioError, match="not a table written by `ci-sim ablate`"):
        ablation.load_runs(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        ablation.load_runs(tmp_path / "missing.csv")


def test_parser_setup_imports_neither_suite() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from ci_sim.cli import build_parser; build_parser(); "
        "heavy = {'ci_sim.ablation', 'ci_sim.screening', 'SALib'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_kept_by_trajectory_splits_the_design_into_its_regions() -> None:
    effects = pd.DataFrame({"h": [0.1, 0.2, -0.1, -0.3, 0.05, 0.0]})
    t = screening.kept_by_trajectory(effects, {"h": 0.5}, ["h"], trajectories=3)
    assert t["points"].tolist() == [2, 2, 2]
    assert t["kept"].tolist() == [1.0, 0.0, 0.5]
    assert np.allclose(t["median"], [0.15, -0.2, 0.025])
    neg = screening.kept_by_trajectory(effects, {"h": -0.5}, ["h"], trajectories=3)
    assert neg["kept"].tolist() == [0.0, 1.0, 0.0]


def test_confirmation_reruns_exactly_the_lost_signs(tmp_path) -> None:
    keys = ["mechanisms.trust_gain", "mechanisms.brokered_ties"]
    res = screening.screen(trajectories=2, seeds=2, year=1, keys=keys, reference_seeds=2)
    lost = screening.lost_sign(res)
    with pytest.raises(ScenarioError, match="more than the screen's 2"):
        screening.confirm(res, seeds=2)
    table = screening.confirm(res, seeds=3)
    assert sorted(zip(table["point"], table["lever"], strict=True)) == sorted(
        (i, name) for i, names in lost.items() for name in names
    )
    assert (table["seeds"] == 3).all() and (table["low"] <= table["effect"]).all()
    # the rerun over 3 seeds of one point equals a fresh evaluation over those seeds
    assert len(table), "this design loses a sign at one point at least (point 3)"
    row = table.iloc[0]
    lever = next(lv for lv in screening.HEADLINE if lv.name == row["lever"])
    fresh = screening.evaluate(
        res.values.iloc[[int(row["point"])]], derive_seeds(ROOT, 3), 1, [lever]
    )
    assert fresh[f"{lever.name}:systemic_change"].iloc[0] == pytest.approx(row["effect"])
    res = dataclasses.replace(res, confirmed=table)
    back = screening.load_confirmed(screening.save_confirmed(res, tmp_path / "c.csv"), res)
    signs = screening.confirmed_signs(back)
    assert np.allclose(signs[["kept", "vanished", "reversed"]].sum(axis=1), 1.0)
    assert "Second stage" in screening.render_markdown(back, None, "x")


def test_confirmed_signs_tell_kept_vanished_and_reversed_apart() -> None:
    keys = ["mechanisms.trust_gain"]
    base = screening.screen(trajectories=2, seeds=2, year=1, keys=keys, reference_seeds=2)
    names = [lv.name for lv in screening.HEADLINE]
    ref = {f"{n}:systemic_change": 0.1 for n in names}
    eff = pd.DataFrame({f"{n}:systemic_change": [0.1, -0.1, -0.1, -0.1] for n in names})
    confirmed = pd.DataFrame(
        [
            # point 1 regains the sign, point 2 vanishes, point 3 clearly reverses
            (p, n, e, lo, hi, 9)
            for n in names
            for p, e, lo, hi in (
                (1, 0.02, -0.01, 0.05),
                (2, -0.02, -0.05, 0.01),
                (3, -0.1, -0.2, -0.01),
            )
        ],
        columns=list(screening.CONFIRM_COLUMNS),
    )
    res = dataclasses.replace(
        base, reference={**base.reference, **ref}, effects=eff, confirmed=confirmed
    )
    assert screening.lost_sign(res) == {1: names, 2: names, 3: names}
    signs = screening.confirmed_signs(res)
    assert signs["kept"].tolist() == [0.5] * len(names)
    assert signs["vanished"].tolist() == [0.25] * len(names)
    assert signs["reversed"].tolist() == [0.25] * len(names)


def test_bad_confirmation_table_is_one_clear_error(tmp_path) -> None:
    keys = ["mechanisms.trust_gain"]
    res = screening.screen(trajectories=2, seeds=2, year=1, keys=keys, reference_seeds=2)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ScenarioError, match="not a confirmation table"):
        screening.load_confirmed(bad, res)
    bad.write_text("point,lever,effect,low,high,seeds\n99,handover,0,0,0,3\n")
    with pytest.raises(ScenarioError, match="do not belong"):
        screening.load_confirmed(bad, res)
