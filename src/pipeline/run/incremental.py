"""Incremental runs: a step whose inputs, parameters, notebook and package are what they were when
it last succeeded, and whose outputs are still there as it left them, is skipped.

After a step succeeds, `pipeline run` writes a sidecar (JSON, atomically) beside the document's
interim outputs, `data/interim/<body>/<year>/<step>.sidecar.json`, with the sha256 of each input,
the parameters, the package version and the hash of its source, the notebook's hash, and the
sha256 of each output the step owns. The next run recomputes the same and runs the step only if
anything differs (and says what), or with `--force`.

What each step depends on (STEP_INPUTS):

- 10-clean: its raw document and source.yaml, the reference tables (data/reference/, bar
  READMEs), the notebook, the package. It owns data/interim/<body>/<year>/*.csv and its executed
  notebook; it also rewrites the shared panel data/processed/figures.{csv,parquet}, which it
  checks only for presence (every clean step rebuilds the whole panel from all interim tables).
- 20-compare: the panel data/processed/figures.parquet (all documents and published facts: it
  compares with earlier years and with peers), its raw document and source.yaml (the checks read
  the text), the reference tables, the notebook, the package. It owns its executed notebook and
  shares comparison.csv and checks.csv (checked for presence).
- any other step (the report step, until it is declared here): conservatively, its raw document,
  source.yaml, the reference tables and every file in data/processed/, the notebook, the package.

So a changed raw document re-runs its own clean step, and then the compare step of every
document only if the panel's bytes changed (the panel is deterministic: an edit that changes no
figure changes no byte, and nothing downstream runs). A changed reference table, notebook or
package re-runs the steps that read it. Steps run stage by stage (every clean step, then every
compare step, …), so a compare step always sees the panel with every document in it.

This module reads files and JSON only: deciding to skip imports neither papermill nor pandas.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import __version__, paths
from pipeline.atomic import write_text_atomic
from pipeline.hashing import sha256_of
from pipeline.reference.sources import Source

SIDECAR_VERSION = 1


# ---------------------------------------------------------------- hashing, remembered per file state

_HASHES: dict[tuple[str, int, int, int], str] = {}


def file_sha256(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it does not exist. Each state of a file (inode,
    size, mtime) is hashed once per process, so a run hashes the shared panel once per rewrite."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    digest = _HASHES.get(key)
    if digest is None:
        digest = _HASHES[key] = sha256_of(path)
    return digest


def _tree_sha256(root: Path, pattern: str) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob(pattern)):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update((file_sha256(path) or "").encode())
        h.update(b"\n")
    return h.hexdigest()


def package_fingerprint() -> dict[str, str]:
    """The version and a hash of the package's source: editing the code re-runs what it runs."""
    # every file of the package: the code and the report's template and stylesheet
    return {"version": __version__, "source_sha256": _tree_sha256(Path(__file__).resolve().parents[1], "*")}


