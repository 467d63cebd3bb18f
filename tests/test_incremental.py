"""Incremental runs: an item of a step runs again when, and only when, something it reads changed
or an output it wrote is not as it left it. The notebooks' package calls run in this process
(run_notebook stands in for papermill), so each test is a slice of the real pipeline."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pandas as pd
import pytest

from pipeline import paths
from pipeline.errors import NotebookFailed
from pipeline.run import incremental, kernels, stages
from pipeline.run import runner as run

from .conftest import ROOT, SEED

CLEAN, COMPARE, REPORT = "10-clean.ipynb", "20-compare.ipynb", "30-report.ipynb"
EMPTY_NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
STAGE = {CLEAN: stages.clean_stage, COMPARE: stages.compare_stage, REPORT: stages.report_stage}
PATH_NAMES = ("ROOT", "DATA", "RAW", "REFERENCE", "INTERIM", "PROCESSED", "NOTEBOOKS", "REPORTS", "EXECUTED", "FAILED")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away copy of the project; pipeline.paths points into it (restored afterwards)."""
    from pipeline.reference import indicators

    for part in ("data/raw", "data/reference", "notebooks"):
        shutil.copytree(ROOT / part, tmp_path / part)
    monkeypatch.setenv("ANNUAL_FIGURES_ROOT", str(tmp_path))
    for name in PATH_NAMES:
        monkeypatch.setattr(paths, name, getattr(paths, name))
    paths.set_root(tmp_path)
    indicators.default_taxonomy.cache_clear()
    yield tmp_path
    indicators.default_taxonomy.cache_clear()


@pytest.fixture
def calls(project, monkeypatch):
    """Each notebook, run as its one package call in this process; the notebooks started, in order."""
    started: list[str] = []

    def run_notebook(name, parameters, label):
        started.append(name)
        STAGE[name](**{**parameters, "jobs": 1})
        executed = paths.EXECUTED / name
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text(EMPTY_NOTEBOOK, encoding="utf-8")
        return executed

    monkeypatch.setattr(run, "run_notebook", run_notebook)
    return started


def _ran(results):
    """(step, item) of everything that ran."""
    return sorted((r.step, item) for r in results for item in r.items)


def _second_year(project, year=2022):
    """A second document: the seed again as lvliang/<year> (a body/year of its own)."""
    src = project / "data" / "raw" / "lvliang" / "2023"
    dst = project / "data" / "raw" / "lvliang" / str(year)
    shutil.copytree(src, dst)
    meta = dst / "source.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("report_year: 2023", f"report_year: {year}"), encoding="utf-8"
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


EVERYTHING = [("clean", "lvliang/2023"), ("compare", "lvliang/2023"), ("index", "corpus"), ("panel", "corpus"),
              ("publish", "corpus"), ("report", "lvliang/2023"), ("tables", "corpus")]  # fmt: skip


def test_nothing_changed_no_notebook_starts(calls, project):
    assert _ran(run.run_all()) == EVERYTHING
    assert calls == [CLEAN, COMPARE, REPORT]
    panel = (project / "data" / "processed" / "figures.csv").read_bytes()
    html = (project / "reports" / "lvliang" / "2023.html").read_bytes()
    assert _ran(run.run_all()) == []
    assert calls == [CLEAN, COMPARE, REPORT]  # not one kernel the second time
    assert (project / "data" / "processed" / "figures.csv").read_bytes() == panel
    assert (project / "reports" / "lvliang" / "2023.html").read_bytes() == html


def test_force_runs_everything(calls):
    run.run_all()
    assert _ran(run.run_all(force=True)) == EVERYTHING


def test_a_reference_table_reruns_what_reads_it(calls, project):
    run.run_all()
    with (project / "data" / "reference" / "indicators.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# a comment is a change\n")
    # every step that reads it runs; the tables and the index, whose parts kept their bytes, do not (the
    # publish step reads the taxonomy, and finds no page whose indicator or rows changed)
    assert _ran(run.run_all()) == [e for e in EVERYTHING if e[0] not in ("tables", "index")]
    (project / "data" / "reference" / "README.md").write_text("changed", encoding="utf-8")
    assert _ran(run.run_all()) == []  # a README beside the tables is not an input


def test_a_notebook_reruns_its_own_steps_only(calls, project):
    run.run_all()
    notebook = project / "notebooks" / COMPARE
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _ran(run.run_all()) == [("compare", "lvliang/2023")]


