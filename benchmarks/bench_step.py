"""Time ci_sim's step on this machine and set it against Mesa's BoltzmannWealth.

Usage::

    python benchmarks/bench_step.py            # full run, a minute or less
    python benchmarks/bench_step.py --quick    # a few seconds
    python benchmarks/bench_step.py --json bench.json

Reports, as medians (and minima) of ``time.perf_counter`` timings:

* time per run and per step of the ``default`` scenario, over a few seeds;
* model build time and time per step at 250 and 1,000 organisations of 10 people,
  also in microseconds per person-step;
* microseconds per agent-step of Mesa's BoltzmannWealth example, measured in the same
  process, as a yardstick for "a Mesa model on this machine";
* time per step over a range of sizes and the fitted log-log slope (about 1 means
  linear in the number of people; below 1.5 is reported as ok).

See ``benchmarks/README.md``; figures are noisy on small shared machines.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from mesa.examples.basic.boltzmann_wealth_model.model import (
    BoltzmannScenario,
    BoltzmannWealth,
)

import ci_sim

PEOPLE = 10  # people per organisation in the sized benchmarks
SLOPE_OK = 1.5  # log-log slope of step time against people below which scaling is ok
BUSY = 0.25  # CPUs used by other work above which the report warns of noisy figures


@dataclass(frozen=True)
class Config:
    """How much to measure; ``quick`` keeps the whole script to a few seconds."""

    default_seeds: tuple[int, ...]
    sizes: tuple[int, ...]
    size_repeats: int
    scaling: tuple[int, ...]
    scaling_repeats: int
    boltzmann: tuple[int, ...]
    boltzmann_repeats: int
    warmup: int = 12  # one simulated year: the default backbone arrives at year 1
    steps: int = 24
    boltzmann_steps: int = 50


FULL = Config(
    default_seeds=tuple(range(10)),
    sizes=(250, 1000),
    size_repeats=5,
    scaling=(50, 100, 250, 500, 1000, 2000, 5000),
    scaling_repeats=3,
    boltzmann=(100, 1000),
    boltzmann_repeats=5,
)
QUICK = Config(
    default_seeds=(0, 1, 2),
    sizes=(250, 1000),
    size_repeats=2,
    scaling=(50, 250, 1000),
    scaling_repeats=2,
    boltzmann=(100, 1000),
    boltzmann_repeats=2,
)


@dataclass(frozen=True)
class Stat:
    """Median and minimum of repeated timings, in the unit named by the caller."""

    median: float
    min: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float], scale: float = 1.0) -> Stat:
        """Summarise ``values`` multiplied by ``scale``."""
        scaled = [v * scale for v in values]
        return cls(statistics.median(scaled), min(scaled), len(scaled))


# --- timing helpers -------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Return the wall time of ``fn()`` in seconds and its result."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def step_times(model: Any, warmup: int, steps: int) -> list[float]:
    """Step ``model`` ``warmup`` times untimed, then return ``steps`` step times (s)."""
    for _ in range(warmup):
        model.step()
    gc.collect()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return times


def sized_params(orgs: int) -> ci_sim.Params:
    """The default scenario with ``orgs`` organisations of :data:`PEOPLE` people."""
    return ci_sim.load_scenario(
        "default",
        overrides={"organisations.count": orgs, "organisations.people": PEOPLE},
    )


# --- the measurements -----------------------------------------------------------------


def bench_default(cfg: Config) -> dict[str, Any]:
    """Whole runs of the default scenario: seconds per run and milliseconds per step."""
    steps = ci_sim.load_scenario("default").steps
    ci_sim.run("default", seed=99, record_organisations=True)  # warm caches, untimed
    runs = []
    for seed in cfg.default_seeds:
        gc.collect()
        t, _ = timed(partial(ci_sim.run, "default", seed=seed, record_organisations=True))
        runs.append(t)
    return {
        "seeds": list(cfg.default_seeds),
        "steps": steps,
        "run_s": asdict(Stat.of(runs)),
        "step_ms": asdict(Stat.of(runs, 1e3 / steps)),
    }


def bench_size(orgs: int, repeats: int, cfg: Config) -> dict[str, Any]:
    """Build a model of ``orgs`` organisations ``repeats`` times and time its steps."""
    params = sized_params(orgs)
    builds, steps = [], []
    build = partial(ci_sim.CIModel, params, record_organisations=True)
    for seed in range(repeats):
        gc.collect()
        t, model = timed(partial(build, rng=seed))
        builds.append(t)
        steps.extend(step_times(model, cfg.warmup, cfg.steps))
    people = orgs * PEOPLE
    step = Stat.of(steps, 1e3)
    return {
        "organisations": orgs,
        "people": people,
        "build_s": asdict(Stat.of(builds)),
        "step_ms": asdict(step),
        "us_per_person_step": step.median * 1e3 / people,
    }


def bench_boltzmann(n: int, cfg: Config) -> dict[str, Any]:
    """Mesa's BoltzmannWealth with ``n`` agents at about one agent per grid cell."""
    side = max(1, round(n**0.5))
    steps = []
    for seed in range(cfg.boltzmann_repeats):
        scenario = BoltzmannScenario(n=n, width=side, height=side, rng=seed)
        model = BoltzmannWealth(scenario=scenario)
        steps.extend(step_times(model, 3, cfg.boltzmann_steps))
    step = Stat.of(steps, 1e3)
    return {
        "agents": n,
        "grid": [side, side],
        "step_ms": asdict(step),
        "us_per_agent_step": step.median * 1e3 / n,
    }


