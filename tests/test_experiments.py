"""Experiment files, the design they expand to, and the compare/sensitivity analyses.

Model outputs are never pinned: the tests check structure, pairing, error handling and
statistics on synthetic tables.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci_sim.cli import main, toml_lines
from ci_sim.experiments import ExperimentError, compare, load, sweep
from ci_sim.experiments.comparison import JSON_KEYS, format_table, to_records
from ci_sim.experiments.spec import n_sampled_points
from ci_sim.metrics import REPORTERS
from ci_sim.sweep import derive_seeds

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("relationship_work", "neutrality", "sunset", "governance", "screening")

SMALL = {
    "experiment": {"years": 1, "replicates": 2, "root_seed": 3, "record": "final"},
    "factors": {"backbone.disturbance": [0.2, 0.8]},
    "interventions": {"base": {}, "no_handover": {"backbone.handover": False}},
}


def write(path: Path, table: dict) -> Path:
    path.write_text("\n".join(toml_lines(table)) + "\n", encoding="utf-8")
    return path


# --- loading ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_experiments_load(name):
    exp = load(ROOT / "experiments" / f"{name}.toml")
    assert exp.name == name and exp.title
    assert exp.n_runs() == len(exp.points()) * len(exp.interventions) * exp.replicates
    assert exp.metrics == tuple(REPORTERS)


def test_sunset_experiment_is_the_grid_the_issue_asks_for():
    exp = load(ROOT / "experiments" / "sunset.toml")
    assert exp.years == 25 and list(exp.interventions) == ["handover", "no_handover"]
    assert exp.factors == {
        "backbone.sunset_year": [6, 9, 12, 15, 18, "none"],
        "backbone.allocation": ["fixed", "adaptive"],
    }
    assert exp.column_kind("backbone.sunset_year") == "str"  # mixed numbers and "none"


def test_screening_is_morris_over_numeric_levers():
    exp = load(ROOT / "experiments" / "screening.toml")
    assert exp.sampling.method == "morris"
    assert len(exp.points()) == n_sampled_points(exp.sampling) == 10 * (len(exp.keys) + 1)


def test_runs_are_paired_and_seeded_from_the_root_before_dispatch():
    exp = load(SMALL)
    runs = list(exp.runs())
    seeds = derive_seeds(3, 2)
    assert [r.run_id for r in runs] == list(range(exp.n_runs())) == list(range(8))
    for r in runs:  # replicate r has the same seed at every point and under every arm
        assert r.seed == seeds[r.replicate]
    assert [(r.point, r.intervention, r.replicate) for r in runs[:4]] == [
        (0, "base", 0),
        (0, "base", 1),
        (0, "no_handover", 0),
        (0, "no_handover", 1),
    ]
    assert runs[3].overrides == {"backbone.handover": False, "backbone.disturbance": 0.2}
    assert exp.baseline == "base"


def test_nested_tables_are_read_as_dotted_levers(tmp_path):
    path = tmp_path / "nested.toml"
    path.write_text(
        "[experiment]\nreplicates = 1\n[interventions]\nbase = {}\n"
        "[interventions.slow]\nbackbone = { effort = { develop_relations = 0.1 } }\n"
    )
    assert load(path).interventions["slow"] == {"backbone.effort.develop_relations": 0.1}


def test_sampled_points_are_deterministic_and_typed():
    raw = {
        "experiment": {"replicates": 1, "root_seed": 9},
        "sampling": {
            "method": "lhs",
            "n": 5,
            "ranges": {"organisations.count": [5, 30], "backbone.staff": [1.0, 4.0]},
        },
    }
    a, b = load(raw).points(), load(raw).points()
    assert a == b and len(a) == 5
    assert all(type(p["organisations.count"]) is int for p in a)
    assert all(1.0 <= p["backbone.staff"] <= 4.0 for p in a)
    other = {**raw, "experiment": {"replicates": 1, "root_seed": 10}}
    assert load(other).points() != a


BAD = [
    ("[experimnt]\n", "experimnt: unknown key; did you mean 'experiment'?"),
    ("[experiment]\nreplicate = 3\n", "experiment.replicate: unknown key"),
    ("[experiment]\nreplicates = 0\n", "experiment.replicates: = 0: allowed range 1 to"),
    ("[experiment]\nreplicates = 2.5\n", "experiment.replicates"),
    ("[experiment]\nyears = 0\n", "experiment.years: = 0: allowed range above 0 to 200"),
    ("[experiment]\nyears = 300\n", "experiment.years"),
    ("[experiment]\nroot_seed = -1\n", "experiment.root_seed"),
    ("[experiment]\nrecord = 'daily'\n", "experiment.record: = 'daily': allowed values"),
    ("[experiment]\nscenario = 'nowhere'\n", "experiment.scenario: unknown scenario 'nowhere'"),
    ("[experiment]\nmetrics = ['systemic_chnage']\n", "did you mean 'systemic_change'?"),
    (
        "[factors]\n'backbone.independance' = [0.1]\n",
        "factors.backbone.independance: unknown lever",
    ),
    ("[factors]\n'backbone.independence' = [0.1, 2.0]\n", "factors.backbone.independence"),
    ("[factors]\n'backbone.independence' = 0.5\n", "must be a non-empty list"),
    ("[factors]\n'backbone.independence' = [0.5, 0.5]\n", "listed twice"),
    ("[factors]\n'simulation.years' = [5, 10]\n", "set [experiment] years instead"),
    (
        "[factors]\n'backbone.handover' = [true, false]\n"
        "[interventions]\na = {}\nb = { 'backbone.handover' = false }\n",
        "interventions.b.backbone.handover: is also in [factors]",
    ),
    ("[interventions]\na = 3\n", "interventions.a: must be a table"),
    ("[interventions]\na = { 'backbone.staff' = -1 }\n", "interventions.a: backbone.staff"),
    ("[sampling]\nmethod = 'grid'\n", "sampling.method: = 'grid'"),
    (
        "[sampling]\nmethod = 'sobol'\nn = 10\nranges = { 'backbone.staff' = [1, 2] }\n",
        "sampling.n: = 10: Sobol sampling needs a power of 2",
    ),
    (
        "[sampling]\nmethod = 'lhs'\nn = 8\nranges = { 'backbone.staff' = [2, 1] }\n",
        "sampling.ranges.backbone.staff: = [2, 1]: low must be below high",
    ),
    (
        "[sampling]\nmethod = 'lhs'\nn = 8\nranges = { 'backbone.staff' = [1, 500] }\n",
        "sampling.ranges.backbone.staff",
    ),
    (
        "[sampling]\nmethod = 'lhs'\nn = 8\nranges = { 'backbone.handover' = [0, 1] }\n",
        "only numeric levers can be sampled",
    ),
    (
        "[factors]\n'backbone.staff' = [1, 2]\n"
        "[sampling]\nmethod = 'lhs'\nn = 8\nranges = { 'backbone.independence' = [0, 1] }\n",
        "either [factors] (a grid) or [sampling], not both",
    ),
    ("[experiment\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_experiment_gives_one_line_naming_file_and_key(tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExperimentError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert expected in message


def test_bad_experiment_exits_2_with_one_line_before_any_run(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[experiment]\nmetrics = ['nope']\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and err[0].startswith("ci-sim: error: ") and "unknown metric 'nope'" in err[0]
    )
    assert not (tmp_path / "out").exists()
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_non_utf8_file_is_one_clear_error(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b"[experiment]\ntitle = '\xe6'\n")
    with pytest.raises(ExperimentError, match="not UTF-8"):
        load(path)


# --- fuzz: only ExperimentError escapes, always one line naming the file ----------------

LEVERS = ["backbone.staff", "backbone.handover", "backbone.sunset_year", "backbone.nope", "x"]
# BMP only: the CLI's TOML writer escapes astral characters as JSON surrogate pairs.
text = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=6)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | text
    | st.sampled_from(["final", "yearly", "morris", "sobol", "lhs", "none", "default"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(LEVERS) | text, inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(
    [
        "title",
        "scenario",
        "years",
        "replicates",
        "root_seed",
        "record",
        "metrics",
        "method",
        "n",
        "ranges",
        "levels",
        "second_order",
        *LEVERS,
        "zz",
    ]
)
tables = st.dictionaries(
    st.sampled_from(["experiment", "factors", "interventions", "sampling"] * 3 + ["other"]),
    st.dictionaries(keys, values, max_size=4) | values,
    max_size=4,
)


def _drop_none(obj):
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj if v is not None]
    return obj


FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(table=tables)
def test_fuzzed_experiment_files_load_or_give_one_clear_error(tmp_path, table):
    table = {k: v for k, v in _drop_none(table).items() if isinstance(v, dict)}
    path = write(tmp_path / "fuzz.toml", table)
    try:
        tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError:
        pass
    try:
        exp = load(path)
    except ExperimentError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
    else:
        assert exp.n_runs() >= 1


@FUZZ
@given(data=st.binary(max_size=200))
def test_fuzzed_bytes_give_one_clear_error(tmp_path, data):
    path = tmp_path / "bytes.toml"
    path.write_bytes(data)
    try:
        load(path)
    except ExperimentError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))


# --- compare on synthetic tables -----------------------------------------------------


def synthetic(shift: dict[str, np.ndarray], levels=(None,), years=(15.0,)) -> pd.DataFrame:
    """A results table: 2 interventions besides 'base', 6 replicates, optional factor."""
    rows = []
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.6, 6)
    run_id = 0
    for p, level in enumerate(levels):
        for arm in ["base", *shift]:
            for r in range(6):
                for y in years:
                    value = base[r] + (0.0 if arm == "base" else shift[arm][r]) + 0.01 * p
                    row = {
                        "run_id": run_id,
                        "point": p,
                        "intervention": arm,
                        "replicate": r,
                        "seed": 100 + r,
                    }
                    if level is not None:
                        row["factor"] = level
                    row.update({"step": int(y * 12), "year": y, "metric": value * y / 15.0})
                    rows.append(row)
                run_id += 1
    return pd.DataFrame(rows)


def test_compare_reads_paired_differences():
    shift = {"plus": np.full(6, 0.1), "noisy": np.array([0.1, -0.05, 0.2, 0.0, 0.15, 0.05])}
    table = compare(synthetic(shift), "metric")
    assert list(table.columns) == list(JSON_KEYS)
    assert list(table["intervention"]) == ["base", "plus", "noisy"]
    base, plus, noisy = (table.iloc[i] for i in range(3))
    assert math.isnan(base["diff"]) and base["n"] == 6
    assert plus["diff"] == pytest.approx(0.1) and plus["dz"] == math.inf
    assert plus["ci_low"] == pytest.approx(0.1) and plus["ci_high"] == pytest.approx(0.1)
    assert plus["share_better"] == 1.0
    d = shift["noisy"]
    assert noisy["diff"] == pytest.approx(d.mean())
    assert noisy["dz"] == pytest.approx(0.80178, abs=1e-5)  # 0.075 / sqrt(0.04375 / 5)
    assert noisy["ci_low"] < d.mean() < noisy["ci_high"]
    assert noisy["share_better"] == pytest.approx(4 / 6)
    # Holm's step-down over the two comparisons: the smaller p doubled, the larger kept
    # (but never below the first); plus's six equal gains give the exact 2 / 2**6.
    assert plus["p"] == pytest.approx(2 / 64)
    small, large = sorted([plus["p"], noisy["p"]])
    holm = {small: min(1.0, 2 * small), large: max(min(1.0, 2 * small), large)}
    assert plus["p_holm"] == pytest.approx(holm[plus["p"]])
    assert noisy["p_holm"] == pytest.approx(holm[noisy["p"]])
    assert noisy["p_holm"] != noisy["p"] or plus["p_holm"] != plus["p"]
    assert compare(synthetic(shift), "metric").equals(table)  # seeded bootstrap


def test_compare_by_factor_and_baseline_and_lower_is_better():
    shift = {"minus": np.full(6, -0.1)}
    df = synthetic(shift, levels=("a", "b"))
    table = compare(df, "metric", by="factor", higher_is_better=False)
    assert list(table["level"]) == ["a", "a", "b", "b"]
    assert list(table.loc[table["intervention"] == "minus", "share_better"]) == [1.0, 1.0]
    flipped = compare(df, "metric", baseline="minus")
    assert list(flipped["intervention"]) == ["minus", "base"]
    assert flipped.iloc[1]["diff"] == pytest.approx(0.1)


def test_compare_json_records_are_valid_json():
    table = compare(synthetic({"plus": np.full(6, 0.1)}), "metric")
    records = to_records(table)
    text = json.dumps(records, allow_nan=False)
    back = json.loads(text)
    assert [set(r) for r in back] == [set(JSON_KEYS)] * 2
    assert back[0]["diff"] is None and back[1]["dz"] == "inf"
    assert "Holm-corrected over 1 comparisons" in format_table(table)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "metrc"}, "unknown metric; did you mean 'metric'?"),
        ({"metric": "metric", "year": 16}, "past the end of the runs (last recorded year 15)"),
        ({"metric": "metric", "year": 7.5}, "7.5 was not recorded; recorded years: 5, 15"),
        ({"metric": "metric", "year": 1}, "before the first recorded year 5"),
        ({"metric": "metric", "baseline": "nobody"}, "unknown intervention"),
        ({"metric": "metric", "by": "seed"}, "not a factor of this sweep"),
    ],
)
def test_compare_refuses_bad_requests(kwargs, message):
    df = synthetic({"plus": np.full(6, 0.1)}, years=(5.0, 15.0))
    with pytest.raises(ExperimentError) as info:
        compare(df, **kwargs)
    assert message in str(info.value)


def test_compare_needs_two_interventions():
    df = synthetic({})
    with pytest.raises(ExperimentError, match="at least two interventions"):
        compare(df, "metric")


def test_compare_drops_incomplete_pairs():
    df = synthetic({"plus": np.full(6, 0.1)})
    df = df[~((df["intervention"] == "plus") & (df["replicate"] == 0))]
    table = compare(df, "metric")
    assert list(table["n"]) == [6, 5]


# --- commands on a small real sweep ---------------------------------------------------


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    raw = {**SMALL, "experiment": {**SMALL["experiment"], "record": "yearly", "years": 2}}
    path = write(folder / "small.toml", raw)
    out = folder / "out"
    assert main(["sweep", str(path), "--out", str(out), "--engine", "serial", "--quiet"]) == 0
    return path, out


def test_sweep_writes_table_and_manifest(small_sweep):
    path, out = small_sweep
    df = pd.read_parquet(out / "results.parquet")
    exp = load(path)
    head = ["run_id", "point", "intervention", "replicate", "seed", "backbone.disturbance"]
    assert list(df.columns) == [*head, "step", "year", *REPORTERS]
    assert sorted(df["run_id"].unique()) == list(range(exp.n_runs()))
    assert list(df.groupby("run_id")["year"].apply(list).iloc[0]) == [0.0, 1.0, 2.0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["runs"] == {"total": 8, "finished": 8, "failed": 0, "pending": 0}
    assert manifest["experiment"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["experiment"]["text"] == path.read_text()
    assert manifest["root_seed"] == 3
    assert {"python", "ci-sim", "mesa", "numpy", "pyarrow"} <= set(manifest["versions"])
    assert "git" in manifest and manifest["failed"] == []


def test_compare_command_prints_table_json_and_writes_figure(small_sweep, capsys):
    _, out = small_sweep
    assert main(["compare", str(out), "--metric", "mean_trust", "--year", "2"]) == 0
    text = capsys.readouterr().out
    assert "mean_trust at year 2; baseline 'base'" in text and "no_handover" in text
    assert (out / "compare_mean_trust.png").stat().st_size > 0
    args = ["compare", str(out), "--metric", "mean_trust", "--by", "backbone.disturbance"]
    assert main([*args, "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["intervention"], r["level"]) for r in records] == [
        ("base", 0.2),
        ("no_handover", 0.2),
        ("base", 0.8),
        ("no_handover", 0.8),
    ]
    assert (out / "compare_mean_trust_by_backbone.disturbance.png").is_file()


def test_compare_command_refuses_unknown_metric_and_missing_folder(small_sweep, tmp_path, capsys):
    _, out = small_sweep
    assert main(["compare", str(out), "--metric", "nope"]) == 2
    assert "unknown metric" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none"), "--metric", "mean_trust"]) == 2
    assert "no such sweep folder" in capsys.readouterr().err


def test_sweep_again_resumes_a_finished_folder_without_rerunning(small_sweep, capsys):
    path, out = small_sweep
    before = pd.read_parquet(out / "results.parquet")
    assert main(["sweep", str(path), "--out", str(out), "--engine", "serial", "--quiet"]) == 0
    assert "8 from an earlier attempt" in capsys.readouterr().out
    pd.testing.assert_frame_equal(before, pd.read_parquet(out / "results.parquet"))


def test_sweep_refuses_a_folder_of_another_experiment(small_sweep, tmp_path, capsys):
    _, out = small_sweep
    other = write(tmp_path / "other.toml", {"experiment": {"years": 1, "replicates": 1}})
    assert main(["sweep", str(other), "--out", str(out), "--quiet"]) == 2
    assert "holds a sweep of another experiment" in capsys.readouterr().err


def test_sweep_with_forest_plot_and_default_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "tiny.toml", SMALL)
    assert main(["sweep", "tiny.toml", "--engine", "serial", "--quiet"]) == 0
    assert "out/tiny/results.parquet" in capsys.readouterr().out
    assert main(["compare", "out/tiny", "--metric", "systemic_change"]) == 0
    assert (tmp_path / "out" / "tiny" / "compare_systemic_change.png").is_file()


@pytest.mark.parametrize("method", ["morris", "sobol", "lhs"])
def test_sensitivity_command_on_a_sampled_sweep(tmp_path, capsys, method):
    n = {"morris": 3, "sobol": 4, "lhs": 24}[method]
    raw = {
        "experiment": {"years": 0.5, "replicates": 1, "root_seed": 1},
        "sampling": {
            "method": method,
            "n": n,
            "ranges": {"backbone.staff": [1.0, 5.0], "organisations.count": [6, 12]},
        },
    }
    path = write(tmp_path / f"{method}.toml", raw)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--engine", "serial", "--quiet"]) == 0
    df = pd.read_parquet(out / "results.parquet")
    assert df["point"].nunique() == n_sampled_points(load(path).sampling)
    assert df["organisations.count"].dtype == np.int64
    assert main(["sensitivity", str(out), "--metric", "mean_trust"]) == 0
    text = capsys.readouterr().out
    column = {"morris": "mu_star", "sobol": "ST", "lhs": "S1"}[method]
    assert column in text and "backbone.staff" in text and "organisations.count" in text
    assert (out / "sensitivity_mean_trust.png").stat().st_size > 0


def test_sensitivity_refuses_a_grid_sweep(small_sweep, capsys):
    _, out = small_sweep
    assert main(["sensitivity", str(out)]) == 2
    assert "needs a sampled experiment" in capsys.readouterr().err


def test_python_api_returns_the_table(tmp_path):
    df = sweep(SMALL, engine="serial")
    assert len(df) == 8 and df.attrs["manifest"]["status"] == "complete"
    assert compare(df, "systemic_change").shape[0] == 2
