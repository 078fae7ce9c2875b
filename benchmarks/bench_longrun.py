"""Time 10,000-step runs of the default and of every case, and watch their memory.

Usage::

    python benchmarks/bench_longrun.py            # 10,000 steps per scenario, a few minutes
    python benchmarks/bench_longrun.py --quick    # 2,000 steps of default and one case
    python benchmarks/bench_longrun.py --json longrun.json

A run of 200 years at 50 steps per year is 10,000 steps (``simulation.years`` is capped
at 200). For each scenario the script steps one model (organisation records off, as for
long runs) and reports:

* seconds for the whole run and milliseconds per step;
* the ratio of the last 1,000 steps' time to the first 1,000 steps' (about 1 when a
  step costs the same late in a run as early on; above 1.5 is flagged);
* the ratio of a long-run step to a step of the same scenario's own short run
  (``ci_sim.run`` at its own length), measured in the same process;
* resident memory (RSS) after the build and at the end, and ``tracemalloc``'s count of
  Python memory the model holds at step 2,000 and at the end, with the
  ``DataCollector`` rows and step column and the events (outputs that grow by design,
  32 bytes a step for the step column alone) dropped at each checkpoint. Tracing is
  switched on only for that second pass so that it does not slow the timed one.

The per-step invariant checks live in ``tests/test_hardening_longrun.py``
(``make test-slow``). Figures are noisy on a shared 2-core machine: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ci_sim

CASES = ("landskaber", "bo_trygt", "hjem_til_alle", "naboskab", "medvind")
STEPS_PER_YEAR = 50
BLOCK = 1_000
SLOWDOWN_OK = 1.5


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux; peak RSS elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def long_params(scenario: str, steps: int) -> ci_sim.Params:
    """The scenario stretched to ``steps`` steps at :data:`STEPS_PER_YEAR`."""
    years = steps / STEPS_PER_YEAR
    return ci_sim.load_scenario(
        scenario, {"simulation.years": years, "simulation.steps_per_year": STEPS_PER_YEAR}
    )


def timed_run(scenario: str, steps: int, seed: int) -> dict[str, Any]:
    """Step one long run and time it in blocks of :data:`BLOCK` steps."""
    params = long_params(scenario, steps)
    rss_before = rss_mb()
    model = ci_sim.CIModel(params, rng=seed, record_organisations=False)
    rss_built = rss_mb()
    blocks = []
    start = time.perf_counter()
    for _ in range(steps // BLOCK):
        t0 = time.perf_counter()
        for _ in range(BLOCK):
            model.step()
        blocks.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return {
        "seconds": total,
        "ms_per_step": 1e3 * total / steps,
        "last_over_first_block": blocks[-1] / blocks[0],
        "rss_built_mb": rss_built,
        "rss_model_mb": rss_built - rss_before,
        "rss_end_mb": rss_mb(),
        "events": len(model.events),
    }


def traced_run(scenario: str, steps: int, seed: int) -> dict[str, Any]:
    """Python memory held at step 2,000 (or a fifth of the run) and at the end."""
    params = long_params(scenario, steps)
    first = max(BLOCK, steps // 5)
    model = ci_sim.CIModel(params, rng=seed, record_organisations=False)
    held = {}
    tracemalloc.start()
    try:
        for step in range(1, steps + 1):
            model.step()
            if step % first == 0:
                for values in model.datacollector.model_vars.values():
                    values.clear()
                getattr(model.datacollector, "_collection_steps", []).clear()
                model.events.clear()
                held[step] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return {
        "traced_kb_first": held[first] / 1e3,
        "traced_kb_end": held[steps] / 1e3,
        "traced_growth_kb": (held[steps] - held[first]) / 1e3,
        "growth_bytes_per_step": (held[steps] - held[first]) / (steps - first),
    }


def short_step_ms(scenario: str, seed: int, repeats: int = 3) -> float:
    """Milliseconds per step of the scenario's own run (``ci_sim.run``), best of repeats."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = ci_sim.run(scenario, seed=seed, record_organisations=False)
        best = min(best, (time.perf_counter() - t0) / result.params.steps)
    return 1e3 * best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2,000 steps, two scenarios")
    parser.add_argument("--steps", type=int, help="steps per run (default 10,000)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    steps = args.steps or (2_000 if args.quick else 10_000)
    if steps < 2 * BLOCK or steps % BLOCK:
        parser.error(f"--steps must be a multiple of {BLOCK} from {2 * BLOCK}")
    scenarios = ("default", "naboskab") if args.quick else ("default", *CASES)
    began = time.perf_counter()
    print(f"ci_sim long-run benchmark ({'quick' if args.quick else 'full'})")
    print(f"  date      {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"  nproc     {os.cpu_count()}")
    print(f"  python    {platform.python_version()}")
    print(f"  steps     {steps:,} per run ({STEPS_PER_YEAR} per year), seed {args.seed}")
    print()
    rows = []
    for name in scenarios:
        short = short_step_ms(name, args.seed)
        row = {"scenario": name, "short_ms_per_step": short}
        row.update(timed_run(name, steps, args.seed))
        row.update(traced_run(name, steps, args.seed))
        row["long_over_short_step"] = row["ms_per_step"] / short
        rows.append(row)
        flag = "" if row["last_over_first_block"] < SLOWDOWN_OK else "  SLOWS DOWN"
        print(
            f"{name:<14} {row['seconds']:6.1f} s  {row['ms_per_step']:5.2f} ms/step  "
            f"last/first {row['last_over_first_block']:4.2f}  "
            f"long/short {row['long_over_short_step']:4.2f}  "
            f"RSS {row['rss_built_mb']:6.1f} -> {row['rss_end_mb']:6.1f} MB  "
            f"traced {row['traced_kb_first']:7.1f} -> {row['traced_kb_end']:7.1f} kB{flag}"
        )
    print(f"\nbenchmark took {time.perf_counter() - began:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
