"""Batch extraction: many documents -> one table, the same whatever runs the chunks."""

import csv
import io
import json
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor

import pytest

from pipeline.errors import InputNotFound
from pipeline.extract.figures import extract
from pipeline.extract.rows import FIGURE_COLUMNS, figure_rows
from pipeline.run import batch
from pipeline.text.document import read_document
from tests import synth

from .conftest import SEED
from .test_cli import run_cli


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    paths = synth.write_corpus(folder / "docs", 12, seed=11)
    return folder / "docs", paths


def _expected(paths):
    """One document at a time, in this process: the reference the batch must reproduce."""
    rows = []
    for path in sorted(paths, key=str):
        for row in figure_rows(extract(read_document(path))):
            rows.append((str(path), *(row[c] for c in FIGURE_COLUMNS)))
    return rows


class ReverseExecutor(Executor):
    """Runs the tasks in reverse order of submission, once all `expected` have been submitted,
    so chunks finish last-first."""

    def __init__(self, expected: int):
        self.expected = expected
        self.pending: list[tuple[Future, object, tuple]] = []
        self.lock = threading.Lock()
        self.order: list[int] = []

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        with self.lock:
            self.pending.append((future, fn, args))
            if len(self.pending) == self.expected:
                threading.Thread(target=self._run).start()
        return future

    def _run(self):
        for future, fn, args in reversed(self.pending):
            self.order.append(args[0])
            future.set_result(fn(*args))


def test_collect_paths(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b" / "notes.csv").write_text("x", encoding="utf-8")
    (tmp_path / "b" / ".hidden").mkdir()
    (tmp_path / "b" / ".hidden" / "3.txt").write_text("x", encoding="utf-8")
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    found = batch.collect_paths([tmp_path / "b", tmp_path / "a.txt", tmp_path / "b" / "2.txt"])
    assert found == [tmp_path / "a.txt", tmp_path / "b" / "2.txt"]
    with pytest.raises(InputNotFound):
        batch.collect_paths([tmp_path / "nope.txt"])


def test_in_process_and_process_pool_give_the_reference_rows(corpus):
    _folder, paths = corpus
    expected = _expected(paths)
    assert len(expected) > 200
    assert batch.extract_rows(paths, jobs=1) == expected
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert batch.extract_rows(paths, pool, chunk_size=5) == expected
    assert batch.extract_rows(paths, jobs=2, chunk_size=1) == expected  # a pool of its own


def test_order_does_not_depend_on_which_chunk_finishes_first(corpus):
    _folder, paths = corpus
    executor = ReverseExecutor(expected=len(paths))
    rows = batch.extract_rows(paths, executor, chunk_size=1)
    assert executor.order == list(reversed(range(len(paths))))  # they did finish last-first
    assert rows == _expected(paths)


def test_dask_local_cluster_runs_the_same_code(corpus):
    import distributed  # in the dev extra, so this runs wherever the tests do

    _folder, paths = corpus
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        rows = batch.extract_rows(paths, client.get_executor(), chunk_size=3)
    assert rows == _expected(paths)


def test_cli_folder_gives_one_table_and_names_bad_documents(corpus, tmp_path):
    folder, paths = corpus
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    out = tmp_path / "all.csv"
    result = run_cli("extract", folder, bad, SEED, "--jobs", "2", "-o", out)
    assert result.returncode == 4, result.stderr  # the unreadable document's class
    assert "empty.txt" in result.stderr and "Traceback" not in result.stderr
    assert "%|" not in result.stderr  # no progress bar when stderr is not a terminal
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["document", *FIGURE_COLUMNS]
    documents = [r["document"] for r in rows]
    assert documents == sorted(documents)
    assert str(SEED) in documents
    expected = _expected([*paths, SEED])
    assert [(r["document"], int(r["start"]), r["text"], r["value"]) for r in rows] == [
        (e[0], e[1], e[3], e[4]) for e in expected
    ]


def test_cli_json_of_two_files(tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("全年召开常委会会议１０次，审议通过地方性法规3件。", encoding="utf-8")
    two.write_text("共收到代表建议２６件。", encoding="utf-8")
    result = run_cli("extract", two, one, "--format", "json", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]  # JSON Lines for many files
    assert [(r["document"], r["text"], r["value"]) for r in rows] == [
        (str(one), "１０次", 10),
        (str(one), "3件", 3),
        (str(two), "２６件", 26),
    ]


def test_progress_bar_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert batch._progress(10, None) is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    bar = batch._progress(10, None)
    assert bar is not None
    bar.close()


def test_the_batch_cleans_the_fields_people_read_as_the_single_path_does(tmp_path):
    # a plain-text table's tab, and a bidi mark, inside a label and its sentence
    path = tmp_path / "table.txt"
    path.write_text("类别\t件数\n已解决\t96件\n代表\u202e建议\t184件\n", encoding="utf-8")
    rows = batch.extract_rows([path], jobs=1)
    assert [row[1:] for row in rows] == [
        tuple(r[c] for c in FIGURE_COLUMNS) for r in figure_rows(extract(read_document(path)))
    ]
    for row in rows:
        for field in (row[7], row[10], row[11]):  # indicator, section, sentence
            assert "\t" not in field and "\u202e" not in field
