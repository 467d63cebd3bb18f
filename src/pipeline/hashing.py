"""The sha256 of a file: one implementation for checking a raw document against its source.yaml
and for the incremental runner's record of what a step read and wrote."""

from __future__ import annotations

import hashlib
from os import PathLike

# read in blocks: memory stays flat however large the file (a scanned report, the panel of every document)
_BLOCK = 1 << 20


def sha256_of(path: str | PathLike[str]) -> str:
    """Hex sha256 of the file's bytes; FileNotFoundError when there is no such file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