def loglog_slope(people: Sequence[int], ms: Sequence[float]) -> float:
    """Least-squares slope of log(step time) against log(people)."""
    slope, _ = np.polyfit(np.log(people), np.log(ms), 1)
    return float(slope)


def bench_scaling(cfg: Config) -> dict[str, Any]:
    """Median step time over :attr:`Config.scaling` sizes and its log-log slope."""
    rows = [bench_size(orgs, cfg.scaling_repeats, cfg) for orgs in cfg.scaling]
    people = [r["people"] for r in rows]
    ms = [r["step_ms"]["median"] for r in rows]
    slope = loglog_slope(people, ms)
    upper = [i for i, p in enumerate(people) if p >= 2500]
    upper_slope = (
        loglog_slope([people[i] for i in upper], [ms[i] for i in upper])
        if len(upper) >= 2
        else None
    )
    return {
        "people_per_org": PEOPLE,
        "rows": [{k: r[k] for k in ("organisations", "people", "step_ms")} for r in rows],
        "slope": slope,
        "slope_from_2500_people": upper_slope,
        "ok": slope < SLOPE_OK,
    }


# --- machine info ---------------------------------------------------------------------


def version(pkg: str) -> str:
    """Installed version of ``pkg``, or ``"unknown"``."""
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git(*args: str) -> str:
    """Output of a git command run in this script's folder."""
    out = subprocess.run(
        ["git", *args],
        cwd=Path(__file__).resolve().parent,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return out.stdout.strip()


def git_commit() -> str:
    """Short commit of the working tree, with ``+dirty`` if it has changes."""
    try:
        dirty = "+dirty" if git("status", "--porcelain") else ""
        return git("rev-parse", "--short", "HEAD") + dirty
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(affinity(0)) if affinity else os.cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": version("mesa"),
        "ci_sim": version("ci-sim"),
        "commit": git_commit(),
    }


@dataclass(frozen=True)
class CpuMark:
    """Machine-wide busy and stolen CPU seconds, this process's CPU seconds, wall time.

    ``own`` counts this process and its finished child processes (and theirs: the sweep
    children and their workers), so the benchmark's own subprocesses are not reported
    as other load.
    """

    busy: float
    steal: float
    own: float
    wall: float

    @classmethod
    def now(cls) -> CpuMark | None:
        """Read ``/proc/stat``; ``None`` where there is none (not Linux)."""
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
        tick = os.sysconf("SC_CLK_TCK")
        busy = (user + nice + system + irq + softirq) / tick
        t = os.times()
        own = time.process_time() + t.children_user + t.children_system
        return cls(busy, steal / tick, own, time.perf_counter())


def background_load(start: CpuMark | None, end: CpuMark | None) -> dict[str, float] | None:
    """CPUs kept busy by other processes (and stolen by the host) during the benchmark."""
    if start is None or end is None:
        return None
    wall = end.wall - start.wall
    other = (end.busy - start.busy) - (end.own - start.own)
    return {
        "other_cpus": max(other, 0.0) / wall,
        "steal_cpus": (end.steal - start.steal) / wall,
    }


# --- report ---------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], label: bool = True) -> str:
    """A plain text table, right-aligned but for a first ``label`` column."""
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if label and i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *map(line, cells[1:])])


