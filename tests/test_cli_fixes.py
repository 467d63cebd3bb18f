"""Every bad-input message says what to do: a walk over the table in docs/robustness.md.

Each row of a table there with an `id` and a `what to do` column names a case below, which
reproduces the input and returns the line the user sees; the test asserts the line contains the
row's fix text. A row without a case fails. The cases come from the tables of tests/test_bad_inputs.py
(`files/<id>` from BAD_FILES, `source/…` BAD_SOURCES, `reference/…` BAD_REFERENCE, `arguments/…`
BAD_ARGUMENTS, `parameters/…` BAD_PARAMETERS), tests/test_hardening.py (`source/…` its BAD_SOURCES),
tests/test_intake.py (`intake/…` UNREADABLE_FORMATS) and tests/test_add.py (`intake/add-…`
UNREADABLE_KINDS), so a case added there is a case here; a row that is not one of those gets its own
entry in EXTRA_CASES.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.errors import UsageError
from pipeline.run import runner

from . import documents as D
from . import test_add as add
from . import test_bad_inputs as bad
from . import test_hardening as hard
from . import test_intake as intake

DOC = Path(__file__).resolve().parents[1] / "docs" / "robustness.md"


ID_CELL = re.compile(r"`[a-z]+/[a-z0-9.-]+`")


def doc_rows(text: str | None = None) -> list[tuple[str, str]]:
    """(id, fix text) of every row of a table whose header has `id` and `what to do` columns. A row
    that opens with an id in any other table (one cut off from its header by a blank line) is an
    error, so no id row is silently left out of the walk."""
    rows: list[tuple[str, str]] = []
    columns: list[str] | None = None
    for line in (DOC.read_text(encoding="utf-8") if text is None else text).splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        has_id = "id" in (columns or []) and "what to do" in (columns or [])
        assert has_id or not ID_CELL.fullmatch(cells[0]), (
            f"docs/robustness.md: row {cells[0]} is in a table without id and what-to-do columns"
        )
        if columns is None:
            columns = [cell.lower() for cell in cells]
            continue
        if set(cells) <= {"---", ":---", "---:"} or "id" not in columns or "what to do" not in columns:
            continue
        ident = cells[columns.index("id")].strip("`")
        fix = cells[columns.index("what to do")]
        quoted = re.fullmatch(r"`([^`]+)`", fix)
        assert ident and quoted, f"docs/robustness.md: row {cells}: give an id and the fix text in backticks"
        rows.append((ident, quoted.group(1).replace("\\|", "|")))
    return rows


# A case takes (tmp_path, request) and returns the one line the user sees.
Case = Callable[[Path, pytest.FixtureRequest], str]


def _file_case(make: Callable[[Path], Path]) -> Case:
    return lambda tmp_path, request: bad.one_error_line(bad.run_extract(make(tmp_path)).stderr)


def _project_case(change: Callable[[Path], None]) -> Case:
    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        capsys = request.getfixturevalue("capsys")
        change(request.getfixturevalue("project_copy"))
        assert cli.main(["run"]) != 0
        return bad.one_error_line(capsys.readouterr().err)

    return case


def _arguments_case(args: list[str]) -> Case:
    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        capsys = request.getfixturevalue("capsys")
        request.getfixturevalue("project_copy")
        assert cli.main(["run", *args]) == 2
        return bad.one_error_line(capsys.readouterr().err)

    return case


def _parameters_case(parameters: dict) -> Case:
    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        request.getfixturevalue("project_copy")
        with pytest.raises(UsageError) as info:
            runner.run_notebook("31-report-one.ipynb", parameters, "lvliang/2023")
        return str(info.value)

    return case


def _unknown_encoding(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    path = tmp_path / "report.txt"
    path.write_text("召开常委会会议9次。", encoding="utf-8")
    return bad.one_error_line(bad.run_extract(path, "--encoding", "klingon").stderr)


def _not_in_declared_encoding(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    capsys = request.getfixturevalue("capsys")
    project = request.getfixturevalue("project_copy")
    raw = project / bad.RAW_DIR / bad.SEED.name
    old = bad.hashlib.sha256(raw.read_bytes()).hexdigest()
    raw.write_bytes(bad.SEED.read_text(encoding="utf-8").encode("gbk"))
    bad._edit(bad.SOURCE_YAML, old, bad.hashlib.sha256(raw.read_bytes()).hexdigest())(project)
    assert cli.main(["run"]) == 4
    return bad.one_error_line(capsys.readouterr().err)


def _extract_case(make: Callable[[Path], Path], *args: str, code: int | None = None) -> Case:
    """`pipeline extract` of the file `make` writes (in the test process: quicker than a subprocess)."""

    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        capsys = request.getfixturevalue("capsys")
        path = make(tmp_path)
        got = cli.main(["extract", str(path), *args])
        assert got != 0 and (code is None or got == code)
        return bad.one_error_line(capsys.readouterr().err)

    return case


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        (tmp_path / name).write_bytes(data)
        return tmp_path / name

    return make


def _add_case(make: Callable[[Path], list[str]], code: int) -> Case:
    """`pipeline add` in a copy of the project, with the arguments `make` gives (it may add files)."""

    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        capsys = request.getfixturevalue("capsys")
        request.getfixturevalue("project_copy")
        args = make(tmp_path)
        assert cli.main(["add", *args]) == code
        return bad.one_error_line(capsys.readouterr().err)

    return case


def _page(tmp_path: Path) -> Path:
    path = tmp_path / "saved page.html"
    path.write_bytes(D.page_bytes(add.REPORT, "gov", "gbk", "gbk"))
    return path


def _added_twice(tmp_path: Path) -> list[str]:
    assert cli.main(["add", str(_page(tmp_path)), "--body", "lvliang", "--year", "2022"]) == 0
    return [str(_page(tmp_path)), "--body", "lvliang", "--year", "2021"]


def _loose_in_a_folder(tmp_path: Path) -> list[str]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "loose.docx").write_bytes(D.docx_bytes(D.TUNING[2]))
    return [str(inbox)]


def _batch_case(entry: Callable[[Path, Path], Path]) -> Case:
    """A folder of one good document and one entry that is left out: the line naming that entry."""

    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        capsys = request.getfixturevalue("capsys")
        folder = tmp_path / "corpus"
        folder.mkdir()
        (folder / "good.txt").write_text("召开会议3次。\n", encoding="utf-8")
        name = entry(folder, tmp_path)
        assert cli.main(["extract", str(folder), "--jobs", "1"]) == 3
        lines = [line for line in capsys.readouterr().err.splitlines() if f"{name}: " in line]
        assert len(lines) == 1 and not bad.CONTROL_OR_BIDI.search(lines[0]), lines
        return lines[0]

    return case


def _fifo(folder: Path, tmp_path: Path) -> Path:
    os.mkfifo(folder / "pipe.txt")
    return folder / "pipe.txt"


def _dangling(folder: Path, tmp_path: Path) -> Path:
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    return folder / "dangling.txt"


def _outside(folder: Path, tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_text("召开会议4次。\n", encoding="utf-8")
    (folder / "outside.txt").symlink_to(tmp_path / "secret.txt")
    return folder / "outside.txt"


def _run_raises(exc: BaseException) -> Case:
    def case(tmp_path: Path, request: pytest.FixtureRequest) -> str:
        capsys = request.getfixturevalue("capsys")
        monkeypatch = request.getfixturevalue("monkeypatch")

        def refuse(**_):
            raise exc

        monkeypatch.setattr(bad.run, "run_all", refuse)
        assert cli.main(["run"]) != 0
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        return lines[0]

    return case


def _notebook_fails(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    capsys = request.getfixturevalue("capsys")
    notebook = request.getfixturevalue("project_copy") / "notebooks" / "10-clean.ipynb"
    broken = json.loads(notebook.read_text(encoding="utf-8"))
    bug = "raise RuntimeError('a bug in the notebook')"
    cell = {
        "cell_type": "code",
        "id": "walker-bug",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": bug,
    }
    broken["cells"].insert(2, cell)
    notebook.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["run"]) == 7
    return capsys.readouterr().err.strip().splitlines()[-1]


def _empty_path(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    capsys = request.getfixturevalue("capsys")
    request.getfixturevalue("monkeypatch").chdir(tmp_path)
    assert cli.main(["extract", ""]) == 2
    return bad.one_error_line(capsys.readouterr().err)


def _output_a_directory(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    (tmp_path / "out").mkdir()
    make = _write("a.txt", "召开会议3次。\n".encode())
    return _extract_case(make, "-o", str(tmp_path / "out"), code=2)(tmp_path, request)


SURROGATE = "召开会议3次。".encode("utf-7") + b"+2AA-"
BAD_CHARSET = '<html><head><meta charset="x-nope"></head><body><p>召开会议9次。</p></body></html>'.encode()
NOT_IN_CHARSET = '<html><head><meta charset="utf-8"></head><body><p>召开会议9次。</p></body></html>'.encode("gbk")

EXTRA_CASES: dict[str, Case] = {
    "arguments/unknown-encoding": _unknown_encoding,
    "files/not-in-declared-encoding": _not_in_declared_encoding,
    "files/lone-surrogate": _extract_case(_write("report.txt", SURROGATE), "--encoding", "utf-7", code=4),
    "files/hostile-file-name": _extract_case(lambda tmp: tmp / "report\x1b[2J\u202eevil.txt", code=3),
    "arguments/bytes-to-bytes-codec": _extract_case(_write("a.txt", b"x"), "--encoding", "rot13", code=2),
    "arguments/not-a-file-encoding": _extract_case(_write("a.txt", b"x"), "--encoding", "punycode", code=2),
    "arguments/empty-path": _empty_path,
    "arguments/output-is-a-directory": _output_a_directory,
    "intake/already-in-corpus": _add_case(_added_twice, 5),
    "add/year-has-a-document": _add_case(lambda tmp: [str(_page(tmp)), "--body", "lvliang", "--year", "2023"], 2),
    "add/unknown-body": _add_case(lambda tmp: [str(_page(tmp)), "--body", "hexi", "--year", "2023"], 5),
    "intake/no-body-and-year": _add_case(_loose_in_a_folder, 2),
    "intake/unknown-charset": _extract_case(_write("page.html", BAD_CHARSET), code=4),
    "intake/not-in-its-charset": _extract_case(_write("page.html", NOT_IN_CHARSET), code=4),
    "batch/fifo": _batch_case(_fifo),
    "batch/dangling-symlink": _batch_case(_dangling),
    "batch/symlink-outside": _batch_case(_outside),
    "reference/published-impossible-date": _project_case(
        bad._edit(
            "data/reference/published_figures.csv", ",2017,2022-02,term_total,组织", ",2017,2022-02-30,term_total,组织"
        )
    ),
    "reference/taxonomy-entry-missing-field": _project_case(
        bad._edit("data/reference/indicators.yaml", "  kind: combined\n", "")
    ),
    "run/notebook-failed": _notebook_fails,
    "run/os-refusal": _run_raises(PermissionError(13, "Permission denied", "/srv/data/processed/figures.csv")),
    "run/bug": _run_raises(ZeroDivisionError("division by zero")),
}


def _table_cases(prefix: str, table: dict, make: Callable[..., Case], found: dict[str, Case]) -> None:
    for key, value in table.items():
        assert f"{prefix}/{key}" not in found, f"two tables give a case {prefix}/{key}"
        found[f"{prefix}/{key}"] = make(value)


def _add_unreadable(kind: str) -> Case:
    return _add_case(lambda tmp: [str(add.unreadable_file(tmp, kind)), "--body", "lvliang", "--year", "2022"], 4)


def cases() -> dict[str, Case]:
    found: dict[str, Case] = {}
    _table_cases("files", bad.BAD_FILES, lambda v: _file_case(v[0]), found)
    _table_cases("source", bad.BAD_SOURCES, lambda v: _project_case(v[0]), found)
    _table_cases("source", hard.BAD_SOURCES, lambda v: _project_case(v[0]), found)
    _table_cases("reference", bad.BAD_REFERENCE, lambda v: _project_case(v[0]), found)
    _table_cases("arguments", bad.BAD_ARGUMENTS, lambda v: _arguments_case(v[0]), found)
    _table_cases("parameters", bad.BAD_PARAMETERS, lambda v: _parameters_case(v[0]), found)
    _table_cases("intake", intake.UNREADABLE_FORMATS, lambda v: _extract_case(_write(v[0], v[1]), code=4), found)
    kinds = {f"add-{kind}": kind for kind in add.UNREADABLE_KINDS}
    _table_cases("intake", kinds, _add_unreadable, found)
    for key, case in EXTRA_CASES.items():
        assert key not in found, f"EXTRA_CASES gives {key}, which a table gives too"
        found[key] = case
    return found


ROWS = doc_rows()
# problems with one file: the message names it (intake: one document given to add or extract; batch:
# one entry of a folder)
FILE_KINDS = ("files", "source", "reference", "intake", "batch")


def test_the_table_has_rows_to_walk():
    assert len(ROWS) >= 40
    assert len({ident for ident, _fix in ROWS}) == len(ROWS), "an id is given to two rows"


@pytest.mark.parametrize(("ident", "fix"), ROWS, ids=[ident for ident, _fix in ROWS])
def test_each_row_s_message_says_what_to_do(tmp_path, request, ident, fix):
    case = cases().get(ident)
    where = "EXTRA_CASES or a case table (tests/test_bad_inputs.py, test_hardening.py, test_intake.py, test_add.py)"
    assert case is not None, f"docs/robustness.md row {ident!r} has no case: add one to {where}"
    line = case(tmp_path, request)
    assert fix in line, f"{ident}: the message does not say what to do ({fix!r}):\n{line}"
    if ident.split("/")[0] in FILE_KINDS:  # and it names the file, as given
        assert str(tmp_path) in line, f"{ident}: the message names no file:\n{line}"


def test_an_id_row_cut_off_from_its_header_is_refused():
    table = "| id | input | what to do |\n| --- | --- | --- |\n| `files/a` | x | `do a` |\n"
    assert doc_rows(table) == [("files/a", "do a")]
    with pytest.raises(AssertionError, match="without id and what-to-do columns"):
        doc_rows(table + "\n| `files/b` | y | `do b` |\n| `files/c` | z | `do c` |\n")


def test_a_row_without_a_case_fails(tmp_path, request):
    # the walk itself can fail: an id with no case is refused, not skipped
    with pytest.raises(AssertionError, match="has no case"):
        test_each_row_s_message_says_what_to_do(tmp_path, request, "files/no-such-case", "anything")
