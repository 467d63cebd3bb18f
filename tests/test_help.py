"""What `pipeline --help`, `pipeline run --help` and `pipeline extract --help` tell a new user:
a description, examples, and the exit statuses, the last generated from pipeline.errors."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from pipeline import cli, errors

HELPS = {
    "main": ([], "Figures from the annual work reports"),
    "run": (["run"], "skipped: up to date"),
    "extract": (["extract"], "JSON Lines"),
}


def help_text(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def exit_table(text: str) -> dict[int, str]:
    """The `exit status:` section of a help text as {status: meaning}."""
    section = text.split("\nexit status:\n", 1)[1].split("\n\n", 1)[0]
    rows = [re.match(r"^\s+(\d+)  (.+)$", line) for line in section.splitlines()]
    assert all(rows), section
    return {int(row.group(1)): row.group(2) for row in rows}


def statuses_in_errors() -> dict[int, str]:
    """Every exit status pipeline.errors defines: each error class's, and the *_EXIT constants."""
    found = {0: "done"}
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, errors.PipelineError) and value is not errors.PipelineError:
            found[value.exit_code] = name
        elif name.endswith("_EXIT") and isinstance(value, int):
            found[value] = name
    return found


@pytest.mark.parametrize(("command", "description"), HELPS.values(), ids=HELPS.keys())
def test_each_help_has_a_description_examples_and_the_exit_statuses(command, description):
    text = help_text(*command)
    head = text.split("\n\n", 2)[1]  # after the usage line: the description
    assert description in text and len(head) > 80, head
    examples = text.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(examples) >= 2 and all(line.lstrip().startswith("pipeline ") for line in examples), examples
    assert set(exit_table(text)) == set(statuses_in_errors())


def test_the_exit_table_names_each_error_class_with_its_status():
    table = dict(cli.exit_codes())
    assert len(table) == len(cli.exit_codes())  # no status given twice
    for status, name in statuses_in_errors().items():
        if not name.endswith("_EXIT") and status != 0:
            assert table[status].startswith(f"{name}: "), table[status]
    assert table[errors.OS_ERROR_EXIT] and table[errors.INTERNAL_ERROR_EXIT] and table[errors.INTERRUPTED_EXIT]


def test_the_exit_table_follows_a_new_error_class(monkeypatch):
    # generated, not copied: a class added to pipeline.errors shows up in the help
    class QuotaExceeded(errors.PipelineError):
        """Too many documents for this machine."""

        exit_code = 9

    monkeypatch.setattr(errors, "QuotaExceeded", QuotaExceeded, raising=False)
    assert (9, "QuotaExceeded: Too many documents for this machine.") in cli.exit_codes()
    assert "    9  QuotaExceeded" in cli.exit_code_table()


def _options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _options(sub)
        elif action.option_strings and not isinstance(action, argparse._HelpAction | argparse._VersionAction):
            yield parser.prog, action


def test_every_option_has_help_and_shows_its_default():
    parser = cli._build_parser()
    seen = 0
    for prog, action in _options(parser):
        seen += 1
        assert action.help, f"{prog} {action.option_strings[0]} has no help"
        shown = cli._Formatter(prog)._get_help_string(action) % {"default": action.default}
        assert "default" in shown, f"{prog} {action.option_strings[0]}: {shown}"
    assert seen >= 9


def test_format_shows_csv_as_its_default():
    assert "(default: csv)" in " ".join(help_text("extract").split())


def test_make_help_lists_every_target_with_a_line():
    from pathlib import Path

    makefile = (Path(cli.__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z]+):", makefile, flags=re.M))
    result = subprocess.run(
        ["make", "-s", "-f", "Makefile", "help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(cli.__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    listed = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("  make ")}
    assert {"run", "test", "lab", "help", "clean"} <= targets == set(listed)
    assert all(len(line.split(None, 2)) == 3 for line in listed.values())  # each with what it does
