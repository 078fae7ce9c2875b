"""Executors that run chunks of work: serial, a local process pool, or Dask.

Every engine is a :class:`concurrent.futures.Executor`:

* ``serial`` runs each chunk when it is submitted, in this process (for debugging);
* ``local`` is a process pool started once per sweep from a forkserver that has
  imported ci_sim, so workers import it once; chunks of runs are dispatched;
  each worker caps its BLAS thread pool at one thread (threadpoolctl);
* ``dask`` is ``distributed.Client(address).get_executor()``, or a ``LocalCluster``
  of ``workers`` single-threaded processes when no address is given; every worker's
  BLAS thread pool is capped at one thread too.

The work is one callable (``task``) applied to many items. The task is serialised
once with cloudpickle, so a function defined in a notebook or in ``__main__`` works on
every engine; workers deserialise it once and keep it. Results do not depend on the
engine: each item carries everything its run needs (its seed included).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ENGINES = ("serial", "local", "dask")
#: At most this many runs per chunk: a chunk is the unit of dispatch and of saving.
MAX_CHUNK = 16
#: Chunks waiting or running per worker slot.
PENDING_PER_SLOT = 2


class EngineError(ValueError):
    """An engine could not start (bad setting, unreachable scheduler)."""


class EngineBroken(RuntimeError):
    """An engine stopped working during a sweep (e.g. a worker process was killed)."""


@dataclass(frozen=True)
class Failure:
    """An item whose task raised.

    Attributes:
        error: ``"ExceptionType: message"``.
        traceback: the formatted traceback (from the worker).
        exception: the exception itself when it could be pickled back, else ``None``.
    """

    error: str
    traceback: str
    exception: BaseException | None = None


def failure_of(exc: BaseException) -> Failure:
    """Return the :class:`Failure` record of ``exc`` (with its traceback)."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
        kept: BaseException | None = exc
    except Exception:  # noqa: BLE001 - any unpicklable exception is kept as text
        kept = None
    message = " ".join(str(exc).split())
    return Failure(f"{type(exc).__name__}: {message}", text, kept)


class SerialExecutor(Executor):
    """An executor that runs every call at ``submit`` time, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now and return its finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future
            future.set_exception(exc)
        return future


def default_workers() -> int:
    """Return the number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def open_executor(
    engine: str = "local", workers: int | None = None, address: str | None = None
) -> Iterator[tuple[Executor, int]]:
    """Start an engine; yield ``(executor, slots)`` and shut it down afterwards.

    Args:
        engine: ``"serial"``, ``"local"`` or ``"dask"``.
        workers: worker processes (default: the CPUs available). Ignored by ``serial``
            and by ``dask`` with an ``address``.
        address: a Dask scheduler address, e.g. ``tcp://10.0.0.5:8786`` (``dask`` only).

    Yields:
        The executor and how many chunks it runs at once.

    Raises:
        EngineError: for an unknown engine, a worker count below 1, an address with
            another engine, or a Dask scheduler that cannot be reached.
    """
    if engine not in ENGINES:
        raise EngineError(f"engine {engine!r}: allowed values are {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise EngineError(f"workers = {workers}: must be at least 1")
    if address and engine != "dask":
        raise EngineError(f"--address is for the dask engine, not {engine!r}")
    n = workers or default_workers()
    if engine == "serial":
        yield SerialExecutor(), 1
    elif engine == "local":
        yield from _local(n)
    else:
        yield from _dask(n, address)


def _local(workers: int) -> Iterator[tuple[Executor, int]]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: workers fork from a clean, single-threaded server that imported
    # ci_sim once (a plain fork of a threaded parent, e.g. with tqdm, can deadlock).
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["ci_sim.runner", "ci_sim.experiments.engines"])
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)
    try:
        yield pool, workers
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)


def _init_worker() -> None:
    """Set up a local worker: Ctrl-C left to the parent, one BLAS thread."""
    _ignore_sigint()
    limit_blas_threads()


def _ignore_sigint() -> None:
    """Leave Ctrl-C to the parent, which saves what finished and stops the pool."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def limit_blas_threads(limit: int = 1) -> None:
    """Cap the BLAS and OpenMP thread pools of this process at ``limit`` threads.

    Every worker runs one model at a time, and the workers already fill the CPUs; a
    BLAS helper thread per worker (OpenBLAS starts one per CPU) only competes with the
    other workers and busy-waits between matrix products. Called once in each worker.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=limit)


def _dask(workers: int, address: str | None) -> Iterator[tuple[Executor, int]]:
    from distributed import Client, LocalCluster

    cluster = None
    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    else:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    try:
        client.run(limit_blas_threads)  # on every worker, also those of a remote cluster
        slots = max(1, sum(client.nthreads().values()))
        yield client.get_executor(pure=False), slots
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- running a task over chunks of items ---------------------------------------------

