"""Nothing lost: raw files never written, every output written atomically, a failed or killed run
leaves the last good outputs readable, and the next run works without clean-up.

Full runs of `pipeline run` in a subprocess on a throw-away copy of the project, as CI runs it.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.atomic import scratch_copy

from .conftest import ROOT, copy_project

OUTPUTS = [
    "data/interim/lvliang/2023/figures.csv.gz",
    "data/interim/lvliang/2023/layout_repairs.csv.gz",
    "data/interim/lvliang/2023/rejected_numerals.csv.gz",
    "data/processed/figures.csv",
    "data/processed/figures.parquet",
    "data/processed/comparison.csv",
    "data/processed/checks.csv",
]
# executed notebooks carry timings, so they are whole but not byte-identical across runs
NOTEBOOKS = [
    "reports/_executed/10-clean.ipynb",
    "reports/_executed/20-compare.ipynb",
    "reports/_executed/30-report.ipynb",
]


def pipeline(root: Path, *args: str, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    env = {**os.environ, "ANNUAL_FIGURES_ROOT": str(root)}
    command = [sys.executable, "-m", "pipeline", *args]
    if kwargs.pop("background", False):
        # its own process group, so the kernel it starts is killed with it
        return subprocess.Popen(
            command, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    return subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=600)


def digests(root: Path, relative: list[str] | None = None) -> dict[str, str]:
    files = relative or sorted(str(p.relative_to(root)) for p in (root / "data" / "raw").rglob("*") if p.is_file())
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in files}


def assert_outputs_readable(root: Path) -> None:
    """Every output parses completely: CSVs as tables with their header, Parquet, notebooks as JSON."""
    for name in OUTPUTS + NOTEBOOKS:
        path = root / name
        if name.endswith((".csv", ".csv.gz")):
            data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
            table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
            assert len(table.columns) > 3, name
        elif name.endswith(".parquet"):
            assert len(pd.read_parquet(path)) > 300
        else:
            assert json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A project after one full, successful run: (root, raw digests before the run, output digests)."""
    root = copy_project(tmp_path_factory.mktemp("good") / "project")
    raw_before = digests(root)
    result = pipeline(root, "run")
    assert result.returncode == 0, result.stderr
    return root, raw_before, digests(root, OUTPUTS)


def clone(good_run, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(good_run[0], root)
    return root


def test_raw_files_are_never_written(good_run):
    root, raw_before, _ = good_run
    assert raw_before and digests(root) == raw_before
    assert_outputs_readable(root)


def test_failed_notebook_keeps_the_last_good_outputs_and_the_next_run_recovers(good_run, tmp_path):
    root = clone(good_run, tmp_path)
    notebook = root / "notebooks" / "10-clean.ipynb"
    original = notebook.read_text(encoding="utf-8")
    broken = json.loads(original)
    # a bug in the notebook after the parameters cell, as a user editing it might make
    broken["cells"].insert(2, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                               "source": "raise RuntimeError('a bug in the notebook')"})  # fmt: skip
    notebook.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")

    result = pipeline(root, "run")
    assert result.returncode == 7
    kept = root / "reports" / "_failed" / "10-clean.ipynb"
    error = result.stderr.strip().splitlines()[-1]
    assert error == (
        "pipeline: error: 10-clean.ipynb failed in cell 3: RuntimeError: a bug in the notebook; "
        f"the executed notebook is kept at {kept}"
    )
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
    # the kernel's own log (where papermill's interrupt may leave a traceback) is kept, not shown
    assert (root / "reports" / "_executed" / "10-clean.kernel.log").is_file()
    assert "a bug in the notebook" in kept.read_text(encoding="utf-8")
    assert digests(root, OUTPUTS) == good_run[2]  # the last good outputs, untouched

    notebook.write_text(original, encoding="utf-8")  # the fix; no clean-up
    result = pipeline(root, "run")
    assert result.returncode == 0, result.stderr
    assert not kept.exists()
    assert digests(root, OUTPUTS) == good_run[2]