def test_the_package_reruns_everything(calls, monkeypatch):
    run.run_all()
    real = incremental.package_fingerprint()
    monkeypatch.setattr(incremental, "package_fingerprint", lambda: {**real, "source_sha256": "edited"})
    assert _ran(run.run_all()) == EVERYTHING


def test_a_changed_document_reruns_its_own_work_and_its_bodys_only_when_its_figures_changed(calls, project):
    other = _second_year(project)
    run.run_all()
    # a line with no figure in 2022: its own clean, compare (the checks read the text) and report (its
    # source.yaml changed) run, and the publish step (documents.csv holds the file's sha256); the panel
    # and the tables keep their bytes, and nothing of 2023's runs
    _rewrite_raw(other, lambda data: data + "\n附：本文无数字。\n".encode())
    assert _ran(run.run_all()) == [
        ("clean", "lvliang/2022"), ("compare", "lvliang/2022"), ("publish", "corpus"), ("report", "lvliang/2022")
    ]  # fmt: skip
    # a figure changed in 2022: the panel changes, and so do the rows 2023 is compared with
    _rewrite_raw(other, lambda data: data.replace("召开常委会会议9次".encode(), "召开常委会会议8次".encode(), 1))
    ran = _ran(run.run_all())
    assert ran == [
        ("clean", "lvliang/2022"), ("compare", "lvliang/2022"), ("compare", "lvliang/2023"), ("index", "corpus"),
        ("panel", "corpus"), ("publish", "corpus"), ("report", "lvliang/2022"), ("report", "lvliang/2023"),
        ("tables", "corpus"),
    ]  # fmt: skip
    assert _ran(run.run_all()) == []


def test_a_body_of_another_level_is_not_recompared(calls, project):
    """Adding a document of a body that is no peer re-runs its own work, not the other bodies' compare."""
    run.run_all()
    folder = project / "data" / "raw" / "huzhou" / "2023"  # huzhou is a peer of lvliang (same level)
    province = _body_of_level(project, exclude="municipal")
    folder = project / "data" / "raw" / province / "2023"
    shutil.copytree(project / "data" / "raw" / "lvliang" / "2023", folder)
    meta = folder / "source.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("body: lvliang", f"body: {province}"), encoding="utf-8")
    ran = _ran(run.run_all())
    assert ("clean", f"{province}/2023") in ran and ("compare", f"{province}/2023") in ran
    assert ("compare", "lvliang/2023") not in ran and ("clean", "lvliang/2023") not in ran