_TASKS: dict[str, Any] = {}


def _task(blob: bytes, digest: str) -> Any:
    """Return the task behind ``blob``, deserialised once per worker process."""
    task = _TASKS.get(digest)
    if task is None:
        import cloudpickle

        task = cloudpickle.loads(blob)
        _TASKS.clear()  # one sweep at a time per worker: keep memory flat
        _TASKS[digest] = task
    return task


def run_chunk(blob: bytes, digest: str, items: Sequence[Any]) -> list[tuple[bool, Any]]:
    """Apply the task to each item; return ``(True, result)`` or ``(False, Failure)``.

    An item that raises does not stop the chunk: its failure is returned in its place.
    """
    task = _task(blob, digest)
    out: list[tuple[bool, Any]] = []
    for item in items:
        try:
            out.append((True, task(item)))
        except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
            out.append((False, failure_of(exc)))
    return out


def chunk_size(n_items: int, slots: int) -> int:
    """Return a chunk size: about 16 chunks per slot, at most :data:`MAX_CHUNK` items."""
    return max(1, min(MAX_CHUNK, -(-n_items // (16 * max(1, slots)))))


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def imap_chunks(
    executor: Executor,
    slots: int,
    task: Callable[[Any], Any],
    items: Iterable[Any],
    size: int,
) -> Iterator[tuple[list[Any], list[tuple[bool, Any]]]]:
    """Run ``task`` over ``items`` in chunks; yield each chunk with its results as done.

    At most ``PENDING_PER_SLOT * slots`` chunks are submitted at a time, so memory
    stays flat in the number of items. A chunk that raised as a whole yields a failure
    for each of its items; when the executor broke (a worker process died) the chunks
    that finished are yielded and then :class:`EngineBroken` is raised. Order of
    completion is not deterministic; the items tell where each result belongs.

    Args:
        executor: any :class:`concurrent.futures.Executor`.
        slots: chunks the executor runs at once.
        task: the callable applied to each item (serialised with cloudpickle).
        items: the work, e.g. runs.
        size: items per chunk.
    """
    import cloudpickle

    blob = cloudpickle.dumps(task)
    digest = hashlib.sha256(blob).hexdigest()
    chunks = _chunks(items, size)
    pending: dict[Future, list[Any]] = {}

    def refill() -> None:
        while len(pending) < PENDING_PER_SLOT * slots:
            chunk = next(chunks, None)
            if chunk is None:
                return
            try:
                pending[executor.submit(run_chunk, blob, digest, chunk)] = chunk
            except (BrokenExecutor, RuntimeError) as exc:
                raise EngineBroken(
                    f"the engine stopped taking work ({type(exc).__name__}: {exc}); "
                    "a worker may have been killed (e.g. out of memory)"
                ) from None

    broken: BaseException | None = None
    try:
        refill()
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                try:
                    results = future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker died
                    if isinstance(exc, BrokenExecutor):
                        broken = exc
                    failure = failure_of(exc)
                    results = [(False, failure)] * len(chunk)
                yield chunk, results
            if broken is not None:
                raise EngineBroken(
                    f"the engine broke ({type(broken).__name__}: {broken}); "
                    "a worker may have been killed (e.g. out of memory)"
                )
            refill()
    finally:
        for future in pending:
            future.cancel()


def map_ordered(
    task: Callable[[Any], Any],
    items: Sequence[Any],
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
) -> list[Any]:
    """Return ``[task(item) for item in items]`` computed on an engine, in order.

    The first item that raised has its exception re-raised here (when it could be
    pickled back; else a ``RuntimeError`` with the worker's traceback).

    Raises:
        EngineError: when the engine cannot start.
        EngineBroken: when the engine stops during the work.
    """
    results: list[Any] = [None] * len(items)
    indexed = list(enumerate(items))
    with open_executor(engine, workers, address) as (executor, slots):
        for chunk, outs in imap_chunks(
            executor, slots, _Indexed(task), indexed, chunk_size(len(items), slots)
        ):
            for (i, _), (ok, value) in zip(chunk, outs, strict=True):
                if not ok:
                    if value.exception is not None:
                        raise value.exception
                    raise RuntimeError(f"{value.error}\n{value.traceback}")
                results[i] = value
    return results


@dataclass(frozen=True)
class _Indexed:
    """Apply ``task`` to the item of an ``(index, item)`` pair."""

    task: Callable[[Any], Any]

    def __call__(self, pair: tuple[int, Any]) -> Any:
        return self.task(pair[1])
