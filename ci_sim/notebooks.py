"""The notebooks in ``experiments/``: strip their outputs, and execute them.

Notebooks are committed without outputs; strip them before committing::

    .venv/bin/python -m ci_sim.notebooks strip            # every experiments/*.ipynb
    .venv/bin/python -m ci_sim.notebooks check            # exit 1 if one holds outputs
    .venv/bin/python -m ci_sim.notebooks run --seeds 2    # execute into out/notebooks/

``run`` (and ``tests/test_notebooks.py``) executes each notebook in a kernel of this
Python (ipykernel) with nbclient and writes the executed copy to ``out/notebooks/``.
nbformat and nbclient come with the ``dev`` and ``notebooks`` extras; they are imported
only when a function needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Metadata keys of a cell that executing a notebook adds and stripping removes.
EXECUTION_METADATA = ("execution", "collapsed", "scrolled")


def notebook_dir() -> Path:
    """Return the ``experiments/`` folder that holds the notebooks."""
    return Path(__file__).resolve().parent.parent / "experiments"


def notebook_paths(folder: str | Path | None = None) -> list[Path]:
    """Return the notebooks of ``folder`` (default :func:`notebook_dir`), sorted."""
    return sorted(Path(folder or notebook_dir()).glob("*.ipynb"))


def dirty_cells(nb: Any) -> list[int]:
    """Return the indices of code cells that hold outputs or an execution count."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


def strip(path: str | Path) -> bool:
    """Clear every output, execution count and execution metadata of a notebook in place.

    Returns:
        Whether the file changed.
    """
    import nbformat

    path = Path(path)
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in EXECUTION_METADATA:
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


def execute(
    path: str | Path,
    out: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: int = 900,
) -> Any:
    """Execute a notebook top to bottom in a kernel of this Python; return it executed.

    Args:
        path: the notebook.
        out: folder for the executed copy (same file name); none written if ``None``.
        env: environment variables set for the kernel (e.g. ``CI_SIM_NOTEBOOK_SEEDS``).
        timeout: seconds one cell may take.

    Returns:
        The executed notebook (``nbformat.NotebookNode``), also when a cell failed: the
        error is then in that cell's outputs (``output_type == "error"``), and the
        cells after it did not run.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
        except CellExecutionError:
            pass  # the error is in the failing cell's outputs
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, Path(out) / path.name)
    return nb


def outputs(nb: Any) -> list[tuple[int, dict[str, Any]]]:
    """Return ``(cell index, output)`` for every output of a notebook's code cells."""
    return [
        (i, output)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]


def errors(nb: Any) -> list[str]:
    """Return one line per error output: the cell index, error name and value."""
    return [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, o in outputs(nb)
        if o.get("output_type") == "error"
    ]


def has_mime(nb: Any, mime: str) -> bool:
    """Return whether any output of the notebook carries data of type ``mime``."""
    return any(mime in o.get("data", {}) for _, o in outputs(nb))


def main(argv: Sequence[str] | None = None) -> int:
    """Strip, check or run the notebooks; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m ci_sim.notebooks", description=__doc__)
    parser.add_argument("action", choices=("strip", "check", "run"))
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: experiments/)")
    parser.add_argument("--seeds", type=int, help="CI_SIM_NOTEBOOK_SEEDS for run")
    parser.add_argument("--out", type=Path, default=Path("out/notebooks"), help="run's output")
    args = parser.parse_intermixed_args(argv)
    paths = args.paths or notebook_paths()
    if args.action == "strip":
        for path in paths:
            print(f"{'stripped' if strip(path) else 'clean   '} {path}")
        return 0
    if args.action == "check":
        import nbformat

        dirty = [p for p in paths if dirty_cells(nbformat.read(p, as_version=4))]
        for path in dirty:
            print(f"{path}: holds outputs; run python -m ci_sim.notebooks strip", file=sys.stderr)
        return 1 if dirty else 0
    env = {} if args.seeds is None else {"CI_SIM_NOTEBOOK_SEEDS": str(args.seeds)}
    code = 0
    for path in paths:
        start = time.perf_counter()
        nb = execute(path, args.out, env)
        problems = errors(nb)
        code = code or (1 if problems else 0)
        status = "; ".join(problems) or "ok"
        print(f"{path}: {time.perf_counter() - start:.1f} s: {status}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