def test_run_killed_halfway_leaves_the_previous_outputs_readable(good_run, tmp_path):
    root = clone(good_run, tmp_path)
    process = pipeline(root, "run", "--force", background=True)  # nothing changed: without --force it skips all
    # kill it once the clean step has replaced its outputs and the compare step has begun
    started = root / "reports" / "_executed" / ".running-20-compare.ipynb"
    deadline = time.monotonic() + 300
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    assert_outputs_readable(root)
    assert digests(root, OUTPUTS) == good_run[2]  # outputs are whole: the old ones or identical new ones
    result = pipeline(root, "run")
    assert result.returncode == 0, result.stderr
    assert digests(root, OUTPUTS) == good_run[2]
    assert digests(root) == good_run[1]
    # issue 16: nothing of the killed run is left behind, neither its temp files nor its kernel
    assert not list((root / "reports").rglob("*.tmp")) and not list((root / "reports").rglob(".running-*"))
    assert _no_kernel_of(root)


def _no_kernel_of(root: Path) -> bool:
    """No live ipykernel process was started for this project (its environment names the root)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"ipykernel" in cmdline and f"ANNUAL_FIGURES_ROOT={root}".encode() in environ:
            return False
    return True


def test_a_full_disk_inside_a_notebook_is_an_operating_system_error(good_run, tmp_path):
    """issue 16 bug 10: disk full (or a read-only folder) inside a notebook exits 8, not 7."""
    root = clone(good_run, tmp_path)
    notebook = root / "notebooks" / "20-compare.ipynb"
    broken = json.loads(notebook.read_text(encoding="utf-8"))
    broken["cells"].insert(2, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                               "source": "raise OSError(28, 'No space left on device')"})  # fmt: skip
    notebook.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    result = pipeline(root, "run")
    assert result.returncode == 8, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert "No space left on device" in error and "check the folder's permissions and the free disk space" in error
    assert str(root / "reports" / "_failed" / "20-compare.ipynb") in error


WRITER = """
import sys, time
from pathlib import Path
from pipeline.atomic import write_atomic

def slow(tmp):
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("half,")
        handle.flush()
        Path(sys.argv[2]).touch()   # tell the test we are half-way
        time.sleep(600)
        handle.write("written\\n")

