"""Performance plumbing (issue 12), checked as correctness, never as timings.

* ``ci-sim --help``, ``scenarios`` and ``validate`` import neither Mesa, pandas nor
  matplotlib (``--help`` not even numpy or pydantic); ``import ci_sim`` is lazy.
* ``ci_sim.run`` frees its model without the cyclic garbage collector.
* Sweep workers run with one BLAS thread.
* Sweeps whose outcome reads only the metrics skip the per-organisation table.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
import weakref

import pytest

import ci_sim.runner
import ci_sim.sweep
from ci_sim import ablation
from ci_sim.experiments.engines import map_ordered
from ci_sim.sweep import at_years, run_seeds

#: Modules a command that only reads scenario files must not import.
PLOTTING_AND_MODEL = ("mesa", "pandas", "matplotlib", "scipy", "networkx", "solara")


def _imported_by(argv: list[str]) -> tuple[int, list[str]]:
    """Run ``ci_sim.cli.main(argv)`` in a fresh interpreter; its code and heavy modules."""
    code = textwrap.dedent(
        f"""
        import contextlib, io, json, sys
        from ci_sim.cli import build_parser, main
        build_parser()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main({argv!r})
        heavy = {PLOTTING_AND_MODEL + ("numpy", "pydantic")!r}
        print(json.dumps([code, sorted(m for m in heavy if m in sys.modules)]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    code, modules = json.loads(out.strip().splitlines()[-1])
    return code, modules


def test_help_imports_nothing_heavy():
    code, modules = _imported_by(["--help"])
    assert code == 0
    assert modules == []


@pytest.mark.parametrize(
    "argv", [["scenarios"], ["scenarios", "show", "captured_backbone"], ["validate", "default"]]
)
def test_scenario_commands_import_neither_mesa_pandas_nor_matplotlib(argv):
    code, modules = _imported_by(argv)
    assert code == 0
    # validating a scenario needs pydantic (and numpy through the logics), nothing more
    assert set(modules) <= {"numpy", "pydantic"}


def test_package_imports_lazily_and_keeps_its_api():
    code = textwrap.dedent(
        """
        import sys
        import ci_sim
        before = sorted(m for m in ("mesa", "pandas", "pydantic") if m in sys.modules)
        from ci_sim import *  # noqa: F403
        import ci_sim.runner, ci_sim.scenarios, ci_sim.model
        same = [
            ci_sim.run is ci_sim.runner.run,
            ci_sim.CIModel is ci_sim.model.CIModel,
            ci_sim.ScenarioError is ci_sim.scenarios.ScenarioError,
            ci_sim.load_scenario is ci_sim.scenarios.load_scenario,
            all(name in globals() for name in ci_sim.__all__),
            set(ci_sim.__all__) <= set(dir(ci_sim)),
        ]
        try:
            ci_sim.no_such_name
        except AttributeError:
            same.append(True)
        print(before, all(same))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[] True"


def test_submodules_are_reachable_as_attributes():
    import ci_sim

    assert ci_sim.metrics.REPORTERS is sys.modules["ci_sim.metrics"].REPORTERS


def test_run_frees_its_model_without_the_cyclic_collector(monkeypatch):
    models = []

    class Watched(ci_sim.runner.CIModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            models.append(weakref.ref(self))

    monkeypatch.setattr(ci_sim.runner, "CIModel", Watched)
    gc.collect()
    gc.disable()
    try:
        result = ci_sim.runner.run("default", seed=3, years=1)
        alive = models[0]() is not None
    finally:
        gc.enable()
    assert not alive
    # the result does not depend on the model it came from
    assert len(result.metrics) == 13
    assert set(result.organisations["step"]) == set(range(13))
    assert result.params.simulation.years == 1


def _blas_threads(_: object) -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_local_engine_workers_run_one_blas_thread():
    (threads,) = map_ordered(_blas_threads, [0], engine="local", workers=1)
    assert threads and set(threads) == {1}


def test_ablation_workers_run_one_blas_thread():
    out = ablation.dispatch(_blas_threads, [0, 1], workers=2)
    assert [set(t) for t in out] == [{1}, {1}]


def test_at_years_sweeps_skip_the_organisation_table(monkeypatch):
    asked = []
    real = ci_sim.sweep.run

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        asked.append((kwargs["record_organisations"], len(result.organisations)))
        return result

    monkeypatch.setattr(ci_sim.sweep, "run", spy)
    overrides = {"simulation.years": 1}
    metrics_only = run_seeds("default", [1], at_years([1], ["shared_will"]), overrides)
    custom = run_seeds("default", [1], lambda r: {"rows": len(r.organisations)}, overrides)
    assert asked[0] == (False, 0)
    assert asked[1][0] is True and asked[1][1] > 0
    assert custom["rows"].iloc[0] == asked[1][1]
    assert list(metrics_only.columns) == ["seed", "shared_will@1"]
