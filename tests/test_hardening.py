"""One test per item of the hardening issue: no tracebacks, no silent nonsense, no lost output.

Each test would have caught what a new user ran into: numpy seeds and scalars, a scenario
name given to ``CIModel``, ``at_year`` outside a run, unknown metric names, Ctrl-C,
broken pipes, runs of zero steps, byte-order marks, seed counts that cannot reach alpha,
empty and shared output folders, and folders left with a mix of two runs' files.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ci_sim
from ci_sim import ScenarioError, load_scenario
from ci_sim import cli as cli_module
from ci_sim.cli import INTERRUPTED, RUN_FILES, main
from ci_sim.metrics import REPORTERS
from ci_sim.patterns import check_patterns, min_seeds, smallest_p_value
from ci_sim.runner import check_metrics, check_seed
from ci_sim.scenarios import BOM, parse_assignment, scenario_dir


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ci-sim: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def one_year() -> ci_sim.RunResult:
    return ci_sim.run("default", seed=4, years=1, record_organisations=False)


def same_metrics(a: ci_sim.RunResult, b: ci_sim.RunResult) -> None:
    pd.testing.assert_frame_equal(a.metrics, b.metrics)


# --- seeds ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [np.int64(3), np.uint32(3), np.int8(3), np.uint64(3)])
def test_numpy_integer_seed_gives_the_same_run_as_the_python_int(seed) -> None:
    a = ci_sim.run("default", seed=seed, years=0.5, record_organisations=False)
    b = ci_sim.run("default", seed=3, years=0.5, record_organisations=False)
    assert a.seed == 3 and type(a.seed) is int
    same_metrics(a, b)


@pytest.mark.parametrize(
    ("seed", "named"),
    [(-1, "seed = -1"), (1.5, "seed = 1.5"), ("3", "seed = '3'"), (True, "seed = True")],
)
def test_bad_seed_raises_scenario_error_naming_it(seed, named) -> None:
    with pytest.raises(ScenarioError, match=named.replace("(", r"\(")):
        ci_sim.run("default", seed=seed, years=0.25)


def test_check_seed_keeps_none_and_big_seeds() -> None:
    assert check_seed(None) is None
    assert check_seed(np.uint64(2**64 - 1)) == 2**64 - 1


def test_cli_negative_seed_is_one_line_exit_2(tmp_path, capsys) -> None:
    assert main(["run", "--seed", "-1", "--out", str(tmp_path / "o")]) == 2
    captured = capsys.readouterr()
    assert "--seed" in one_error_line(captured.err) and "negative" in captured.err
    assert not (tmp_path / "o").exists()


# --- numpy scalars in overrides ----------------------------------------------------------


def test_numpy_scalars_work_where_python_numbers_do() -> None:
    numpy_overrides = {
        "organisations.count": np.int64(10),
        "organisations.people": np.uint8(4),
        "backbone.staff": np.float32(2.5),
        "backbone.handover": np.bool_(False),
        "environment.policy_windows": np.arange(1.0, 3.0),
        "backbone.host": np.str_("municipality"),
    }
    python_overrides = {
        "organisations.count": 10,
        "organisations.people": 4,
        "backbone.staff": 2.5,
        "backbone.handover": False,
        "environment.policy_windows": [1.0, 2.0],
        "backbone.host": "municipality",
    }
    a = ci_sim.run("default", seed=1, years=0.5, overrides=numpy_overrides)
    b = ci_sim.run("default", seed=1, years=0.5, overrides=python_overrides)
    assert a.params == b.params
    same_metrics(a, b)
    json.dumps(a.params.model_dump())  # params.json holds Python numbers


def test_numpy_years_and_a_non_integral_numpy_count_is_refused() -> None:
    assert ci_sim.run(years=np.float64(0.5), seed=1).params.simulation.years == 0.5
    with pytest.raises(ScenarioError, match="organisations.count"):
        load_scenario("default", {"organisations.count": np.float64(10.5)})


def test_overrides_that_are_no_mapping_are_refused() -> None:
    with pytest.raises(ScenarioError, match="overrides"):
        ci_sim.run("default", years=0.25, overrides=[("backbone.staff", 2)])


# --- CIModel with a scenario name ---------------------------------------------------------


def test_cimodel_accepts_a_scenario_name_path_or_mapping() -> None:
    by_params = ci_sim.CIModel(load_scenario("no_backbone"), rng=2)
    by_name = ci_sim.CIModel("no_backbone", rng=2)
    by_path = ci_sim.CIModel(scenario_dir() / "no_backbone.toml", rng=2)
    by_mapping = ci_sim.CIModel({"backbone": {"enabled": False}}, rng=2)
    for model in (by_name, by_path):
        assert model.params == by_params.params
    assert by_mapping.params.backbone.enabled is False
    for model in (by_params, by_name):
        model.run_for(6)
    pd.testing.assert_frame_equal(
        by_params.datacollector.get_model_vars_dataframe(),
        by_name.datacollector.get_model_vars_dataframe(),
    )


@pytest.mark.parametrize(
    ("scenario", "named"), [("defualt", "did you mean 'default'"), (5, "not int"), ([1], "list")]
)
def test_cimodel_refuses_what_is_no_scenario(scenario, named) -> None:
    with pytest.raises(ScenarioError, match=named):
        ci_sim.CIModel(scenario, rng=1)


# --- at_year, at_years and metric names -----------------------------------------------


@pytest.mark.parametrize(
    ("year", "phrase"),
    [
        (math.nan, "finite"),
        (math.inf, "finite"),
        (-0.5, "outside the run"),
        (1.5, "outside the run"),
        ("1", "expected a number"),
        (None, "expected a number"),
        (True, "expected a number"),
    ],
)
def test_at_year_refuses_nan_and_years_outside_the_run(one_year, year, phrase) -> None:
    with pytest.raises(ValueError, match=phrase) as info:
        one_year.at_year(year)
    assert "\n" not in str(info.value)
    if phrase == "outside the run":
        assert "from 0 to 1" in str(info.value)


def test_at_year_inside_the_run_returns_the_nearest_step(one_year) -> None:
    m = one_year.metrics
    assert one_year.at_year(0)["step"] == 0
    assert one_year.at_year(np.float64(1.0))["step"] == m["step"].iloc[-1]
    assert one_year.at_year(0.49)["step"] == 6  # 0.49 * 12 = 5.9 -> step 6
    row = one_year.at_year(0.5, metrics=["systemic_change"])
    assert list(row.index) == ["systemic_change"]


def test_at_years_returns_one_row_per_year(one_year) -> None:
    table = one_year.at_years([0, 0.5, 1], metrics=["shared_will", "practices"])
    assert list(table.index) == [0.0, 0.5, 1.0]
    assert list(table.columns) == ["shared_will", "practices"]
    assert list(one_year.at_years(np.array([0.25]))["step"]) == [3]
    with pytest.raises(ValueError, match="outside the run"):
        one_year.at_years([0.5, 7])


def test_unknown_metric_names_the_allowed_ones(one_year) -> None:
    with pytest.raises(ValueError, match="did you mean 'shared_will'") as info:
        one_year.at_year(1, metrics=["shared_wil"])
    message = str(info.value)
    assert all(name in message for name in REPORTERS)
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        one_year.at_years([1], metrics=["nope"])
    with pytest.raises(ValueError, match="unknown metric"):
        check_metrics(["systemic_change", "nope"])  # before a batch of runs
    assert check_metrics("systemic_change") == ["systemic_change"]


# --- Ctrl-C -------------------------------------------------------------------------------


def fill(folder: Path, text: str = "old") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        (folder / name).write_text(text)


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(errors="replace") for p in sorted(folder.iterdir())}


def test_ctrl_c_during_the_run_is_one_line_130_and_keeps_the_old_output(
    tmp_path, capsys, monkeypatch
) -> None:
    out = tmp_path / "o"
    fill(out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "run", interrupted)
    assert main(["run", "--out", str(out)]) == INTERRUPTED
    captured = capsys.readouterr()
    assert captured.err == "ci-sim: interrupted\n"
    assert folder_state(out) == dict.fromkeys(RUN_FILES, "old")


def test_ctrl_c_while_writing_leaves_the_old_folder_and_no_partial_one(
    tmp_path, capsys, monkeypatch
) -> None:
    out = tmp_path / "o"
    fill(out)

    def interrupted(result, path, *title):
        Path(path).write_text("half a figure")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "plot_conditions", interrupted)
    assert main(["run", "--years", "0.25", "--out", str(out)]) == INTERRUPTED
    assert capsys.readouterr().err == "ci-sim: interrupted\n"
    assert folder_state(out) == dict.fromkeys(RUN_FILES, "old")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no staging folder left


INTERRUPT_AT_STEP = textwrap.dedent(
    """
    import os, signal, sys
    import ci_sim.cli
    from ci_sim.model import CIModel

    step = CIModel.step

    def step_then_interrupt(self):
        step(self)
        if self.time == 5:
            os.kill(os.getpid(), signal.SIGINT)

    CIModel.step = step_then_interrupt
    sys.exit(ci_sim.cli.main(sys.argv[1:]))
    """
)


def _as_in_a_terminal() -> None:
    """Give the child the default Ctrl-C handling of a foreground process.

    A test run started in the background of a non-interactive shell (``make test &``)
    inherits SIGINT ignored, and Python keeps a signal ignored that was ignored at its
    start; these tests are about a user's Ctrl-C, so the child starts as a terminal's
    foreground process would.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_in_a_real_process_exits_130_with_one_line(tmp_path) -> None:
    out = tmp_path / "o"
    fill(out)
    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPT_AT_STEP, "run", "--years", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=_as_in_a_terminal,
        timeout=300,
    )
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "ci-sim: interrupted\n"
    assert proc.stdout == ""
    assert folder_state(out) == dict.fromkeys(RUN_FILES, "old")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux ``/proc/<pid>/task/*/children``)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        here = todo.pop()
        for children in Path(f"/proc/{here}/task").glob("*/children"):
            try:
                kids = {int(k) for k in children.read_text().split()}
            except OSError:
                continue
            todo.extend(kids - found)
            found |= kids
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_ctrl_c_during_a_parallel_sweep_is_one_line_from_every_process(tmp_path) -> None:
    """Ctrl-C reaches the whole process group: the parent and its worker processes."""
    out = tmp_path / "patterns"
    argv = ["check-patterns", "--seeds", "7", "--processes", "2", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ci_sim.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_as_in_a_terminal,
    )
    try:
        for _ in range(600):  # wait until the workers run (forkserver, tracker, 2 workers)
            if len(_descendants(proc.pid)) >= 4:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        out_text, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == INTERRUPTED, err
    assert err == "ci-sim: interrupted\n"
    assert out_text == ""
    assert not out.exists()


