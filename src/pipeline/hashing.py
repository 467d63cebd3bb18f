"""The sha256 of a file: one implementation for checking a raw document against its source.yaml
and for the incremental runner's record of what a step read and wrote."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from os import PathLike
from pathlib import Path

# read in blocks: memory stays flat however large the file (a scanned report, the panel of every document)
_BLOCK = 1 << 20

WHOLE_SECOND_MARGIN_NS = 2_000_000_000  # whole-second mtimes (or FAT's two): this close is not trusted
FINE_MARGIN_NS = 100_000_000  # sub-second mtimes: ticks of a few ms (the kernel's coarse clock), with room


def trust_margin(*stamps_ns: int) -> int:
    """How much older than the moment it was read a file's mtime (and ctime) must be for what was
    read to stand for the file in that state: a file rewritten within one timestamp tick keeps its
    stamps. A stamp with a sub-second part shows a file system that keeps them (ext4, xfs, btrfs,
    tmpfs tick in milliseconds); a whole-second one (1 in 10^9 by chance there) costs one more
    reading, never a wrong answer."""
    return FINE_MARGIN_NS if all(stamp % 1_000_000_000 for stamp in stamps_ns) else WHOLE_SECOND_MARGIN_NS


def sha256_of(path: str | PathLike[str]) -> str:
    """Hex sha256 of the file's bytes; FileNotFoundError when there is no such file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(root: Path, pattern: str = "*") -> str:
    """One sha256 over the files under `root` matching `pattern` (names and contents; caches aside)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob(pattern)):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(sha256_of(path).encode())
        digest.update(b"\n")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def package_sha256() -> str:
    """sha256 of the package's own source (every file under src/pipeline): editing the code changes it."""
    return tree_sha256(Path(__file__).resolve().parent)
