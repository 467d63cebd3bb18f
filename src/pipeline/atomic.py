"""Writing files so a failed run never leaves half a file and never destroys the last good output:
write to a temporary file beside the target, then rename it over the target."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.csv_safety import safe_frame


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside `target`; rename it over `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for everyone who may read the folder
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(target: Path, writer: Callable[[Path], Any]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_processed_csv(target: Path, frame: Any) -> Path:
    """A processed table as analysts open it: UTF-8 with BOM (Excel), LF, numbers without .0, and no
    text cell a spreadsheet would run as a formula (pipeline.csv_safety)."""
    safe = safe_frame(frame)
    return write_atomic(
        target,
        lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.15g", lineterminator="\n"),
    )


def move_aside(folder: Path, into: Path) -> Path:
    """Move `folder` to a new name under `into` in one rename (`into/<name>`, or `<name>.2`, `.3`…
    when taken); nothing is deleted. Returns where it went."""
    into.mkdir(parents=True, exist_ok=True)
    target, number = into / folder.name, 1
    while target.exists():
        number += 1
        target = into / f"{folder.name}.{number}"
    os.rename(folder, target)
    return target


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_atomic(target, lambda tmp: tmp.write_text(text, encoding=encoding, newline=""))


@contextmanager
def scratch_copy(source: Path | None, beside: Path):
    """Yield a temporary file in the folder of `beside` holding a copy of `source` (nothing, when None),
    for work that is later written out through atomic_path; removed when the block ends, whatever happens."""
    beside = Path(beside)
    fd, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=".work", dir=beside.parent)
    os.close(fd)
    scratch = Path(name)
    try:
        if source is None:
            scratch.unlink()
        else:
            shutil.copyfile(source, scratch)
        yield scratch
    finally:
        scratch.unlink(missing_ok=True)