# --- broken pipe ----------------------------------------------------------------------------


def test_closed_pipe_exits_0_without_a_message(tmp_path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ci_sim.cli", "scenarios"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


# --- runs of zero steps ---------------------------------------------------------------------


@pytest.mark.parametrize("years", [0.01, 0.04])
def test_zero_step_runs_are_refused(years) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ScenarioError, match="simulation.years") as info:
            ci_sim.run("default", years=years)
    assert "0 steps" in str(info.value) and "at least one step" in str(info.value)


def test_half_a_step_rounds_to_one_step() -> None:
    result = ci_sim.run("default", years=0.05, seed=1)  # 0.6 steps -> 1 step
    assert len(result.metrics) == 2


def test_cli_years_001_is_one_line_exit_2(tmp_path, capsys) -> None:
    assert main(["run", "--years", "0.01", "--out", str(tmp_path / "o")]) == 2
    captured = capsys.readouterr()
    assert "simulation.years" in one_error_line(captured.err)
    assert captured.out == ""
    assert not (tmp_path / "o").exists()


def test_validate_refuses_a_file_with_zero_steps(tmp_path, capsys) -> None:
    path = tmp_path / "short.toml"
    path.write_text("[simulation]\nyears = 0.1\nsteps_per_year = 4\n")
    assert main(["validate", str(path)]) == 2
    assert "0 steps" in one_error_line(capsys.readouterr().err)


