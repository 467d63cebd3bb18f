"""What the runner asks before it starts a notebook, and what a stage records: which documents a
spec names, each step's item keys (pipeline.run.steps declares what they read), the gates of the
compare and report notebooks, and the record of what became of every item.

Light on purpose: `pipeline run` with nothing to do imports this, never pandas or nbconvert.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.atomic import write_text_atomic
from pipeline.errors import UsageError
from pipeline.reference.sources import Source, check_body_year, discover_sources
from pipeline.run import incremental as inc
from pipeline.run import steps

# a document's interim tables, gzip-compressed CSV (pipeline.interim_csv); a sidecar that does not
# record one of them (written by a version that wrote plain .csv) makes its step run again
CLEAN_OUTPUTS = ("figures.csv.gz", "layout_repairs.csv.gz", "rejected_numerals.csv.gz")
COMPARE_OUTPUTS = ("comparison.csv.gz", "checks.csv.gz")


@dataclass
class StepReport:
    step: str
    ran: list[str] = field(default_factory=list)
    up_to_date: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    without_figures: list[str] = field(default_factory=list)  # clean: raw documents in which no figure was found
    parts: dict[str, int] = field(default_factory=dict)  # a corpus step's own account: {"pages rendered": 3, …}


def label(source: Source) -> str:
    return f"{source.body}/{source.report_year}"


# ---------------------------------------------------------------- which documents


def select(documents: str, sources: list[Source] | None = None) -> list[Source]:
    """The documents a spec names: "all", "none", "body", "body/year", or several, comma-separated."""
    if not isinstance(documents, str):
        raise UsageError(f"documents={documents!r}: give 'all', 'none', a body, or body/year")
    spec = documents.strip()
    if spec == "none":
        return []
    everything = discover_sources() if sources is None else sources
    if spec in ("", "all"):
        return everything
    chosen: dict[str, Source] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        body, _, year = part.partition("/")
        check_body_year(body, int(year) if year.isdigit() else (year or 2000))
        hits = [s for s in everything if s.body == body and (not year or str(s.report_year) == year)]
        if not hits:
            have = ", ".join(label(s) for s in everything[:20]) or "none"
            raise UsageError(f"no raw document under {paths.RAW} for {part}; documents there include: {have}")
        chosen.update((label(s), s) for s in hits)
    return [chosen[k] for k in sorted(chosen)]


# ---------------------------------------------------------------- keys


def _common(notebook: str) -> dict[str, Any]:
    return {"package": inc.package_fingerprint(), "notebook_sha256": inc.notebook_sha256(notebook)}


def _raw(source: Source) -> list[Path]:
    return [source.path, source.path.parent / "source.yaml"]


def _in_interim(source: Source, names: tuple[str, ...]) -> list[str]:
    """The document's files `names` in data/interim, as strings: a gate key names 5,000 of them
    at 1,000 documents, and joining strings costs a tenth of building Paths."""
    folder = os.fspath(paths.interim_dir(source.body, source.report_year))
    return [os.path.join(folder, name) for name in names]


def clean_key(source: Source) -> dict[str, Any]:
    return {**_common(steps.CLEAN.notebook), "inputs": inc.hashes([*_raw(source), paths.reference("indicators.yaml")])}


def compare_key(source: Source, body_rows: str, peer_rows: str) -> dict[str, Any]:
    """A body-year's compare: its text (the checks read it), the tables, and the digests of the panel
    rows it reads: its body's (every year) and the peer rows chosen for it. Which changed is the
    reason the step line gives ("input body rows: 10; input peer rows: 2")."""
    tables_in = [paths.reference(n) for n in ("bodies.csv", "indicators.yaml")]
    inputs = inc.hashes([*_raw(source), *tables_in])
    return {
        **_common(steps.COMPARE.notebook),
        "inputs": inputs,
        "parts": {"body rows": body_rows, "peer rows": peer_rows},
    }


def report_key(source: Source, rows_digest: str) -> dict[str, Any]:
    """A report: its source.yaml, its interim tables and comparison parts, the tables, its body's panel rows."""
    interim = [paths.interim_dir(source.body, source.report_year) / n for n in CLEAN_OUTPUTS + COMPARE_OUTPUTS]
    tables_in = [paths.reference(n) for n in ("bodies.csv", "indicators.yaml")]
    inputs = inc.hashes([source.path.parent / "source.yaml", *interim, *tables_in])
    return {**_common(steps.REPORT.notebook), "inputs": inputs, "rows": rows_digest}


def clean_outputs(body: str, year: int) -> list[Path]:
    return [paths.interim_dir(body, year) / name for name in CLEAN_OUTPUTS]


def compare_outputs(body: str, year: int) -> list[Path]:
    return [paths.interim_dir(body, year) / name for name in COMPARE_OUTPUTS]


# the files each per-document step of a gated notebook writes, by step: its sidecar must record each
ITEM_OUTPUTS = {"clean": clean_outputs, "compare": compare_outputs}


def current_tables() -> list[Path]:
    return paths.interim_figure_tables()[0]


def panel_key(tables: list[Path]) -> dict[str, Any]:
    tables_in = [paths.reference(n) for n in ("published_figures.csv", "indicators.yaml", "bodies.csv")]
    return {**_common(steps.PANEL.notebook), "inputs": inc.hashes(tables_in), "parts": inc.hashes(tables)}


def panel_outputs() -> list[Path]:
    return [paths.PROCESSED / "figures.csv", paths.PROCESSED / "figures.parquet"]


def publish_key(sources: list[Source]) -> dict[str, Any]:
    """The publish step: the processed tables, every document's source.yaml, the tables it names bodies and
    indicators by."""
    processed = [paths.PROCESSED / n for n in ("figures.csv", "figures.parquet", "comparison.csv", "checks.csv")]
    tables_in = [paths.reference(n) for n in ("bodies.csv", "indicators.yaml")]
    metas = {label(s): inc.file_sha256(s.path.parent / "source.yaml") for s in sources}
    return {"package": inc.package_fingerprint(), "inputs": inc.hashes([*processed, *tables_in]),
            "parts": {"documents": inc.digest_of(metas)}}  # fmt: skip


def gate_key(notebook: str, sources: list[Source]) -> dict[str, Any]:
    """What a whole compare or report stage reads, file by file: when it and every item's outputs
    are as recorded, `pipeline run` need not start the notebook's kernel at all."""
    processed = ["figures.parquet"] + (["comparison.csv", "checks.csv"] if notebook == steps.REPORT.notebook else [])
    per_doc = CLEAN_OUTPUTS + (COMPARE_OUTPUTS if notebook == steps.REPORT.notebook else ())
    documents = {label(s): inc.digest_of(inc.hashes([*_raw(s), *_in_interim(s, per_doc)])) for s in sources}
    tables_in = [paths.reference(n) for n in ("bodies.csv", "indicators.yaml")]
    return {
        **_common(notebook),
        "inputs": inc.hashes([*(paths.PROCESSED / n for n in processed), *tables_in]),
        "parts": {"documents": inc.digest_of(documents)},
    }


# ---------------------------------------------------------------- what became of the items


def outcome_path(notebook: str) -> Path:
    return paths.corpus_dir() / f"{Path(notebook).stem}.outcome.json"


def write_outcome(notebook: str, reports: list[StepReport]) -> Path:
    text = json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return write_text_atomic(outcome_path(notebook), text)


def read_outcome(notebook: str) -> list[StepReport] | None:
    try:
        stored = json.loads(outcome_path(notebook).read_text(encoding="utf-8"))
        return [StepReport(**r) for r in stored]
    except (OSError, ValueError, TypeError):
        return None
