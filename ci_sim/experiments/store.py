"""The output folder of a sweep: Parquet parts as runs finish, a manifest, resume.

Layout of ``DIR``::

    manifest.json        versions, git commit, experiment text and sha256, counts,
                         failed runs with their parameters and tracebacks
    parts/part-NNNNNN.parquet   finished runs, one file per finished chunk
    failures.jsonl       failed runs of the current attempt, one JSON object a line
    results.parquet      the consolidated table, sorted by run_id and step

Each part is written to a temporary name and renamed, so a part on disk is always
whole; a run is finished when its rows are in a part or in ``results.parquet``. A
sweep that is killed loses only the chunks in flight. Consolidation merges
``results.parquet`` and the parts, drops rows of a run seen twice (a kill between the
rename of ``results.parquet`` and the removal of the parts) and removes the parts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from ci_sim.experiments.spec import ExperimentError

MANIFEST = "manifest.json"
RESULTS = "results.parquet"
PARTS = "parts"
FAILURES = "failures.jsonl"
FORMAT = 1
#: Packages whose versions the manifest records.
PACKAGES = (
    "ci-sim",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "pydantic",
    "SALib",
    "cloudpickle",
    "dask",
    "distributed",
)


def versions() -> dict[str, str]:
    """Return the Python version and the versions of :data:`PACKAGES`."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_commit() -> dict[str, Any] | None:
    """Return ``{"commit": sha, "dirty": bool}`` of the repository holding ci_sim, if any."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(status)} if sha else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    """A sweep's output folder.

    Args:
        root: the folder (created if missing).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / PARTS
        self._next_part = 0

    # --- manifest -----------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        """``DIR/manifest.json``."""
        return self.root / MANIFEST

    @property
    def results_path(self) -> Path:
        """``DIR/results.parquet``."""
        return self.root / RESULTS

    def read_manifest(self) -> dict[str, Any] | None:
        """Return the manifest, or ``None`` when the folder holds none.

        Raises:
            ExperimentError: when the manifest is not valid JSON.
        """
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ExperimentError(f"{self.manifest_path}: cannot read: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExperimentError(f"{self.manifest_path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ExperimentError(f"{self.manifest_path}: not a sweep manifest")
        return data

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Write the manifest atomically."""
        data = json.dumps(manifest, indent=2, default=str, allow_nan=False).encode()
        _write_atomic(self.manifest_path, data + b"\n")

    def open(self, experiment: Any) -> dict[str, Any] | None:
        """Prepare the folder for ``experiment``; return the previous manifest if any.

        Raises:
            ExperimentError: when the folder holds a sweep of another experiment (or
                another version of its file), or parts without a manifest.
        """
        old = self.read_manifest()
        if old is None:
            if self.parts.is_dir() and any(self.parts.glob("*.parquet")):
                raise ExperimentError(
                    f"{self.root}: holds result parts but no {MANIFEST}; "
                    "choose another --out or remove the folder"
                )
        else:
            sha = (old.get("experiment") or {}).get("sha256")
            if sha != experiment.sha256:
                raise ExperimentError(
                    f"{self.root}: holds a sweep of another experiment or another version "
                    f"of {experiment.source} (sha256 {str(sha)[:12]}..., now "
                    f"{experiment.sha256[:12]}...); choose another --out or remove the folder"
                )
        self.parts.mkdir(parents=True, exist_ok=True)
        for tmp in [*self.parts.glob("*.tmp"), *self.root.glob("*.tmp")]:
            tmp.unlink(missing_ok=True)
        numbers = [int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")]
        self._next_part = max(numbers, default=-1) + 1
        (self.root / FAILURES).unlink(missing_ok=True)  # failed runs are tried again
        return old

    # --- runs ---------------------------------------------------------------------

    def _files(self) -> list[Path]:
        files = [self.results_path] if self.results_path.is_file() else []
        return files + sorted(self.parts.glob("part-*.parquet"))

    def finished_ids(self) -> set[int]:
        """Return the ``run_id`` of every run with rows on disk."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for path in self._files():
            column = pq.read_table(path, columns=["run_id"]).column("run_id")
            done.update(column.unique().to_pylist())
        return done

    def write_part(self, table: Any) -> Path:
        """Write a finished chunk (a pandas DataFrame) as the next part; return its path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.parts / f"part-{self._next_part:06d}.parquet"
        self._next_part += 1
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path

    def record_failure(self, record: Mapping[str, Any]) -> None:
        """Append a failed run to ``failures.jsonl`` (flushed to disk at once)."""
        with (self.root / FAILURES).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def failures(self) -> list[dict[str, Any]]:
        """Return the failed runs recorded in this attempt."""
        path = self.root / FAILURES
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def read(self) -> Any:
        """Return every finished row (results and parts) as a pandas DataFrame.

        Sorted by ``run_id`` and ``step``, each run once.

        Raises:
            ExperimentError: when the folder holds no results.
        """
        import pyarrow as pa

        table = self._merged()
        if table is None:
            raise ExperimentError(f"{self.root}: holds no results ({RESULTS} or {PARTS}/)")
        return _to_pandas(table, pa)

    def _merged(self) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        tables = []
        seen: set[int] = set()
        for path in self._files():
            table = pq.read_table(path)
            ids = table.column("run_id")
            fresh = pc.invert(pc.is_in(ids, value_set=pa.array(sorted(seen), ids.type)))
            if seen:
                table = table.filter(fresh)
            seen.update(ids.unique().to_pylist())
            tables.append(table)
        if not tables:
            return None
        merged = pa.concat_tables(tables, promote_options="default")
        return merged.sort_by([("run_id", "ascending"), ("step", "ascending")])

    def consolidate(self) -> Path | None:
        """Merge the parts into ``results.parquet`` and remove them; return its path."""
        import pyarrow.parquet as pq

        parts = sorted(self.parts.glob("part-*.parquet"))
        if not parts:
            return self.results_path if self.results_path.is_file() else None
        merged = self._merged()
        tmp = self.results_path.with_name(RESULTS + ".tmp")
        pq.write_table(merged, tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.results_path)
        for part in parts:
            part.unlink(missing_ok=True)
        return self.results_path


def _to_pandas(table: Any, pa: Any) -> Any:
    """Return ``table`` as pandas (the dtypes ``pandas.read_parquet`` gives)."""
    return table.to_pandas()


def read_results(root: str | Path) -> Any:
    """Return the results of a sweep folder as a DataFrame (finished runs, sorted).

    Raises:
        ExperimentError: when the folder holds no results.
    """
    root = Path(root)
    if not root.is_dir():
        raise ExperimentError(f"{root}: no such sweep folder")
    return Store(root).read()


def manifest(
    experiment: Any,
    *,
    status: str,
    total: int,
    finished: int,
    failed: Iterable[Mapping[str, Any]],
    engine: str,
    workers: int,
    started: str,
    seconds: float,
    history: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the manifest of a sweep as JSON-ready data."""
    failed = list(failed)
    return {
        "format": FORMAT,
        "status": status,
        "experiment": {
            "name": experiment.name,
            "title": experiment.title,
            "file": experiment.source,
            "sha256": experiment.sha256,
            "text": experiment.text,
        },
        "root_seed": experiment.root_seed,
        "plan": experiment.plan(),
        "runs": {
            "total": total,
            "finished": finished,
            "failed": len(failed),
            "pending": total - finished - len(failed),
        },
        "failed": failed,
        "engine": {"name": engine, "workers": workers},
        "versions": versions(),
        "git": git_commit(),
        "started": started,
        "updated": _now(),
        "seconds": round(seconds, 3),
        "attempts": history or [],
    }


def failure_record(run: Any, failure: Any) -> dict[str, Any]:
    """Return the manifest entry of a failed run: where it sits, its parameters, why."""
    record = {k: v for k, v in asdict(run).items() if k != "labels"}
    record["error"] = failure.error
    record["traceback"] = failure.traceback
    return record


now = _now
