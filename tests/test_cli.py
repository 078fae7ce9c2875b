"""Tests of the ``ci-sim`` command line and the report helpers it uses."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import ci_sim
from ci_sim import Params, list_scenarios, load_scenario
from ci_sim.cli import main
from ci_sim.metrics import REPORTERS
from ci_sim.report import plot_conditions, summary_text
from ci_sim.scenarios import scenario_dir

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
OUTPUTS = (
    "metrics.csv",
    "organisations.csv",
    "events.csv",
    "params.json",
    "conditions.png",
)


def one_error_line(err: str) -> str:
    """Assert that stderr holds exactly one ``ci-sim: error:`` line and return it."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ci-sim: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def short_run() -> ci_sim.RunResult:
    return ci_sim.run("default", seed=1, years=2)


def test_run_writes_outputs_and_prints_summary(tmp_path, capsys):
    code = main(["run", "default", "--seed", "3", "--years", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    for name in OUTPUTS:
        assert (tmp_path / name).stat().st_size > 0
        assert str(tmp_path / name) in out
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    assert list(metrics.columns) == ["step", "year", *REPORTERS]
    assert len(metrics) == 2 * 12 + 1
    assert all(name in out for name in REPORTERS)
    assert "sunset" in out
    assert "seed 3" in out


def test_png_has_magic_bytes(tmp_path, capsys):
    assert main(["--years", "2", "--out", str(tmp_path)]) == 0
    data = (tmp_path / "conditions.png").read_bytes()
    assert data.startswith(PNG_MAGIC)


def test_set_overrides_reach_the_run(tmp_path, capsys):
    args = ["--years", "2", "--out", str(tmp_path), "--set", "simulation.steps_per_year=4"]
    assert main(args) == 0
    assert len(pd.read_csv(tmp_path / "metrics.csv")) == 2 * 4 + 1


def test_no_arguments_runs_default_into_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    for name in OUTPUTS:
        assert (tmp_path / "out" / "default-seed0" / name).is_file()
    assert capsys.readouterr().err == ""


def test_make_run_writes_out_default_as_the_readme_says():
    makefile = (Path(__file__).parent.parent / "Makefile").read_text()
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "ci-sim run default --out out/default\n" in makefile
    assert "into out/default" in readme and "`out/default/`" in readme


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--set", "backbone.independence=2"], "backbone.independence"),
        (["--set", "backbone.indepndence=0.5"], "backbone.indepndence"),
        (["--set", "nonsense"], "nonsense"),
        (["--years", "-1"], "simulation.years"),
        (["--seed", "x"], "--seed"),
        (["no_such_scenario"], "no_such_scenario"),
        (["--frobnicate"], "--frobnicate"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, named, tmp_path, capsys):
    code = main(["run", *args, "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 2
    assert named in one_error_line(captured.err)
    assert captured.out == ""
    assert not (tmp_path / "o").exists()


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_module_entry_point_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ci_sim.cli", "run", "--set", "backbone.indepndence=0.5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "backbone.indepndence" in one_error_line(proc.stderr)


def test_summary_sunset_after_run(short_run):
    text = summary_text(short_run)
    assert "sunset at year 12 is after the run (run ends at year 2)" in text
    assert short_run.params.meta.title in text


def test_summary_sunset_inside_run():
    result = ci_sim.run("default", seed=0, years=2, overrides={"backbone.sunset_year": 1.5})
    text = summary_text(result)
    assert "before sunset (year 1.4" in text
    assert "backbone_start" in text


def test_summary_no_sunset():
    no_sunset = {"backbone.sunset_year": "none"}
    result = ci_sim.run("default", seed=0, years=1, overrides=no_sunset)
    assert "no sunset" in summary_text(result)


def test_summary_collapses_recurring_events(short_run):
    text = summary_text(short_run)
    events = short_run.events
    for kind in events["kind"][events["kind"].str.startswith("org_")].unique():
        assert text.count(kind) == 1


def test_plot_conditions_writes_png(short_run, tmp_path):
    path = plot_conditions(short_run, tmp_path / "sub" / "plot.png")
    assert path == tmp_path / "sub" / "plot.png"
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_MAGIC)


# --- ci-sim scenarios -----------------------------------------------------------------


def parameters_block(text: str) -> dict:
    """Return the TOML after the ``Parameters after extends`` line of ``scenarios show``."""
    head, _, body = text.partition("Parameters after extends")
    assert body, text
    return tomllib.loads(body.split("\n", 1)[1])


def test_scenarios_lists_every_builtin_with_its_title(capsys):
    assert main(["scenarios"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    # one line per scenario, indented by two under its group's heading (see test_teaching)
    lines = sorted(x for x in captured.out.splitlines() if x.startswith("  ") and x[2] != " ")
    names = list_scenarios()
    assert [line.split()[0] for line in lines] == names == sorted(names)
    columns = set()
    for name, line in zip(names, lines, strict=True):
        title = load_scenario(name).meta.title
        assert line.endswith(title)
        columns.add(line.index(title))
    assert len(columns) == 1  # titles start in one aligned column
    assert columns.pop() >= max(map(len, names)) + 2


@pytest.mark.parametrize("name", list_scenarios())
def test_scenarios_show_prints_meta_and_resolved_parameters(name, capsys):
    assert main(["scenarios", "show", name]) == 0
    out = capsys.readouterr().out
    params = load_scenario(name)
    raw = tomllib.loads((scenario_dir() / f"{name}.toml").read_text(encoding="utf-8"))
    assert out.startswith(f"{name}: {params.meta.title}\n")
    flat_text = " ".join(out.split())
    assert " ".join(params.meta.description.split()) in flat_text
    assert " ".join(params.meta.what_to_watch.split()) in flat_text
    assert all(source in out for source in params.meta.sources)
    if "extends" in raw:
        assert f"extends: {raw['extends']}\n" in out
    else:
        assert "extends: nothing" in out
    for header in ("[simulation]", "[backbone]", "[backbone.effort]", "[organisations.mix]"):
        assert f"\n{header}\n" in out
    resolved = Params.model_validate(parameters_block(out))
    assert resolved.model_dump(exclude={"meta"}) == params.model_dump(exclude={"meta"})


def test_scenarios_show_marks_what_the_file_sets(capsys):
    assert main(["scenarios", "show", "no_sunset"]) == 0
    out = capsys.readouterr().out
    assert "extends: default\n" in out
    assert 'sunset_year = "none"  # set here' in out
    assert [line for line in out.splitlines() if line.endswith("# set here")] == [
        'sunset_year = "none"  # set here'
    ]


def test_scenarios_show_accepts_a_file(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "tight_steering"\n[backbone.effort]\nanchor_relations = 0.5\n'
        "develop_relations = 0.2\ndevelop_capabilities = 0.2\nanchor_capabilities = 0.1\n"
    )
    assert main(["scenarios", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "extends: tight_steering\n" in out
    assert "anchor_relations = 0.5  # set here" in out
    assert parameters_block(out)["governance"]["goal_steering"] == 0.9


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["scenarios", "show", "defualt"], "did you mean 'default'"),
        (["scenarios", "show", "no_backbon"], "did you mean 'no_backbone'"),
        (["scenarios", "show", "zzzz"], "unknown scenario 'zzzz'"),
        (["scenarios", "show"], "NAME"),
        (["scenarios", "list"], "list"),
        (["validate"], "FILE"),
    ],
)
def test_scenarios_and_validate_usage_errors(args, named, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert named in one_error_line(captured.err)
    assert captured.out == ""


# --- ci-sim validate ------------------------------------------------------------------


def write(folder, name: str, text: str):
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "statement"),
    [
        ('extends = "default"\n', "sunset inside the run at year 12 (the run ends at year 15)"),
        (
            'extends = "default"\n[simulation]\nyears = 5\n',
            "sunset at year 12, after the run ends at year 5",
        ),
        ('extends = "no_sunset"\n', "no sunset"),
        ("[backbone]\nenabled = false\n", "no backbone"),
        (
            '[backbone]\nstart_year = 20\nsunset_year = "none"\n',
            "no backbone during the run: it starts at year 20, after the run ends at year 15",
        ),
        ("[backbone]\nsunset_year = 2.5\n", "sunset inside the run at year 2.5"),
    ],
    ids=["inside", "after", "none", "no-backbone", "starts-after-run", "early"],
)
def test_validate_states_where_the_sunset_falls(text, statement, tmp_path, capsys):
    path = write(tmp_path, "s.toml", text)
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    title = load_scenario(path).meta.title or "untitled"
    assert captured.out.startswith(f"{path}: ok ({title}); ")
    assert statement in captured.out
    assert len(captured.out.splitlines()) == 1
    assert captured.err == ""


def test_validate_every_builtin_file(capsys):
    files = [str(scenario_dir() / f"{name}.toml") for name in list_scenarios()]
    assert main(["validate", *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(files)
    for file, line in zip(files, lines, strict=True):
        assert line.startswith(f"{file}: ok (")


def test_validate_reports_each_bad_file_and_exits_2(tmp_path, capsys):
    good = write(tmp_path, "good.toml", '[meta]\ntitle = "Fine"\n')
    typo = write(tmp_path, "typo.toml", "[backbone]\nstafff = 2\n")
    high = write(tmp_path, "high.toml", "[backbone]\nindependence = 2\n")
    broken = write(tmp_path, "broken.toml", "[backbone\n")
    parent = write(tmp_path, "orphan.toml", 'extends = "nothere.toml"\n')
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    missing = tmp_path / "missing.toml"
    bad = [typo, high, broken, parent, binary, missing]
    assert main(["validate", str(good), *map(str, bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == (
        f"{good}: ok (Fine); sunset inside the run at year 12 (the run ends at year 15)\n"
    )
    errors = captured.err.splitlines()
    assert len(errors) == len(bad)
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"ci-sim: error: {path}")
    assert "did you mean 'backbone.staff'" in errors[0]
    assert "backbone.independence" in errors[1] and "allowed range" in errors[1]
    assert "TOML" in errors[2]
    assert "nothere.toml" in errors[3]


def test_validate_accepts_builtin_names(capsys):
    assert main(["validate", "default", "no_backbone"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("default: ok (Default")
    assert out[1].endswith("no backbone (backbone.enabled = false), so no sunset")


def test_help_lists_the_subcommands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "scenarios", "validate"):
        assert command in out


def test_check_patterns_writes_a_report(tmp_path, capsys):
    keys = ["stuck_without_backbone", "handover"]
    args = ["check-patterns", "--seeds", "3", "--out", str(tmp_path), "--alpha", "0.5"]
    code = main([*args, "--only", *keys])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "2 patterns pass" in out or "of 2 patterns pass" in out
    report = (tmp_path / "patterns.md").read_text()
    assert "| pattern | claims |" in report
    assert sorted(p.stem for p in (tmp_path / "figures").glob("*.png")) == sorted(keys)


def test_check_patterns_refuses_an_unknown_pattern(capsys):
    assert main(["check-patterns", "--seeds", "3", "--alpha", "0.5", "--only", "handovr"]) == 2
    assert "--only handovr: unknown pattern" in capsys.readouterr().err


def test_check_patterns_refuses_too_few_seeds(capsys):
    assert main(["check-patterns", "--seeds", "1"]) == 2
    assert "--seeds 1" in capsys.readouterr().err