def test_subnormal_values_are_refused_before_they_overflow() -> None:
    with pytest.raises(ScenarioError, match="mechanisms.logic_distance_scale = 5e-324"):
        load_scenario("default", {"mechanisms.logic_distance_scale": 5e-324})


# --- byte-order mark ------------------------------------------------------------------------


def test_utf8_bom_file_loads_like_the_file_without_it(tmp_path, capsys) -> None:
    text = 'extends = "no_sunset"\n[meta]\ntitle = "Æblegrød"\n[backbone]\nstaff = 2.0\n'
    plain = tmp_path / "plain.toml"
    bom = tmp_path / "bom.toml"
    plain.write_text(text, encoding="utf-8")
    bom.write_bytes(BOM + text.encode("utf-8"))
    assert load_scenario(bom) == load_scenario(plain)
    assert load_scenario(bom).meta.title == "Æblegrød"
    child = tmp_path / "child.toml"
    child.write_bytes(BOM + b'extends = "bom.toml"\n')
    assert load_scenario(child).backbone.staff == 2.0
    assert main(["validate", str(bom)]) == 0
    assert main(["scenarios", "show", str(bom)]) == 0
    assert "staff = 2.0  # set here" in capsys.readouterr().out


# --- seed counts and alpha ------------------------------------------------------------------


