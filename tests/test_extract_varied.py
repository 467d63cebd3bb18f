"""Synthetic report texts written for testing by another hand (tests/fixtures/varied/README.md):
other bodies, styles and traps than the seed. Each is scored against its gold list."""

from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.sources import read_document

from .conftest import FIXTURES
from .scoring import f1, full_ok, load_gold, match, value_ok

VARIED = sorted((FIXTURES / "varied").glob("*.txt"))


def test_the_corpus_is_there():
    assert len(VARIED) >= 8


@pytest.mark.parametrize("path", VARIED, ids=lambda p: p.stem)
def test_document_scores(path: Path):
    document = read_document(path)
    figures = extract(document).figures
    gold = load_gold(path.with_suffix(".gold.csv"))
    for f in figures:
        assert document.raw[f.start : f.end] == f.text
    pairs, false_alarms = match(figures, gold)
    missed = [m.gold["text"] for m in pairs if m.figure is None and m.gold["required"] == "1"]
    assert missed == [], "missed"
    assert [f.text for f in false_alarms] == [], "false alarms"
    assert f1(figures, gold, value_ok) >= 0.97
    assert f1(figures, gold, full_ok) >= 0.95
