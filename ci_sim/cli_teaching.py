"""Teaching subcommands of ``ci-sim``: ``app`` (the dashboard) and ``teach-figures``.

* ``ci-sim app [--host H] [--port P]`` serves the dashboard of :mod:`ci_sim.app` with
  Solara, on 127.0.0.1 unless ``--host`` says otherwise (port 8765 by default; 0 picks a
  free port). It runs until stopped with Ctrl+C.
* ``ci-sim teach-figures [--out DIR] [--seed N] [--seeds N]`` writes the printable
  figure set of ``docs/teaching.md`` (default ``out/teaching``).

Setting up the parser imports nothing heavy: Solara, Mesa and matplotlib are imported
by the handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

#: Where ``ci-sim app`` listens unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Environment for the Solara server: no usage statistics sent anywhere.
SERVER_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def _port(text: str) -> int:
    """Parse a TCP port (0 to 65535) for argparse."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside the allowed range 0 to 65535")
    return port


def _count(text: str) -> int:
    """Parse a number of seeds (1 to 200) for argparse."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (1 to 200)") from None
    if not 1 <= n <= 200:
        raise argparse.ArgumentTypeError(f"{n} is outside the allowed range 1 to 200")
    return n


def add_parsers(sub: Any) -> None:
    """Add the ``app`` and ``teach-figures`` subcommands to the subparsers ``sub``."""
    app = sub.add_parser(
        "app",
        help="serve the interactive teaching dashboard in the browser",
        description="Serve the dashboard (ci_sim/app.py) with Solara. It listens on "
        f"{DEFAULT_HOST} unless --host says otherwise; stop it with Ctrl+C.",
    )
    app.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    app.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    app.set_defaults(func=cmd_app)

    figs = sub.add_parser(
        "teach-figures",
        help="write the printable figures and numbers.md of the teaching plan (docs/teaching.md)",
        description="Run the scenarios of the teaching plan and write one PNG per "
        "exercise figure into --out, plus an index (README.md).",
    )
    figs.add_argument("--out", type=Path, default=Path("out/teaching"), help="output folder")
    figs.add_argument("--seed", type=int, default=0, help="seed of the single runs (default 0)")
    figs.add_argument(
        "--seeds",
        type=_count,
        default=20,
        help="seeds behind the median and 10-90%% band figures (default 20)",
    )
    figs.set_defaults(func=cmd_teach_figures)


def app_command(host: str, port: int) -> list[str]:
    """Return the command line that serves the dashboard with Solara."""
    spec = find_spec("ci_sim.app")
    if spec is None or spec.origin is None:  # pragma: no cover - part of the package
        raise FileNotFoundError("ci_sim/app.py is missing from the installed package")
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        spec.origin,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def cmd_app(args: argparse.Namespace) -> int:
    """Replace this process by the Solara server of the dashboard.

    Raises:
        ci_sim.ScenarioError: when Solara is not installed.
    """
    from ci_sim.scenarios import ScenarioError

    if find_spec("solara") is None:
        raise ScenarioError('the dashboard needs Solara: pip install -e ".[dev]" (see README)')
    command = app_command(args.host, args.port)
    shown = "a free port" if args.port == 0 else f"http://{args.host}:{args.port}/"
    print(f"Serving the dashboard on {shown} (Ctrl+C stops it)", flush=True)
    os.execve(sys.executable, command, {**os.environ, **SERVER_ENV})
    return 0  # pragma: no cover - execve does not return


def cmd_teach_figures(args: argparse.Namespace) -> int:
    """Write the teaching figure set and print the files written.

    Raises:
        OSError: when the output folder cannot be written.
    """
    from ci_sim.teaching import write_figures

    paths = write_figures(args.out, seed=args.seed, seeds=args.seeds)
    print(f"Wrote {len(paths)} files:")
    for path in paths:
        print(f"  {path}")
    return 0
