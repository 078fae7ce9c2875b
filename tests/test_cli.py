"""Tests of the ``ci-sim`` command line and the report helpers it uses."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import ci_sim
from ci_sim.cli import main
from ci_sim.metrics import REPORTERS
from ci_sim.report import plot_conditions, summary_text

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
        assert (tmp_path / "out" / "default" / name).is_file()
    assert capsys.readouterr().err == ""


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
