"""Run an experiment: dispatch its runs to an engine, stream results to disk, resume.

:func:`sweep` is the Python API behind ``ci-sim sweep``. Every run's seed is fixed by
the experiment before dispatch, so the table does not depend on the engine, the
number of workers, the order in which runs finish, or on interruptions.
"""

from __future__ import annotations

import signal
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_sim.experiments import engines
from ci_sim.experiments.spec import ID_COLUMNS, Experiment, ExperimentError, Run, load
from ci_sim.experiments.store import Store, failure_record, manifest, now

#: A custom outcome: maps a finished run to extra named numbers (one column each).
Outcome = Callable[[Any], Mapping[str, float]]
#: Seconds between manifest updates while a sweep runs.
MANIFEST_EVERY = 5.0


@dataclass(frozen=True)
class SweepTask:
    """Runs one :class:`~ci_sim.experiments.spec.Run` and returns its recorded rows.

    Serialised once per sweep with cloudpickle and sent to the workers, so
    ``outcome`` may be any callable, also one defined in a notebook.
    """

    scenario: Any
    years: float
    record: str
    metrics: tuple[str, ...]
    key_kinds: dict[str, str]
    outcome: Outcome | None = None
    record_organisations: bool = False
    columns: list[str] = field(default_factory=list)

    def __call__(self, run: Run) -> Any:
        """Run the model and return a DataFrame with one row per recorded step."""
        import numpy as np
        import pandas as pd

        from ci_sim.runner import run as run_model

        result = run_model(
            self.scenario,
            seed=run.seed,
            years=self.years,
            overrides=run.overrides,
            record_organisations=self.record_organisations,
        )
        m = result.metrics
        if self.record == "final":
            rows = m.iloc[[-1]]
        elif self.record == "yearly":
            per_year = result.params.simulation.steps_per_year
            keep = (m["step"].to_numpy() % per_year) == 0
            keep[-1] = True
            rows = m[keep]
        else:
            rows = m
        n = len(rows)
        data: dict[str, Any] = {
            "run_id": np.full(n, run.run_id, dtype=np.int64),
            "point": np.full(n, run.point, dtype=np.int64),
            "intervention": [run.intervention] * n,
            "replicate": np.full(n, run.replicate, dtype=np.int64),
            "seed": np.full(n, run.seed, dtype=np.int64),
        }
        dtypes = {"float": np.float64, "int": np.int64, "bool": np.bool_}
        for key, kind in self.key_kinds.items():
            value = run.labels[key]
            data[key] = [value] * n if kind == "str" else np.full(n, value, dtype=dtypes[kind])
        data["step"] = rows["step"].to_numpy(dtype=np.int64)
        data["year"] = rows["year"].to_numpy(dtype=np.float64)
        for metric in self.metrics:
            data[metric] = rows[metric].to_numpy(dtype=np.float64)
        if self.outcome is not None:
            for name, value in _outcome_values(self.outcome(result), data).items():
                data[name] = np.full(n, value, dtype=np.float64)
        return pd.DataFrame(data)


