"""Sweeps on every engine: identical tables, resume after SIGKILL, recorded failures.

Runs are short (one or two simulated years) so that the file stays within seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import ci_sim.runner
from ci_sim.cli import main, toml_lines
from ci_sim.experiments import load, sweep
from ci_sim.experiments.core import run_sweep

ROOT = Path(__file__).resolve().parent.parent

SMALL = {  # 2 points x 2 interventions x 3 replicates x 2 years
    "experiment": {"years": 2, "replicates": 3, "root_seed": 11, "record": "yearly"},
    "factors": {"backbone.sunset_year": [1.5, "none"]},
    "interventions": {"handover": {}, "no_handover": {"backbone.handover": False}},
}


def write(path: Path, table: dict) -> Path:
    path.write_text("\n".join(toml_lines(table)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial_table(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return sweep(SMALL, engine="serial", out=out)


def test_serial_local_and_dask_give_identical_tables(serial_table, tmp_path):
    local = sweep(SMALL, engine="local", workers=2, out=tmp_path / "local")
    dask = sweep(SMALL, engine="dask", workers=2, out=tmp_path / "dask")
    one = sweep(SMALL, engine="local", workers=1, out=tmp_path / "one")
    pd.testing.assert_frame_equal(serial_table, local)
    pd.testing.assert_frame_equal(serial_table, dask)
    pd.testing.assert_frame_equal(serial_table, one)
    assert len(serial_table) == 12 * 3  # 12 runs x years 0, 1, 2
    assert serial_table["systemic_change"].nunique() > 1
    # paired: every intervention and point saw the same seeds, replicate by replicate
    seeds = serial_table.groupby(["point", "intervention"])["seed"].unique()
    assert all(list(s) == list(seeds.iloc[0]) for s in seeds)


def test_chunking_does_not_change_the_table(serial_table, tmp_path):
    exp = load(SMALL)
    run_sweep(exp, tmp_path, engine="local", workers=2, quiet=True, chunk=5)
    pd.testing.assert_frame_equal(serial_table, pd.read_parquet(tmp_path / "results.parquet"))


def test_a_notebook_defined_outcome_works_on_the_local_engine(tmp_path):
    factor = 100.0  # a closure over a local: only cloudpickle can send it to a worker

    def trust_percent(result):
        return {"trust_pct": factor * float(result.metrics["mean_trust"].iloc[-1])}

    small = {**SMALL, "experiment": {**SMALL["experiment"], "record": "final"}}
    df = sweep(small, engine="local", workers=2, outcome=trust_percent)
    assert df.columns[-1] == "trust_pct"
    assert (df["trust_pct"] == 100.0 * df["mean_trust"]).all()


def test_a_main_module_outcome_works_on_the_local_engine(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from ci_sim.experiments import sweep

            def doubled(result):
                return {{"double_will": 2 * float(result.metrics["shared_will"].iloc[-1])}}

            if __name__ == "__main__":
                raw = {{"experiment": {{"years": 0.5, "replicates": 2}},
                        "interventions": {{"a": {{}}, "b": {{"backbone.staff": 1.0}}}}}}
                df = sweep(raw, engine="local", workers=2, outcome=doubled)
                assert (df["double_will"] == 2 * df["shared_will"]).all()
                df.to_csv({str(tmp_path / "ok.csv")!r}, index=False)
            """
        )
    )
    subprocess.run([sys.executable, str(script)], check=True, cwd=tmp_path, timeout=120)
    assert len(pd.read_csv(tmp_path / "ok.csv")) == 4


