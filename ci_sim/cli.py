"""Command line: ``ci-sim run [SCENARIO] [--seed N] [--years Y] [--set key=value ...]``.

``ci-sim`` with no arguments runs the default scenario. Every invalid input (an
unknown scenario or key, a value out of range, a malformed option) ends with one line
``ci-sim: error: <message>`` on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ci_sim.report import plot_conditions, summary_text
from ci_sim.runner import run
from ci_sim.scenarios import ScenarioError, list_scenarios, parse_assignment

PROG = "ci-sim"
USAGE_ERROR = 2
IO_ERROR = 1
#: Subcommands; a command line that starts with none of them means ``run``.
COMMANDS = ("run",)


class UsageError(Exception):
    """A command line that argparse refused; the message says why."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` so that :func:`main` reports it in one line."""
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``ci-sim`` command and its subcommands."""
    parser = _Parser(prog=PROG, description="Agent-based simulation of Collective Impact.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cmd = sub.add_parser("run", help="run one scenario with one seed (the default)")
    cmd.add_argument(
        "scenario",
        nargs="?",
        default="default",
        help=f"built-in name ({', '.join(list_scenarios())}) or a .toml path",
    )
    cmd.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    cmd.add_argument("--years", type=float, help="run length, overrides simulation.years")
    cmd.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set backbone.sunset_year=8 (repeatable)",
    )
    cmd.add_argument("--out", type=Path, help="output folder (default out/<scenario>)")
    cmd.set_defaults(func=cmd_run)
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    """Prepend ``run`` unless ``argv`` starts with a subcommand or asks for help."""
    if argv and argv[0] in (*COMMANDS, "-h", "--help"):
        return argv
    return ["run", *argv]


def overrides_from(assignments: Sequence[str]) -> dict[str, Any]:
    """Turn ``--set key=value`` strings into a dotted-key override mapping.

    Raises:
        ScenarioError: for an assignment without ``=``.

    """
    return dict(parse_assignment(text) for text in assignments)


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, print its summary, and write its tables and plot.

    Raises:
        ScenarioError: for an invalid scenario or override.
        OSError: when the output folder cannot be written.

    """
    overrides = overrides_from(args.assignments)
    result = run(args.scenario, seed=args.seed, years=args.years, overrides=overrides)
    out = args.out if args.out is not None else Path("out") / Path(args.scenario).stem
    paths = [*result.save(out), plot_conditions(result, out / "conditions.png")]
    print(summary_text(result))
    print("Wrote:")
    for path in paths:
        print(f"  {path}")
    return 0


def _fail(message: str, code: int) -> int:
    """Print ``ci-sim: error: <message>`` as one line on stderr and return ``code``."""
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Point stdout at the null device so that the exit flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Run the ``ci-sim`` command line.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit code: 0 on success, 2 for invalid input, 1 if output cannot be written.

    """
    parser = build_parser()
    args_in = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(_with_default_command(args_in))
        return args.func(args)
    except (UsageError, ScenarioError) as exc:
        return _fail(str(exc), USAGE_ERROR)
    except BrokenPipeError:  # e.g. ``ci-sim | head``: stop quietly, as Unix tools do
        _silence_stdout()
        return IO_ERROR
    except OSError as exc:
        return _fail(f"cannot write output: {exc}", IO_ERROR)
    except SystemExit as exc:  # --help prints and exits with 0
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    raise SystemExit(main())
