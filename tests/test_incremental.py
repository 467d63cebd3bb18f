"""Incremental runs: a step runs again when, and only when, something it depends on changed."""

import hashlib
import json
import re
import shutil

import pytest

from pipeline import paths
from pipeline.errors import NotebookFailed
from pipeline.run import incremental
from pipeline.run import runner as run

from .conftest import ROOT, SEED

CLEAN, COMPARE, REPORT = "10-clean.ipynb", "20-compare.ipynb", "30-report.ipynb"
EMPTY_NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away copy of the project; pipeline.paths (here and in the kernel) points into it."""
    for part in ("data/raw", "data/reference", "notebooks"):
        shutil.copytree(ROOT / part, tmp_path / part)
    monkeypatch.setenv("ANNUAL_FIGURES_ROOT", str(tmp_path))
    for name, rel in [
        ("ROOT", ""),
        ("DATA", "data"),
        ("RAW", "data/raw"),
        ("REFERENCE", "data/reference"),
        ("INTERIM", "data/interim"),
        ("PROCESSED", "data/processed"),
        ("NOTEBOOKS", "notebooks"),
        ("REPORTS", "reports"),
        ("EXECUTED", "reports/_executed"),
        ("FAILED", "reports/_failed"),
    ]:
        monkeypatch.setattr(paths, name, tmp_path / rel if rel else tmp_path)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    return tmp_path


def _fake_notebook(calls):
    """Stands in for papermill: the clean step writes the 次 figures of the raw text to interim and
    rebuilds a panel from all interim tables; the compare step writes a row per document."""

    def run_notebook(name, parameters, label):
        body, year = parameters["body"], parameters["year"]
        calls.append((name, label))
        if name == CLEAN:
            folder = paths.raw_dir(body, year)
            text = next(folder.glob("*.txt")).read_text(encoding="utf-8")
            interim = paths.interim_dir(body, year)
            interim.mkdir(parents=True, exist_ok=True)
            figures = "\n".join(re.findall(r"\d+次", text))
            for table in ("figures.csv", "layout_repairs.csv", "rejected_numerals.csv"):
                (interim / table).write_text(figures, encoding="utf-8")
            panel = "".join(p.read_text(encoding="utf-8") for p in sorted(paths.INTERIM.glob("*/*/figures.csv")))
            (paths.PROCESSED / "figures.csv").write_text(panel, encoding="utf-8")
            (paths.PROCESSED / "figures.parquet").write_text(panel, encoding="utf-8")
        else:
            (paths.PROCESSED / "comparison.csv").write_text(label, encoding="utf-8")
            (paths.PROCESSED / "checks.csv").write_text(label, encoding="utf-8")
        executed = paths.EXECUTED / label / name
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text(EMPTY_NOTEBOOK, encoding="utf-8")
        return executed

    return run_notebook


@pytest.fixture
def fake(project, monkeypatch):
    """The clean and compare steps, faked; the report step has a test of its own."""
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(run, "run_notebook", _fake_notebook(calls))
    monkeypatch.setattr(run, "STEPS", [CLEAN, COMPARE])
    return calls


def test_the_report_step_reruns_when_its_html_is_gone_or_what_it_reads_changed(project, monkeypatch):
    from pipeline.report import render

    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(run, "run_notebook", _fake_notebook(calls))
    indexed = []

    def write_index():  # the real one reads real tables; the fake steps write none
        indexed.append(1)
        return paths.REPORTS / "index.html"

    monkeypatch.setattr(render, "write_index", write_index)
    assert run.STEPS == [CLEAN, COMPARE, REPORT]
    html = project / "reports" / "lvliang" / "2023.html"
    assert _ran(run.run_all()) == [CLEAN, COMPARE, REPORT]
    assert html.is_file() and len(indexed) == 1
    (project / "reports" / "index.html").write_text("index", encoding="utf-8")
    assert _ran(run.run_all()) == []
    assert len(indexed) == 1  # nothing ran, the index stands
    html.unlink()
    assert _ran(run.run_all()) == [REPORT]
    assert html.is_file()
    (project / "data" / "processed" / "comparison.csv").write_text("another comparison", encoding="utf-8")
    assert _ran(run.run_all()) == [REPORT]


def _second_year(project):
    """A second document: the seed again as lvliang/2022 (a body/year of its own)."""
    src = project / "data" / "raw" / "lvliang" / "2023"
    dst = project / "data" / "raw" / "lvliang" / "2022"
    shutil.copytree(src, dst)
    meta = dst / "source.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("report_year: 2023", "report_year: 2022"), encoding="utf-8"
    )
    return dst


def _rewrite_raw(folder, transform):
    """Change a raw text and its source.yaml's sha256 together, as a new version would."""
    raw = folder / SEED.name
    data = transform(raw.read_bytes())
    raw.write_bytes(data)
    meta = folder / "source.yaml"
    text = meta.read_text(encoding="utf-8")
    text = re.sub(r"sha256: \w+", f"sha256: {hashlib.sha256(data).hexdigest()}", text)
    # bytes: and characters: are checked when given (a new version updates them, like its sha256)
    text = re.sub(r"bytes: \d+", f"bytes: {len(data)}", text)
    text = re.sub(r"characters: \d+", f"characters: {len(data.decode('utf-8-sig'))}", text)
    meta.write_text(text, encoding="utf-8")


