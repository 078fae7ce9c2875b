"""The performance table of issue 12: every row a ratio against a reference timed in the same run.

Usage::

    python benchmarks/bench_perf.py            # full, a few minutes (what `make bench` runs)
    python benchmarks/bench_perf.py --quick    # about a minute: fewer seeds, steps and runs
    python benchmarks/bench_perf.py --json perf.json

Prints a markdown table with the columns what / measured / ratio / goal / met?:

* a default 15-year run (``ci_sim.run("default", seed=s)``, organisation records on, as
  ``run`` records them by default) against Mesa's BoltzmannWealth example with as many
  agents (the default's people) for as many steps, model build included in both;
* the cost per person-step of 1,000 organisations of 10 people against BoltzmannWealth's
  cost per agent-step at 10,000 agents (steps timed after one simulated year);
* ``ci-sim --help`` (and ``ci-sim scenarios``, ``ci-sim validate default``) wall time
  against ``python -c "import numpy"``, each a fresh process;
* a sweep worker's resident memory after its 500th run against after its 10th run;
* time per step from 100 to 50,000 people: the log-log slope from 2,500 people up;
  and at 50,000 people the CPU time per step with the BLAS pool as numpy starts it (as
  in a script) against one BLAS thread (as in a sweep worker): a BLAS helper thread
  that busy-waits shows as CPU above 1x (sweep workers are capped at one thread);
* a sweep of 1,000 runs (``ci_sim.experiments``, local engine): parallel efficiency of
  2 workers against 1, and the peak resident memory of the sweep (process and workers)
  against its memory a fifth of the way in (not before every worker finished a run).

Sweeps run in child processes so that their memory does not mix with this one. The
sections print as they finish; the table comes last. Timings on a shared 2-core
machine are noisy: compare the ratios, and read the background-load line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench_step import (
    CpuMark,
    Stat,
    background_load,
    loglog_slope,
    machine_info,
    report_load,
    step_times,
)
from bench_sweep import MemoryWatch, _rss_kb, default_experiment
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

import ci_sim

PEOPLE = 10  # people per organisation in the sized models
WARMUP = 12  # one simulated year: the default backbone arrives at year 1


@dataclass(frozen=True)
class Config:
    """How much to measure; ``QUICK`` keeps the script to about a minute."""

    seeds: tuple[int, ...]  # default runs and their BoltzmannWealth twins
    large_seeds: tuple[int, ...]  # 1,000 x 10 models and BoltzmannWealth at 10,000
    large_steps: int  # timed steps per large model
    cli_repeats: int
    scaling: tuple[int, ...]  # organisations of PEOPLE people
    scaling_steps: int  # timed steps per size (after WARMUP)
    sweep_runs: int
    sweep_years: float
    memory_at: tuple[int, int]  # a worker's RSS after these runs is compared


FULL = Config(
    seeds=tuple(range(10)),
    large_seeds=(0, 1, 2),
    large_steps=24,
    cli_repeats=9,
    scaling=(10, 30, 100, 250, 1000, 2000, 5000),
    scaling_steps=20,
    sweep_runs=1000,
    sweep_years=5.0,
    memory_at=(10, 500),
)
QUICK = Config(
    seeds=(0, 1, 2),
    large_seeds=(0,),
    large_steps=10,
    cli_repeats=5,
    scaling=(10, 100, 1000, 5000),
    scaling_steps=5,
    sweep_runs=200,
    sweep_years=2.0,
    memory_at=(10, 100),
)


def timed(fn: Callable[[], Any]) -> float:
    """Wall time of ``fn()`` in seconds (after a garbage collection)."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- 1. a default run against BoltzmannWealth of the same size ------------------------


def default_people() -> int:
    """People in the default scenario (organisations x people per organisation)."""
    org = ci_sim.load_scenario("default").organisations
    return int(org.count * org.people)


def boltzmann_run(n: int, steps: int, seed: int) -> None:
    """Build BoltzmannWealth with ``n`` agents (about one per cell) and step it."""
    side = max(1, round(n**0.5))
    model = BoltzmannWealth(BoltzmannScenario(n=n, width=side, height=side, rng=seed))
    for _ in range(steps):
        model.step()


