"""Every bad-input message says what to do: a walk over the table in docs/robustness.md.

Each row of a table there with an `id` and a `what to do` column names a case below, which
reproduces the input and returns the line the user sees; the test asserts the line contains the
row's fix text. A row without a case fails. The cases come from the tables of tests/test_bad_inputs.py
(`files/<id>` from BAD_FILES, `source/…` BAD_SOURCES, `reference/…` BAD_REFERENCE, `arguments/…`
BAD_ARGUMENTS, `parameters/…` BAD_PARAMETERS), so a case added there is a case here; a row that
is not one of those gets its own entry in EXTRA_CASES.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.errors import UsageError
from pipeline.run import runner

from . import test_bad_inputs as bad

DOC = Path(__file__).resolve().parents[1] / "docs" / "robustness.md"


def doc_rows() -> list[tuple[str, str]]:
    """(id, fix text) of every row of a table whose header has `id` and `what to do` columns."""
    rows: list[tuple[str, str]] = []
    columns: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
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
            runner.run_notebook("10-clean.ipynb", parameters, "lvliang/2023")
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


EXTRA_CASES: dict[str, Case] = {
    "arguments/unknown-encoding": _unknown_encoding,
    "files/not-in-declared-encoding": _not_in_declared_encoding,
}


def cases() -> dict[str, Case]:
    found: dict[str, Case] = {}
    for key, (make, _code, _message) in bad.BAD_FILES.items():
        found[f"files/{key}"] = _file_case(make)
    for key, (change, _message) in bad.BAD_SOURCES.items():
        found[f"source/{key}"] = _project_case(change)
    for key, (change, _message) in bad.BAD_REFERENCE.items():
        found[f"reference/{key}"] = _project_case(change)
    for key, (args, _message) in bad.BAD_ARGUMENTS.items():
        found[f"arguments/{key}"] = _arguments_case(args)
    for key, (parameters, _message) in bad.BAD_PARAMETERS.items():
        found[f"parameters/{key}"] = _parameters_case(parameters)
    found.update(EXTRA_CASES)
    return found


ROWS = doc_rows()
FILE_KINDS = ("files", "source", "reference")  # problems with one file: the message names it


def test_the_table_has_rows_to_walk():
    assert len(ROWS) >= 40
    assert len({ident for ident, _fix in ROWS}) == len(ROWS), "an id is given to two rows"


@pytest.mark.parametrize(("ident", "fix"), ROWS, ids=[ident for ident, _fix in ROWS])
def test_each_row_s_message_says_what_to_do(tmp_path, request, ident, fix):
    case = cases().get(ident)
    where = "EXTRA_CASES or tests/test_bad_inputs.py"
    assert case is not None, f"docs/robustness.md row {ident!r} has no case: add one to {where}"
    line = case(tmp_path, request)
    assert fix in line, f"{ident}: the message does not say what to do ({fix!r}):\n{line}"
    if ident.split("/")[0] in FILE_KINDS:  # and it names the file, as given
        assert str(tmp_path) in line, f"{ident}: the message names no file:\n{line}"


def test_a_row_without_a_case_fails(tmp_path, request):
    # the walk itself can fail: an id with no case is refused, not skipped
    with pytest.raises(AssertionError, match="has no case"):
        test_each_row_s_message_says_what_to_do(tmp_path, request, "files/no-such-case", "anything")
