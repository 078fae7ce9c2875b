"""Time sweeps of the default scenario on every engine; parallel efficiency and memory.

Usage::

    python benchmarks/bench_sweep.py                    # 1,000 runs of 5 years, ~4 minutes
    python benchmarks/bench_sweep.py --runs 100 --years 2   # a quick look
    python benchmarks/bench_sweep.py --json bench_sweep.json

Each engine sweeps the same experiment (the default scenario, ``--runs`` replicates of
``--years`` years (default 5, so that the whole benchmark stays near 5 minutes),
``record = "final"``) in a fresh subprocess, so that memory figures do not mix. Reports:

* wall time and runs/s of the serial, local (process pool) and dask (LocalCluster)
  engines with ``--workers`` workers;
* parallel efficiency: serial time / (engine time x workers), the goal being >= 90%;
  "busy": the share of engine time x workers that the workers spent running the model
  (dispatch efficiency: 100% means no worker ever waited), and "run ms", the mean time of
  one run inside a worker (runs slow down when other processes compete for the CPUs);
  and CPU efficiency: CPU seconds of the serial sweep / CPU seconds of the engine's
  whole process tree (parent and workers), which other load on the machine hardly
  moves;
* per-run overhead and start-up time of each engine: sweeps of N/4 and N one-step runs
  (the model does almost nothing); the slope of wall time against runs, times the
  workers, minus the bare ``ci_sim.run`` time of such a run is the overhead per run,
  the intercept is the engine's start-up (pool or cluster, imports, manifest);
* peak memory: the sweep process's peak RSS, its RSS after a fifth of the runs (flat
  in the number of runs means these two are close) and the peak summed RSS of the
  process and all its workers;
* how busy other processes kept the machine while the benchmark ran.

See ``benchmarks/README.md``. Figures are ratios against references measured in the
same run; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ENGINES = ("serial", "local", "dask")
ONE_STEP_YEARS = 1 / 12  # one step of the default scenario


# --- measuring one engine (in a child process) ---------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


class MemoryWatch(threading.Thread):
    """Sample this process's RSS and the summed RSS of its process tree."""

    def __init__(self, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[tuple[float, int, int]] = []  # (seconds, own kB, tree kB)
        self.cpu: dict[int, float] = {}  # pid -> CPU seconds last seen (workers too)
        self.stop = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.is_set():
            pids = _descendants(me)
            tree = sum(_rss_kb(pid) for pid in pids)
            for pid in pids:
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), _cpu_s(pid))
            self.samples.append((time.perf_counter() - self.t0, _rss_kb(me), tree))
            self.stop.wait(self.every)


class Timed:
    """Wrap the sweep's task: add each run's time inside the worker as a column."""

    def __init__(self, task: Any) -> None:
        self.task = task

    def __call__(self, run: Any) -> Any:
        t0 = time.perf_counter()
        table = self.task(run)
        table["task_s"] = time.perf_counter() - t0
        return table


def child(engine: str, runs: int, years: float, workers: int) -> dict[str, Any]:
    """Sweep ``runs`` default runs on ``engine``; return timings and memory."""
    import pandas as pd

    from ci_sim.experiments import core, load
    from ci_sim.experiments.core import run_sweep

    plain = core._task
    core._task = lambda *a, **k: Timed(plain(*a, **k))  # the sweep's own code path, timed

    exp = load(
        {
            "experiment": {
                "scenario": "default",
                "years": years,
                "replicates": runs,
                "root_seed": 2026,
                "record": "final",
            }
        }
    )
    watch = MemoryWatch()
    watch.start()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        report = run_sweep(exp, out, engine=engine, workers=workers, quiet=True)
        wall = time.perf_counter() - t0
        task_s = pd.read_parquet(Path(out) / "results.parquet", columns=["task_s"])["task_s"]
    watch.stop.set()
    watch.join()
    me = resource.getrusage(resource.RUSAGE_SELF)
    watch.cpu[os.getpid()] = me.ru_utime + me.ru_stime
    assert report.finished == runs and report.failed == 0, report.summary()
    samples = watch.samples
    fifth = [own for t, own, _ in samples if t >= wall / 5] or [samples[-1][1]]
    n_workers = 1 if engine == "serial" else workers
    return {
        "engine": engine,
        "runs": runs,
        "years": years,
        "workers": n_workers,
        "wall_s": wall,
        "task_ms": 1e3 * float(task_s.mean()),
        "utilisation": float(task_s.sum()) / (wall * n_workers),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_fifth_mb": fifth[0] / 1024,
        "rss_end_mb": samples[-1][1] / 1024,
        "tree_peak_mb": max(tree for _, _, tree in samples) / 1024,
        "tree_cpu_s": sum(watch.cpu.values()),
    }


def bare(runs: int, years: float) -> float:
    """Seconds per run of ``ci_sim.run`` in a plain loop (the same seeds as the sweep)."""
    import ci_sim
    from ci_sim.sweep import derive_seeds

    seeds = derive_seeds(2026, runs)
    ci_sim.run("default", seed=seeds[0], years=years, record_organisations=False)  # warm up
    t0 = time.perf_counter()
    for seed in seeds:
        ci_sim.run("default", seed=seed, years=years, record_organisations=False)
    return (time.perf_counter() - t0) / runs