def bench_default(cfg: Config) -> dict[str, Any]:
    """Seconds per default run and per BoltzmannWealth run of as many agents and steps."""
    steps = ci_sim.load_scenario("default").steps
    people = default_people()
    ci_sim.run("default", seed=99)  # warm caches, untimed
    boltzmann_run(people, 10, 99)
    ours, theirs = [], []
    for seed in cfg.seeds:  # interleaved, so that background load hits both alike
        ours.append(timed(lambda s=seed: ci_sim.run("default", seed=s)))
        theirs.append(timed(lambda s=seed: boltzmann_run(people, steps, s)))
    run, ref = Stat.of(ours), Stat.of(theirs)
    return {
        "steps": steps,
        "people": people,
        "run_s": asdict(run),
        "boltzmann_s": asdict(ref),
        "ratio": run.median / ref.median,
    }


# --- 2. 10,000 people against BoltzmannWealth at 10,000 agents --------------------------


def sized_model(orgs: int, seed: int) -> Any:
    """A default-scenario model of ``orgs`` organisations of :data:`PEOPLE` people."""
    params = ci_sim.load_scenario(
        "default", overrides={"organisations.count": orgs, "organisations.people": PEOPLE}
    )
    return ci_sim.CIModel(params, rng=seed, record_organisations=True)


