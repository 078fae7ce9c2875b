"""The ``sweep``, ``compare`` and ``sensitivity`` subcommands of ``ci-sim``.

Only argparse is imported here; each handler imports what it needs when it runs.

* ``ci-sim sweep FILE [--out DIR] [--workers N] [--engine serial|local|dask]
  [--address ADDR] [--quiet]`` runs an experiment file into ``DIR`` (default
  ``out/<experiment name>``), resuming an earlier attempt there; exit 1 when any run
  failed, 130 when interrupted.
* ``ci-sim compare DIR --metric M [--year Y] [--baseline NAME] [--by FACTOR] [--json]``
  compares every intervention with the baseline over paired seeds.
* ``ci-sim sensitivity DIR [--metric M] [--year Y]`` prints and plots the Morris or
  Sobol indices of a sampled experiment.

Invalid input ends with one line ``ci-sim: error: ...`` and exit code 2 (handled by
:func:`ci_sim.cli.main`: every error here is a ``ScenarioError``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

#: The subcommands this module adds.
COMMANDS = ("sweep", "compare", "sensitivity")
#: Exit codes besides 0 and 2.
RUNS_FAILED = 1
INTERRUPTED = 130
DEFAULT_METRIC = "systemic_change"


def add_parsers(sub: Any) -> None:
    """Add ``sweep``, ``compare`` and ``sensitivity`` to the subparsers ``sub``."""
    cmd = sub.add_parser(
        "sweep",
        help="run an experiment file (resumes an interrupted sweep)",
        description="Run every run of an experiment file (factors x interventions x "
        "replicates, or a sampled design) and stream results to DIR/results.parquet with "
        "DIR/manifest.json. Running the same command again resumes: finished runs are "
        "skipped, failed ones tried again. Exit code 0 when every run finished, 1 when "
        "some failed, 2 for invalid input, 130 when interrupted.",
    )
    cmd.add_argument("file", metavar="FILE", type=Path, help="experiment file (.toml)")
    cmd.add_argument("--out", type=Path, help="output folder (default out/<experiment name>)")
    cmd.add_argument(
        "--engine",
        choices=("serial", "local", "dask"),
        default="local",
        help="serial (debugging), local process pool (default) or dask",
    )
    cmd.add_argument("--workers", type=int, help="worker processes (default: the CPUs)")
    cmd.add_argument("--address", help="Dask scheduler address (default: a LocalCluster)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.add_argument("--chunk", type=int, help=argparse.SUPPRESS)  # runs per dispatched chunk
    cmd.set_defaults(func=cmd_sweep)

    cmp = sub.add_parser(
        "compare",
        help="paired comparison of interventions in a sweep's results",
        description="For each intervention (and level of --by), print the mean, the paired "
        "difference to the baseline with a bootstrap 95%% CI, Cohen's d_z, the Wilcoxon "
        "p-value with Holm correction across the table, and the share of seeds where it "
        "beats the baseline; write a figure (trajectories with CI bands if the sweep "
        "recorded steps, else a forest plot).",
    )
    cmp.add_argument("dir", metavar="DIR", type=Path, help="a sweep's output folder")
    cmp.add_argument("--metric", required=True, help="metric (or outcome) column")
    cmp.add_argument("--year", type=float, help="a recorded year (default: the last)")
    cmp.add_argument("--baseline", help="reference intervention (default: the first)")
    cmp.add_argument("--by", metavar="FACTOR", help="one comparison per level of FACTOR")
    cmp.add_argument("--json", action="store_true", help="print a JSON list instead")
    cmp.add_argument(
        "--lower-is-better",
        action="store_true",
        help="share_better counts pairs where the intervention is lower",
    )
    cmp.add_argument("--figure", type=Path, help="figure path (default DIR/compare_<metric>.png)")
    cmp.set_defaults(func=cmd_compare)

    sen = sub.add_parser(
        "sensitivity",
        help="Morris or Sobol sensitivity indices of a sampled sweep",
        description="SALib indices of a metric at a year over the sampled levers: Morris "
        "mu* and sigma, Sobol S1 and ST with confidence intervals (RBD-FAST S1 for lhs); "
        "prints a table and writes a bar chart.",
    )
    sen.add_argument("dir", metavar="DIR", type=Path, help="a sampled sweep's output folder")
    sen.add_argument("--metric", default=DEFAULT_METRIC, help=f"default {DEFAULT_METRIC}")
    sen.add_argument("--year", type=float, help="a recorded year (default: the last)")
    sen.add_argument("--intervention", help="analyse one intervention (default: each)")
    sen.add_argument(
        "--figure", type=Path, help="figure path (default DIR/sensitivity_<metric>.png)"
    )
    sen.set_defaults(func=cmd_sensitivity)


def _shown(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep; print a summary; return 0, 1 (failed runs) or 130."""
    import sys

    from ci_sim.experiments.core import run_sweep
    from ci_sim.experiments.engines import EngineBroken
    from ci_sim.experiments.spec import ExperimentError, load

    experiment = load(args.file)
    if args.workers is not None and args.workers < 1:
        raise ExperimentError(f"--workers {args.workers}: must be at least 1")
    if args.address and args.engine != "dask":
        raise ExperimentError("--address needs --engine dask")
    out = args.out if args.out is not None else Path("out") / experiment.name
    try:
        report = run_sweep(
            experiment,
            out,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            quiet=args.quiet,
            chunk=args.chunk,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted; finished runs are saved in {_shown(out)}; run the same command "
            "to resume",
            file=sys.stderr,
        )
        return INTERRUPTED
    except EngineBroken as exc:
        print(
            f"ci-sim: error: {exc}; finished runs are saved in {_shown(out)}; run the same "
            "command to resume",
            file=sys.stderr,
        )
        return RUNS_FAILED
    print(report.summary())
    print("Wrote:")
    for name in ("results.parquet", "manifest.json"):
        print(f"  {_shown(out / name)}")
    if report.failed:
        print(
            f"{report.failed} runs failed: their parameters and tracebacks are in "
            f"{_shown(out / 'manifest.json')} ('failed'); run the same command to retry them",
            file=sys.stderr,
        )
        return RUNS_FAILED
    return 0


