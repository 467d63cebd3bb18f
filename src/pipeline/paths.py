"""Where things live. Nothing in the package depends on the current directory: papermill runs a
kernel in the caller's folder, nbval and JupyterLab in the notebook's folder."""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    override = os.environ.get("ANNUAL_FIGURES_ROOT")
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "pipeline").is_dir():
            return parent
    raise RuntimeError(
        f"cannot find the project root above {here}: install the package in editable mode "
        "(pip install -e .) or set ANNUAL_FIGURES_ROOT"
    )


ROOT = _find_root()
DATA = ROOT / "data"
RAW = DATA / "raw"
REFERENCE = DATA / "reference"
INTERIM = DATA / "interim"
PROCESSED = DATA / "processed"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
EXECUTED = REPORTS / "_executed"
FAILED = REPORTS / "_failed"


def raw_dir(body: str, year: int) -> Path:
    return RAW / body / str(year)


def interim_dir(body: str, year: int) -> Path:
    return INTERIM / body / str(year)


def interim_figure_tables(
    interim_root: Path | None = None, raw_root: Path | None = None
) -> tuple[list[Path], list[Path]]:
    """The interim figure tables (data/interim/<body>/<year>/figures.csv) whose raw document is
    still there, and those whose raw folder (with its source.yaml) was removed or renamed: their
    figures must leave the panel."""
    current, orphaned = [], []
    for table in sorted((interim_root or INTERIM).glob("*/*/figures.csv")):
        raw = (raw_root or RAW) / table.parent.parent.name / table.parent.name
        (current if (raw / "source.yaml").is_file() else orphaned).append(table)
    return current, orphaned


REMOVED_INTERIM = ".removed"  # data/interim/.removed/<body>/<year>: the work of removed documents, kept