# ---------------------------------------------------------------- what each step reads and writes


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(paths.ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


def _reference_files() -> list[Path]:
    return sorted(p for p in paths.REFERENCE.iterdir() if p.is_file() and p.suffix.lower() != ".md")


def reference_digests() -> dict[str, str | None]:
    """The sha256 of each reference table (READMEs aside), by its path in the project."""
    return {_rel(p): file_sha256(p) for p in _reference_files()}


def _raw_files(source: Source) -> list[Path]:
    return [source.path, source.path.parent / "source.yaml"]


def _clean_inputs(source: Source) -> list[Path]:
    return [*_raw_files(source), *_reference_files()]


def _compare_inputs(source: Source) -> list[Path]:
    return [paths.PROCESSED / "figures.parquet", *_raw_files(source), *_reference_files()]


def _default_inputs(source: Source) -> list[Path]:
    processed = sorted(p for p in paths.PROCESSED.glob("*") if p.is_file() and not p.name.startswith("."))
    return [*_raw_files(source), *_reference_files(), *processed]


def _interim_tables(source: Source) -> list[Path]:
    """What the clean step writes for one document (and the report step reads)."""
    interim = paths.interim_dir(source.body, source.report_year)
    return [interim / name for name in ("figures.csv", "layout_repairs.csv", "rejected_numerals.csv")]


def _report_inputs(source: Source) -> list[Path]:
    processed = [paths.PROCESSED / n for n in ("figures.parquet", "comparison.csv", "checks.csv")]
    return [*_raw_files(source), *_reference_files(), *processed, *_interim_tables(source)]


@dataclass(frozen=True)
class StepFiles:
    inputs: Callable[[Source], list[Path]]
    owned: Callable[[Source], list[Path]] = lambda source: []  # outputs whose bytes must be as left
    shared: Callable[[Source], list[Path]] = lambda source: []  # outputs other steps rewrite too: present


STEP_INPUTS: dict[str, StepFiles] = {
    "10-clean.ipynb": StepFiles(
        inputs=_clean_inputs,
        owned=_interim_tables,
        shared=lambda s: [paths.PROCESSED / "figures.csv", paths.PROCESSED / "figures.parquet"],
    ),
    "20-compare.ipynb": StepFiles(
        inputs=_compare_inputs,
        shared=lambda s: [paths.PROCESSED / "comparison.csv", paths.PROCESSED / "checks.csv"],
    ),
    # the report reads the panel, the comparison and checks, and the document's interim tables
    "30-report.ipynb": StepFiles(
        inputs=_report_inputs,
        owned=lambda s: [paths.REPORTS / s.body / f"{s.report_year}.html"],
    ),
}
_DEFAULT = StepFiles(inputs=_default_inputs)


def step_files(step: str) -> StepFiles:
    return STEP_INPUTS.get(step, _DEFAULT)


# ---------------------------------------------------------------- sidecars


def sidecar_path(step: str, source: Source) -> Path:
    return paths.interim_dir(source.body, source.report_year) / f"{Path(step).stem}.sidecar.json"


def executed_path(step: str, source: Source) -> Path:
    return paths.EXECUTED / source.body / str(source.report_year) / step


@dataclass
class Decision:
    run: bool
    reason: str  # why it runs, or "up to date"
    key: dict[str, Any] = field(default_factory=dict)


def _key(step: str, source: Source, parameters: dict[str, Any], package: dict[str, str]) -> dict[str, Any]:
    notebook = paths.NOTEBOOKS / step
    return {
        "sidecar_version": SIDECAR_VERSION,
        "step": step,
        "parameters": parameters,
        "package": package,
        "notebook_sha256": file_sha256(notebook),
        "inputs": {_rel(p): file_sha256(p) for p in step_files(step).inputs(source)},
    }


def _owned(step: str, source: Source) -> list[Path]:
    return [*step_files(step).owned(source), executed_path(step, source)]


def decide(
    step: str, source: Source, parameters: dict[str, Any], package: dict[str, str] | None = None, force: bool = False
) -> Decision:
    """Whether `step` must run for `source`, and why."""
    key = _key(step, source, parameters, package or package_fingerprint())
    if force:
        return Decision(True, "--force", key)
    path = sidecar_path(step, source)
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Decision(True, "never run", key)
    except (OSError, ValueError):
        return Decision(True, "sidecar unreadable", key)
    old_key = old.get("key", {})
    if old_key != key:
        return Decision(True, _what_changed(old_key, key), key)
    for rel, digest in old.get("outputs", {}).items():
        if file_sha256(paths.ROOT / rel) != digest:
            return Decision(True, f"output {rel} missing or changed", key)
    for output in step_files(step).shared(source):
        if not output.is_file():
            return Decision(True, f"output {_rel(output)} missing", key)
    return Decision(False, "up to date", key)


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("sidecar_version") != new["sidecar_version"]:
        return "sidecar format changed"
    if old.get("package") != new["package"]:
        return "package changed"
    if old.get("notebook_sha256") != new["notebook_sha256"]:
        return "notebook changed"
    if old.get("parameters") != new["parameters"]:
        return "parameters changed"
    old_inputs, new_inputs = old.get("inputs", {}), new["inputs"]
    changed = sorted(k for k in set(old_inputs) | set(new_inputs) if old_inputs.get(k) != new_inputs.get(k))
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return f"input {changed[0]} changed{more}"
    return "inputs changed"


def record(step: str, source: Source, decision: Decision) -> Path:
    """After the step succeeded: write its sidecar with the key it ran with and its outputs' hashes."""
    outputs = {_rel(p): file_sha256(p) for p in _owned(step, source)}
    sidecar = {
        "key": decision.key,
        "outputs": {k: v for k, v in outputs.items() if v is not None},
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = sidecar_path(step, source)
    write_text_atomic(path, json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path
