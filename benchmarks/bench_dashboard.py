"""Time one dashboard step against one bare model step, measured in the same run.

Usage::

    python benchmarks/bench_dashboard.py            # headless, about a minute
    python benchmarks/bench_dashboard.py --quick    # fewer repeats
    python benchmarks/bench_dashboard.py --browser  # also the round trip in chromium

At the default scenario (seed 0, after one simulated year so that the backbone is
there) it reports medians (and minima) of ``time.perf_counter`` timings of

* a bare ``CIModel.step()`` (the reference);
* a dashboard step without Solara: the worlds step and all five view panels are
  redrawn as PNG (one world, and two worlds side by side: default vs
  captured_backbone);
* a dashboard step through the page: the Step button of the page rendered headless
  with ``solara.render`` is clicked (model step, panels, widget updates), for one and
  two worlds;
* with ``--browser``: the Step button clicked in headless chromium until the new
  picture is shown (server, websocket and browser included), two worlds.

Each figure is also given as a ratio to the bare model step. Timings are noisy on a
small shared machine: compare ratios, and rerun on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bare_step(repeats: int) -> list[float]:
    import ci_sim

    model = ci_sim.CIModel(ci_sim.load_scenario("default"), rng=0, record_organisations=False)
    model.run_for(12)
    return timed(model.step, repeats)


def panel_step(names: list[str], repeats: int) -> list[float]:
    from ci_sim import figures, views

    worlds = [views.World(name, seed=0) for name in names]
    for world in worlds:
        world.run_to(1.0)
    panels = [panel(worlds) for panel in figures.PANELS.values()]
    for panel in panels:
        panel.png()

    def one() -> None:
        for world in worlds:
            world.step()
        for panel in panels:
            panel.png()

    return timed(one, repeats)


def page_step(side_b: str, repeats: int) -> list[float]:
    import ipyvuetify as v
    import solara

    from ci_sim import app

    _box, rc = solara.render(app.Page(), handle_error=False)
    try:
        if side_b != "captured_backbone":
            picker = [w for w in rc.find(v.Select).widgets if str(w.label).startswith("Side B")]
            picker[0].v_model = side_b
        step = rc.find(v.Btn, children=["Step"]).widget
        for _ in range(12):
            step.click()
        return timed(step.click, repeats)
    finally:
        rc.close()


def browser_step(repeats: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    import shutil

    from tests.test_app_browser import SCREENSHOTS, browser_page, open_dashboard, serve, step

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("--browser needs chromium on PATH")
    with serve(SCREENSHOTS / "bench-server.log") as url, browser_page(executable) as page:
        open_dashboard(page, url)
        for _ in range(3):
            step(page)
        return timed(lambda: step(page), repeats)


def row(label: str, times: list[float], ref: float) -> str:
    med = statistics.median(times)
    return f"{label:<46} {med * 1e3:9.2f} {min(times) * 1e3:9.2f} {med / ref:10.0f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--browser", action="store_true", help="also time chromium")
    args = parser.parse_args(argv)
    n_bare, n_dash = (100, 10) if args.quick else (400, 30)
    started = time.perf_counter()
    bare = bare_step(n_bare)
    ref = statistics.median(bare)
    rows = [
        ("bare CIModel.step (reference)", bare),
        ("panels, one world (default)", panel_step(["default"], n_dash)),
        (
            "panels, two worlds (default | captured)",
            panel_step(["default", "captured_backbone"], n_dash),
        ),
        ("page Step click, one world", page_step("(none)", n_dash)),
        ("page Step click, two worlds", page_step("captured_backbone", n_dash)),
    ]
    if args.browser:
        rows.append(("chromium Step round trip, two worlds", browser_step(max(5, n_dash // 3))))
    print("dashboard step at the default scenario (seed 0, after year 1)")
    print(f"{'':<46} {'median ms':>9} {'min ms':>9} {'vs model':>11}")
    for label, times in rows:
        print(row(label, times, ref))
    print(f"benchmark took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
