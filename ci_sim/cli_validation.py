"""Subcommands ``ci-sim ablate`` and ``ci-sim screen`` (issue 7, item 10: honest validation).

* ``ci-sim ablate [--seeds N] [--root R] [--years Y ...] [--switches S ...] [--workers W]
  [--out DIR] [--from-runs CSV]`` switches off each mechanism in turn, measures the lever
  effects over paired seeds and writes ``DIR/ablation.md`` with ``DIR/figures/ablation.png`` and the
  per-seed runs ``DIR/data/ablation_runs.csv`` (``--from-runs`` rewrites the report from
  such a table without running).
* ``ci-sim screen [--trajectories N] [--seeds S] [--root R] [--year Y] [--levels L]
  [--design-seed D] [--confirm-seeds C] [--workers W] [--out DIR] [--from-points CSV]`` runs
  a Morris screen of the headline lever effects over every mechanism constant (±30%),
  measures again over ``C`` seeds every effect that lost its sign at a point, and writes
  ``DIR/sensitivity.md`` with ``DIR/figures/sensitivity.png``,
  ``DIR/data/sensitivity_points.csv`` and ``DIR/data/sensitivity_confirmed.csv``
  (``--from-points`` rewrites the report from these tables without running).

Argparse setup imports nothing heavy; the handlers import lazily. Invalid input raises
:class:`ci_sim.scenarios.ScenarioError`, which the CLI reports in one line (exit 2).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from ci_sim.scenario_files import ScenarioError


def add_parsers(sub: Any) -> None:
    """Add the ``ablate`` and ``screen`` subcommands to the subparsers ``sub``."""
    cmd = sub.add_parser(
        "ablate",
        help="switch off each mechanism in turn and show which lever effects depend on it",
        description="Measure the lever effects (relationship work, independence, handover, "
        "sunset) over paired seeds with all mechanisms on and with each switch off; write "
        "ablation.md and figures/ablation.png into --out.",
    )
    cmd.add_argument("--seeds", type=int, default=20, help="paired seeds per arm (default 20)")
    cmd.add_argument(
        "--root", type=int, default=2027, help="seed root (default 2027, the validation root)"
    )
    cmd.add_argument(
        "--years",
        type=float,
        nargs="+",
        default=[12.0, 15.0, 25.0],
        help="years at which effects are read; runs last the largest (default 12 15 25)",
    )
    cmd.add_argument(
        "--switches", nargs="+", metavar="SWITCH", help="switches to turn off (default: all)"
    )
    cmd.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    cmd.add_argument("--out", type=Path, default=Path("docs"), help="report folder (docs)")
    cmd.add_argument(
        "--from-runs",
        type=Path,
        metavar="CSV",
        help="rewrite the report from a runs table (DIR/data/ablation_runs.csv) without running",
    )
    cmd.set_defaults(func=cmd_ablate)

    scr = sub.add_parser(
        "screen",
        help="Morris screen of the headline lever effects over every mechanism constant",
        description="Move every constant of [mechanisms] within ±30%% of its default "
        "(Morris design, SALib), measure the three headline lever effects at --year over "
        "paired seeds at every design point, and write sensitivity.md and "
        "figures/sensitivity.png into --out.",
    )
    scr.add_argument("--trajectories", type=int, default=4, help="Morris trajectories (4)")
    scr.add_argument("--seeds", type=int, default=4, help="paired seeds per design point (4)")
    scr.add_argument("--root", type=int, default=2027, help="seed root (default 2027)")
    scr.add_argument("--year", type=float, default=15.0, help="year read (default 15)")
    scr.add_argument("--levels", type=int, default=4, help="Morris grid levels (default 4)")
    scr.add_argument("--design-seed", type=int, default=1, help="seed of the design (1)")
    scr.add_argument(
        "--confirm-seeds",
        type=int,
        default=20,
        help="seeds of the second stage, which measures again each effect that lost its "
        "sign at a point (default 20; 0: no second stage)",
    )
    scr.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    scr.add_argument("--out", type=Path, default=Path("docs"), help="report folder (docs)")
    scr.add_argument(
        "--from-points",
        type=Path,
        metavar="CSV",
        help="rewrite the report from a design table (DIR/data/sensitivity_points.csv) "
        "without running",
    )
    scr.set_defaults(func=cmd_screen)


def _progress(label: str) -> Any:
    start = time.monotonic()

    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 20) == 0:
            mins = (time.monotonic() - start) / 60
            print(f"{label}: {done}/{total} ({mins:.1f} min)", file=sys.stderr, flush=True)

    return report


def _command(argv: list[str]) -> str:
    return " ".join(["ci-sim", *argv])


def _check_common(args: argparse.Namespace) -> None:
    if args.seeds < 2:
        raise ScenarioError(f"--seeds {args.seeds}: allowed: 2 or more paired seeds")
    if args.workers < 1:
        raise ScenarioError(f"--workers {args.workers}: allowed: 1 or more")


def cmd_ablate(args: argparse.Namespace) -> int:
    """Run the ablation suite (or reread its runs) and write its report.

    Raises:
        ScenarioError: for fewer than 2 seeds, an unknown switch, a year out of range or
            an unreadable ``--from-runs`` file.
        OSError: when the report cannot be written.
    """
    from ci_sim import ablation

    _check_common(args)
    data = args.out / "data" / "ablation_runs.csv"
    if args.from_runs is not None:
        result = ablation.load_runs(args.from_runs)
    else:
        result = ablation.ablate(
            seeds=args.seeds,
            root=args.root,
            years=args.years,
            switches=args.switches,
            workers=args.workers,
            progress=_progress("ablate arms"),
        )
        result = ablation.load_runs(ablation.save_runs(result, data))
    figure = ablation.plot_ablation(result.effects, args.out / "figures" / "ablation.png")
    argv = ["ablate", "--seeds", str(len(result.seeds)), "--root", str(result.root)]
    argv += ["--years", *[f"{y:g}" for y in result.years]]
    switches = [c.removesuffix(" off") for c in dict.fromkeys(result.raw["config"])][1:]
    if list(switches) != list(ablation.switch_names()):
        argv += ["--switches", *switches]
    text = ablation.render_markdown(
        result,
        figure.relative_to(args.out).as_posix(),
        _command(argv),
        runs_file=data.relative_to(args.out).as_posix(),
    )
    path = args.out / "ablation.md"
    path.write_text(text, encoding="utf-8")
    print(ablation.carriers(result.effects).to_string(index=False))
    print(f"Wrote {path} and {figure}")
    return 0


def cmd_screen(args: argparse.Namespace) -> int:
    """Run the Morris screen (or reread its points) and write its report.

    Raises:
        ScenarioError: for fewer than 2 seeds, a design setting out of range or an
            unreadable ``--from-points`` file.
        OSError: when the report cannot be written.
    """
    from ci_sim import screening

    _check_common(args)
    if args.confirm_seeds != 0 and args.confirm_seeds <= args.seeds:
        raise ScenarioError(
            f"--confirm-seeds {args.confirm_seeds}: allowed: 0 (no second stage) or more "
            f"than --seeds ({args.seeds})"
        )
    data = args.out / "data" / "sensitivity_points.csv"
    confirmed = args.out / "data" / "sensitivity_confirmed.csv"
    if args.from_points is not None:
        result = screening.load_points(args.from_points)
        beside = args.from_points.parent / confirmed.name
        if beside.is_file():
            result = screening.load_confirmed(beside, result)
    else:
        result = screening.screen(
            trajectories=args.trajectories,
            seeds=args.seeds,
            root=args.root,
            year=args.year,
            levels=args.levels,
            design_seed=args.design_seed,
            workers=args.workers,
            progress=_progress("screen points"),
        )
        result = screening.load_points(screening.save_points(result, data))
        if args.confirm_seeds:
            table = screening.confirm(
                result,
                seeds=args.confirm_seeds,
                workers=args.workers,
                progress=_progress("confirm points"),
            )
            result = dataclasses.replace(result, confirmed=table)
            result = screening.load_confirmed(screening.save_confirmed(result, confirmed), result)
    figure = screening.plot_screen(result, args.out / "figures" / "sensitivity.png")
    argv = ["screen", "--trajectories", str(result.trajectories)]
    argv += ["--seeds", str(len(result.seeds)), "--root", str(result.root)]
    argv += ["--year", f"{result.year:g}", "--levels", str(result.levels)]
    argv += ["--design-seed", str(result.design_seed)]
    if result.confirmed is not None and len(result.confirmed):
        argv += ["--confirm-seeds", str(int(result.confirmed["seeds"].iloc[0]))]
    elif result.confirmed is None:
        argv += ["--confirm-seeds", "0"]
    text = screening.render_markdown(
        result,
        figure.relative_to(args.out).as_posix(),
        _command(argv),
        points_file=data.relative_to(args.out).as_posix(),
    )
    path = args.out / "sensitivity.md"
    path.write_text(text, encoding="utf-8")
    print(screening.sign_table(result).to_string(index=False))
    if result.confirmed is not None:
        print(screening.confirmed_signs(result).to_string(index=False))
    print(f"Wrote {path} and {figure}")
    return 0
