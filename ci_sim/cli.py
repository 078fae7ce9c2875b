"""Command line of ci_sim.

Subcommands:

* ``ci-sim run [SCENARIO] [--seed N] [--years Y] [--set key=value ...]`` runs one
  scenario; a command line that starts with no subcommand means ``run``, so ``ci-sim``
  alone runs the default scenario.
* ``ci-sim scenarios`` lists the built-in scenarios with their titles;
  ``ci-sim scenarios show NAME`` prints one scenario's text and its parameters after
  ``extends`` is resolved.
* ``ci-sim validate FILE [FILE ...]`` checks scenario files without running them.
* ``ci-sim claims [--out FILE] [--check] [--root DIR]`` writes ``docs/claims.md``, the
  map of the source's claims to mechanisms, parameters and tests; ``--check`` exits 1
  when that file is stale or a claim is missing.
* ``ci-sim check-patterns [--seeds N] [--out DIR]`` checks the seed's stylised facts
  over paired seeds and writes ``patterns.md`` with a figure per pattern; it exits 1
  when a pattern fails.
* ``ci-sim app [--host H] [--port P]`` serves the teaching dashboard (127.0.0.1 by
  default); ``ci-sim teach-figures [--out DIR]`` writes the teaching figure set (see
  :mod:`ci_sim.cli_teaching`).

Every invalid input (an unknown scenario or key, a value out of range, a malformed
option) ends with one line ``ci-sim: error: <message>`` on stderr and exit code 2.
Ctrl-C stops with one line ``ci-sim: interrupted`` and exit code 130; what was written
before stays as it was. ``ci-sim run`` writes its files into a fresh folder and then
swaps it for the old one, so an output folder always holds the files of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import math
import os
import re
import secrets
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ci_sim.cli_teaching import add_parsers as add_teaching_parsers
from ci_sim.experiments.cli import COMMANDS as EXPERIMENT_COMMANDS
from ci_sim.experiments.cli import add_parsers as add_experiment_parsers
from ci_sim.scenario_files import ScenarioError, list_scenarios, read_toml_text, scenario_dir

if TYPE_CHECKING:
    from ci_sim.params import Params

#: Names the handlers use that import Mesa, pandas, matplotlib or pydantic: imported on
#: first use (module ``__getattr__``), so that ``ci-sim --help`` imports none of them.
_LAZY = {
    "load_scenario": "ci_sim.scenarios",
    "parse_assignment": "ci_sim.scenarios",
    "plot_conditions": "ci_sim.report",
    "run": "ci_sim.runner",
    "run_title": "ci_sim.report",
    "summary_text": "ci_sim.report",
}


def __getattr__(name: str) -> Any:
    """Import one of the heavy names of :data:`_LAZY` on first use.

    Raises:
        AttributeError: for any other name.
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value
    return value


def _lazy(name: str) -> Any:
    """Return a name of :data:`_LAZY` (or what a test put in its place)."""
    return globals()[name] if name in globals() else __getattr__(name)


PROG = "ci-sim"
USAGE_ERROR = 2
IO_ERROR = 1
#: Exit code after Ctrl-C (128 + SIGINT), as shells use.
INTERRUPTED = 130
#: The files ``ci-sim run`` writes into its output folder.
RUN_FILES = ("metrics.csv", "organisations.csv", "events.csv", "params.json", "conditions.png")
#: Subcommands; a command line that starts with none of them means ``run``.
COMMANDS = (
    "run",
    "scenarios",
    "validate",
    "claims",
    "check-patterns",
    "app",
    "teach-figures",
    "ablate",
    "screen",
    "results",
    *EXPERIMENT_COMMANDS,
)
#: Width to which ``scenarios show`` wraps the meta text.
TEXT_WIDTH = 88
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class UsageError(Exception):
    """A command line that argparse refused; the message says why."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` so that :func:`main` reports it in one line."""
        raise UsageError(message)