def fmt(x: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals and thousands separators."""
    return f"{x:,.{digits}f}"


def report_machine(m: dict[str, Any]) -> str:
    """Machine section."""
    return "\n".join(f"  {k:<9} {v}" for k, v in m.items())


def report_default(d: dict[str, Any]) -> str:
    """Default-scenario section."""
    run, step = d["run_s"], d["step_ms"]
    rows = [
        ["per run (s)", fmt(run["median"], 3), fmt(run["min"], 3)],
        ["per step (ms, run / steps)", fmt(step["median"]), fmt(step["min"])],
    ]
    seeds = ", ".join(map(str, d["seeds"]))
    head = f"default scenario: {d['steps']} steps, seeds {seeds}, organisation records on"
    return head + "\n" + table(["", "median", "min"], rows)


def report_sizes(sizes: Sequence[dict[str, Any]], cfg: Config) -> str:
    """Sized-model section."""
    rows = [
        [
            f"{fmt(r['organisations'], 0)} x {PEOPLE}",
            fmt(r["people"], 0),
            fmt(r["build_s"]["median"] * 1e3, 1),
            fmt(r["step_ms"]["median"]),
            fmt(r["step_ms"]["min"]),
            fmt(r["us_per_person_step"]),
        ]
        for r in sizes
    ]
    head = f"sized models: {cfg.steps} timed steps after {cfg.warmup} warm-up steps"
    cols = ["orgs x people", "people", "build ms", "step ms", "min ms", "us/person-step"]
    return head + "\n" + table(cols, rows)


def report_boltzmann(rows_in: Sequence[dict[str, Any]], cfg: Config) -> str:
    """BoltzmannWealth section."""
    rows = [
        [
            fmt(r["agents"], 0),
            "x".join(map(str, r["grid"])),
            fmt(r["step_ms"]["median"], 3),
            fmt(r["us_per_agent_step"]),
        ]
        for r in rows_in
    ]
    head = f"Mesa BoltzmannWealth (yardstick): {cfg.boltzmann_steps} timed steps"
    return head + "\n" + table(["agents", "grid", "step ms", "us/agent-step"], rows, False)


def report_scaling(s: dict[str, Any]) -> str:
    """Scaling section with the verdict."""
    rows = [
        [
            fmt(r["organisations"], 0),
            fmt(r["people"], 0),
            fmt(r["step_ms"]["median"]),
            fmt(r["step_ms"]["min"]),
        ]
        for r in s["rows"]
    ]
    verdict = "ok, roughly linear" if s["ok"] else "WARNING: super-linear"
    lines = [
        f"scaling: time per step against people ({PEOPLE} per organisation)",
        table(["orgs", "people", "step ms", "min ms"], rows, False),
        f"log-log slope {s['slope']:.2f} (< {SLOPE_OK} is ok): {verdict}",
    ]
    upper = s["slope_from_2500_people"]
    if upper is not None:
        note = "" if upper < SLOPE_OK else "  WARNING: super-linear at the large end"
        lines.append(f"slope from 2,500 people up {upper:.2f}{note}")
    return "\n".join(lines)


def report_ratio(sizes: Sequence[dict[str, Any]], boltz: Sequence[dict[str, Any]]) -> str:
    """One line setting ci_sim's largest model against BoltzmannWealth's largest."""
    ci, bw = sizes[-1], boltz[-1]
    ratio = ci["us_per_person_step"] / bw["us_per_agent_step"]
    return (
        f"ci_sim at {ci['people']:,} people: {ci['us_per_person_step']:.2f} us/person-step"
        f" = {ratio:.2f} x BoltzmannWealth at {bw['agents']:,} agents"
        f" ({bw['us_per_agent_step']:.2f} us/agent-step)"
    )


# --- main -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer seeds, sizes and steps")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    return p.parse_args(argv)


def report_load(load: dict[str, float] | None, nproc: int) -> str:
    """How busy the machine was with other work; a warning if the figures may suffer."""
    if load is None:
        return "background load: unknown (no /proc/stat)"
    line = (
        f"background load: other processes kept {load['other_cpus']:.2f} of {nproc} CPUs"
        f" busy, the host stole {load['steal_cpus']:.2f}"
    )
    if load["other_cpus"] + load["steal_cpus"] > BUSY:
        line += "\nWARNING: the machine was busy; rerun when it is idle for usable figures"
    return line


def run_all(cfg: Config) -> dict[str, Any]:
    """Run every benchmark, printing each section as it completes."""
    default = bench_default(cfg)
    print(report_default(default) + "\n", flush=True)
    sizes = [bench_size(orgs, cfg.size_repeats, cfg) for orgs in cfg.sizes]
    print(report_sizes(sizes, cfg) + "\n", flush=True)
    boltz = [bench_boltzmann(n, cfg) for n in cfg.boltzmann]
    print(report_boltzmann(boltz, cfg) + "\n", flush=True)
    print(report_ratio(sizes, boltz) + "\n", flush=True)
    scaling = bench_scaling(cfg)
    print(report_scaling(scaling) + "\n", flush=True)
    return {
        "default_scenario": default,
        "sizes": sizes,
        "boltzmann": boltz,
        "scaling": scaling,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark, print the report and optionally write JSON."""
    args = parse_args(argv)
    cfg = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    machine = machine_info()
    print(f"ci_sim step benchmark ({mode})")
    print(report_machine(machine) + "\n", flush=True)
    start = CpuMark.now()
    figures = run_all(cfg)
    end = CpuMark.now()
    load = background_load(start, end)
    elapsed = time.perf_counter() - start.wall if start else float("nan")
    print(report_load(load, machine["nproc"]))
    print(f"benchmark took {elapsed:.1f} s")
    if args.json:
        meta = {"mode": mode, "machine": machine, "config": asdict(cfg)}
        out = {**meta, **figures, "background_load": load, "elapsed_s": elapsed}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
