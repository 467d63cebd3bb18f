"""How many worker processes to start: never more than there is work for, nor than the cores can run.

A process pool starts its workers as work arrives, and each one imports the package (about a
second): `--jobs 99999` over ten files used to start thousands of them and hang for minutes.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pipeline.display import note

# Workers beyond this many per core only queue for the processor (extraction is CPU-bound).
WORKERS_PER_CORE = 2


def cores() -> int:
    """The cores this process may run on (its affinity where the system says, else all of them)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on every platform
        return max(1, os.cpu_count() or 1)


def check_jobs(requested: int | None, chunks: int, say: Callable[[str], None] | None = note) -> int:
    """The number of workers to start for `chunks` tasks when `requested` were asked for (None: one
    per core). Capped at the number of chunks and at WORKERS_PER_CORE per core; a cap on a number
    the user gave is said through `say` (stderr by default)."""
    if requested is not None and (isinstance(requested, bool) or not isinstance(requested, int) or requested < 1):
        raise ValueError(f"jobs {requested!r}: give a whole number of at least 1")
    available = cores()
    wanted = available if requested is None else requested
    limit = max(1, min(chunks, WORKERS_PER_CORE * available))
    workers = min(wanted, limit)
    if requested is not None and workers < requested and say is not None:
        say(
            f"note: --jobs {requested} capped at {workers} "
            f"({chunks} chunk(s) of work, {available} core(s), at most {WORKERS_PER_CORE} workers a core)"
        )
    return workers