def seed_arg(text: str) -> int:
    """Parse ``--seed``: a whole number from 0.

    Raises:
        argparse.ArgumentTypeError: for anything else.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (allowed: 0, 1, 2, ...)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative (allowed: 0, 1, 2, ...)")
    return value


def out_arg(text: str) -> Path:
    """Parse ``--out``: a folder path that is not empty (``""`` would mean here).

    Raises:
        argparse.ArgumentTypeError: for an empty or blank path.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "empty path; name a folder, e.g. --out out/my_run (the current folder is refused)"
        )
    return Path(text)


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
    cmd.add_argument("--seed", type=seed_arg, default=0, help="random seed, from 0 (default 0)")
    cmd.add_argument("--years", type=float, help="run length, overrides simulation.years")
    cmd.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set backbone.sunset_year=8 (repeatable)",
    )
    cmd.add_argument(
        "--out",
        type=out_arg,
        help="output folder, replaced as a whole (default out/<scenario>-seed<seed>)",
    )
    cmd.set_defaults(func=cmd_run)

    scen = sub.add_parser(
        "scenarios",
        help="list the built-in scenarios, or show one",
        usage=f"{PROG} scenarios [-h] [show NAME]",
        description="List the built-in scenarios with their titles, or show one of them.",
    )
    scen.set_defaults(func=cmd_scenarios)
    actions = scen.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="print a scenario's description and its parameters after extends",
        description="Print a scenario's meta text and every parameter after extends.",
    )
    show.add_argument("name", metavar="NAME", help="built-in name or a .toml path")
    show.set_defaults(func=cmd_show)

    check = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Load each scenario file and report whether it is valid and where "
        "its sunset falls relative to the run.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="a .toml path or built-in name")
    check.set_defaults(func=cmd_validate)
    add_claims_parser(sub)
    add_patterns_parser(sub)
    add_teaching_parsers(sub)
    add_experiment_parsers(sub)
    __import__("ci_sim.cli_validation").cli_validation.add_parsers(sub)
    __import__("ci_sim.results_report").results_report.add_parsers(sub)
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
    return dict(_lazy("parse_assignment")(text) for text in assignments)


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, print its summary, and write its tables and plot.

    Raises:
        ScenarioError: for an invalid scenario or override.
        OSError: when the output folder cannot be written.

    """
    overrides = overrides_from(args.assignments)
    out = args.out if args.out is not None else default_out(args.scenario, args.seed)
    check_out_folder(out)  # before the run, not after it
    result = _lazy("run")(args.scenario, seed=args.seed, years=args.years, overrides=overrides)
    title = _lazy("run_title")(result, args.scenario, overrides)

    def write(folder: Path) -> list[Path]:
        saved = result.save(folder)
        return [*saved, _lazy("plot_conditions")(result, folder / RUN_FILES[-1], title)]

    # the summary comes before writing: a failure there leaves the folder as it was
    summary = _lazy("summary_text")(result, args.scenario, overrides)
    paths = replace_folder(out, write)
    print(summary)
    print("Wrote:")
    for path in paths:
        print(f"  {path}")
    return 0


def default_out(scenario: str, seed: int) -> Path:
    """Return the default output folder of a run: ``out/<scenario>-seed<seed>``."""
    return Path("out") / f"{Path(scenario).stem}-seed{seed}"


def check_out_folder(out: Path) -> None:
    """Refuse an output folder whose replacement could lose files that are not a run's.

    ``out`` may be absent, empty, or hold only :data:`RUN_FILES`.

    Raises:
        ScenarioError: when ``out`` is a file, the current folder (or holds it), or a
            folder with other files.
    """
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise ScenarioError(f"--out {out}: is a file, not a folder")
    here = Path.cwd().resolve()
    if out.resolve() in (here, *here.parents):
        raise ScenarioError(
            f"--out {out}: is the current folder or holds it; a run replaces its output "
            "folder as a whole, so name a subfolder such as out/my_run"
        )
    foreign = sorted(entry.name for entry in out.iterdir() if entry.name not in RUN_FILES)
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise ScenarioError(
            f"--out {out}: the folder holds files a run did not write ({shown}); a run "
            "replaces its output folder as a whole, so name another folder or empty this one"
        )


def replace_folder(out: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write a folder's files as a set: into a fresh sibling folder, then swap it in.

    ``write(folder)`` writes every file into ``folder`` and returns their paths. Only
    when it has finished is the old ``out`` moved aside, the new folder renamed to
    ``out`` and the old one removed. An error or Ctrl-C while writing leaves ``out`` as
    it was, so ``out`` never holds a mix of two runs' files or a run's leftovers.

    Returns:
        The written paths, inside ``out``.

    Raises:
        ScenarioError: as :func:`check_out_folder`.
        OSError: when a folder cannot be created or renamed.
    """
    out = Path(os.path.normpath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    stage = out.parent / f".{out.name}.partial-{tag}"
    old = out.parent / f".{out.name}.old-{tag}"
    stage.mkdir()
    moved = False
    try:
        written = write(stage)
        check_out_folder(out)
        if os.path.lexists(out):
            os.rename(out, old)
            moved = True
        os.rename(stage, out)
    except BaseException:
        if moved and not os.path.lexists(out):
            os.rename(old, out)
            moved = False
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if moved and old.is_symlink():  # --out was a link to a folder: drop the old link only
        old.unlink()
    elif moved:
        shutil.rmtree(old, ignore_errors=True)
    return [out / path.relative_to(stage) for path in written]


# --- scenarios ------------------------------------------------------------------------


def cmd_scenarios(args: argparse.Namespace) -> int:
    """Print the built-in scenarios by group (default, cases, teaching), with titles.

    Names and titles stand in aligned columns under a heading per group; each teaching
    scenario is followed by the lever it changes from the default. A built-in scenario
    that does not load is listed as invalid; the exit code is then 2 and one error line
    names the broken scenarios.
    """
    from ci_sim.report import GROUP_TITLES, changes_text, lever_changes, scenario_groups

    groups = scenario_groups()
    width = max((len(name) for name in list_scenarios()), default=0) + 4
    broken = []
    for number, (group, names) in enumerate(groups.items()):
        print(("\n" if number else "") + GROUP_TITLES[group] + ":")
        for name in names:
            try:
                title = _lazy("load_scenario")(name).meta.title or "(untitled)"
                changes = lever_changes(name)
            except ScenarioError:
                broken.append(name)
                title, changes = f"(invalid: see `{PROG} validate {name}`)", []
            print(f"  {name:<{width - 2}}{title}".rstrip())
            for change in changes:
                print(f"{'':<{width + 2}}changes {changes_text([change])}")
    if broken:
        return _fail(f"built-in scenarios that do not load: {', '.join(broken)}", USAGE_ERROR)
    return 0


def _scenario_file(name: str) -> Path:
    """Return the file behind a built-in name or a path.

    Raises:
        ScenarioError: for an unknown name, with the closest built-in name if any.
    """
    names = list_scenarios()
    if name in names:
        return scenario_dir() / f"{name}.toml"
    path = Path(name)
    if name.endswith(".toml") or path.is_file():
        return path
    hint = difflib.get_close_matches(name, names, n=1)
    did = f"; did you mean {hint[0]!r}?" if hint else ""
    raise ScenarioError(
        f"unknown scenario {name!r}{did} (list the built-in ones with `{PROG} scenarios`)"
    )


def cmd_show(args: argparse.Namespace) -> int:
    """Print a scenario's meta text and its parameters after ``extends``.

    Raises:
        ScenarioError: for an unknown or invalid scenario.
    """
    path = _scenario_file(args.name)
    params = _lazy("load_scenario")(args.name if args.name in list_scenarios() else path)
    raw = _read_raw(path)
    parent = raw.get("extends")
    print(show_text(args.name, path, params, raw, parent))
    return 0


def _read_raw(path: Path) -> dict[str, Any]:
    """Return the raw TOML of a file that already loaded as a scenario."""
    return read_toml_text(path)


def _paragraph(text: str) -> str:
    """Return ``text`` wrapped to :data:`TEXT_WIDTH` and indented by two spaces."""
    body = " ".join(text.split()) or "(none)"
    return textwrap.fill(body, TEXT_WIDTH, initial_indent="  ", subsequent_indent="  ")


def show_text(
    name: str, path: Path, params: Params, raw: Mapping[str, Any], parent: Any = None
) -> str:
    """Return the text printed by ``ci-sim scenarios show``.

    Args:
        name: the scenario's name or path as the user gave it.
        path: the scenario's file.
        params: the scenario after ``extends`` and validation.
        raw: the file's own TOML (used for ``extends`` and to mark the keys it sets).
        parent: the file's ``extends`` value, if any.

    Returns:
        The title, what the scenario extends, its description, sources and what to
        watch, then every parameter as TOML: sections such as ``[backbone]`` with
        ``key = value`` lines and nested tables such as ``[backbone.effort]``. When the
        scenario extends another, the keys its own file sets are marked.

    """
    meta = params.meta
    label = f"scenarios/{path.name}" if path.parent == scenario_dir() else str(path)
    if parent is None:
        extends = "nothing (keys not in the file take the defaults of ci_sim/params.py)"
    else:
        extends = str(parent)
    own = {k for k in _leaves(raw) if not k.startswith("meta.") and k != "extends"}
    marked = own if parent is not None else set()
    note = f" ('# set here' marks the keys that {path.name} sets)" if marked else ""
    lines = [
        f"{name}: {meta.title or '(untitled)'}",
        f"file: {label}",
        f"extends: {extends}",
        "",
        "Description:",
        _paragraph(meta.description),
        "",
        "Sources: " + (", ".join(meta.sources) or "(none)"),
        "",
        "What to watch:",
        _paragraph(meta.what_to_watch),
        "",
        f"Parameters after extends{note}:",
        *toml_lines(params.model_dump(exclude={"meta"}), marked=marked),
    ]
    return "\n".join(lines)


def _leaves(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Return the dotted keys of every non-table value in a nested mapping."""
    out: list[str] = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.extend(_leaves(value, dotted + "."))
        else:
            out.append(dotted)
    return out


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """Return ``value`` written as a TOML value (inline tables for mappings in lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value)).replace("\x7f", "\\u007f")


def toml_lines(
    table: Mapping[str, Any],
    path: tuple[str, ...] = (),
    marked: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """Return a nested mapping as TOML lines: values first, then ``[a.b]`` tables.

    Args:
        table: the mapping to write.
        path: the keys that lead to ``table`` (empty at the top).
        marked: dotted keys whose lines get a ``# set here`` comment.

    Returns:
        Lines that ``tomllib`` reads back into ``table`` (``None`` values, which TOML
        cannot hold, are named in a ``# not set:`` comment). A table that holds only
        other tables gets no header of its own; an empty table is written as ``{}``.

    """
    lines: list[str] = []
    unset: list[str] = []
    tables: list[tuple[tuple[str, ...], Mapping[str, Any]]] = []
    for key, value in table.items():
        here = (*path, str(key))
        if value is None:
            unset.append(str(key))
        elif isinstance(value, Mapping) and value:
            tables.append((here, value))
        else:
            comment = "  # set here" if ".".join(here) in marked else ""
            lines.append(f"{_toml_key(str(key))} = {toml_value(value)}{comment}")
    if unset:
        lines.append(f"# not set: {', '.join(unset)}")
    if path and lines:
        lines[:0] = ["", "[" + ".".join(_toml_key(part) for part in path) + "]"]
    for here, value in tables:
        lines.extend(toml_lines(value, here, marked))
    return lines


# --- validate -------------------------------------------------------------------------


def _year(value: float) -> str:
    return f"{round(float(value), 2):g}"


def sunset_statement(params: Params) -> str:
    """Say where the backbone's sunset falls relative to the run.

    Args:
        params: a validated scenario.

    Returns:
        One phrase: the sunset inside the run at year X, after the run ends at year Y,
        no sunset, or no backbone.

    """
    bb = params.backbone
    end = params.steps / params.simulation.steps_per_year
    ends = f"the run ends at year {_year(end)}"
    if not bb.enabled:
        return "no backbone (backbone.enabled = false), so no sunset"
    if bb.start_year > end:
        return f"no backbone during the run: it starts at year {_year(bb.start_year)}, after {ends}"
    if bb.sunset_year == "none":
        return f"no sunset (backbone.sunset_year = 'none'): the backbone stays until {ends}"
    sunset = float(bb.sunset_year)
    if sunset > end:
        return f"sunset at year {_year(sunset)}, after {ends}"
    before = (
        f", before the backbone starts at year {_year(bb.start_year)}"
        if sunset < bb.start_year
        else ""
    )
    return f"sunset inside the run at year {_year(sunset)}{before} ({ends})"


def cmd_validate(args: argparse.Namespace) -> int:
    """Load every file; print ``FILE: ok (title); <sunset>`` or one error line per file.

    Returns:
        0 when every file is a valid scenario, else 2.
    """
    bad = 0
    for name in args.files:
        try:
            params = _lazy("load_scenario")(name)
        except ScenarioError as exc:
            message = str(exc)
        except (UnicodeDecodeError, RecursionError) as exc:  # not text, or nested too deep
            message = f"cannot read as a scenario ({type(exc).__name__}: {exc})"
        else:
            title = params.meta.title or "untitled"
            print(f"{name}: ok ({title}); {sunset_statement(params)}")
            continue
        bad += 1
        _fail(message if name in message else f"{name}: {message}", USAGE_ERROR)
    return USAGE_ERROR if bad else 0


# --- check-patterns -------------------------------------------------------------------


def add_patterns_parser(sub: Any) -> None:
    """Add the ``check-patterns`` subcommand to the subparsers ``sub``."""
    cmd = sub.add_parser(
        "check-patterns",
        help="check the seed's stylised facts over paired seeds and write a report",
        description="Run every pattern of ci_sim.patterns over paired seeds, print a "
        "pass/fail table and write patterns.md with a figure per pattern into --out.",
    )
    cmd.add_argument("--seeds", type=int, default=30, help="paired seeds per comparison")
    cmd.add_argument("--out", type=out_arg, default=Path("out/patterns"), help="report folder")
    cmd.add_argument("--processes", type=int, default=2, help="worker processes")
    cmd.add_argument("--alpha", type=float, default=0.01, help="significance level")
    cmd.add_argument(
        "--only", nargs="+", metavar="KEY", help="check only these patterns (default: all)"
    )
    cmd.set_defaults(func=cmd_check_patterns)


def cmd_check_patterns(args: argparse.Namespace) -> int:
    """Run the stylised-facts suite; exit 0 when every pattern passes, else 1.

    Raises:
        ScenarioError: for an alpha outside (0, 1), or fewer seeds than a pattern needs
            to pass at that alpha (at least 3).
    """
    from ci_sim import patterns

    if not 0 < args.alpha < 1:
        raise ScenarioError(f"--alpha {args.alpha}: allowed range above 0 to below 1")
    needed = max(3, patterns.min_seeds(args.alpha))
    if args.seeds < needed:
        best = patterns.smallest_p_value(args.seeds)
        raise ScenarioError(
            f"--seeds {args.seeds}: needs at least {needed} paired seeds at alpha "
            f"{args.alpha:g} (with {args.seeds} the smallest one-sided Wilcoxon p-value "
            f"is {best:.3g}, so no pattern could pass)"
        )
    chosen = patterns.PATTERNS
    if args.only:
        known = {p.key: p for p in patterns.PATTERNS}
        unknown = [k for k in args.only if k not in known]
        if unknown:
            raise ScenarioError(
                f"--only {unknown[0]}: unknown pattern; allowed: {', '.join(known)}"
            )
        chosen = tuple(known[k] for k in dict.fromkeys(args.only))
    results = patterns.check_patterns(args.seeds, max(1, args.processes), args.alpha, chosen)
    path = patterns.write_report(results, args.out, args.seeds)
    table = patterns.results_table(results)
    print(table.drop(columns=["claim"]).to_string(index=False))
    print(f"\n{int(table['passed'].sum())} of {len(table)} patterns pass; report: {_shown(path)}")
    return 0 if table["passed"].all() else 1


# --- claims ---------------------------------------------------------------------------


def add_claims_parser(sub: Any) -> None:
    """Add the ``claims`` subcommand to the subparsers ``sub``."""
    cmd = sub.add_parser(
        "claims",
        help="write docs/claims.md: which mechanisms and tests carry each claim",
        description="Scan ci_sim/, scenarios/ and tests/ for claim ids, write the coverage "
        "table (default docs/claims.md in the repository) and print a summary.",
    )
    cmd.add_argument("--out", type=out_arg, help="output file (default <root>/docs/claims.md)")
    cmd.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the file is stale or a claim is missing",
    )
    cmd.add_argument(
        "--root", type=Path, help="repository to scan (default: found from the package or cwd)"
    )
    cmd.set_defaults(func=cmd_claims)


def _shown(path: Path) -> Path:
    """Return ``path`` relative to the current directory when it lies below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def cmd_claims(args: argparse.Namespace) -> int:
    """Write (or with ``--check`` compare) the claims coverage file and print a summary.

    Returns:
        0 on success; with ``--check``, 1 when the file differs from what would be
        generated or a registered claim is missing.

    Raises:
        ScenarioError: when no repository root is found or a Python file does not parse.
        OSError: when the output file cannot be written.

    """
    from ci_sim import claims

    try:
        root = args.root if args.root is not None else claims.find_root()
    except FileNotFoundError as exc:
        raise ScenarioError(str(exc)) from exc
    if not (root / claims.PACKAGE).is_dir():
        raise ScenarioError(f"{root} holds no {claims.PACKAGE}/ folder to scan")
    out = args.out if args.out is not None else root / "docs" / "claims.md"
    try:
        coverage = claims.scan(root)
    except SyntaxError as exc:
        raise ScenarioError(f"cannot scan {exc.filename}:{exc.lineno}: {exc.msg}") from exc
    text = claims.render_markdown(coverage)
    print(claims.summary_line(coverage))
    for status in ("missing", "partly"):
        ids = [c for c, cov in coverage.items() if cov.registered and cov.status == status]
        if ids:
            print(f"  {status}: {', '.join(ids)}")
    missing = claims.uncovered(coverage)
    if not args.check:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"Wrote {_shown(out)}")
        return 0
    problems = []
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        problems.append(f"{_shown(out)} is stale; regenerate it with `{PROG} claims`")
    if missing:
        problems.append(f"claims with no mechanism, test or reason: {', '.join(missing)}")
    for problem in problems:
        _fail(problem, IO_ERROR)
    if not problems:
        print(f"{_shown(out)} is up to date")
    return IO_ERROR if problems else 0


# --- main -----------------------------------------------------------------------------


def _fail(message: str, code: int) -> int:
    """Print ``ci-sim: error: <message>`` as one line on stderr and return ``code``."""
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def _fail_interrupted() -> int:
    """Report Ctrl-C in one line on stderr and return :data:`INTERRUPTED`."""
    try:
        print(f"{PROG}: interrupted", file=sys.stderr)
    except OSError:  # stderr gone too
        pass
    return INTERRUPTED


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
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except KeyboardInterrupt:  # Ctrl-C: one line; files written before stay as they were
        return _fail_interrupted()
    except (UsageError, ScenarioError) as exc:
        return _fail(str(exc), USAGE_ERROR)
    except BrokenPipeError:  # e.g. ``ci-sim scenarios | head -1``: the reader has enough
        _silence_stdout()
        return 0
    except OSError as exc:
        return _fail(f"cannot write output: {exc}", IO_ERROR)
    except SystemExit as exc:  # --help prints and exits with 0
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    raise SystemExit(main())
