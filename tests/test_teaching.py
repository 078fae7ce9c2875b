"""Teaching material: the class summary, grouped scenarios, calendar years, the CLI of
``ci-sim app`` and ``ci-sim teach-figures``, and the figure set."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ci_sim
from ci_sim import report, teaching, views
from ci_sim.cli import main
from ci_sim.cli_teaching import DEFAULT_HOST, app_command

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ci-sim: error: ")
    return lines[0]


# --- the class summary -----------------------------------------------------------------


def test_summary_title_names_scenario_and_overrides(tmp_path, capsys):
    code = main(
        [
            "run",
            "default",
            "--years",
            "1",
            "--set",
            "backbone.handover=false",
            "--set",
            "backbone.sunset_year=8",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    title = out.splitlines()[0]
    assert title.startswith("default: Default")
    assert "--set backbone.handover=false, backbone.sunset_year=8" in title
    flat = " ".join(out.split())
    assert "Your --set changes: backbone.sunset_year = 8 (scenario: 12)" in flat
    assert "backbone.handover = false (scenario: true)" in flat
    assert "What to watch:" in out


def test_summary_names_the_lever_of_a_teaching_scenario():
    result = ci_sim.run("captured_backbone", seed=0, years=0.5)
    text = report.summary_text(result, "captured_backbone")
    flat = " ".join(text.split())
    assert "Lever changed from the default in captured_backbone:" in flat
    assert "backbone.independence = 0.2 (default: 0.9)" in flat
    assert 'backbone.host = "municipality" (default: "none")' in flat
    assert " ".join(result.params.meta.what_to_watch.split()) in flat
    plain = report.summary_text(ci_sim.run("default", seed=0, years=0.5), "default")
    assert "Lever changed" not in plain and "Your --set" not in plain


def test_summary_of_a_dated_case_shows_calendar_years():
    result = ci_sim.run("medvind", seed=0, years=2)
    text = report.summary_text(result, "medvind")
    assert "year 0 = 2016" in text
    assert "end (year 2 = 2018)" in text
    assert "Lever changed" not in text  # cases are not one-lever teaching scenarios


def test_every_teaching_scenario_changes_few_levers_and_cases_none():
    groups = report.scenario_groups()
    assert groups["default"] == ["default"]
    assert set(groups) == {"default", "cases", "teaching"}
    for name in groups["teaching"]:
        changes = report.lever_changes(name)
        assert 1 <= len(changes) <= 5, name
        assert all(value != base for _, value, base in changes)
    for name in groups["cases"]:
        assert report.lever_changes(name) == []
    assert report.scenario_group("no/such.toml") == "other"


def test_scenarios_listing_is_grouped_with_levers(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    groups = report.scenario_groups()
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headings == [f"{report.GROUP_TITLES[g]}:" for g in groups]
    blocks = out.split("\n\n")
    for block, names in zip(blocks, groups.values(), strict=True):
        listed = [x.split()[0] for x in block.splitlines()[1:] if x[2] != " "]
        assert listed == names
    assert "changes backbone.independence = 0.2 (default: 0.9)" in out


def test_calendar_start_is_optional_and_checked(tmp_path):
    assert ci_sim.load_scenario("default").meta.calendar_start is None
    assert ci_sim.load_scenario("medvind").meta.calendar_start == 2016
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "default"\n[meta]\ncalendar_start = 16\n', encoding="utf-8")
    with pytest.raises(ci_sim.ScenarioError, match=r"meta.calendar_start.*allowed range"):
        ci_sim.load_scenario(bad)


# --- ci-sim app --------------------------------------------------------------------------


def test_app_command_binds_localhost_by_default():
    parser_args = main.__globals__["build_parser"]().parse_args(["app"])
    assert parser_args.host == DEFAULT_HOST == "127.0.0.1"
    cmd = app_command(parser_args.host, parser_args.port)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[4].endswith("app.py") and "--production" in cmd
    other = main.__globals__["build_parser"]().parse_args(
        ["app", "--host", "0.0.0.0", "--port", "9000"]
    )
    assert (other.host, other.port) == ("0.0.0.0", 9000)


@pytest.mark.parametrize("port", ["70000", "-1", "web"])
def test_app_rejects_a_bad_port_in_one_line(port, capsys):
    assert main(["app", "--port", port]) == 2
    assert "--port" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("seeds", ["0", "201", "many"])
def test_teach_figures_rejects_bad_seed_counts(seeds, capsys):
    assert main(["teach-figures", "--seeds", seeds]) == 2
    assert "--seeds" in one_error_line(capsys.readouterr().err)


def test_cli_setup_imports_nothing_heavy():
    code = textwrap.dedent(
        """
        import sys
        import ci_sim.cli_teaching as t
        import argparse
        t.add_parsers(argparse.ArgumentParser().add_subparsers())
        heavy = [m for m in ("solara", "matplotlib", "ci_sim.app", "ci_sim.teaching",
                             "ci_sim.figures") if m in sys.modules]
        print(heavy)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[]"


