"""Synthetic report texts written for testing by another hand (tests/fixtures/varied/README.md):
other bodies, styles and traps than the seed. Each is scored against its gold list."""

from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.sources import read_document

from .conftest import FIXTURES
from .scoring import f1, full_ok, load_gold, match, value_ok

# varied/ was written first and tuned against; varied2/ was held out until measured once
VARIED = sorted((FIXTURES / "varied").glob("*.txt")) + sorted((FIXTURES / "varied2").glob("*.txt"))


def test_the_corpus_is_there():
    assert len(VARIED) >= 14


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
    assert f1(figures, gold, full_ok) >= 0.85


def test_pooled_scores():
    figures, gold = [], []
    for path in VARIED:
        # offsets differ per document: shift each into its own range so spans never collide
        shift = sum(len(p.read_text(encoding="utf-8")) + 1 for p in VARIED[: VARIED.index(path)]) * 10
        for f in extract(read_document(path)).figures:
            figures.append(type(f)(**{**f.__dict__, "start": f.start + shift, "end": f.end + shift}))
        for row in load_gold(path.with_suffix(".gold.csv")):
            gold.append({**row, "start": str(int(row["start"]) + shift), "end": str(int(row["end"]) + shift)})
    assert f1(figures, gold, value_ok) >= 0.99
    assert f1(figures, gold, full_ok) >= 0.95
