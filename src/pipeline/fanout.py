"""Fanning work out over documents: a process pool by default, a Dask cluster when asked.

`open_executor(kind, jobs, scheduler, items)` gives a `concurrent.futures.Executor` (or None, for
work done in this process: one job, or one item); `fan_out(fn, items, executor)` calls
`fn(item)` for every item, in chunks, and returns one `Outcome` per item in the items' order. One
item that raises never stops the others: its outcome carries the error. Results come back in the
items' order whatever order the workers finish in, so the pool, Dask and this process write the
same bytes.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipeline import paths
from pipeline.errors import INTERNAL_ERROR_EXIT, OS_ERROR_EXIT, PipelineError, UsageError

EXECUTORS = ("pool", "dask")
# a worker per core is the default; more than four per core only adds memory and start-up time
MAX_WORKERS_PER_CORE = 4
# items handed to a worker at a time: few enough that the work spreads, enough to amortise a round trip
CHUNK_TARGET = 4


@dataclass(frozen=True)
class Outcome:
    """What became of one item: its value, or the error it raised (class name, message, exit status)."""

    item: Any
    value: Any = None
    error: str = ""
    error_class: str = ""
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return not self.error


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(jobs: int | None, chunks: int) -> int:
    """The workers to start: `jobs` (default one per core), at most 4 per core and one per chunk."""
    wanted = jobs or cores()
    if wanted < 1:
        raise UsageError(f"--jobs {wanted}: give at least 1")
    return max(1, min(wanted, MAX_WORKERS_PER_CORE * cores(), chunks))


def chunks_of(items: Sequence[Any], workers: int) -> list[list[Any]]:
    """Contiguous chunks, about CHUNK_TARGET per worker: work spreads and each round trip carries several items."""
    if not items:
        return []
    size = max(1, math.ceil(len(items) / (max(1, workers) * CHUNK_TARGET)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _say(message: str) -> None:
    print(f"pipeline: {message}", file=sys.stderr, flush=True)


@contextmanager
def open_executor(
    kind: str = "pool", jobs: int | None = None, scheduler: str = "", items: int = 0, preload: Sequence[str] = ()
) -> Iterator[Any]:
    """An Executor for `items` pieces of work; None (work in this process) for one job or one item.

    kind "pool": a ProcessPoolExecutor (forkserver: workers do not inherit this process's threads or
    kernel state; the server imports the modules named in `preload` once, so each worker is forked
    with them and does not import them again). kind "dask": a dask.distributed Client on `scheduler`,
    or on a LocalCluster with the same number of workers when no address is given."""
    if kind not in EXECUTORS:
        raise UsageError(f"--executor {kind!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: give at least 1")
    if kind == "pool" and (items <= 1 or jobs == 1):
        yield None
        return
    workers = worker_count(jobs, max(1, items))
    if jobs and workers < jobs:
        _say(f"{workers} worker(s), not {jobs}: capped at {MAX_WORKERS_PER_CORE} per core and one per piece of work")
    if kind == "pool":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        if preload:
            context.set_forkserver_preload(list(preload))
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    with _dask_client(scheduler, workers) as client:
        yield client.get_executor()


@contextmanager
def _dask_client(scheduler: str, workers: int) -> Iterator[Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError("--executor dask needs dask.distributed: pip install -e '.[dask]'") from exc
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _run_chunk(fn: Callable[[Any], Any], chunk: list[Any], root: str) -> list[Outcome]:
    """In a worker: each item of the chunk, its error caught; paths point at the run's root."""
    if str(paths.ROOT) != root:
        paths.set_root(root)
    return [_run_one(fn, item) for item in chunk]


def _run_one(fn: Callable[[Any], Any], item: Any) -> Outcome:
    try:
        return Outcome(item, fn(item))
    except PipelineError as exc:
        return Outcome(item, error=str(exc), error_class=type(exc).__name__, exit_code=exc.exit_code)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return Outcome(item, error=f"{where}{exc.strerror or exc}", error_class="OSError", exit_code=OS_ERROR_EXIT)
    except Exception as exc:  # a bug in one document's work: named, the others go on
        return Outcome(
            item, error=f"{type(exc).__name__}: {exc}", error_class=type(exc).__name__, exit_code=INTERNAL_ERROR_EXIT
        )


def fan_out(fn: Callable[[Any], Any], items: Sequence[Any], executor: Any = None) -> list[Outcome]:
    """fn(item) for every item (in this process when `executor` is None): one Outcome per item, in order.

    `fn` must be a module-level function (it is pickled to the workers), and so must the items."""
    return fan_out_started(fn, items, executor)()


def fan_out_started(fn: Callable[[Any], Any], items: Sequence[Any], executor: Any = None) -> Callable[[], list]:
    """fan_out, the work handed to the workers now: returns the call that waits for its outcomes,
    so this process can do something else meanwhile. Without an executor the work is done when
    the outcomes are asked for."""
    items = list(items)
    if executor is None:
        return lambda: [_run_one(fn, item) for item in items]
    workers = getattr(executor, "_max_workers", None) or cores()
    chunks = chunks_of(items, workers)
    futures = [executor.submit(_run_chunk, fn, chunk, str(paths.ROOT)) for chunk in chunks]

    def outcomes() -> list[Outcome]:
        out: list[Outcome] = []
        for future, chunk in zip(futures, chunks, strict=True):
            try:
                out.extend(future.result())
            except Exception as exc:  # the worker itself died (killed, out of memory): every item of its chunk
                lost = f"worker lost: {type(exc).__name__}: {exc}"
                out.extend(Outcome(item, error=lost, error_class="WorkerLost", exit_code=7) for item in chunk)
        return out

    return outcomes
