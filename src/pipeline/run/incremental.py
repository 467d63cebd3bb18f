"""Incremental runs: an item of a step (one document, or the whole corpus) whose key (the content
hashes of what it reads, the notebook and the package) is what it was when it last succeeded, and
whose outputs still have the bytes it left, is skipped.

After an item succeeds its step writes a sidecar (JSON, atomically): per document
`data/interim/<body>/<year>/<step>.sidecar.json`, for the corpus `data/interim/.corpus/<step>.sidecar.json`,
with the key it ran with and the sha256 of each output it owns. `decide` recomputes the key and
checks the outputs: an output that is missing or whose bytes differ (a corrupted figures.csv, a
truncated Parquet file) makes the item run again. What each step reads is declared in
pipeline.run.steps.

Hashes are remembered across runs in `data/interim/.hashes.json` (path, size, mtime → sha256), so
a run with nothing to do stats files instead of reading them. A path is kept relative to the data
folder: a folder moved or copied with its timestamps (`cp -a`, rsync -t) keeps its memory. An
entry is trusted only when the file's mtime is older than the moment its hashing began by more
than the file system's timestamp resolution: a file rewritten within one tick of an earlier hash
keeps its mtime, so it is hashed again. A file system that keeps sub-second mtimes ticks in
milliseconds (ext4, xfs, btrfs, tmpfs: pipeline.hashing.trust_margin).

This module reads files and JSON only: deciding to skip imports neither papermill nor pandas.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import __version__, paths
from pipeline.atomic import write_text_atomic
from pipeline.hashing import package_sha256, sha256_of, trust_margin
from pipeline.reference.sources import save_listing

SIDECAR_VERSION = 2

# ---------------------------------------------------------------- hashing, remembered per file state

_HASHES: dict[tuple[int, int, int, int], tuple[str, int]] = {}  # (sha256, hashing began ns)


class HashMemory:
    """sha256 by (path, size, mtime_ns), kept in data/interim/.hashes.json between runs. A file under
    the data folder (`root`, the folder holding data/interim) is named by its path relative to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = os.fspath(path.parent.parent.parent) + os.sep  # <root>/data/interim/.hashes.json
        self.entries, self.written_ns = self._stored()
        self.recorded: set[str] = set()  # the keys this process hashed
        self.changed = False

    def _stored(self) -> tuple[dict[str, list], int]:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(stored, dict) and isinstance(stored.get("entries"), dict):
                return stored["entries"], int(stored.get("written_ns", 0))
        except (OSError, ValueError, TypeError):
            pass  # no memory, or an unreadable one: every file is hashed again
        return {}, 0

    def key(self, path: str | Path) -> str:
        """The name `path` has in the memory: relative to the data folder, POSIX, when it is inside."""
        text = os.fspath(path)
        return text[len(self.root) :].replace(os.sep, "/") if text.startswith(self.root) else text

    def _live(self, key: str) -> bool:
        """A file that is still there, named as this version names it (an older one wrote the whole
        path of a file inside the data folder: that entry is dropped, the file is under its new name)."""
        if os.path.isabs(key):
            return not key.startswith(self.root) and os.path.exists(key)
        return os.path.exists(self.root + key)

    def sha256(self, path: str | Path, st: os.stat_result, known: tuple[str, int] | None = None) -> str:
        """The file's sha256 from the memory when its entry can be trusted, else `known` (the same
        file's digest under another name, a hard link, and when its hashing began) or the file's
        bytes hashed. An entry is [size, mtime_ns, sha256, hashing began ns]; one an older version
        wrote, without the last, is trusted against the memory's own writing, as that version did."""
        key = self.key(path)
        entry = self.entries.get(key)
        if isinstance(entry, list) and len(entry) in (3, 4) and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            since = entry[3] if len(entry) == 4 and isinstance(entry[3], int) else self.written_ns
            if st.st_mtime_ns < since - trust_margin(st.st_mtime_ns):
                return entry[2]
        digest, began = known or (None, time.time_ns())
        digest = digest or sha256_of(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, digest, began]
        self.recorded.add(key)
        self.changed = True
        return digest

    def save(self) -> None:
        """Write the memory, keeping what other processes wrote to it since it was read: the
        runner's memory is read before the stages' kernels hash their outputs into theirs, and
        writing it back as read would make the next run hash every one of those files again."""
        if not self.changed and self.written_ns:
            return
        now = time.time_ns()
        merged = {**self.entries, **self._stored()[0]}
        for key in self.recorded:  # ours, unless another process saw the file in a later state
            theirs = merged[key]
            if not (isinstance(theirs, list) and len(theirs) in (3, 4) and theirs[1] > self.entries[key][1]):
                merged[key] = self.entries[key]
        self.entries = merged
        live = {k: v for k, v in merged.items() if self._live(k)}
        text = json.dumps({"written_ns": now, "entries": live}, sort_keys=True, separators=(",", ":"))
        write_text_atomic(self.path, text)
        self.written_ns, self.changed = now, False