def _body_of_level(project, exclude):
    import csv

    with (project / "data" / "reference" / "bodies.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return next(r["body"] for r in rows if r["level"] != exclude)


def test_a_removed_document_leaves_the_panel_and_its_interim_files_are_kept(calls, project, capsys):
    other = _second_year(project)
    run.run_all()
    interim = project / "data" / "interim" / "lvliang" / "2022"
    kept = {p.name: p.read_bytes() for p in interim.iterdir()}
    shutil.rmtree(other)
    capsys.readouterr()
    ran = _ran(run.run_all())
    assert ("panel", "corpus") in ran and ("clean", "lvliang/2023") not in ran
    err = capsys.readouterr().err
    assert "lvliang/2022: its raw document is gone" in err
    assert not interim.exists()
    moved = project / "data" / "interim" / ".removed" / "lvliang" / "2022"
    assert {p.name: p.read_bytes() for p in moved.iterdir()} == kept  # nothing lost
    import pandas as pd

    panel = pd.read_parquet(project / "data" / "processed" / "figures.parquet")
    assert set(panel.loc[panel["source_type"] == "document", "report_year"]) == {2023}
    assert _ran(run.run_all()) == []


@pytest.mark.parametrize(
    ("output", "step"),
    [
        ("data/interim/lvliang/2023/layout_repairs.csv.gz", "clean"),
        ("data/processed/figures.csv", "panel"),
        ("data/processed/figures.parquet", "panel"),
        ("data/processed/comparison.csv", "tables"),
        ("data/interim/lvliang/2023/checks.csv.gz", "compare"),
        ("reports/lvliang/2023.html", "report"),
        ("reports/index.html", "index"),
        ("reports/indicators/sc_sessions.html", "publish"),
        ("reports/indicators/sc_sessions.csv.gz", "publish"),
        ("data/processed/annual_figures.sqlite", "publish"),
        ("data/processed/datapackage.json", "publish"),
    ],
)
def test_a_corrupted_or_deleted_output_is_rebuilt(calls, project, output, step):
    """issue 16 bug 1: an output recorded in a sidecar is checked by its hash, not for presence."""
    run.run_all()
    path = project / output
    good = path.read_bytes()
    path.write_text("garbage\n", encoding="utf-8")
    ran = _ran(run.run_all())
    assert (step, "corpus" if step in ("panel", "tables", "publish", "index") else "lvliang/2023") in ran
    assert path.read_bytes() == good
    path.unlink()
    run.run_all()
    assert path.read_bytes() == good


@pytest.mark.parametrize("content", ["[1, 2]", "42", '{"outputs": {}}', '{"key": [], "outputs": {}}', "not json"])
def test_a_sidecar_that_is_not_a_sidecar_is_unreadable(calls, project, capsys, content):
    """issue 16 bug 9: valid JSON that is not the expected object counts as "sidecar unreadable"."""
    run.run_all()
    (project / "data" / "interim" / "lvliang" / "2023" / "clean.sidecar.json").write_text(content, encoding="utf-8")
    capsys.readouterr()
    assert ("clean", "lvliang/2023") in _ran(run.run_all())
    assert "10-clean.ipynb: runs (clean lvliang/2023: sidecar unreadable)" in capsys.readouterr().err


def test_the_reason_is_said_and_a_first_run_is_called_one(calls, project, capsys):
    run.run_all()
    assert "10-clean.ipynb: runs (clean lvliang/2023: first run)" in capsys.readouterr().err
    with (project / "data" / "reference" / "indicators.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    run.run_all()
    assert "input data/reference/indicators.yaml changed" in capsys.readouterr().err
    run.run_all()
    assert "compare: 20-compare.ipynb; skipped: up to date" in capsys.readouterr().err


def test_a_failed_document_is_named_and_the_others_go_on(calls, project, monkeypatch, capsys):
    _second_year(project)
    real = stages._clean_one

    def clean_one(item):
        if item == ("lvliang", 2022):
            raise NotebookFailed("broken on purpose")
        return real(item)

    monkeypatch.setattr(stages, "_clean_one", clean_one)
    with pytest.raises(NotebookFailed) as failed:
        run.run_all()
    assert str(failed.value).startswith("1 of 2 document(s) failed: lvliang/2022: clean: broken on purpose")
    assert (project / "reports" / "lvliang" / "2023.html").is_file()  # the other went all the way
    assert not (project / "data" / "interim" / "lvliang" / "2022" / "clean.sidecar.json").exists()
    assert "clean lvliang/2022; failed: broken on purpose" in capsys.readouterr().err
    # fixed: only the failed document's work, and what reads it, runs
    monkeypatch.setattr(stages, "_clean_one", real)
    ran = _ran(run.run_all())
    assert ("clean", "lvliang/2022") in ran and ("clean", "lvliang/2023") not in ran


def test_fail_fast_stops_after_the_stage_of_the_first_failure(calls, project, monkeypatch):
    _second_year(project)
    monkeypatch.setattr(stages, "_clean_one", lambda item: (_ for _ in ()).throw(NotebookFailed("no")))
    with pytest.raises(NotebookFailed):
        run.run_all(fail_fast=True)
    assert calls == [CLEAN]


def test_sidecar_records_inputs_package_notebook_and_outputs(calls, project):
    run.run_all()
    sidecar = json.loads((project / "data/interim/lvliang/2023/clean.sidecar.json").read_text(encoding="utf-8"))
    key = sidecar["key"]
    assert key["package"]["version"] and len(key["package"]["source_sha256"]) == 64
    assert key["notebook_sha256"] == hashlib.sha256((project / "notebooks" / CLEAN).read_bytes()).hexdigest()
    assert f"data/raw/lvliang/2023/{SEED.name}" in key["inputs"]
    assert "data/reference/indicators.yaml" in key["inputs"]
    assert set(sidecar["outputs"]) == {
        "data/interim/lvliang/2023/figures.csv.gz",
        "data/interim/lvliang/2023/layout_repairs.csv.gz",
        "data/interim/lvliang/2023/rejected_numerals.csv.gz",
    }
    corpus = json.loads((project / "data/interim/.corpus/panel.sidecar.json").read_text(encoding="utf-8"))
    assert set(corpus["key"]["parts"]) == {"data/interim/lvliang/2023/figures.csv.gz"}


def test_the_reference_check_runs_again_only_when_a_table_changed(calls, project, monkeypatch):
    from pipeline.run import preflight

    checked = []
    real = preflight.check_reference
    monkeypatch.setattr(preflight, "check_reference", lambda: checked.append(1) or real())
    run.run_all()
    run.run_all()
    assert len(checked) == 1
    table = project / "data" / "reference" / "indicators.yaml"
    table.write_text(table.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    run.run_all()
    assert len(checked) == 2


def test_a_run_with_nothing_to_do_imports_neither_pandas_nor_the_extractor(calls, project):
    """The no-op run's cost at 1,000 documents is mostly imports: pandas alone took 0.5 s of 1.2 s."""
    run.run_all()
    probe = (
        "import sys; from pipeline import cli; code = cli.main(['run']); "
        "print(code, sorted(m for m in ('pandas', 'pipeline.extract.figures', 'papermill') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert result.stdout.split("\n")[-2] == "0 []", result.stdout + result.stderr[-2000:]
    assert "0 item(s) run" in result.stderr


def test_the_panel_updated_from_parts_is_byte_identical_to_a_full_build(project, tmp_path):
    from pipeline import panel
    from pipeline.extract import clean

    _second_year(project)
    _second_year(project, 2021)
    for year in (2021, 2022, 2023):
        clean.clean_document("lvliang", year)
    tables = stages.current_tables()
    full = tmp_path / "full"
    full.mkdir()
    panel.build_panel(processed_root=full)
    partial = tmp_path / "partial"
    partial.mkdir()
    panel.update_panel(tables[:2], None, partial)  # last time: two documents
    _, read = panel.update_panel(tables, {tables[2]}, partial)  # now: the third added, alone read
    assert read == 1
    for name in ("figures.csv", "figures.parquet"):
        assert (partial / name).read_bytes() == (full / name).read_bytes()


def test_the_tables_laid_from_their_parts_are_the_tables_pandas_builds(calls, project):
    from pipeline.atomic import write_processed_csv
    from pipeline.compare.step import TABLES, assemble_tables
    from pipeline.csv_safety import restore_frame

    _second_year(project)
    run.run_all()
    processed = project / "data" / "processed"
    whole = {n: (processed / n).read_bytes() for n in TABLES}
    items = [("lvliang", 2022), ("lvliang", 2023)]
    # comparison parts are laid as they are; checks parts are in another order, read and sorted
    # the part that changed is read; the other's lines are copied from the tables run_all wrote
    assert assemble_tables(items, {("lvliang", 2022)}) == {"parts_read": 2, "parts_parsed": 1}
    assert {n: (processed / n).read_bytes() for n in whole} == whole
    assert assemble_tables(items, None) == {"parts_read": 4, "parts_parsed": 2}
    assert {n: (processed / n).read_bytes() for n in whole} == whole
    for name, keys in TABLES.items():  # the same bytes as every part read, concatenated and sorted by pandas
        parts = [project / "data" / "interim" / b / str(y) / f"{name}.gz" for b, y in items]
        frames = [restore_frame(pd.read_csv(p, dtype=str, keep_default_na=False)) for p in parts]
        table = pd.concat(frames, ignore_index=True).sort_values(keys, kind="mergesort")
        write_processed_csv(processed / "pandas.csv", table)
        assert (processed / "pandas.csv").read_bytes() == whole[name]


def test_a_part_with_other_columns_is_aligned_to_the_table(calls, project):
    from pipeline.compare.step import assemble_tables

    _second_year(project)
    run.run_all()
    part = project / "data" / "interim" / "lvliang" / "2022" / "comparison.csv.gz"
    frame = pd.read_csv(part, dtype=str, keep_default_na=False)
    part.unlink()  # as an older version left it: plain CSV, without the coverage column
    frame.drop(columns="coverage").to_csv(part.with_suffix(""), index=False, lineterminator="\n")
    assert assemble_tables([("lvliang", 2022), ("lvliang", 2023)]) == {"parts_read": 4, "parts_parsed": 3}
    table = pd.read_csv(project / "data" / "processed" / "comparison.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(frame.columns)
    old = table[table["report_year"] == "2022"]
    assert len(old) == len(frame) and set(old["coverage"]) == {""} and "reported" in set(table["coverage"])


def test_the_hash_memory_trusts_only_what_is_older_than_its_writing(project, monkeypatch):
    path = project / "data" / "interim" / "file.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"first")
    old = time.time() - 60
    os.utime(path, (old, old))
    memory = incremental.HashMemory(project / "data" / "interim" / ".hashes.json")
    assert memory.sha256(path, os.stat(path)) == hashlib.sha256(b"first").hexdigest()
    memory.save()
    again = incremental.HashMemory(memory.path)
    hashed = []
    monkeypatch.setattr(incremental, "sha256_of", lambda p: hashed.append(p) or "rehashed")
    assert again.sha256(path, os.stat(path)) == hashlib.sha256(b"first").hexdigest() and hashed == []
    # the same size, rewritten just now: a recent mtime is never trusted, whatever the entry says
    path.write_bytes(b"other")
    st = os.stat(path)
    again.entries[again.key(path)] = [st.st_size, st.st_mtime_ns, "stale"]
    assert again.sha256(path, st) == "rehashed"


def test_a_data_folder_copied_with_its_timestamps_keeps_its_hash_memory(tmp_path, monkeypatch):
    """The memory names a file by its path inside the data folder: a copy made with its mtimes
    (cp -a, rsync -t) trusts the copied entries, and a file it changed is hashed again."""
    first = tmp_path / "first"
    kept, changed = first / "data" / "processed" / "kept.csv", first / "data" / "processed" / "changed.csv"
    kept.parent.mkdir(parents=True)
    (first / "data" / "interim").mkdir()
    old = time.time() - 60
    outside = tmp_path / "outside.txt"
    for path in (kept, changed, outside):
        path.write_bytes(path.name.encode())
        os.utime(path, (old, old))
    memory = incremental.HashMemory(first / "data" / "interim" / ".hashes.json")
    for path in (kept, changed, outside):
        memory.sha256(path, os.stat(path))
    memory.entries[str(kept)] = memory.entries[memory.key(kept)]  # as an older version named it
    memory.save()
    stored = json.loads(memory.path.read_text(encoding="utf-8"))["entries"]
    assert sorted(stored) == sorted(["data/processed/kept.csv", "data/processed/changed.csv", str(outside)])
    second = tmp_path / "second"
    shutil.copytree(first, second)  # copy2: the mtimes come along
    moved = second / "data" / "processed" / "changed.csv"
    moved.write_bytes(b"now other bytes")
    os.utime(moved, (old + 1, old + 1))
    hashed = []
    monkeypatch.setattr(incremental, "sha256_of", lambda p: hashed.append(p) or "rehashed")
    again = incremental.HashMemory(second / "data" / "interim" / ".hashes.json")
    kept_copy = second / "data" / "processed" / "kept.csv"
    assert again.sha256(kept_copy, os.stat(kept_copy)) == hashlib.sha256(b"kept.csv").hexdigest()
    assert again.sha256(moved, os.stat(moved)) == "rehashed" and hashed == [moved]


def test_a_hash_is_trusted_by_when_it_began_and_the_file_systems_tick(project, monkeypatch):
    """An entry records when its hashing began: a file whose mtime is older than that by more than
    the timestamp resolution cannot have changed unseen. Sub-second mtimes: 0.1 s is enough, so the
    next process of a run need not hash a file the last one wrote seconds ago; whole-second mtimes
    keep two seconds."""
    path = project / "data" / "interim" / "file.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"first")
    memory = incremental.HashMemory(project / "data" / "interim" / ".hashes.json")
    hashed = []
    monkeypatch.setattr(incremental, "sha256_of", lambda p: hashed.append(p) or "digest")
    now = time.time_ns()
    for mtime, began, trusted in [
        (now - 500_000_000 + 1, now, True),  # fine mtime, hashed 0.5 s after it was written
        (now - 50_000_000 + 1, now, False),  # fine mtime, hashed within the tick margin
        ((now // 10**9 - 1) * 10**9, (now // 10**9) * 10**9 + 500_000_000, False),  # whole seconds, 1.5 s
        ((now // 10**9 - 3) * 10**9, (now // 10**9) * 10**9, True),  # whole seconds, 3 s
    ]:
        os.utime(path, ns=(mtime, mtime))
        st = os.stat(path)
        memory.entries[memory.key(path)] = [st.st_size, st.st_mtime_ns, "remembered", began]
        hashed.clear()
        assert memory.sha256(path, st) == ("remembered" if trusted else "digest"), (mtime, began)
        assert hashed == ([] if trusted else [path])
    # rewritten with the same size and, on a coarse clock, the same mtime just after its hashing began
    os.utime(path, ns=(now, now))
    st = os.stat(path)
    memory.entries[memory.key(path)] = [st.st_size, st.st_mtime_ns, "stale", now + 1_000_000]
    assert memory.sha256(path, st) == "digest"
    assert memory.entries[memory.key(path)][:3] == [st.st_size, st.st_mtime_ns, "digest"]
    assert memory.entries[memory.key(path)][3] >= now


def test_a_saved_memory_keeps_what_another_process_saved_meanwhile(project, monkeypatch):
    """The runner reads the memory before a stage's kernel hashes its outputs into its own copy
    and saves it; the runner's save at the end must not drop those entries (the next no-op run
    hashed every report again), nor let an older state of a file win over a newer one."""
    folder = project / "data" / "interim"
    folder.mkdir(parents=True, exist_ok=True)
    old = time.time() - 60
    files = {}
    for name in ("runner.txt", "stage.txt", "both.txt"):
        files[name] = folder / name
        files[name].write_bytes(name.encode())
        os.utime(files[name], (old, old))
    runner_memory = incremental.HashMemory(folder / ".hashes.json")
    stage_memory = incremental.HashMemory(folder / ".hashes.json")
    runner_memory.sha256(files["both.txt"], os.stat(files["both.txt"]))
    stage_memory.sha256(files["stage.txt"], os.stat(files["stage.txt"]))
    files["both.txt"].write_bytes(b"rewritten by the stage")  # a later state, seen only by the stage
    os.utime(files["both.txt"], (old + 1, old + 1))
    stage_memory.sha256(files["both.txt"], os.stat(files["both.txt"]))
    stage_memory.save()
    runner_memory.sha256(files["runner.txt"], os.stat(files["runner.txt"]))
    runner_memory.save()
    hashed = []
    monkeypatch.setattr(incremental, "sha256_of", lambda p: hashed.append(p) or "rehashed")
    later = incremental.HashMemory(folder / ".hashes.json")
    assert {name: later.sha256(path, os.stat(path)) for name, path in files.items()} == {
        "runner.txt": hashlib.sha256(b"runner.txt").hexdigest(),
        "stage.txt": hashlib.sha256(b"stage.txt").hexdigest(),
        "both.txt": hashlib.sha256(b"rewritten by the stage").hexdigest(),
    }
    assert hashed == []


def test_every_step_line_ends_with_its_outcome_and_duration():
    """issue 17: one formatting function for every step line."""
    assert run.step_line("clean", "3 run, 38 up to date", "done", 2.14) == "clean: 3 run, 38 up to date; done in 2.1 s"
    assert run.step_line("panel", "10-clean.ipynb", "skipped") == "panel: 10-clean.ipynb; skipped: up to date"
    assert run.step_line("report lvliang/2023", "", "failed: boom") == "report lvliang/2023; failed: boom"
    assert run.step_line("10-clean.ipynb", "", "failed: boom", 1.0) == "10-clean.ipynb; failed: boom after 1.0 s"


def test_the_readme_lists_the_declared_steps():
    from pipeline.run import steps

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert steps.steps_table() in readme


def test_the_next_run_removes_what_a_killed_run_left_on_its_way_into_data_processed(project):
    """A run killed while writing data/processed leaves its temporary files (the database's work
    copy is as large as the database): the next run, under the lock, removes them and nothing else."""
    paths.PROCESSED.mkdir(parents=True, exist_ok=True)
    left = [paths.PROCESSED / ".annual_figures.sqlite.x1.work", paths.PROCESSED / ".annual_figures.sqlite.x2.tmp",
            paths.PROCESSED / ".figures.csv.x3.tmp"]  # fmt: skip
    kept = [paths.PROCESSED / "figures.csv", paths.PROCESSED / "notes.tmp"]
    for path in left + kept:
        path.write_bytes(b"partial")
    run.reap_orphans()
    assert not any(p.exists() for p in left) and all(p.exists() for p in kept)


def test_the_next_run_reaps_the_workers_a_killed_kernel_left_behind(project):
    """issue 16: a process whose environment carries this project's kernel mark (a kernel, or a pool
    worker it started) is killed by the next run; one without the mark, or with another project's,
    is not. The mark is in the environment from the start, so no pid needs to have been recorded."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    ours = {**os.environ, kernels.KERNEL_MARK: kernels._kernel_mark()}
    others = {**os.environ, kernels.KERNEL_MARK: kernels._kernel_mark() + "-elsewhere"}
    worker = subprocess.Popen(sleeper, env=ours, start_new_session=True)
    stranger = subprocess.Popen(sleeper, env=others, start_new_session=True)
    bystander = subprocess.Popen(sleeper, start_new_session=True)
    try:
        assert run.reap_orphans() == [worker.pid]
        assert worker.wait(timeout=30) == -9
        assert stranger.poll() is None and bystander.poll() is None
    finally:
        for process in (worker, stranger, bystander):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_the_reaping_goes_on_until_no_marked_process_is_left(project, monkeypatch):
    """An orphaned kernel keeps running its cell, so between the scan that finds it and its death
    it can start a worker the scan never saw. Here that worker is started right after the first
    scan: reap_orphans scans again and kills it too."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    ours = {**os.environ, kernels.KERNEL_MARK: kernels._kernel_mark()}
    kernel = subprocess.Popen(sleeper, env=ours, start_new_session=True)
    late: list[subprocess.Popen] = []
    scan = kernels._marked_processes

    def scan_then_a_worker_starts(mark):
        found = scan(mark)
        if not late:
            late.append(subprocess.Popen(sleeper, env=ours, start_new_session=True))
        return found

    monkeypatch.setattr(kernels, "_marked_processes", scan_then_a_worker_starts)
    try:
        assert run.reap_orphans() == [kernel.pid, late[0].pid]
        assert kernel.wait(timeout=30) == -9 and late[0].wait(timeout=30) == -9
    finally:
        for process in (kernel, *late):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_a_recorded_output_is_never_looked_for_in_the_checkout(project, tmp_path, monkeypatch):
    """A data folder whose output is gone re-runs its item, even when the checkout has that file."""
    checkout = tmp_path / "checkout"
    for rel in ("data/interim/lvliang/2023/figures.csv.gz", "data/reference/only-shipped.csv", "notebooks/x.ipynb"):
        (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
        (checkout / rel).write_text("x", encoding="utf-8")
    monkeypatch.setattr(paths, "CHECKOUT", checkout)
    monkeypatch.setattr(paths, "NOTEBOOKS", checkout / "notebooks")
    assert (
        incremental.absolute("data/interim/lvliang/2023/figures.csv.gz")
        == project / "data/interim/lvliang/2023/figures.csv.gz"
    )
    assert incremental.outputs_problem({"data/interim/lvliang/2023/figures.csv.gz": "0" * 64}).endswith("missing")
    assert incremental.absolute("data/reference/only-shipped.csv") == checkout / "data/reference/only-shipped.csv"
    assert incremental.absolute("data/reference/bodies.csv") == project / "data/reference/bodies.csv"
    assert incremental.absolute("notebooks/x.ipynb") == checkout / "notebooks/x.ipynb"


def test_plain_interim_tables_of_an_older_version_are_replaced_by_gzip_and_nothing_is_lost(calls, project):
    """issue 12: a data folder an older version ran (plain data/interim/<body>/<year>/*.csv, sidecars
    recording them) runs the clean and compare steps again, because the sidecars do not record the
    .csv.gz outputs; the .gz tables get the very bytes a fresh run gives, the plain ones are removed,
    and the processed tables are the same."""
    import gzip

    run.run_all()
    folder = project / "data" / "interim" / "lvliang" / "2023"
    fresh = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv.gz"))}
    assert sorted(fresh) == sorted(stages.CLEAN_OUTPUTS + stages.COMPARE_OUTPUTS)
    processed = {n: (project / "data" / "processed" / n).read_bytes() for n in ("figures.csv", "comparison.csv")}
    for name, data in fresh.items():  # as the older version left them: plain CSV, recorded by name
        (folder / name).unlink()
        (folder / name[: -len(".gz")]).write_bytes(gzip.decompress(data))
    for step in ("clean", "compare"):
        sidecar = folder / f"{step}.sidecar.json"
        stored = json.loads(sidecar.read_text(encoding="utf-8"))
        stored["outputs"] = {
            k[: -len(".gz")]: hashlib.sha256((project / k[: -len(".gz")]).read_bytes()).hexdigest()
            for k in stored["outputs"]
        }
        sidecar.write_text(json.dumps(stored), encoding="utf-8")
    ran = _ran(run.run_all())
    assert ("clean", "lvliang/2023") in ran and ("compare", "lvliang/2023") in ran
    assert {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv.gz"))} == fresh
    assert list(folder.glob("*.csv")) == []  # the space is really saved
    assert {n: (project / "data" / "processed" / n).read_bytes() for n in processed} == processed
    assert _ran(run.run_all()) == []


def test_a_plain_interim_table_left_by_an_older_version_is_still_read(project):
    """Until its .csv.gz replaces it, the plain table an older version wrote is what the panel reads."""
    from pipeline import interim_csv

    folder = project / "data" / "interim" / "lvliang" / "2023"
    folder.mkdir(parents=True)
    (folder / "figures.csv").write_text("doc_id\nx\n", encoding="utf-8")
    assert paths.interim_figure_tables() == ([folder / "figures.csv"], [])
    assert interim_csv.find(folder, "figures.csv") == folder / "figures.csv"
    interim_csv.write_table(folder / "figures.csv.gz", "doc_id\ny\n")
    assert not (folder / "figures.csv").exists()
    assert paths.interim_figure_tables() == ([folder / "figures.csv.gz"], [])
    assert interim_csv.read_text(interim_csv.find(folder, "figures.csv")) == "doc_id\ny\n"


def test_a_few_body_years_are_compared_in_this_process_unless_jobs_are_given(calls, project, monkeypatch):
    run.run_all()
    _second_year(project)
    opened = []
    real = stages.open_executor

    def open_executor(kind, jobs, scheduler, items, preload=()):
        opened.append((jobs, items))
        return real(kind, 1, scheduler, items)  # one job: the work stays in this process either way

    monkeypatch.setattr(stages, "open_executor", open_executor)
    stages.clean_stage()
    opened.clear()
    stages.compare_stage()  # the new year and the body's other: fewer than MIN_COMPARE_POOL_ITEMS
    assert opened == [(None, 1)]
    opened.clear()
    stages.compare_stage(force=True, jobs=2)
    assert opened == [(2, 2)]


class _Recording(ThreadPoolExecutor):
    """A pool of threads that notes what it is handed, in order: the function and each item's kind."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.handed: list[str] = []

    def submit(self, fn, *args, **kwargs):
        work, chunk = args[0], args[1]
        self.handed += [item[0] if work.__name__ == "_publish_one" else work.__name__ for item in chunk]
        return super().submit(fn, *args, **kwargs)


@contextmanager
def _recording_pool(pools):
    with _Recording() as pool:
        pools.append(pool)
        yield pool


def _report_files(project):
    folders = [project / "reports", project / "data" / "processed"]
    return {p.relative_to(project): p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def test_beside_a_few_renders_the_database_renders_and_pages_are_in_one_pool_and_write_the_same(
    calls, project, monkeypatch
):
    run.run_all()  # in this process
    here = _report_files(project)
    pools = []
    monkeypatch.setattr(stages, "open_executor", lambda *args: _recording_pool(pools))
    reports = stages.report_stage(force=True, jobs=2)
    assert [r.step for r in reports] == ["report", "publish", "index"] and not any(r.failed for r in reports)
    assert len(pools) == 1  # one pool for all: the database first of all, then the render, then the pages
    handed = pools[0].handed
    assert handed[:2] == ["database", "_render_one"] and set(handed[2:]) == {"page"} and len(handed) > 3
    assert _report_files(project) == here


def test_the_pages_made_from_the_panel_in_memory_are_those_made_from_the_file(calls, project):
    import pyarrow.parquet as pq

    from pipeline.publish import corpus
    from pipeline.publish import pages as pages_
    from pipeline.report import render
    from pipeline.report.indicator_pages import PAGE_COLUMNS

    run.run_all()
    css, panel = render.stylesheet(), pq.read_table(paths.PROCESSED / "figures.parquet")  # as report_stage has it
    read = corpus._page_works(css, paths.REPORTS, paths.PROCESSED, "2024-01-01")
    given = corpus._page_works(css, paths.REPORTS, paths.PROCESSED, "2024-01-01", panel)
    assert [pages_.page_key(w) for w in given] == [pages_.page_key(w) for w in read] and read
    # each page's rows as pandas reads them from the file (values, dtypes, order)
    frame = pd.read_parquet(paths.PROCESSED / "figures.parquet", columns=["indicator_id", *PAGE_COLUMNS])
    for work in given:
        expected = frame[frame["indicator_id"] == work.indicator.id].reset_index(drop=True)
        pd.testing.assert_frame_equal(work.frame, expected)


def test_pages_that_cannot_be_made_ready_fail_publish_after_the_reports_are_recorded(calls, project, monkeypatch):
    from pipeline.errors import PipelineError
    from pipeline.publish import corpus

    run.run_all()
    pools = []
    monkeypatch.setattr(stages, "open_executor", lambda *args: _recording_pool(pools))
    real = corpus._page_works
    monkeypatch.setattr(corpus, "_page_works", lambda *a: (_ for _ in ()).throw(PipelineError("pages broken")))
    with pytest.raises(PipelineError, match="pages broken"):
        stages.report_stage(force=True, jobs=2)
    assert pools[0].handed == ["database", "_render_one"]
    monkeypatch.setattr(corpus, "_page_works", real)
    reports = stages.report_stage(jobs=2)
    assert reports[0].up_to_date == 1 and reports[0].ran == []  # the report was recorded before publish failed
