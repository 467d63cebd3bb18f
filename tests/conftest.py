import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "raw" / "lvliang" / "2023" / "000_27d8ef8a85ace649.txt"

# Hypothesis: a bounded, reproducible profile for every test run (no example database: pytest runs
# with -p no:cacheprovider and a fresh clone must behave like any other), and a long one on demand:
#   HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/test_fuzz.py --hypothesis-show-statistics
_COMMON = {"database": None, "deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile(
    "long", max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "1000")), derandomize=False, **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_bytes().decode("utf-8")


PROJECT_PARTS = ("data/raw", "data/reference", "notebooks")


def copy_project(dest: Path) -> Path:
    """A throw-away copy of the project's inputs (raw documents, reference tables, notebooks)."""
    for part in PROJECT_PARTS:
        shutil.copytree(ROOT / part, dest / part)
    return dest


@pytest.fixture
def project_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the project that pipeline.paths (here and in any kernel started) points to."""
    from pipeline import paths
    from pipeline.reference import indicators

    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("ANNUAL_FIGURES_ROOT", str(root))
    for name, value in {
        "CHECKOUT": root,  # a whole project: no reference table falls back to the real checkout's
        "ROOT": root,
        "DATA": root / "data",
        "RAW": root / "data" / "raw",
        "REFERENCE": root / "data" / "reference",
        "INTERIM": root / "data" / "interim",
        "PROCESSED": root / "data" / "processed",
        "NOTEBOOKS": root / "notebooks",
        "REPORTS": root / "reports",
        "EXECUTED": root / "reports" / "_executed",
        "FAILED": root / "reports" / "_failed",
    }.items():
        monkeypatch.setattr(paths, name, value)
    indicators.default_taxonomy.cache_clear()  # it caches the taxonomy of whichever root it read
    yield root
    indicators.default_taxonomy.cache_clear()