write_atomic(Path(sys.argv[1]), slow)
"""


def test_atomic_write_killed_halfway_leaves_the_old_file(tmp_path):
    target = tmp_path / "out" / "table.csv"
    target.parent.mkdir()
    target.write_text("old,complete\n", encoding="utf-8")
    flag = tmp_path / "half-way"
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(target), str(flag)])
    deadline = time.monotonic() + 120
    while not flag.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert flag.exists()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert target.read_text(encoding="utf-8") == "old,complete\n"
    # the temp file is beside the target (same file system, so the rename is atomic)
    assert [
        p.name.startswith(".table.csv.") and p.name.endswith(".tmp") for p in target.parent.iterdir() if p != target
    ] == [True]


def test_atomic_write_that_raises_leaves_the_old_file(tmp_path):
    from pipeline.atomic import write_atomic

    target = tmp_path / "table.csv"
    target.write_text("old\n", encoding="utf-8")

    def failing(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, failing)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


# ---------------------------------------------------------------- every writer goes through pipeline.tables

# methods that write a file whatever they are called on, and functions of os / shutil that do
WRITE_METHODS = {"to_csv", "to_parquet", "to_json", "to_excel", "to_pickle", "to_feather", "write_text", "write_bytes",
                 "savefig", "write_image"}  # fmt: skip
WRITE_FUNCTIONS = {"os": {"replace", "rename", "remove", "unlink", "truncate"},
                   "shutil": {"copy", "copy2", "copyfile", "copytree", "move", "rmtree"}}  # fmt: skip


ATOMIC_HELPERS = {"write_atomic", "atomic_path"}


def _calls(tree: ast.AST) -> list[tuple[str, int]]:
    """Calls that write a file, except inside pipeline.atomic.write_atomic(target, writer) or atomic_path."""
    atomic: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ATOMIC_HELPERS:
            atomic.update(id(inner) for arg in node.args[1:] for inner in ast.walk(arg))
        if isinstance(node, ast.With) and any(
            isinstance(item.context_expr, ast.Call)
            and getattr(item.context_expr.func, "id", getattr(item.context_expr.func, "attr", "")) in ATOMIC_HELPERS
            for item in node.items
        ):
            atomic.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    # names bound to an in-memory buffer: writing into one writes no file
    buffers = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", getattr(node.value.func, "attr", "")) in ("BytesIO", "StringIO")
        for target in node.targets
        if isinstance(target, ast.Name)
    }  # fmt: skip
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in atomic:
            continue
        if node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in buffers:
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            module = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr in WRITE_METHODS or func.attr in WRITE_FUNCTIONS.get(module, ()):
                found.append((func.attr, node.lineno))
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        modes = [*node.args[1:], *(k.value for k in node.keywords if k.arg == "mode")]
        if name == "open" and any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax+") for m in modes):
            found.append(("open for writing", node.lineno))
    return found


def test_every_writer_goes_through_the_atomic_helpers():
    offenders = []
    package = ROOT / "src" / "pipeline"
    for path in sorted(package.rglob("*.py")):
        if path != package / "atomic.py":  # the atomic helpers themselves
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(package)}:{line} {name}" for name, line in _calls(tree)]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                offenders += [f"{path.name} {name}" for name, _ in _calls(ast.parse("".join(cell["source"])))]
    assert offenders == [], "write through pipeline.atomic.write_atomic / write_text_atomic / write_processed_csv"


def test_the_writer_check_can_fail():
    source = "t.to_csv('x.csv')\nopen(p, 'w')\nPath(p).write_text('x')\nopen(p)\nshutil.move(a, b)\ns.replace('a', 'b')"
    assert _calls(ast.parse(source)) == [("to_csv", 1), ("open for writing", 2), ("write_text", 3), ("move", 5)]
    atomic = "write_atomic(target, lambda tmp: t.to_parquet(tmp))\nwith atomic_path(target) as tmp:\n    open(tmp, 'w')"
    assert _calls(ast.parse(atomic)) == []
    in_memory = "buffer = io.BytesIO()\nfigure.savefig(buffer)\nfigure.savefig('chart.png')"
    assert _calls(ast.parse(in_memory)) == [("savefig", 3)]


def test_a_kernel_that_dies_is_a_failed_notebook_not_a_traceback(project_copy, capfd, caplog):
    import nbformat

    from pipeline.errors import NotebookFailed
    from pipeline.run import runner as run

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("body = 'lvliang'\nyear = 2023", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),  # as the OOM killer would
    ]
    nbformat.write(notebook, project_copy / "notebooks" / "99-die.ipynb")
    with pytest.raises(NotebookFailed) as info:
        run.run_notebook("99-die.ipynb", {"body": "lvliang", "year": 2023}, "lvliang/2023")
    kept = project_copy / "reports" / "_failed" / "lvliang" / "2023" / "99-die.ipynb"
    assert str(info.value) == (
        f"99-die.ipynb (lvliang/2023) did not run to the end: DeadKernelError: Kernel died; "
        f"the executed notebook is kept at {kept}"
    )
    assert (
        kept.is_file()
        and not (kept.parent.parent.parent.parent / "_executed" / "lvliang" / "2023" / "99-die.ipynb").exists()
    )
    assert "Kernel died" not in capfd.readouterr().err + caplog.text  # said once, by the error line


def test_a_scratch_copy_holds_the_source_and_is_gone_after_the_block(tmp_path):
    source = tmp_path / "base.bin"
    source.write_bytes(b"\x00base bytes\xff")
    with scratch_copy(source, tmp_path / "out.sqlite") as scratch:
        assert scratch.read_bytes() == source.read_bytes() and scratch.name.endswith(".work")
        scratch.write_bytes(b"changed")
    assert not scratch.exists() and source.read_bytes() == b"\x00base bytes\xff"
    with pytest.raises(RuntimeError), scratch_copy(None, tmp_path / "out.sqlite") as empty:
        assert not empty.exists()  # a fresh SQLite file is made there
        empty.write_bytes(b"half")
        raise RuntimeError("the work failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.bin"]
