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
