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
* per-run overhead and start-up time of each engine, from a sweep of one-step runs
  (the model does almost nothing): start-up is the time until the first run starts
  (manifest, pool or cluster, worker imports); overhead per run is the worker time from
  the first run's start to the last run's end not spent inside runs (dispatch, results
  back, Parquet parts, progress, waiting at the end), over the runs;
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
    """Wrap the sweep's task: add each run's start and time inside the worker as columns."""

    def __init__(self, task: Any) -> None:
        self.task = task

    def __call__(self, run: Any) -> Any:
        t0 = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes here
        table = self.task(run)
        table["task_s"] = time.perf_counter() - t0
        table["task_start"] = t0
        return table


def default_experiment(runs: int, years: float) -> Any:
    """Return an experiment of ``runs`` default runs of ``years`` years (root 2026)."""
    from ci_sim.experiments import load

    spec = {"scenario": "default", "years": years, "replicates": runs, "root_seed": 2026}
    return load({"experiment": {**spec, "record": "final"}})


def child(engine: str, runs: int, years: float, workers: int) -> dict[str, Any]:
    """Sweep ``runs`` default runs on ``engine``; return timings and memory."""
    import pandas as pd

    from ci_sim.experiments import core
    from ci_sim.experiments.core import run_sweep

    plain = core._task
    core._task = lambda *a, **k: Timed(plain(*a, **k))  # the sweep's own code path, timed

    exp = default_experiment(runs, years)
    watch = MemoryWatch()
    watch.start()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        report = run_sweep(exp, out, engine=engine, workers=workers, quiet=True)
        t1 = time.perf_counter()
        wall = t1 - t0
        runs_t = pd.read_parquet(Path(out) / "results.parquet", columns=["task_s", "task_start"])
        task_s = runs_t["task_s"]
        first = float(runs_t["task_start"].min())
        last = float((runs_t["task_start"] + task_s).max())
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
        "startup_s": first - t0,
        "overhead_ms": 1e3 * ((last - first) * n_workers - float(task_s.sum())) / runs,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_fifth_mb": fifth[0] / 1024,
        "rss_end_mb": samples[-1][1] / 1024,
        "tree_peak_mb": max(tree for _, _, tree in samples) / 1024,
        "tree_cpu_s": sum(watch.cpu.values()),
    }


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
    args = parser.parse_args()
    if args.child:
        engine, runs, years, workers = args.child
        print(json.dumps(child(engine, int(runs), float(years), int(workers))))
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
    for engine in engines:
        r = _in_child([engine, str(args.overhead_runs), str(ONE_STEP_YEARS), str(args.workers)])
        overhead[engine] = {k: r[k] for k in ("overhead_ms", "startup_s", "task_ms")}
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
        f"\nper-run overhead: {args.overhead_runs} one-step runs (the model takes "
        f"{overhead.get('serial', {}).get('task_ms', float('nan')):.1f} ms); start-up = until "
        "the first run starts;\noverhead = ((end of last run - start of first) x workers - "
        "time in runs) / runs"
    )
    print("engine   overhead ms/run  start-up s")
    for engine, o in overhead.items():
        print(f"{engine:<8} {o['overhead_ms']:15.1f}  {o['startup_s']:10.1f}")
    print("(the same on the 1,000-run sweeps above, start-up excluded:", end="")
    for engine, r in results.items():
        print(f" {engine} {r['overhead_ms']:.1f} ms", end="")
    print(")")
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
