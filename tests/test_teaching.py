"""Teaching material: the class summary, grouped scenarios, calendar years, the CLI of
``ci-sim app`` and ``ci-sim teach-figures``, and the figure set."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import ci_sim
from ci_sim import report, teaching
from ci_sim.cli import main
from ci_sim.cli_teaching import DEFAULT_HOST, app_command

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


def test_teach_figures_writes_the_set_and_an_index(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(teaching, "EXERCISES", teaching.EXERCISES[1:2])
    assert main(["teach-figures", "--out", str(tmp_path), "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    pngs = sorted(tmp_path.glob("*.png"))
    exercise = teaching.EXERCISES[0]
    assert len(pngs) == len(exercise.snapshot) + len(exercise.final) + 1
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    for path in pngs:
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert f"`{path.name}`" in index
        assert str(path) in out
    assert exercise.title in index and "2 seeds" in index