@pytest.mark.parametrize("n", range(2, 13))
def test_smallest_p_value_is_scipys_exact_wilcoxon_minimum(n) -> None:
    best = stats.wilcoxon(np.arange(1.0, n + 1), np.zeros(n), alternative="greater").pvalue
    assert smallest_p_value(n) == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize(("alpha", "needed"), [(0.01, 7), (0.05, 5), (0.001, 10), (0.5, 2)])
def test_min_seeds(alpha, needed) -> None:
    assert min_seeds(alpha) == needed
    assert smallest_p_value(needed) < alpha <= smallest_p_value(needed - 1)


def test_check_patterns_refuses_seed_counts_that_cannot_reach_alpha() -> None:
    with pytest.raises(ValueError, match="use at least 7 seeds"):
        check_patterns(seeds=6, alpha=0.01)


@pytest.mark.parametrize(("seeds", "alpha", "needed"), [(6, "0.01", 7), (4, "0.05", 5)])
def test_cli_check_patterns_names_the_minimum(seeds, alpha, needed, tmp_path, capsys) -> None:
    args = ["check-patterns", "--seeds", str(seeds), "--alpha", alpha, "--out", str(tmp_path)]
    assert main(args) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"--seeds {seeds}" in line and f"at least {needed}" in line
    assert list(tmp_path.iterdir()) == []