# --- the figure set ---------------------------------------------------------------------


def test_exercises_are_valid():
    names = [e.name for e in teaching.EXERCISES]
    assert len(names) >= 4 and len(set(names)) == len(names)
    for exercise in teaching.EXERCISES:
        assert len(exercise.sides) == 2
        for side in exercise.sides:
            ci_sim.load_scenario(side.scenario, dict(side.overrides) or None)
        for panel in (*exercise.snapshot, *exercise.final):
            assert panel in teaching.figures.PANELS
        assert exercise.band in ci_sim.metrics.REPORTERS
        assert exercise.quote, f"{exercise.name} quotes no numbers"
        assert len(set(exercise.quote)) == len(exercise.quote)
        ends = [
            ci_sim.load_scenario(s.scenario, dict(s.overrides) or None).simulation.years
            for s in exercise.sides
        ]
        for metric, year in exercise.quote:
            assert teaching.is_quotable(metric), (exercise.name, metric)
            assert 0 <= year <= min(ends), (exercise.name, metric, year)
    assert not teaching.is_quotable("no_such_metric")
    assert not teaching.is_quotable(teaching.BACKBONE_TRUST + "no_such_logic")


def test_teach_figures_writes_the_set_an_index_and_the_numbers(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(teaching, "EXERCISES", teaching.EXERCISES[1:2])
    assert main(["teach-figures", "--out", str(tmp_path), "--seeds", "3"]) == 0
    out = capsys.readouterr().out
    pngs = sorted(tmp_path.glob("*.png"))
    exercise = teaching.EXERCISES[0]
    assert exercise.by_logic  # exercise 2 also reads the organisation table
    assert len(pngs) == len(exercise.snapshot) + len(exercise.final) + 1
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    for path in pngs:
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert f"`{path.name}`" in index
        assert str(path) in out
    assert exercise.title in index and "3 seeds" in index
    numbers = (tmp_path / "numbers.md").read_text(encoding="utf-8")
    assert str(tmp_path / "numbers.md") in out
    rows = table_rows(numbers)
    assert rows == table_rows(index)  # the index holds the same tables
    assert [(label, when) for label, when, _ in rows] == [
        (teaching.quote_label(m), f"year {y:g}") for m, y in exercise.quote
    ]
    for (metric, _), (_, _, sides) in zip(exercise.quote, rows, strict=True):
        assert len(sides) == len(exercise.sides) == 2
        for low, median, high in sides:
            assert low <= median <= high
            if metric in SHARES or metric.startswith(teaching.BACKBONE_TRUST):
                assert 0.0 <= low and high <= 1.0, (metric, low, high)


# --- the numbers of the plan ---------------------------------------------------------

#: Quoted metrics that are shares (in [0, 1]); trust in the backbone by logic is one too.
SHARES = {
    "shared_will",
    "mean_trust",
    "cross_org_ties",
    "relationships",
    "practices",
    "mental_models",
}

CELL = re.compile(r"^(\d+\.\d+) \((\d+\.\d+) to (\d+\.\d+)\)$")


def table_rows(text: str) -> list[tuple[str, str, list[tuple[float, float, float]]]]:
    """Return the body rows of the markdown tables: quantity, when, (low, median, high)."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or cells[0] == "quantity" or set(cells[0]) <= {"-"}:
            continue
        sides = []
        for cell in cells[2:]:
            match = CELL.match(cell)
            assert match, cell
            median, low, high = map(float, match.groups())
            sides.append((low, median, high))
        rows.append((cells[0], cells[1], sides))
    return rows


def test_numbers_use_calendar_years_and_every_side(tmp_path):
    case = teaching.Exercise(
        "9_case",
        "A short case",
        (
            teaching.Side("medvind", {"simulation.years": 1}),
            teaching.Side("medvind", {"simulation.years": 1, "backbone.enabled": False}),
        ),
        snapshot_year=0.5,
        snapshot=(),
        final=(),
        band="relationships",
        quote=(("relationships", 1.0), ("backbone_present", 0.5)),
    )
    made = teaching.exercise_figures(case, tmp_path, seed=3, seeds=2)
    assert [path.name for path, _ in made.figures] == ["9_case_seeds_relationships.png"]
    assert "; B = medvind with years=1, enabled=False." in made.numbers[0]
    rows = table_rows("\n".join(made.numbers))
    assert [when for _, when, _ in rows] == ["2017 (year 1)", "2016 (year 0.5)"]
    assert [median for _, median, _ in rows[1][2]] == [1.0, 0.0]  # a backbone on A only
    assert made.table[["side", "runs"]].values.tolist() == [[0, 2], [1, 2]] * 2
    late = dataclasses.replace(case, quote=(("relationships", 2.0),))
    with pytest.raises(ValueError, match="outside the run"):
        teaching.exercise_figures(late, tmp_path, seed=3, seeds=2)


def test_trust_in_backbone_by_logic_matches_the_dashboard():
    side = teaching.Side("captured_backbone", {"simulation.years": 2})
    (table,) = teaching.seed_tables(side, [5], by_logic=True)
    world = views.World(side.scenario, side.overrides, 5)
    world.run_to(world.end_year)
    shown = world.history()  # the dashboard's trust in the backbone by logic, every step
    logics = [c.removeprefix("trust_bb:") for c in shown.columns if c.startswith("trust_bb:")]
    assert len(logics) >= 4 and len(shown) == len(table)
    for logic in logics:
        np.testing.assert_allclose(
            table[teaching.BACKBONE_TRUST + logic], shown[f"trust_bb:{logic}"], atol=1e-12
        )
    assert shown[f"trust_bb:{logics[0]}"].iloc[-1] > 0  # the backbone is trusted by then
    metrics = views.metrics_table(world.model)
    pd.testing.assert_frame_equal(table[metrics.columns], metrics)


def test_bands_agree_with_the_dashboards_bands():
    seeds = [1, 2, 3]
    mine = teaching.seed_bands(
        teaching.seed_tables(teaching.Side("default", {"simulation.years": 1}), seeds)
    )
    theirs = views.seed_bands("default", {"simulation.years": 1}, seeds)
    pd.testing.assert_frame_equal(mine, theirs)


#: Decimals the plan may contain: lever settings the teacher sets, each in its phrase.
LEVER_SETTINGS = (
    "backbone.independence=0.5",
    "independence 0.2",
    "to its maximum (0.5)",
    '"Effort: develop relations" down to 0.05',
    "four tasks at 0.25 each",
)

#: A decimal number that is not part of a claim id (C2.16), a dotted key or an address.
DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?![\d.])")


def test_the_plan_types_no_model_numbers():
    text = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    for phrase in LEVER_SETTINGS:
        assert phrase in text, phrase
        text = text.replace(phrase, "")
    stray = [m.group() for m in DECIMAL.finditer(text)]
    assert stray == [], f"model numbers typed into docs/teaching.md: {stray}"
    assert "numbers.md" in text
    assert DECIMAL.findall("trust rose to 0.35, then .4 (C2.16; 127.0.0.1)") == ["0.35", ".4"]