def _results(folder: Path) -> Any:
    from ci_sim.experiments.store import read_results

    return read_results(folder)


def cmd_compare(args: argparse.Namespace) -> int:
    """Print the paired comparison (text or JSON) and write its figure."""
    import json

    from ci_sim.experiments import comparison as cmp

    df = _results(args.dir)
    table = cmp.compare(
        df,
        args.metric,
        year=args.year,
        baseline=args.baseline,
        by=args.by,
        higher_is_better=not args.lower_is_better,
    )
    suffix = f"_by_{args.by}" if args.by else ""
    figure = args.figure or args.dir / f"compare_{args.metric}{suffix}.png"
    path = cmp.plot_compare(df, table, figure)
    if args.json:
        print(json.dumps(cmp.to_records(table), indent=2))
    else:
        print(cmp.format_table(table))
        print(f"Wrote {_shown(path)}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Print the sensitivity table of a sampled sweep and write its bar chart."""
    from ci_sim.experiments import sensitivity_analysis as sen
    from ci_sim.experiments.spec import ExperimentError
    from ci_sim.experiments.store import Store

    df = _results(args.dir)
    manifest = Store(args.dir).read_manifest()
    if manifest is None or "plan" not in manifest:
        raise ExperimentError(f"{args.dir}: holds no sweep manifest.json")
    table = sen.sensitivity(
        df, manifest["plan"], args.metric, year=args.year, intervention=args.intervention
    )
    figure = args.figure or args.dir / f"sensitivity_{args.metric}.png"
    path = sen.plot_sensitivity(table, figure)
    print(sen.format_table(table))
    print(f"Wrote {_shown(path)}")
    return 0