# --- the parent: run children, compare ----------------------------------------------


_TREE_CPU: list[float] = []  # CPU seconds of every child's process tree (workers too)


def _in_child(args: list[str]) -> dict[str, Any]:
    kids0 = _children_cpu()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    _TREE_CPU.append(result.get("tree_cpu_s", _children_cpu() - kids0))
    return result


def _in_child_bare(runs: int, years: float) -> float:
    kids0 = _children_cpu()
    out = subprocess.run(
        [sys.executable, __file__, "--bare", str(runs), str(years)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    _TREE_CPU.append(_children_cpu() - kids0)
    return json.loads(out)["s_per_run"]


def _cpu_mark() -> tuple[float, float, float, float] | None:
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return ((user + nice + system + irq + softirq) / tick, steal / tick, 0.0, time.perf_counter())


def _self_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs per engine (default 1000)")
    parser.add_argument("--years", type=float, default=5.0, help="run length (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    parser.add_argument("--overhead-runs", type=int, default=200, help="one-step runs")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "RUNS", "YEARS", "WORKERS"))
    parser.add_argument("--bare", nargs=2, metavar=("RUNS", "YEARS"))
    args = parser.parse_args()
    if args.child:
        engine, runs, years, workers = args.child
        print(json.dumps(child(engine, int(runs), float(years), int(workers))))
        return
    if args.bare:
        print(json.dumps({"s_per_run": bare(int(args.bare[0]), float(args.bare[1]))}))
        return

    engines = [e for e in args.engines.split(",") if e]
    start, cpu0, t_start = _cpu_mark(), _self_cpu(), time.perf_counter()
    print(
        f"ci_sim sweep benchmark: {args.runs} runs of the default scenario, {args.years:g} "
        f"years, record = final, {args.workers} workers\n"
        f"  date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, python "
        f"{platform.python_version()}, commit {_commit()}\n",
        flush=True,
    )
    results = {}
    for engine in engines:
        results[engine] = _in_child([engine, str(args.runs), str(args.years), str(args.workers)])
        r = results[engine]
        print(
            f"  {engine:<6} {r['wall_s']:7.1f} s  {args.runs / r['wall_s']:6.2f} runs/s", flush=True
        )
    overhead = {}
    one_bare = _in_child_bare(args.overhead_runs, ONE_STEP_YEARS)
    small = max(2, args.overhead_runs // 4)
    for engine in engines:
        times = {}
        for n in (small, args.overhead_runs):
            r = _in_child([engine, str(n), str(ONE_STEP_YEARS), str(args.workers)])
            times[n] = r["wall_s"]
        slope = (times[args.overhead_runs] - times[small]) / (args.overhead_runs - small)
        overhead[engine] = {
            "startup_s": times[small] - slope * small,
            "s_per_run_x_workers": slope * r["workers"],
            "overhead_ms": 1e3 * (slope * r["workers"] - one_bare),
        }
    end, cpu1 = _cpu_mark(), _self_cpu()
    took = time.perf_counter() - t_start

    print(
        "\nengine   workers  wall s  runs/s  efficiency  busy  run ms  CPU eff.  peak RSS MB"
        "  RSS at 1/5 MB  all procs MB"
    )
    serial = results.get("serial")
    for engine, r in results.items():
        eff = serial["wall_s"] / (r["wall_s"] * r["workers"]) if serial else float("nan")
        cpu_eff = serial["tree_cpu_s"] / r["tree_cpu_s"] if serial else float("nan")
        r["efficiency"], r["cpu_efficiency"] = eff, cpu_eff
        print(
            f"{engine:<8} {r['workers']:>7}  {r['wall_s']:6.1f}  {args.runs / r['wall_s']:6.2f}"
            f"  {eff:10.1%}  {r['utilisation']:4.0%}  {r['task_ms']:6.1f}  {cpu_eff:8.1%}"
            f"  {r['peak_rss_mb']:11.0f}"
            f"  {r['rss_after_fifth_mb']:13.0f}  {r['tree_peak_mb']:12.0f}"
        )
    print(
        f"\nper-run overhead: sweeps of {small} and {args.overhead_runs} one-step runs; slope "
        f"x workers - bare ci_sim.run of one step ({1e3 * one_bare:.1f} ms); intercept = start"
    )
    print("engine   overhead ms/run  start-up s")
    for engine, o in overhead.items():
        print(f"{engine:<8} {o['overhead_ms']:15.1f}  {o['startup_s']:10.1f}")
    load = None
    if start and end:
        wall = end[3] - start[3]
        # our CPU: this process and every child's process tree (workers too)
        ours = (cpu1 - cpu0) + sum(_TREE_CPU)
        other = (end[0] - start[0]) - ours
        load = {"other_cpus": max(other, 0.0) / wall, "steal_cpus": (end[1] - start[1]) / wall}
        print(
            f"\nbackground load: other processes kept {load['other_cpus']:.2f} of "
            f"{os.cpu_count()} CPUs busy, the host stole {load['steal_cpus']:.2f}"
        )
        if load["other_cpus"] + load["steal_cpus"] > 0.25:
            print("WARNING: the machine was busy; efficiency figures are pessimistic")
    print(f"benchmark took {took:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps({"engines": results, "overhead": overhead, "load": load}, indent=2)
        )


if __name__ == "__main__":
    main()