def _ran(results):
    return [r.notebook for r in results if not r.skipped]


def test_nothing_changed_nothing_runs(fake):
    assert _ran(run.run_all()) == [CLEAN, COMPARE]
    assert _ran(run.run_all()) == []
    assert len(fake) == 2


def test_force_runs_everything(fake):
    run.run_all()
    assert _ran(run.run_all(force=True)) == [CLEAN, COMPARE]


def test_a_reference_table_reruns_both_steps(fake, project):
    run.run_all()
    with (project / "data" / "reference" / "indicators.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# a comment is a change\n")
    assert _ran(run.run_all()) == [CLEAN, COMPARE]
    # a README beside the tables is not an input
    (project / "data" / "reference" / "README.md").write_text("changed", encoding="utf-8")
    assert _ran(run.run_all()) == []


def test_a_notebook_reruns_its_step_only(fake, project):
    run.run_all()
    notebook = project / "notebooks" / COMPARE
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _ran(run.run_all()) == [COMPARE]


def test_the_package_reruns_both_steps(fake, monkeypatch):
    run.run_all()
    real = incremental.package_fingerprint()
    monkeypatch.setattr(incremental, "package_fingerprint", lambda: {**real, "source_sha256": "edited"})
    assert _ran(run.run_all()) == [CLEAN, COMPARE]


def _ran_labels(results):
    return [(r.notebook, r.year) for r in results if not r.skipped]


def test_a_raw_document_reruns_its_steps_and_others_only_when_the_panel_changed(fake, project):
    other = _second_year(project)
    assert _ran_labels(run.run_all()) == [(CLEAN, 2022), (CLEAN, 2023), (COMPARE, 2022), (COMPARE, 2023)]
    # a line with no figure in 2022: its own steps run (compare's checks read the text too); the
    # panel keeps its bytes, so the 2023 compare step is skipped, and 2023's clean step of course
    _rewrite_raw(other, lambda data: data + "\n附：本文无数字。\n".encode())
    assert _ran_labels(run.run_all()) == [(CLEAN, 2022), (COMPARE, 2022)]
    # a figure changed in 2022: the panel changes, and 2023 is compared with it again
    _rewrite_raw(other, lambda data: data.replace("召开常委会会议9次".encode(), "召开常委会会议8次".encode(), 1))
    assert _ran_labels(run.run_all()) == [(CLEAN, 2022), (COMPARE, 2022), (COMPARE, 2023)]
    assert _ran_labels(run.run_all()) == []


def test_a_removed_document_leaves_the_panel_and_its_interim_files_are_kept(fake, project, capsys):
    other = _second_year(project)
    run.run_all()
    interim = project / "data" / "interim" / "lvliang" / "2022"
    kept = {p.name: p.read_bytes() for p in interim.iterdir()}
    panel = project / "data" / "processed" / "figures.csv"
    per_document = len(re.findall(r"\d+次", SEED.read_text(encoding="utf-8")))
    assert len(re.findall(r"\d+次", panel.read_text(encoding="utf-8"))) == 2 * per_document
    shutil.rmtree(other)
    capsys.readouterr()
    # the first clean step runs to build the panel without 2022, and what reads the panel follows
    assert _ran_labels(run.run_all()) == [(CLEAN, 2023), (COMPARE, 2023)]
    err = capsys.readouterr().err
    assert "lvliang/2022: its raw document is gone" in err
    assert "10-clean.ipynb lvliang/2023 … (the panel held figures of removed lvliang/2022)" in err
    assert not interim.exists()
    moved = project / "data" / "interim" / ".removed" / "lvliang" / "2022"
    assert {p.name: p.read_bytes() for p in moved.iterdir()} == kept  # nothing lost
    assert len(re.findall(r"\d+次", panel.read_text(encoding="utf-8"))) == per_document
    assert _ran_labels(run.run_all()) == []
    # the same year removed a second time keeps both sets of files
    _second_year(project)
    run.run_all()
    shutil.rmtree(other)
    run.run_all()
    assert (moved.parent / "2022.2").is_dir() and moved.is_dir()


def test_the_panel_leaves_out_a_document_whose_raw_folder_is_gone(project_copy):
    from pipeline import panel
    from pipeline.extract import clean

    clean.clean_document("lvliang", 2023)
    seed_rows = len(panel.build_panel())
    stale = project_copy / "data" / "interim" / "lvliang" / "2019"
    shutil.copytree(project_copy / "data" / "interim" / "lvliang" / "2023", stale)
    assert len(panel.build_panel()) == seed_rows


def test_a_deleted_or_edited_output_reruns_its_step(fake, project):
    run.run_all()
    (project / "data" / "interim" / "lvliang" / "2023" / "layout_repairs.csv").write_text("edited", encoding="utf-8")
    assert _ran(run.run_all()) == [CLEAN]
    (project / "data" / "processed" / "comparison.csv").unlink()
    assert _ran(run.run_all()) == [COMPARE]


