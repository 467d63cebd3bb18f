"""Where things live. Nothing in the package depends on the current directory: papermill runs a
kernel in the caller's folder, nbval and JupyterLab in the notebook's folder.

The *checkout* is where the code, the notebooks and the shipped reference tables are. The *root* is
the data folder a run reads and writes (`data/`, `reports/`): the checkout by default,
`ANNUAL_FIGURES_ROOT` or `pipeline --root DIR` for a corpus kept elsewhere. A reference table in the
root's `data/reference/` overrides the checkout's table of the same name, file by file; the root's
`notebooks/` folder, when it has one, overrides the checkout's.
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_checkout() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "pipeline").is_dir():
            return parent
    override = os.environ.get("ANNUAL_FIGURES_ROOT")
    if override:
        return Path(override).resolve()
    raise RuntimeError(
        f"cannot find the project root above {here}: install the package in editable mode "
        "(pip install -e .) or set ANNUAL_FIGURES_ROOT"
    )


CHECKOUT = _find_checkout()
REMOVED_INTERIM = ".removed"  # data/interim/.removed/<body>/<year>: the work of removed documents, kept

ROOT: Path
DATA: Path
RAW: Path
REFERENCE: Path
INTERIM: Path
PROCESSED: Path
NOTEBOOKS: Path
REPORTS: Path
EXECUTED: Path
FAILED: Path


def set_root(root: str | os.PathLike[str] | None) -> Path:
    """Point every path of the package at `root` (None: ANNUAL_FIGURES_ROOT, else the checkout).

    The environment variable is set too, so a kernel or worker started afterwards finds the same root."""
    global ROOT, DATA, RAW, REFERENCE, INTERIM, PROCESSED, NOTEBOOKS, REPORTS, EXECUTED, FAILED
    if root is None:
        root = os.environ.get("ANNUAL_FIGURES_ROOT") or CHECKOUT
    ROOT = Path(root).resolve()
    if ROOT != CHECKOUT:
        os.environ["ANNUAL_FIGURES_ROOT"] = str(ROOT)
    DATA = ROOT / "data"
    RAW = DATA / "raw"
    REFERENCE = DATA / "reference"
    INTERIM = DATA / "interim"
    PROCESSED = DATA / "processed"
    NOTEBOOKS = ROOT / "notebooks" if (ROOT / "notebooks").is_dir() else CHECKOUT / "notebooks"
    REPORTS = ROOT / "reports"
    EXECUTED = REPORTS / "_executed"
    FAILED = REPORTS / "_failed"
    return ROOT


set_root(None)


def reference(name: str) -> Path:
    """A reference table: the root's data/reference/<name> when it has one, else the checkout's."""
    own = REFERENCE / name
    if own.is_file() or ROOT == CHECKOUT:
        return own
    shipped = CHECKOUT / "data" / "reference" / name
    return shipped if shipped.is_file() else own


def reference_tables() -> list[Path]:
    """Every reference table in force (READMEs aside), by name: the root's over the checkout's."""
    folders = [CHECKOUT / "data" / "reference", REFERENCE] if ROOT != CHECKOUT else [REFERENCE]
    names = sorted(
        {p.name for f in folders if f.is_dir() for p in f.iterdir() if p.is_file() and p.suffix.lower() != ".md"}
    )
    return [reference(name) for name in names]


def raw_dir(body: str, year: int) -> Path:
    return RAW / body / str(year)


def interim_dir(body: str, year: int) -> Path:
    return INTERIM / body / str(year)


def corpus_dir() -> Path:
    """data/interim/.corpus: the sidecars and run records of steps over the whole corpus."""
    return INTERIM / ".corpus"


def interim_figure_tables(
    interim_root: Path | None = None, raw_root: Path | None = None
) -> tuple[list[Path], list[Path]]:
    """The interim figure tables (data/interim/<body>/<year>/figures.csv.gz, or the plain
    figures.csv an older version left where no .csv.gz replaced it yet) whose raw document is
    still there, and those whose raw folder (with its source.yaml) was removed or renamed: their
    figures must leave the panel."""
    current, orphaned = [], []
    root = interim_root or INTERIM
    gz = {t.parent: t for t in root.glob("*/*/figures.csv.gz")}
    plain = {t.parent: t for t in root.glob("*/*/figures.csv") if t.parent not in gz}
    for table in sorted([*gz.values(), *plain.values()]):
        raw = (raw_root or RAW) / table.parent.parent.name / table.parent.name
        (current if (raw / "source.yaml").is_file() else orphaned).append(table)
    return current, orphaned