def test_a_failed_run_is_recorded_and_the_sweep_goes_on(
    serial_table, tmp_path, monkeypatch, capsys
):
    path = write(tmp_path / "small.toml", SMALL)
    out = tmp_path / "out"
    bad_seed = int(serial_table["seed"].unique()[1])
    real = ci_sim.runner.run

    def flaky(*args, **kwargs):
        if kwargs.get("seed") == bad_seed and kwargs["overrides"].get("backbone.handover") is False:
            raise RuntimeError("boom in the model")
        return real(*args, **kwargs)

    monkeypatch.setattr(ci_sim.runner, "run", flaky)
    assert main(["sweep", str(path), "--out", str(out), "--engine", "serial", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "12 runs: 10 finished, 2 failed" in captured.out
    assert "2 runs failed" in captured.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["runs"] == {"total": 12, "finished": 10, "failed": 2, "pending": 0}
    failed = manifest["failed"]
    assert [f["run_id"] for f in failed] == [4, 10]
    assert all(f["seed"] == bad_seed and f["intervention"] == "no_handover" for f in failed)
    assert failed[0]["overrides"] == {"backbone.handover": False, "backbone.sunset_year": 1.5}
    assert "RuntimeError: boom in the model" in failed[0]["error"]
    assert "Traceback" in failed[0]["traceback"] and "flaky" in failed[0]["traceback"]
    partial = pd.read_parquet(out / "results.parquet")
    assert sorted(partial["run_id"].unique()) == [i for i in range(12) if i not in (4, 10)]

    # The same command again retries the failed runs only; the table is then whole.
    monkeypatch.setattr(ci_sim.runner, "run", real)
    assert main(["sweep", str(path), "--out", str(out), "--engine", "serial", "--quiet"]) == 0
    assert "10 from an earlier attempt, 0 failed" in capsys.readouterr().out
    pd.testing.assert_frame_equal(serial_table, pd.read_parquet(out / "results.parquet"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["failed"] == []
    assert [a["status"] for a in manifest["attempts"]] == ["failed", "complete"]


def test_python_api_warns_about_failed_runs(monkeypatch):
    real = ci_sim.runner.run

    def broken(*args, **kwargs):
        if kwargs["overrides"].get("backbone.handover") is False:
            raise ValueError("nope")
        return real(*args, **kwargs)

    monkeypatch.setattr(ci_sim.runner, "run", broken)
    with pytest.warns(UserWarning, match="6 of 12 runs failed"):
        df = sweep(SMALL, engine="serial")
    assert set(df["intervention"]) == {"handover"}
    assert len(df.attrs["manifest"]["failed"]) == 6


def _sweep_command(path: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "ci_sim.cli", "sweep", str(path), "--out", str(out),
        "--engine", "local", "--workers", "2", "--quiet", "--chunk", "1",
    ]  # fmt: skip


def test_sigkill_mid_sweep_then_resume_loses_and_duplicates_nothing(tmp_path):
    raw = {
        "experiment": {"years": 1, "replicates": 30, "root_seed": 5, "record": "yearly"},
        "interventions": {"a": {}, "b": {"backbone.disturbance": 0.9}},
    }
    path = write(tmp_path / "kill.toml", raw)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _sweep_command(path, out),
        start_new_session=True,  # its own process group: the kill takes the workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    parts = out / "parts"
    while not (parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 3):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep wrote no part in time"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # like a power cut: no chance to clean up
    proc.wait(timeout=30)
    proc.stderr.close()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"  # it never got to write an end state
    assert not (out / "results.parquet").exists()
    killed = pd.concat(pd.read_parquet(p) for p in sorted(parts.glob("part-*.parquet")))
    assert 3 <= killed["run_id"].nunique() < 60

    resumed = subprocess.run(_sweep_command(path, out), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{killed['run_id'].nunique()} from an earlier attempt" in resumed.stdout
    table = pd.read_parquet(out / "results.parquet")
    assert not table.duplicated(["run_id", "step"]).any()
    assert sorted(table["run_id"].unique()) == list(range(60))

    whole = run_sweep(load(path), tmp_path / "whole", engine="serial", quiet=True)
    assert whole.status == "complete"
    pd.testing.assert_frame_equal(table, pd.read_parquet(tmp_path / "whole" / "results.parquet"))
    assert not list(parts.glob("*.parquet"))


def test_consolidation_drops_a_run_seen_twice(serial_table, tmp_path):
    """A kill between writing results.parquet and removing the parts duplicates nothing."""
    from ci_sim.experiments.store import Store

    exp = load(SMALL)
    run_sweep(exp, tmp_path, engine="serial", quiet=True)
    store = Store(tmp_path)
    store.open(exp)
    store.write_part(serial_table[serial_table["run_id"] < 3])  # rows already consolidated
    assert store.finished_ids() == set(range(12))
    pd.testing.assert_frame_equal(store.read(), serial_table)
    store.consolidate()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), serial_table)


def test_bad_engine_settings_exit_2(tmp_path, capsys):
    path = write(tmp_path / "small.toml", SMALL)
    assert main(["sweep", str(path), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--workers 0: must be at least 1" in capsys.readouterr().err
    assert main(["sweep", str(path), "--address", "tcp://x:1", "--out", str(tmp_path / "o")]) == 2
    assert "--address needs --engine dask" in capsys.readouterr().err
    assert main(["sweep", str(path), "--engine", "gpu"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_killed_worker_stops_the_sweep_cleanly_and_resume_finishes(serial_table, tmp_path):
    from ci_sim.experiments.engines import EngineBroken

    victim = int(serial_table["seed"].unique()[2])

    def die(result):  # the worker process dies as if the OOM killer took it
        if result.seed == victim:
            os._exit(3)
        return {}

    exp = load(SMALL)
    with pytest.raises(EngineBroken, match="a worker may have been killed"):
        run_sweep(exp, tmp_path, engine="local", workers=2, quiet=True, outcome=die, chunk=1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert all("BrokenProcessPool" in f["error"] for f in manifest["failed"])
    report = run_sweep(exp, tmp_path, engine="local", workers=2, quiet=True)
    assert report.status == "complete" and report.skipped < 12
    pd.testing.assert_frame_equal(serial_table, pd.read_parquet(tmp_path / "results.parquet"))
