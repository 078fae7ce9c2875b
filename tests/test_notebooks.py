"""Notebooks (experiments/*.ipynb), the notebook API and `ci-sim results` (issue 11).

Every notebook runs top to bottom in a kernel of this venv on the small design (2 paired
seeds); the runs are kept in a cache folder shared with the `ci-sim results` test, which
reads the same designs, so each design runs once per session.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import ci_sim
from ci_sim import notebooks
from ci_sim import results_report as rr
from ci_sim.claims import CLAIMS, cited_ids
from ci_sim.cli import main
from ci_sim.experiments.comparison import ComparisonTable, compare, format_table
from ci_sim.report import plot_conditions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = notebooks.notebook_paths(ROOT / "experiments")
EXECUTED = ROOT / "out" / "notebooks"
KEYS = ("relationship_work", "neutrality", "sunset")
SMALL_SEEDS = 2


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("sweeps")


# --- the notebooks ------------------------------------------------------------------------


def test_the_four_notebooks_are_shipped():
    assert [p.stem for p in NOTEBOOKS] == sorted([*KEYS, "compare_interventions"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert notebooks.dirty_cells(nb) == [], f"run: python -m ci_sim.notebooks strip {path.name}"
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_states_question_claims_design_and_limits(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for part in ("**Question", "**Claims tested", "**Design.**", "What this does not show"):
        assert part in text, part
    ids = {claim for _, claim in cited_ids(text)}
    assert ids and ids <= set(CLAIMS), ids - set(CLAIMS)
    if path.stem in KEYS:  # the notebook names the claims its question tests, and only those
        assert ids == set(rr.question(path.stem).claims)


def test_strip_clears_outputs_counts_and_execution_metadata(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("1 + 1")]
    )
    nb.cells[1].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)
    ]
    nb.cells[1].execution_count = 1
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert notebooks.dirty_cells(nbformat.read(path, as_version=4)) == [1]
    assert notebooks.main(["check", str(path)]) == 1
    assert notebooks.strip(path) is True
    clean = nbformat.read(path, as_version=4)
    assert notebooks.dirty_cells(clean) == [] and "execution" not in clean.cells[1].metadata
    assert clean.cells[1].source == "1 + 1"
    assert notebooks.strip(path) is False  # stripping is idempotent
    assert notebooks.main(["check", str(path)]) == 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_with_a_figure_and_a_table(path, cache):
    env = {rr.SEEDS_ENV: str(SMALL_SEEDS), rr.CACHE_ENV: str(cache), rr.WORKERS_ENV: "2"}
    nb = notebooks.execute(path, EXECUTED, env=env)
    assert notebooks.errors(nb) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)  # every cell ran
    assert notebooks.has_mime(nb, "image/png")  # at least one figure
    assert notebooks.has_mime(nb, "text/html")  # the results table
    stderr = [o["text"] for _, o in notebooks.outputs(nb) if o.get("name") == "stderr"]
    assert stderr == []  # no warnings, from the import of ci_sim or later
    printed = "".join(o.get("text", "") for _, o in notebooks.outputs(nb))
    assert f"x {SMALL_SEEDS} paired seeds" in printed  # the small design was used
    assert (EXECUTED / path.name).is_file()
    assert notebooks.dirty_cells(nbformat.read(path, as_version=4)) == []  # source untouched


def test_importing_ci_sim_warns_nothing():
    modules = "ci_sim, ci_sim.experiments, ci_sim.experiments.comparison, ci_sim.results_report"
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {modules}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""


# --- RunResult.plot() and .summary() ------------------------------------------------------


@pytest.fixture(scope="module")
def short_run():
    return ci_sim.run("default", seed=0, years=1, overrides={"backbone.staff": 2})


def test_plot_returns_the_figure_that_ci_sim_run_writes(short_run, tmp_path):
    from matplotlib.figure import Figure

    fig = short_run.plot(title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig._suptitle.get_text() == "t (seed 0)"
    fig.savefig(tmp_path / "a.png", format="png", dpi=100)
    plot_conditions(short_run, tmp_path / "b.png", title="t")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_summary_is_what_ci_sim_run_prints(short_run, tmp_path, capsys):
    argv = ["run", "default", "--years", "1", "--set", "backbone.staff=2"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    text = short_run.summary("default", {"backbone.staff": 2})
    assert capsys.readouterr().out.startswith(text + "\nWrote:")
    assert "Your --set changes: backbone.staff = 2 (scenario: 3)" in text


# --- comparison tables in Jupyter ---------------------------------------------------------


def _results(diffs: dict[str, list[float]], year: float = 5.0) -> pd.DataFrame:
    """A results table: arm 'base' and the arms of ``diffs`` over len(diffs[...]) seeds."""
    n = len(next(iter(diffs.values())))
    base = np.linspace(0.2, 0.5, n)
    rows, run_id = [], 0
    for arm, d in {"base": [0.0] * n, **diffs}.items():
        for r in range(n):
            rows.append(
                {"run_id": run_id, "point": 0, "intervention": arm, "replicate": r}
                | {"seed": 10 + r, "step": int(year * 12), "year": year}
                | {"systemic_change": base[r] + d[r]}
            )
            run_id += 1
    return pd.DataFrame(rows)


def test_comparison_renders_as_a_captioned_table():
    table = compare(_results({"up": [0.1, 0.2, 0.1, 0.3], "down": [-0.1] * 4}), "systemic_change")
    assert isinstance(table, ComparisonTable) and isinstance(table, pd.DataFrame)
    html = table._repr_html_()
    assert html.startswith("<p><b>systemic_change at year 5; baseline &#x27;base&#x27;")
    assert html.count("<tr") == 1 + 3 and "+0.1750" in html  # header + 3 arms; up's diff
    md = table._repr_markdown_().splitlines()
    assert md[2].startswith("| intervention | mean | diff | ci_low | ci_high |")
    assert md[6].startswith("| down | ") and "| -0.1000 |" in md[6]
    assert str(table) == format_table(table)
    assert type(table.iloc[:1]) is pd.DataFrame  # slices are plain frames again


# --- paired contrasts ---------------------------------------------------------------------


def test_paired_contrast_is_the_mean_within_seed_difference():
    df = _results({"up": [0.1, 0.2, 0.1, 0.3], "flat": [0.0] * 4})
    c = rr.simple("g", "up", {"intervention": "up"}, {"intervention": "base"})
    effect = rr.paired_contrast(df, c, year=5)
    assert effect["n"] == 4 and effect["diff"] == pytest.approx(0.175)
    assert effect["ci_low"] <= 0.175 <= effect["ci_high"] and effect["share_positive"] == 1.0
    assert effect["reference"] == pytest.approx(0.35)
    same = rr.paired_contrast(
        df, rr.simple("g", "flat", {"intervention": "flat"}, {"intervention": "base"}), year=5
    )
    assert same["diff"] == pytest.approx(0.0) and np.isnan(same["p"])  # no spurious test
    # a difference of differences: (up - base) - (flat - base) = up - flat
    did = rr.Contrast(
        "g",
        "did",
        (
            (1.0, {"intervention": "up"}),
            (-1.0, {"intervention": "base"}),
            (-1.0, {"intervention": "flat"}),
            (1.0, {"intervention": "base"}),
        ),
    )
    assert rr.paired_contrast(df, did, year=5)["diff"] == pytest.approx(0.175)
    assert np.isnan(rr.paired_contrast(df, did, year=5)["reference"])


def test_paired_contrast_refuses_unpaired_or_ambiguous_cells():
    df = _results({"up": [0.1, 0.2, 0.1, 0.3]})
    c = rr.simple("g", "up", {"intervention": "up"}, {"intervention": "base"})
    unpaired = df.copy()
    unpaired.loc[unpaired["intervention"] == "up", "seed"] += 1
    with pytest.raises(ValueError, match="not paired"):
        rr.paired_contrast(unpaired, c, year=5)
    with pytest.raises(ValueError, match="more than one run per replicate"):
        rr.paired_contrast(pd.concat([df, df]), c, year=5)
    with pytest.raises(ValueError, match="no year"):
        rr.paired_contrast(df, c)
    with pytest.raises(ValueError, match="not a column"):
        rr.paired_contrast(df, rr.simple("g", "x", {"host": "a"}, {"host": "b"}), year=5)
    failed = df.drop(df.index[(df["intervention"] == "up") & (df["replicate"] == 0)])
    assert rr.paired_contrast(failed, c, year=5)["n"] == 3  # a failed run drops its pair


@pytest.mark.parametrize("key", KEYS)
def test_every_contrast_of_a_shipped_design_pairs_every_seed(key):
    """Each cell of each contrast names one run per replicate of the real design."""
    exp = rr.load_design(key, seeds=3)
    assert exp.seeds() == rr.load_design(key).seeds()[:3]  # the small design is a prefix
    rows = [
        {"run_id": r.run_id, "point": r.point, "intervention": r.intervention}
        | {"replicate": r.replicate, "seed": r.seed, **r.labels, "step": 12 * y, "year": y}
        | {"systemic_change": float(r.run_id)}
        for r in exp.runs()
        for y in range(int(exp.years) + 1)
    ]
    df = pd.DataFrame(rows)
    contrasts = rr.question(key).contrasts(exp)
    table = rr.contrast_table(df, contrasts, n_resamples=99)
    assert len(contrasts) >= 3 and (table["n"] == 3).all()
    labels = set(zip(table["group"], table["contrast"], strict=True))
    assert set(rr.question(key).headlines) <= labels
    for _, cell in rr.question(key).trajectories(exp):
        assert len(rr.cell_values(df, cell, year=exp.years)) == 3


def test_load_design_errors_name_the_file(tmp_path):
    with pytest.raises(ci_sim.ScenarioError, match="missing.toml"):
        rr.load_design("missing", seeds=2, folder=tmp_path)
    with pytest.raises(ci_sim.ScenarioError, match="relationship_work.toml: experiment.rep"):
        rr.load_design("relationship_work", seeds=0)


# --- ci-sim results -----------------------------------------------------------------------


def test_results_command_writes_the_report(tmp_path, cache, capsys):
    out = tmp_path / "docs"
    argv = ["results", "--seeds", str(SMALL_SEEDS), "--out", str(out), "--cache", str(cache)]
    assert main(argv) == 0
    text = (out / "results.md").read_text(encoding="utf-8")
    seeds = ", ".join(map(str, rr.load_design("sunset", seeds=SMALL_SEEDS).seeds()))
    assert f"Generated by `ci-sim results --seeds {SMALL_SEEDS} --out {out.as_posix()}`" in text
    assert f"root 2026: {seeds})" in text
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Headline answers"
    assert sections[-1] == "## What the model cannot tell you"
    for i, key in enumerate(KEYS, start=1):
        q = rr.question(key)
        assert f"## {i}. {q.title}" in sections
        assert f"**Claims tested.** {', '.join(q.claims)}" in text
        figure = out / "figures" / f"results_{key}.png"
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](figures/results_{key}.png)" in text
    assert text.count("| year 12 | year 15 | year 25 |") >= 3
    assert "| n/a" not in text and not re.search(r"\bnan\b", text)


def test_results_command_refuses_bad_options_in_one_line(capsys):
    for argv in (["--seeds", "1"], ["--workers", "0"], ["--root", "-1"]):
        assert main(["results", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and argv[0] in err


def test_direction_reads_an_interval_only_with_enough_seeds():
    row = {"diff": -0.1, "ci_low": -0.2, "ci_high": -0.05, "n": rr.MIN_READ}
    assert rr.direction(row) == "lower (95% CI below 0)"
    assert rr.direction(row | {"ci_low": 0.01, "ci_high": 0.2}) == "higher (95% CI above 0)"
    assert rr.direction(row | {"ci_high": 0.05}).startswith("no clear difference")
    assert rr.direction(row | {"n": 2}).startswith("not read: 2 paired seeds")
    assert rr.effect_text(row) == "-0.100 [-0.200, -0.050]"