_MEMORY: HashMemory | None = None


_MEMORY_OF: Path | None = None  # the data/interim folder _MEMORY belongs to


def memory() -> HashMemory:
    global _MEMORY, _MEMORY_OF
    if _MEMORY is None or _MEMORY_OF != paths.INTERIM:
        _MEMORY, _MEMORY_OF = HashMemory(paths.INTERIM / ".hashes.json"), paths.INTERIM
    return _MEMORY


def save_memory() -> None:
    """Write the hash memory (the runner does, once per run; a stage does at its end)."""
    try:
        memory().save()
    except OSError:
        pass  # a memory that cannot be written costs time on the next run, never correctness
    save_listing()  # data/raw's listing, beside the memory: the next process need not parse it again


def file_sha256(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it does not exist. Each state of a file (device,
    inode, size, mtime) is hashed once per process, however many names it has (the downloads are
    hard links to data/processed), and once across runs through the memory."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    known = _HASHES.get(key)
    if _under_root(path):
        remembered = memory()
        digest = remembered.sha256(path, st, known)
        entry = remembered.entries[remembered.key(path)]
        known = _HASHES[key] = (digest, entry[3] if len(entry) == 4 else remembered.written_ns)
    elif known is None:
        began = time.time_ns()
        known = _HASHES[key] = (sha256_of(path), began)
    return known[0]


def _under_root(path: Path) -> bool:
    return str(path).startswith(str(paths.ROOT))


def digest_of(value: Any) -> str:
    """sha256 of a JSON-able value, keys sorted: the digest of a set of hashes."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


_PACKAGE: dict[str, str] | None = None


def package_fingerprint() -> dict[str, str]:
    """The version and a hash of the package's source: editing the code re-runs what it runs."""
    global _PACKAGE
    if _PACKAGE is None:
        _PACKAGE = {"version": __version__, "source_sha256": package_sha256()}
    return _PACKAGE


# ---------------------------------------------------------------- paths in records


def rel(path: Path | str) -> str:
    """`path` relative to the data folder or else the checkout, in POSIX form. Lexical, as
    Path.relative_to is, on strings: a no-op run calls it for every file it checks."""
    text = os.fspath(path)
    for base in (paths.ROOT, paths.CHECKOUT):
        prefix = os.fspath(base)
        if text == prefix:
            return "."
        if text.startswith(prefix.rstrip(os.sep) + os.sep):
            return text[len(prefix.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    return text


def absolute(relative: str) -> Path:
    """The file a recorded path names: in the data folder, except the read-only inputs the checkout
    provides (a reference table the folder does not override, a notebook). An output is never
    looked for in the checkout."""
    if os.path.isabs(relative):
        return Path(relative)
    parts = relative.split("/")
    if parts[:2] == ["data", "reference"] and len(parts) == 3:
        return paths.reference(parts[2])
    if parts[:1] == ["notebooks"] and len(parts) == 2:
        return paths.NOTEBOOKS / parts[1]
    return paths.ROOT / relative


def hashes(files: list[Path]) -> dict[str, str | None]:
    return {rel(p): file_sha256(p) for p in files}


def reference_digests() -> dict[str, str | None]:
    """The sha256 of each reference table in force (READMEs aside), by its path."""
    return hashes(paths.reference_tables())


def notebook_sha256(notebook: str) -> str | None:
    return file_sha256(paths.NOTEBOOKS / notebook)


# ---------------------------------------------------------------- sidecars

CORPUS = "corpus"  # the item of a step over the whole corpus


def sidecar_path(step: str, item: str) -> Path:
    """item: "body/year", or CORPUS."""
    if item == CORPUS:
        return paths.corpus_dir() / f"{step}.sidecar.json"
    body, year = item.split("/")
    return paths.interim_dir(body, int(year)) / f"{step}.sidecar.json"


@dataclass
class Decision:
    run: bool
    reason: str  # why it runs, or "up to date"
    key: dict[str, Any] = field(default_factory=dict)


def read_sidecar(step: str, item: str) -> dict[str, Any] | str | None:
    """The sidecar as a dict; None when there is none; "unreadable" when it is not the expected object."""
    path = sidecar_path(step, item)
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError):
        return "unreadable"
    if not (isinstance(old, dict) and isinstance(old.get("key"), dict) and isinstance(old.get("outputs"), dict)):
        return "unreadable"  # valid JSON, but not a sidecar (a list, a number, a dict without its key)
    return old


def decide(
    step: str, item: str, key: dict[str, Any], force: bool = False, expected: list[Path] | None = None
) -> Decision:
    """Whether `item` of `step` must run, and why: its key changed, or an output is not as it was
    left, or an output it writes now (`expected`) is not among those its sidecar records (the sidecar
    of a version that wrote other files: plain interim .csv before they were .csv.gz)."""
    key = {"sidecar_version": SIDECAR_VERSION, "step": step, **key}
    if force:
        return Decision(True, "--force", key)
    old = read_sidecar(step, item)
    if old is None:
        return Decision(True, "first run", key)
    if old == "unreadable":
        return Decision(True, "sidecar unreadable", key)
    if old["key"] != key:
        return Decision(True, _what_changed(old["key"], key), key)
    problem = outputs_problem(old["outputs"])
    if problem:
        return Decision(True, problem, key)
    problem = unrecorded(old["outputs"], expected or [])
    if problem:
        return Decision(True, problem, key)
    return Decision(False, "up to date", key)


def unrecorded(outputs: dict[str, Any], expected: list[Path]) -> str:
    """'' when every file in `expected` is among the recorded `outputs`, else which is not."""
    for path in expected:
        if rel(path) not in outputs:
            return f"output {rel(path)} missing"
    return ""


def outputs_problem(outputs: dict[str, Any]) -> str:
    """'' when every recorded output has the bytes recorded, else what is wrong with the first that has not."""
    for name, digest in sorted(outputs.items()):
        actual = file_sha256(absolute(name))
        if actual is None:
            return f"output {name} missing"
        if actual != digest:
            return f"output {name} changed"
    return ""


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    for name, says in (
        ("sidecar_version", "sidecar format changed"),
        ("package", "package changed"),
        ("notebook_sha256", "notebook changed"),
        ("parameters", "parameters changed"),
    ):
        if old.get(name) != new.get(name):
            return says
    for group in ("inputs", "parts"):
        old_inputs, new_inputs = old.get(group) or {}, new.get(group) or {}
        if not isinstance(old_inputs, dict):
            return "sidecar unreadable"
        changed = sorted(k for k in set(old_inputs) | set(new_inputs) if old_inputs.get(k) != new_inputs.get(k))
        if changed:
            more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
            return f"input {changed[0]} changed{more}"
    return "inputs changed"


def record(step: str, item: str, decision: Decision, outputs: list[Path]) -> Path:
    """After the item succeeded: write its sidecar with the key it ran with and its outputs' hashes."""
    digests = {rel(p): file_sha256(p) for p in outputs}
    sidecar = {
        "key": decision.key,
        "outputs": {k: v for k, v in digests.items() if v is not None},
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = sidecar_path(step, item)
    write_text_atomic(path, json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path


def forget(step: str, item: str) -> None:
    """The item failed or its outputs were replaced: its sidecar goes, so the next run does it again."""
    sidecar_path(step, item).unlink(missing_ok=True)