# --- output folders -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "check-patterns", "claims"])
def test_empty_out_is_refused(command, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([command, "--out", ""]) == 2
    assert "--out" in one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_default_out_folder_is_distinct_per_scenario_and_seed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fill(tmp_path / "out" / "default")  # what `make run` wrote
    assert main(["run", "default", "--seed", "2", "--years", "0.25"]) == 0
    assert main(["run", "no_backbone", "--years", "0.25"]) == 0
    mine = tmp_path / "mine.toml"
    mine.write_text('extends = "default"\n')
    assert main(["run", str(mine), "--seed", "7", "--years", "0.25"]) == 0
    folders = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert folders == ["default", "default-seed2", "mine-seed7", "no_backbone-seed0"]
    assert folder_state(tmp_path / "out" / "default") == dict.fromkeys(RUN_FILES, "old")
    assert "out/default-seed2/metrics.csv" in capsys.readouterr().out


def test_a_run_replaces_the_old_files_as_a_set(tmp_path, capsys) -> None:
    out = tmp_path / "o"
    (out).mkdir()
    (out / "events.csv").write_text("stale")
    assert main(["run", "--seed", "1", "--years", "0.5", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    assert json.loads((out / "params.json").read_text())["seed"] == 1
    assert main(["run", "--seed", "2", "--years", "0.25", "--out", str(out)]) == 0
    assert json.loads((out / "params.json").read_text())["seed"] == 2
    assert len(pd.read_csv(out / "metrics.csv")) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_a_failed_write_keeps_the_old_folder(tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "o"
    fill(out)

    def disk_full(result, path, *title):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli_module, "plot_conditions", disk_full)
    assert main(["run", "--years", "0.25", "--out", str(out)]) == 1
    assert "No space left" in one_error_line(capsys.readouterr().err)
    assert folder_state(out) == dict.fromkeys(RUN_FILES, "old")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


@pytest.mark.parametrize(
    ("setup", "named"),
    [("foreign", "notes.txt"), ("file", "is a file"), ("cwd", "current folder")],
)
def test_out_folders_a_run_must_not_replace(setup, named, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = {"foreign": "o", "file": "o", "cwd": "."}[setup]
    if setup == "foreign":
        fill(tmp_path / "o")
        (tmp_path / "o" / "notes.txt").write_text("mine")
    elif setup == "file":
        (tmp_path / "o").write_text("mine")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert main(["run", "--years", "0.25", "--out", target]) == 2
    captured = capsys.readouterr()
    assert named in one_error_line(captured.err)
    assert captured.out == ""  # refused before the run, not after it
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


# --- --set with values Python cannot hold -----------------------------------------------------


def test_set_with_a_5000_digit_number_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="backbone.staff"):
        parse_assignment("backbone.staff=" + "9" * 5000)


def test_toml_file_with_a_5000_digit_number_is_a_scenario_error(tmp_path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("[backbone]\nstaff = " + "9" * 5000 + "\n")
    with pytest.raises(ScenarioError, match="big.toml"):
        load_scenario(path)


def test_error_messages_are_one_line_even_for_odd_keys() -> None:
    for key in ("\n", "a\nb", " ", ""):
        with pytest.raises(ScenarioError) as info:
            load_scenario("default", {key: 1})
        assert "\n" not in str(info.value)


# --- found by the CLI fuzz, fixed outside this branch's files ----------------------------------


def test_run_with_sunset_at_year_0_is_refused_clearly(capsys) -> None:
    """Found by the CLI fuzz (an IndexError in the summary); a sunset must now follow the
    backbone's start, so the run is refused with one line."""
    argv = ["run", "--years", "0.25", "--set", "backbone.sunset_year=0"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "backbone.sunset_year" in err and "Traceback" not in err


def test_run_with_a_sunset_just_after_a_start_at_0_prints_a_summary(tmp_path) -> None:
    argv = [
        "run",
        "--years",
        "0.25",
        "--set",
        "backbone.start_year=0",
        "--set",
        "backbone.sunset_year=0.001",
        "--out",
        str(tmp_path / "x"),
    ]
    assert main(argv) == 0


@pytest.mark.parametrize("scenario", ["default", "bo_trygt"])
def test_a_backbone_that_can_reach_nobody_still_runs(scenario):
    """A vanishing ``logic_distance_scale`` (inside its bounds, above 0) makes every
    meeting's quality 0: the backbone can broker nobody. Found by the run() fuzz: the
    convening drew no first partners but a full list of second ones and crashed."""
    result = ci_sim.run(
        scenario,
        seed=0,
        years=1.0,
        overrides={"mechanisms.logic_distance_scale": 5.7e-41},
        record_organisations=False,
    )
    values = result.metrics.drop(columns=["step", "year"]).to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert result.metrics["cross_org_contacts"].iloc[-1] > 0
