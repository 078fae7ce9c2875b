"""The scenario library on disk, without validation: names, files and the error type.

Kept apart from :mod:`ci_sim.scenarios` (which validates with pydantic) so that the
command line can build its parser, list scenario names and report errors without
importing pydantic, numpy, Mesa or pandas. :mod:`ci_sim.scenarios` re-exports every
name defined here.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


class ScenarioError(ValueError):
    """A scenario or an override is invalid; the message says where and why."""


def scenario_dir() -> Path:
    """Return the folder that holds the built-in scenario files."""
    packaged = resources.files("ci_sim") / "scenarios"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "scenarios"


def list_scenarios() -> list[str]:
    """Return the names of the built-in scenarios, sorted."""
    return sorted(p.stem for p in scenario_dir().glob("*.toml"))


#: The UTF-8 byte-order mark that Windows editors such as Notepad put before the text.
BOM = b"\xef\xbb\xbf"


def read_toml_text(path: Path) -> dict[str, Any]:
    """Parse a TOML file that may start with a UTF-8 byte-order mark.

    Raises:
        OSError, UnicodeDecodeError, tomllib.TOMLDecodeError: as reading and parsing do.
    """
    data = path.read_bytes()
    return tomllib.loads(data.removeprefix(BOM).decode("utf-8"))
