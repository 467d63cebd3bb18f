import os
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
    "long", max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "2000")), derandomize=False, **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_bytes().decode("utf-8")
