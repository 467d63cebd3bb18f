"""`pipeline --root DIR run` on a corpus of many bodies and years kept outside the checkout:
one report per document, one changed document re-runs only its own work and its peers', a run
killed with SIGKILL is finished by the next, two runs at once never interleave, Dask and the
process pool give the same bytes, and a report rendered in the corpus run is the report rendered
alone."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import synth
from .conftest import ROOT

# three bodies, two years each; b000 and b001 are peers (same level), b002 is of another level
BODIES = {"synth_b000": "county", "synth_b001": "county", "synth_b002": "city"}
YEARS = (2016, 2017)


def file_document(root: Path, body: str, year: int, text: str) -> Path:
    folder = root / "data" / "raw" / body / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    (folder / "report.txt").write_bytes(data)
    meta = {
        "body": body,
        "report_year": year,
        "title": f"{body} {year} 年工作报告（合成）",
        "publisher": "tests/synth.py",
        "file": "report.txt",
        "encoding": "utf-8",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (folder / "source.yaml").write_text("".join(f"{k}: {v}\n" for k, v in meta.items()), encoding="utf-8")
    return folder


def build_corpus(root: Path) -> Path:
    """A data folder of its own: raw documents, and only bodies.csv among the reference tables (the
    checkout's indicators.yaml and published_figures.csv stay in force)."""
    (root / "data" / "reference").mkdir(parents=True)
    shutil.copyfile(ROOT / "data" / "reference" / "bodies.csv", root / "data" / "reference" / "bodies.csv")
    with (root / "data" / "reference" / "bodies.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for body, level in BODIES.items():
            writer.writerow([body, f"合成{body[-3:]}县人大常委会", f"Synthetic county {body[-3:]}", level, "山西"])
    slots = [(b, y) for b in BODIES for y in YEARS]
    texts = synth.generate(synth.default_templates(), len(slots), seed=11, min_chars=2500)
    for (body, year), doc in zip(slots, texts, strict=True):
        file_document(root, body, year, doc.text)
    return root


def pipeline(root: Path, *args: str, background: bool = False, timeout: int = 900):
    env = {k: v for k, v in os.environ.items() if k != "ANNUAL_FIGURES_ROOT"}
    command = [sys.executable, "-m", "pipeline", "--root", str(root), "run", *args]
    if background:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def outputs(root: Path) -> dict[str, bytes]:
    files = [
        *sorted((root / "reports").glob("*/*.html")),
        root / "reports" / "index.html",
        *sorted((root / "data" / "processed").glob("*.*")),
        *sorted((root / "data" / "interim").glob("*/*/*.csv.gz")),  # the interim tables, gzip-compressed
    ]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    root = build_corpus(tmp_path_factory.mktemp("corpus") / "data-folder")
    result = pipeline(root, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    built = outputs(root)
    assert sum(name.endswith("/figures.csv.gz") for name in built) >= 2  # issue 12: the interim tables are gzip
    assert not list((root / "data" / "interim").glob("*/*/*.csv"))
    return root, built


def clone(corpus, tmp_path: Path) -> Path:
    root = tmp_path / "data-folder"
    shutil.copytree(corpus[0], root)
    return root


def test_one_report_per_document_in_the_folder_given_with_root(corpus):
    root, _ = corpus
    reports = [p for p in (root / "reports").glob("*/*.html") if p.parent.name != "indicators"]  # issue 15's pages
    assert sorted(str(p.relative_to(root / "reports")) for p in reports) == [
        f"{b}/{y}.html" for b in BODIES for y in YEARS
    ]
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{b}/{y}.html"' in index for b in BODIES for y in YEARS)
    assert not (root / "notebooks").exists()  # the checkout's notebooks ran, on this folder's data
    assert sorted(p.name for p in (root / "reports" / "_executed").glob("*.ipynb")) == [
        "10-clean.ipynb", "20-compare.ipynb", "30-report.ipynb"
    ]  # fmt: skip
    # outputs at most 1 MB per document
    # the corpus-wide publications (indicator pages, downloads, the SQLite file) are made once per
    # corpus, not per document: at six documents they would dominate what this budget measures
    corpus_wide = {"raw", "indicators", "downloads"}
    size = sum(
        p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and not corpus_wide & set(p.parts) and p.suffix != ".sqlite"
    )
    assert size < 1_000_000 * len(BODIES) * len(YEARS)


def test_nothing_changed_starts_no_notebook(corpus, tmp_path):
    root = clone(corpus, tmp_path)
    result = pipeline(root)
    assert result.returncode == 0, result.stderr
    from pipeline.run.steps import STEPS

    assert "runs (" not in result.stderr and result.stderr.count("skipped: up to date") == len(STEPS) == 7
    assert outputs(root) == corpus[1]


def _sidecar_times(root: Path, step: str) -> dict[str, int]:
    return {
        f"{p.parent.parent.name}/{p.parent.name}": p.stat().st_mtime_ns
        for p in (root / "data" / "interim").glob(f"*/*/{step}.sidecar.json")
    }


def test_one_changed_document_reruns_its_own_work_and_its_peers_compare_only(corpus, tmp_path):
    root = clone(corpus, tmp_path)
    before = {step: _sidecar_times(root, step) for step in ("clean", "compare", "report")}
    text = next(synth.generate(synth.default_templates(), 1, seed=99, min_chars=2500)).text
    file_document(root, "synth_b000", 2017, text)
    result = pipeline(root)
    assert result.returncode == 0, result.stderr
    after = {step: _sidecar_times(root, step) for step in before}
    ran = {step: sorted(k for k in after[step] if after[step][k] != before[step][k]) for step in before}
    assert ran["clean"] == ["synth_b000/2017"]
    assert "synth_b000/2017" in ran["compare"]
    assert not any(item.startswith("synth_b002") for item in ran["compare"] + ran["report"])  # not a peer
    assert "clean: 1 run, 5 up to date" in result.stderr


def test_a_run_killed_with_sigkill_is_finished_by_the_next(corpus, tmp_path):
    root = clone(corpus, tmp_path)
    process = pipeline(root, "--force", "--jobs", "2", background=True)
    started = root / "reports" / "_executed" / ".running-30-report.ipynb"
    deadline = time.monotonic() + 600
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    time.sleep(1.5)  # the report stage's workers are at work
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    result = pipeline(root)
    assert result.returncode == 0, result.stderr
    assert outputs(root) == corpus[1]
    assert not list(root.rglob("*.tmp")) and not list(root.rglob(".running-*"))
    assert _processes_of(root) == []


def _processes_of(root: Path) -> list[str]:
    """The live processes (kernel, pool worker, forkserver) still working on this data folder, as
    "pid state command" lines, so a failure names what was left behind."""
    me, found = os.getpid(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == me:
            continue
        try:
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"ANNUAL_FIGURES_ROOT={root}\0".encode() in environ and state != "Z":
            found.append(f"{proc.name} {state} {command[:200]}")
    return found


def test_two_runs_at_once_the_second_refuses_with_one_line(corpus, tmp_path):
    root = clone(corpus, tmp_path)
    first = pipeline(root, "--force", background=True)
    lock_held = root / "reports" / "_executed" / ".running-10-clean.ipynb"
    deadline = time.monotonic() + 300
    while not lock_held.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        second = pipeline(root)
        assert second.returncode == 9
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"pipeline: error: another pipeline run is working on {root}")
    finally:
        first.wait(timeout=900)
    assert first.returncode == 0
    assert outputs(root) == corpus[1]


def test_dask_and_the_pool_give_the_same_bytes(corpus, tmp_path):
    pytest.importorskip("dask.distributed")
    root = build_corpus(tmp_path / "data-folder")
    result = pipeline(root, "--executor", "dask", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert outputs(root) == corpus[1]


def test_a_report_rendered_in_the_corpus_run_is_the_report_rendered_alone(corpus, monkeypatch):
    from pipeline import paths
    from pipeline.reference import indicators
    from pipeline.report import render

    root, built = corpus
    monkeypatch.setenv("ANNUAL_FIGURES_ROOT", str(root))
    for name in ("ROOT", "DATA", "RAW", "REFERENCE", "INTERIM", "PROCESSED", "NOTEBOOKS", "REPORTS", "EXECUTED",
                 "FAILED"):  # fmt: skip
        monkeypatch.setattr(paths, name, getattr(paths, name))
    paths.set_root(root)
    indicators.default_taxonomy.cache_clear()
    try:
        alone = render.render_report_html("synth_b001", 2016)
    finally:
        indicators.default_taxonomy.cache_clear()
    assert alone.encode("utf-8") == built["reports/synth_b001/2016.html"]
