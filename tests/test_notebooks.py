"""The clean notebook executed by papermill, as `pipeline run` does, in a throw-away copy of the
project so the test never touches the real data/ folders."""

import json
import shutil

import papermill
import pytest

from pipeline import paths
from pipeline.errors import InputNotFound, UsageError
from pipeline.run import runner as run

from .conftest import ROOT


@pytest.fixture
def project(tmp_path, monkeypatch):
    for part in ("data/raw", "data/reference", "notebooks"):
        shutil.copytree(ROOT / part, tmp_path / part)
    monkeypatch.setenv("ANNUAL_FIGURES_ROOT", str(tmp_path))  # read by the kernel's pipeline.paths
    return tmp_path


def _execute(project, name, **parameters):
    out = project / "out" / name
    out.parent.mkdir(exist_ok=True)
    papermill.execute_notebook(
        str(project / "notebooks" / name),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(project / "notebooks"),
        progress_bar=False,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def test_clean_notebook_writes_the_panel_and_is_deterministic(project):
    executed = _execute(project, "10-clean.ipynb", documents="lvliang/2023", jobs=1)
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    processed = project / "data" / "processed"
    interim = project / "data" / "interim" / "lvliang" / "2023"
    for path in (
        processed / "figures.csv",
        processed / "figures.parquet",
        interim / "figures.csv.gz",
        interim / "layout_repairs.csv.gz",
        interim / "rejected_numerals.csv.gz",
    ):
        assert path.is_file(), path
    csv_bytes = (processed / "figures.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    import io

    import pandas as pd

    panel = pd.read_csv(io.BytesIO(csv_bytes), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    seed = panel[panel["source_type"] == "document"]
    assert len(seed) == 61
    first = seed.iloc[0]
    assert (first["start"], first["text"], first["value"], first["indicator_id"]) == ("103", "9次", "9", "sc_sessions")
    lvliang_sessions = panel[(panel["body"] == "lvliang") & (panel["indicator_id"] == "sc_sessions")]
    assert {(r.period_kind, r.value) for r in lvliang_sessions.itertuples()} >= {
        ("calendar_year", "9"),
        ("term_total", "60"),
    }
    assert (panel["source_type"] == "published").sum() == 355
    parquet_bytes = (processed / "figures.parquet").read_bytes()

    (processed / "figures.csv").unlink()  # rebuilt from the parts, to the same bytes
    _execute(project, "10-clean.ipynb", documents="lvliang/2023", jobs=1)
    assert (processed / "figures.csv").read_bytes() == csv_bytes
    assert (processed / "figures.parquet").read_bytes() == parquet_bytes


def test_parameters_are_checked_before_running():
    notebook = paths.NOTEBOOKS / "31-report-one.ipynb"
    run.check_parameters(notebook, {"body": "lvliang", "year": 2023})
    with pytest.raises(UsageError, match="unknown parameter"):
        run.check_parameters(notebook, {"body": "lvliang", "year": 2023, "yaer": 2022})
    with pytest.raises(UsageError, match="not given"):
        run.check_parameters(notebook, {"body": "lvliang"})
    with pytest.raises(UsageError, match="whole number"):
        run.check_parameters(notebook, {"body": "lvliang", "year": "abc"})


@pytest.mark.parametrize("body", ["../lvliang", "lv/liang", "lv\\liang", ".."])
def test_body_is_never_a_path(body):
    with pytest.raises(UsageError, match="not an id"):
        run.run_all(body=body, year=2023)


def test_failed_notebook_is_kept_and_named(project, monkeypatch):
    monkeypatch.setattr(paths, "NOTEBOOKS", project / "notebooks")
    monkeypatch.setattr(paths, "EXECUTED", project / "reports" / "_executed")
    monkeypatch.setattr(paths, "FAILED", project / "reports" / "_failed")
    # a pipeline error raised in a cell keeps its class (and so its exit status)
    with pytest.raises(InputNotFound) as info:
        run.run_notebook("31-report-one.ipynb", {"body": "nosuch", "year": 2023}, "nosuch/2023")
    kept = project / "reports" / "_failed" / "nosuch" / "2023" / "31-report-one.ipynb"
    assert kept.is_file()
    assert str(kept) in str(info.value)
    assert "no raw document for body 'nosuch'" in str(info.value)
    assert not (project / "reports" / "_executed" / "nosuch" / "2023" / "31-report-one.ipynb").exists()