def _outcome_values(values: Any, taken: Mapping[str, Any]) -> dict[str, float]:
    """Check a custom outcome's return value: names -> finite-or-NaN numbers.

    Raises:
        TypeError: for a value that is not a mapping of names to numbers.
        ValueError: for a name that clashes with a results column.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"outcome must return a mapping of names to numbers, got {type(values)}")
    out: dict[str, float] = {}
    for name, value in values.items():
        if not isinstance(name, str) or name in taken:
            raise ValueError(f"outcome column {name!r} is not a new column name")
        try:
            out[name] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"outcome {name!r} = {value!r} is not a number") from None
    return out


def _task(experiment: Experiment, outcome: Outcome | None, record_organisations: bool) -> Any:
    from ci_sim.scenarios import load_scenario

    # The validated scenario itself travels to the workers: no file needed there
    # (a remote Dask worker may not see this machine's files).
    return SweepTask(
        scenario=load_scenario(experiment.scenario),
        years=experiment.years,
        record=experiment.record,
        metrics=experiment.metrics,
        key_kinds={k: experiment.column_kind(k) for k in experiment.keys},
        outcome=outcome,
        record_organisations=record_organisations,
    )


@dataclass
class SweepReport:
    """What a sweep did: counts and where it wrote.

    Attributes:
        out: the output folder.
        total: runs in the experiment.
        finished: runs with results on disk (from earlier attempts too).
        failed: runs that raised in this attempt.
        skipped: runs finished by an earlier attempt (resume).
        seconds: wall time of this attempt.
        status: ``"complete"``, ``"failed"`` (some runs failed) or ``"interrupted"``.
    """

    out: Path
    total: int
    finished: int
    failed: int
    skipped: int
    seconds: float
    status: str

    def summary(self) -> str:
        """Return a one-line summary."""
        rate = (self.finished - self.skipped) / self.seconds if self.seconds > 0 else 0.0
        skipped = f", {self.skipped} from an earlier attempt" if self.skipped else ""
        return (
            f"{self.total} runs: {self.finished} finished{skipped}, {self.failed} failed, "
            f"{self.total - self.finished - self.failed} not run; {self.seconds:.1f} s "
            f"({rate:.1f} runs/s)"
        )


def run_sweep(
    experiment: Experiment,
    out: str | Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    quiet: bool = False,
    outcome: Outcome | None = None,
    record_organisations: bool = False,
    chunk: int | None = None,
) -> SweepReport:
    """Run every unfinished run of ``experiment`` into ``out``; return the report.

    Args:
        experiment: a loaded experiment.
        out: the output folder; a folder that holds an earlier attempt of the same
            experiment is resumed.
        engine: ``"serial"``, ``"local"`` or ``"dask"``.
        workers: worker processes (default: the CPUs available).
        address: Dask scheduler address (``dask`` only).
        quiet: no progress bar.
        outcome: extra per-run numbers, ``outcome(result) -> {name: number}``.
        record_organisations: record the per-organisation table (for ``outcome``).
        chunk: runs per dispatched chunk (default: chosen from runs and workers).

    Raises:
        ExperimentError: for a bad engine setting, an engine that cannot start, or an
            output folder of another sweep.
        KeyboardInterrupt: after saving what finished, when interrupted (also on
            SIGTERM).
        EngineBroken: after saving what finished, when the engine stopped working.
    """
    if engine not in engines.ENGINES:
        raise ExperimentError(f"engine {engine!r}: allowed values are {', '.join(engines.ENGINES)}")
    if workers is not None and workers < 1:
        raise ExperimentError(f"workers = {workers}: must be at least 1")
    if chunk is not None and chunk < 1:
        raise ExperimentError(f"chunk = {chunk}: must be at least 1")
    start = time.perf_counter()
    started = now()
    store = Store(out)
    old = store.open(experiment)
    points = experiment.points()
    total = experiment.n_runs(points)
    done = store.finished_ids()
    skipped = len(done)
    todo = (run for run in experiment.runs(points) if run.run_id not in done)
    history = list((old or {}).get("attempts", []))
    n_workers = 1 if engine == "serial" else (workers or engines.default_workers())
    attempt = {"started": started, "engine": engine, "workers": n_workers, "skipped": skipped}
    failed: list[dict[str, Any]] = []
    finished = skipped
    status = "running"

    def write(status_now: str) -> None:
        store.write_manifest(
            manifest(
                experiment,
                status=status_now,
                total=total,
                finished=finished,
                failed=failed,
                engine=engine,
                workers=n_workers,
                started=(old or {}).get("started", started),
                seconds=time.perf_counter() - start,
                history=[*history, {**attempt, "status": status_now}],
            )
        )

    write(status)
    bar = _progress(total, skipped, quiet)
    task = _task(experiment, outcome, record_organisations)
    last = time.monotonic()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    if previous is signal.SIG_DFL:  # a polite kill saves like Ctrl-C
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if total > skipped:
            with engines.open_executor(engine, workers, address) as (executor, slots):
                if engine == "dask":  # a remote cluster has the workers it has
                    n_workers = attempt["workers"] = slots
                size = chunk or engines.chunk_size(total - skipped, slots)
                for runs, results in engines.imap_chunks(executor, slots, task, todo, size):
                    good = [value for ok, value in results if ok]
                    if good:
                        import pandas as pd

                        store.write_part(pd.concat(good, ignore_index=True))
                    for run, (ok, value) in zip(runs, results, strict=True):
                        if not ok:
                            record = failure_record(run, value)
                            store.record_failure(record)
                            failed.append(record)
                    finished += len(good)
                    bar.update(len(runs))
                    bar.set_postfix(failed=len(failed), refresh=False)
                    if time.monotonic() - last > MANIFEST_EVERY:
                        write("running")
                        last = time.monotonic()
        status = "failed" if failed else "complete"
    except engines.EngineError as exc:  # could not start (e.g. no Dask scheduler)
        status = "interrupted"
        raise ExperimentError(str(exc)) from None
    except BaseException:  # Ctrl-C, a broken engine, a full disk: save the state, stop
        status = "interrupted"
        raise
    finally:
        bar.close()
        if status != "running":
            if status != "interrupted":
                store.consolidate()
            write(status)
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return SweepReport(
        out=Path(out),
        total=total,
        finished=finished,
        failed=len(failed),
        skipped=skipped,
        seconds=time.perf_counter() - start,
        status=status,
    )


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, quiet: bool) -> Any:
    if quiet:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc="sweep", dynamic_ncols=True)


def sweep(
    experiment: Experiment | str | Path | Mapping[str, Any],
    *,
    engine: str = "local",
    workers: int | None = None,
    out: str | Path | None = None,
    address: str | None = None,
    quiet: bool = True,
    outcome: Outcome | None = None,
    record_organisations: bool = False,
) -> Any:
    """Run an experiment and return its results table (the Python API of ``ci-sim sweep``).

    Args:
        experiment: an :class:`Experiment`, or a file path or mapping for :func:`load`.
        engine: ``"serial"``, ``"local"`` (process pool) or ``"dask"``.
        workers: worker processes (default: the CPUs available).
        out: output folder (results, manifest; resumed if it holds an earlier attempt);
            ``None`` uses a temporary folder that is removed afterwards.
        address: Dask scheduler address (``dask`` only; default: a LocalCluster).
        quiet: no progress bar.
        outcome: ``outcome(result) -> {name: number}`` adds one column per name to
            every row of a run. Any callable works on every engine (cloudpickle), also
            one defined in a notebook cell.
        record_organisations: record organisation tables for ``outcome``.

    Returns:
        A pandas DataFrame with one row per run and recorded step: ``run_id, point,
        intervention, replicate, seed``, one column per factor or sampled lever,
        ``step, year``, every metric and the outcome's columns. ``df.attrs["manifest"]``
        holds the manifest; a warning names the count of failed runs, if any.

    Raises:
        ExperimentError: for an invalid experiment or setting.
    """
    exp = experiment if isinstance(experiment, Experiment) else load(experiment)
    with tempfile.TemporaryDirectory(prefix="ci_sim_sweep_") as tmp:
        folder = Path(out) if out is not None else Path(tmp)
        report = run_sweep(
            exp,
            folder,
            engine=engine,
            workers=workers,
            address=address,
            quiet=quiet,
            outcome=outcome,
            record_organisations=record_organisations,
        )
        store = Store(folder)
        try:
            df = store.read()
        except ExperimentError:
            df = _empty(exp)
        df.attrs["manifest"] = store.read_manifest()
    if report.failed:
        warnings.warn(
            f"{report.failed} of {report.total} runs failed; see the manifest's 'failed' "
            "entries (df.attrs['manifest']['failed'])",
            UserWarning,
            stacklevel=2,
        )
    return df


def _empty(exp: Experiment) -> Any:
    import pandas as pd

    return pd.DataFrame(columns=[*ID_COLUMNS, *exp.keys, "step", "year", *exp.metrics])