def test_the_reason_is_said(fake, project, capsys):
    run.run_all()
    capsys.readouterr()
    with (project / "data" / "reference" / "bodies.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    run.run_all()
    err = capsys.readouterr().err
    assert "10-clean.ipynb lvliang/2023 … (input data/reference/bodies.csv changed)" in err
    run.run_all()
    assert "20-compare.ipynb lvliang/2023 skipped (up to date)" in capsys.readouterr().err


def test_a_failed_step_leaves_no_new_sidecar(fake, project, monkeypatch):
    run.run_all()
    sidecar = project / "data" / "interim" / "lvliang" / "2023" / "10-clean.sidecar.json"
    before = sidecar.read_bytes()

    def failing(name, parameters, label):
        raise NotebookFailed("boom")

    monkeypatch.setattr(run, "run_notebook", failing)
    with pytest.raises(NotebookFailed):
        run.run_all(force=True)
    assert sidecar.read_bytes() == before
    assert not list(sidecar.parent.glob(".*tmp"))


def test_sidecar_records_inputs_parameters_package_notebook_and_outputs(fake, project):
    run.run_all()
    sidecar = json.loads((project / "data/interim/lvliang/2023/10-clean.sidecar.json").read_text(encoding="utf-8"))
    key = sidecar["key"]
    assert key["parameters"] == {"body": "lvliang", "year": 2023}
    assert key["package"]["version"] and len(key["package"]["source_sha256"]) == 64
    assert key["notebook_sha256"] == hashlib.sha256((project / "notebooks" / CLEAN).read_bytes()).hexdigest()
    assert f"data/raw/lvliang/2023/{SEED.name}" in key["inputs"]
    assert "data/reference/published_figures.csv" in key["inputs"]
    assert set(sidecar["outputs"]) == {
        "data/interim/lvliang/2023/figures.csv",
        "data/interim/lvliang/2023/layout_repairs.csv",
        "data/interim/lvliang/2023/rejected_numerals.csv",
        "reports/_executed/lvliang/2023/10-clean.ipynb",
    }


def test_real_notebooks_rerun_nothing_when_nothing_changed(project):
    first = run.run_all()
    assert _ran(first) == [CLEAN, COMPARE, REPORT]
    panel = (project / "data" / "processed" / "figures.csv").read_bytes()
    html = (project / "reports" / "lvliang" / "2023.html").read_bytes()
    assert _ran(run.run_all()) == []
    assert (project / "data" / "processed" / "figures.csv").read_bytes() == panel
    assert (project / "reports" / "lvliang" / "2023.html").read_bytes() == html


def test_the_reference_check_runs_again_only_when_a_table_changed(fake, project, monkeypatch):
    checked = []
    real = run.check_reference
    monkeypatch.setattr(run, "check_reference", lambda: checked.append(1) or real())
    run.run_all()
    run.run_all()
    assert len(checked) == 1  # the same tables, the same code: remembered
    with (project / "data" / "reference" / "bodies.csv").open("a", encoding="utf-8") as handle:
        handle.write("")  # no change in bytes: still remembered
    run.run_all()
    assert len(checked) == 1
    table = project / "data" / "reference" / "indicators.yaml"
    table.write_text(table.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    run.run_all()
    assert len(checked) == 2


def _failing_for(label_to_fail, calls, monkeypatch):
    fake_step = _fake_notebook(calls)

    def run_notebook(name, parameters, label):
        if label == label_to_fail and name == CLEAN:
            calls.append((name, label))
            raise NotebookFailed(f"{name} ({label}) failed in cell 3: ValueError: broken on purpose")
        return fake_step(name, parameters, label)

    monkeypatch.setattr(run, "run_notebook", run_notebook)
    monkeypatch.setattr(run, "STEPS", [CLEAN, COMPARE])


def test_a_failed_document_stops_the_run_unless_asked_to_keep_going(project, monkeypatch, capsys):
    _second_year(project)
    calls: list[tuple[str, str]] = []
    _failing_for("lvliang/2022", calls, monkeypatch)
    with pytest.raises(NotebookFailed):
        run.run_all()
    assert calls == [(CLEAN, "lvliang/2022")]  # stopped at the first failure

    calls.clear()
    capsys.readouterr()
    with pytest.raises(NotebookFailed) as failed:
        run.run_all(keep_going=True)
    # the other document's steps all ran; the failed one's later step did not
    assert calls == [(CLEAN, "lvliang/2022"), (CLEAN, "lvliang/2023"), (COMPARE, "lvliang/2023")]
    assert str(failed.value).startswith("1 of 2 document(s) failed: lvliang/2022: 10-clean.ipynb (lvliang/2022)")
    err = capsys.readouterr().err
    assert "20-compare.ipynb lvliang/2022 not run: an earlier step failed" in err
    # what succeeded is recorded: with the failure fixed, only the failed document's steps run
    monkeypatch.setattr(run, "run_notebook", _fake_notebook(calls))
    calls.clear()
    assert _ran_labels(run.run_all()) == [(CLEAN, 2022), (COMPARE, 2022), (COMPARE, 2023)]
