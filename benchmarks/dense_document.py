"""`pipeline extract` on a file of dense figures (召开会议1次， repeated, no line break): wall time,
peak resident memory and output size for 1, 2, 4 and 8 MiB; prints a Markdown table.

    .venv/bin/python benchmarks/dense_document.py            # 1, 2, 4, 8 MiB
    .venv/bin/python benchmarks/dense_document.py 1 2 20     # other sizes in MiB (20 is the limit)

Each size runs in a process of its own; its peak memory is the ru_maxrss that wait4 reports.
Time and memory should grow linearly with the file (memory by the piece, not the document: rows
are written as each piece of PIECE_CHARS characters is extracted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATTERN = "召开会议1次，"


def measure(size_mib: float, folder: Path) -> tuple[float, float, int, int]:
    """(seconds, peak MB, output bytes, figures) of one `pipeline extract FILE -o OUT`."""
    source = folder / f"dense-{size_mib}.txt"
    repeats = int(size_mib * 1024 * 1024) // len(PATTERN.encode("utf-8"))
    source.write_text(PATTERN * repeats, encoding="utf-8")
    out = folder / f"dense-{size_mib}.csv"
    command = [sys.executable, "-m", "pipeline", "extract", str(source), "-o", str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"pipeline extract failed on {source} ({os.waitstatus_to_exitcode(status)})")
    with out.open(encoding="utf-8") as handle:
        figures = sum(1 for _ in handle) - 1
    size = out.stat().st_size
    source.unlink()
    out.unlink()
    return seconds, usage.ru_maxrss / 1024, size, figures  # ru_maxrss is in KiB on Linux


def main(argv: list[str]) -> None:
    sizes = [float(a) for a in argv] or [1, 2, 4, 8]
    print("| file | figures | time | peak memory | output |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            seconds, peak, out_bytes, figures = measure(size, Path(tmp))
            row = f"| {size:g} MiB | {figures:,} | {seconds:.1f} s | {peak:.0f} MB | {out_bytes / 1e6:.0f} MB |"
            print(row, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