def bench_large(cfg: Config) -> dict[str, Any]:
    """Microseconds per person-step at 10,000 people and per agent-step of BoltzmannWealth."""
    people = 1000 * PEOPLE
    ours, theirs = [], []
    for seed in cfg.large_seeds:
        ours.extend(step_times(sized_model(1000, seed), WARMUP, cfg.large_steps))
        side = round(people**0.5)
        model = BoltzmannWealth(BoltzmannScenario(n=people, width=side, height=side, rng=seed))
        theirs.extend(step_times(model, 3, max(5, cfg.large_steps // 2)))
    us, ref = Stat.of(ours, 1e6 / people), Stat.of(theirs, 1e6 / people)
    return {
        "people": people,
        "us_per_person_step": asdict(us),
        "boltzmann_us_per_agent_step": asdict(ref),
        "ratio": us.median / ref.median,
    }


# --- 3. the command line against importing numpy ----------------------------------------


def ci_sim_command() -> list[str]:
    """The installed ``ci-sim`` script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("ci-sim")
    if script.is_file():
        return [str(script)]
    found = shutil.which("ci-sim")
    return [found] if found else [sys.executable, "-m", "ci_sim.cli"]


def process_seconds(argv: Sequence[str]) -> float:
    """Wall time of one fresh process running ``argv`` (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def bench_cli(cfg: Config) -> dict[str, Any]:
    """Median wall time of ``ci-sim --help``, ``scenarios``, ``validate`` and of numpy."""
    cli = ci_sim_command()
    commands = {
        "numpy": [sys.executable, "-c", "import numpy"],
        "help": [*cli, "--help"],
        "scenarios": [*cli, "scenarios"],
        "validate": [*cli, "validate", "default"],
    }
    for argv in commands.values():  # warm the file cache, untimed
        process_seconds(argv)
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(cfg.cli_repeats):
        for key, argv in commands.items():
            times[key].append(process_seconds(argv))
    stats = {k: Stat.of(v) for k, v in times.items()}
    ref = stats["numpy"].median
    return {
        "command": cli,
        "seconds": {k: asdict(s) for k, s in stats.items()},
        "ratio": {k: s.median / ref for k, s in stats.items() if k != "numpy"},
    }


# --- 4 and 6. sweeps (run in a child process) -----------------------------------------


class WorkerMemory:
    """Wrap a sweep's task: add the worker's pid, RSS after the run and timings as columns."""

    def __init__(self, task: Any) -> None:
        self.task = task

    def __call__(self, run: Any) -> Any:
        start = time.perf_counter()
        table = self.task(run)
        table["task_s"] = time.perf_counter() - start
        table["task_start"] = start
        table["worker_pid"] = os.getpid()
        table["worker_rss_kb"] = _rss_kb(os.getpid())
        return table


def sweep_child(runs: int, years: float, workers: int) -> dict[str, Any]:
    """Sweep ``runs`` default runs on the local engine; return wall time and memory."""
    import pandas as pd

    from ci_sim.experiments import core
    from ci_sim.experiments.core import run_sweep

    plain = core._task
    core._task = lambda *a, **k: WorkerMemory(plain(*a, **k))  # the sweep's own path
    exp = default_experiment(runs, years)
    watch = MemoryWatch()
    watch.start()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        report = run_sweep(exp, out, engine="local", workers=workers, quiet=True)
        wall = time.perf_counter() - start
        table = pd.read_parquet(
            Path(out) / "results.parquet",
            columns=["task_s", "task_start", "worker_pid", "worker_rss_kb"],
        )
    watch.stop.set()
    watch.join()
    # CPU of descendants this process never waits for (the forkserver's workers), which
    # the parent's accounting of its finished children therefore misses
    t = os.times()
    unreaped = max(0.0, sum(watch.cpu.values()) - (t.children_user + t.children_system))
    if report.finished != runs or report.failed:
        raise SystemExit(report.summary())
    per_worker = {
        int(pid): (rows.sort_values("task_start")["worker_rss_kb"] / 1024).round(2).tolist()
        for pid, rows in table.groupby("worker_pid")
    }
    # the reference reading: a fifth of the way in, but not before every worker has
    # finished its first run (a sweep that finishes sooner would otherwise be read while
    # its workers still start, and start-up would count as growth)
    first_done = table.sort_values("task_start").groupby("worker_pid").head(1)
    warm = float((first_done["task_start"] + first_done["task_s"]).max()) - watch.t0
    ref_t = max(wall / 5, warm)
    fifth = [tree for t, _, tree in watch.samples if t >= ref_t] or [watch.samples[-1][2]]
    return {
        "runs": runs,
        "years": years,
        "workers": workers,
        "wall_s": wall,
        "run_ms": 1e3 * float(table["task_s"].mean()),
        "worker_rss_mb": per_worker,
        "peak_tree_mb": max(tree for _, _, tree in watch.samples) / 1024,
        "tree_at_fifth_mb": fifth[0] / 1024,
        "reference_s": ref_t,
        "peak_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "unreaped_cpu_s": unreaped,
    }


def in_child(runs: int, years: float, workers: int) -> dict[str, Any]:
    """Run :func:`sweep_child` in a fresh interpreter and return its figures."""
    argv = [sys.executable, __file__, "--sweep-child", str(runs), str(years), str(workers)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"sweep child {argv[2:]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_sweeps(cfg: Config) -> dict[str, Any]:
    """One sweep with 1 worker and one with 2: efficiency, worker memory, peak memory."""
    one = in_child(cfg.sweep_runs, cfg.sweep_years, 1)
    two = in_child(cfg.sweep_runs, cfg.sweep_years, 2)
    (series,) = one["worker_rss_mb"].values()
    first, last = (min(k, len(series)) for k in cfg.memory_at)
    return {
        "one_worker": one,
        "two_workers": two,
        "efficiency": one["wall_s"] / (2 * two["wall_s"]),
        "memory_runs": (first, last),
        "worker_rss_mb": (series[first - 1], series[last - 1]),
        "memory_ratio": series[last - 1] / series[first - 1],
        "peak_ratio": two["peak_tree_mb"] / two["tree_at_fifth_mb"],
    }


# --- 5. scaling ------------------------------------------------------------------------


def step_cpu(model: Any, steps: int) -> tuple[float, float]:
    """Step ``model`` ``steps`` times; return (wall, CPU of this process) in seconds."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_scaling(cfg: Config) -> dict[str, Any]:
    """Time per step against people, and CPU over wall at the largest size."""
    from threadpoolctl import threadpool_limits

    rows = []
    for orgs in cfg.scaling:
        model = sized_model(orgs, 0)
        times = step_times(model, WARMUP, cfg.scaling_steps)
        rows.append({"people": orgs * PEOPLE, "step_ms": asdict(Stat.of(times, 1e3))})
    people = [r["people"] for r in rows]
    ms = [r["step_ms"]["median"] for r in rows]
    upper = [i for i, p in enumerate(people) if p >= 2500]
    largest = cfg.scaling[-1]
    model = sized_model(largest, 1)
    for _ in range(WARMUP):
        model.step()
    # alternate blocks of steps with numpy's BLAS pool and with one BLAS thread
    pool, one = [0.0, 0.0], [0.0, 0.0]  # wall, CPU seconds
    block = max(1, cfg.scaling_steps // 2)
    for _ in range(2):
        for total, limited in ((pool, False), (one, True)):
            if limited:
                with threadpool_limits(limits=1, user_api="blas"):
                    wall, cpu = step_cpu(model, block)
            else:
                wall, cpu = step_cpu(model, block)
            total[0] += wall
            total[1] += cpu
    steps = 2 * block
    return {
        "rows": rows,
        "slope": loglog_slope(people, ms),
        "slope_from_2500": loglog_slope([people[i] for i in upper], [ms[i] for i in upper]),
        "largest_people": largest * PEOPLE,
        "blas_threads": blas_threads(),
        "step_ms_blas_pool": 1e3 * pool[0] / steps,
        "step_ms_one_blas_thread": 1e3 * one[0] / steps,
        "cpu_ms_blas_pool": 1e3 * pool[1] / steps,
        "cpu_ms_one_blas_thread": 1e3 * one[1] / steps,
        "cpu_ratio": pool[1] / one[1],
        "wall_ratio": pool[0] / one[0],
    }


def blas_threads() -> int:
    """Threads of this process's BLAS pool as numpy started it."""
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=0)


# --- the table -------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    """The met? column."""
    return "yes" if ok else "**no**"


def table_rows(fig: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The rows (what, measured, ratio, goal, met?) of the report."""
    d, big, cli, sw, sc = (fig[k] for k in ("default", "large", "cli", "sweeps", "scaling"))
    secs = cli["seconds"]
    one, two = sw["one_worker"], sw["two_workers"]
    a, b = sw["memory_runs"]
    rss0, rss1 = sw["worker_rss_mb"]
    return [
        (
            f"default {d['steps']}-step run vs Mesa BoltzmannWealth "
            f"({d['people']} agents, {d['steps']} steps)",
            f"{d['run_s']['median'] * 1e3:.0f} ms vs {d['boltzmann_s']['median'] * 1e3:.0f} ms",
            f"{d['ratio']:.2f}x",
            "<= 0.75x",
            verdict(d["ratio"] <= 0.75),
        ),
        (
            "1,000 orgs x 10 people per person-step vs BoltzmannWealth per agent-step "
            "(10,000 agents)",
            f"{big['us_per_person_step']['median']:.2f} us vs "
            f"{big['boltzmann_us_per_agent_step']['median']:.2f} us",
            f"{big['ratio']:.2f}x",
            "<= 0.1x (stretch 0.03x)",
            verdict(big["ratio"] <= 0.1),
        ),
        (
            '`ci-sim --help` vs `python -c "import numpy"`',
            f"{secs['help']['median'] * 1e3:.0f} ms vs {secs['numpy']['median'] * 1e3:.0f} ms",
            f"{cli['ratio']['help']:.2f}x",
            "<= 2x",
            verdict(cli["ratio"]["help"] <= 2),
        ),
        (
            "`ci-sim scenarios` / `ci-sim validate default` vs import numpy",
            f"{secs['scenarios']['median'] * 1e3:.0f} / {secs['validate']['median'] * 1e3:.0f} ms",
            f"{cli['ratio']['scenarios']:.2f}x / {cli['ratio']['validate']:.2f}x",
            "no Mesa, pandas, matplotlib (tested)",
            "-",
        ),
        (
            f"sweep worker memory, after run {b} vs run {a} ({one['years']:g}-year runs)",
            f"{rss0:.0f} -> {rss1:.0f} MB",
            f"{sw['memory_ratio']:.2f}x",
            "flat (<= 1.05x)",
            verdict(sw["memory_ratio"] <= 1.05),
        ),
        (
            f"scaling {sc['rows'][0]['people']:,} -> {sc['rows'][-1]['people']:,} people: "
            "log-log slope of step time from 2,500 people up (all sizes)",
            f"{sc['rows'][-1]['step_ms']['median']:.1f} ms/step at {sc['rows'][-1]['people']:,}",
            f"{sc['slope_from_2500']:.2f} ({sc['slope']:.2f})",
            "linear (<= 1.1)",
            verdict(sc["slope_from_2500"] <= 1.1),
        ),
        (
            f"{sc['largest_people']:,} people: CPU per step with numpy's BLAS pool "
            f"({sc['blas_threads']} threads, as in a script) vs one BLAS thread "
            "(as in sweep workers)",
            f"{sc['cpu_ms_blas_pool']:.0f} ms vs {sc['cpu_ms_one_blas_thread']:.0f} ms CPU; "
            f"{sc['step_ms_blas_pool']:.0f} ms vs {sc['step_ms_one_blas_thread']:.0f} ms wall",
            f"{sc['cpu_ratio']:.2f}x CPU, {sc['wall_ratio']:.2f}x wall",
            "CPU <= 1.05x (no busy helper thread)",
            verdict(sc["cpu_ratio"] <= 1.05),
        ),
        (
            f"{one['runs']:,}-run sweep ({one['years']:g}-year runs): 2 workers vs 1, "
            "parallel efficiency",
            f"{two['wall_s']:.1f} s vs {one['wall_s']:.1f} s",
            f"{sw['efficiency']:.0%}",
            ">= 90%",
            verdict(sw["efficiency"] >= 0.9),
        ),
        (
            f"{one['runs']:,}-run sweep, 2 workers: peak memory (process + workers) vs "
            "a fifth of the way in (not before each worker's first run ends)",
            f"{two['peak_tree_mb']:.0f} MB vs {two['tree_at_fifth_mb']:.0f} MB",
            f"{sw['peak_ratio']:.2f}x",
            "flat (<= 1.1x)",
            verdict(sw["peak_ratio"] <= 1.1),
        ),
    ]


def markdown(rows: Sequence[Sequence[str]]) -> str:
    """A markdown table with the columns what / measured / ratio / goal / met?."""
    lines = ["| what | measured | ratio | goal | met? |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer seeds, steps and runs")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    p.add_argument("--sweep-child", nargs=3, metavar=("RUNS", "YEARS", "WORKERS"))
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every row, print the sections and the table; optionally write JSON."""
    args = parse_args(argv)
    if args.sweep_child:
        runs, years, workers = args.sweep_child
        print(json.dumps(sweep_child(int(runs), float(years), int(workers))))
        return 0
    cfg = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    machine = machine_info()
    print(f"ci_sim performance benchmark ({mode})")
    print("\n".join(f"  {k:<9} {v}" for k, v in machine.items()) + "\n", flush=True)
    start = CpuMark.now()
    figures: dict[str, Any] = {}
    sections: list[tuple[str, Callable[[Config], dict[str, Any]]]] = [
        ("default", bench_default),
        ("large", bench_large),
        ("cli", bench_cli),
        ("scaling", bench_scaling),
        ("sweeps", bench_sweeps),
    ]
    for name, fn in sections:
        t0 = time.perf_counter()
        figures[name] = fn(cfg)
        print(f"  measured {name} ({time.perf_counter() - t0:.0f} s)", flush=True)
    load = background_load(start, CpuMark.now())
    elapsed = time.perf_counter() - start.wall if start else float("nan")
    if load is not None:  # the sweeps' workers are this benchmark's load, not other load
        sweeps = figures["sweeps"]
        mine = sum(sweeps[k].get("unreaped_cpu_s", 0.0) for k in ("one_worker", "two_workers"))
        load["other_cpus"] = max(0.0, load["other_cpus"] - mine / elapsed)
    scaling = figures["scaling"]["rows"]
    print(
        "\nstep time by size: "
        + ", ".join(f"{r['people']:,}: {r['step_ms']['median']:.2f} ms" for r in scaling)
    )
    print("\n" + markdown(table_rows(figures)) + "\n")
    print(report_load(load, machine["nproc"]))
    print(f"benchmark took {elapsed:.0f} s")
    if args.json:
        out = {"mode": mode, "machine": machine, "config": asdict(cfg), **figures}
        out.update(background_load=load, elapsed_s=elapsed)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
