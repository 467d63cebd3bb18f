"""Issue 13's bar for the labeller, pooled over every corpus it was tuned against (varied to
varied10): harmonise F1 >= 0.92 and full F1 >= 0.97 (tests/scoring.py)."""

from .conftest import FIXTURES
from .scoring import f1, full_ok, harmonise_f1, match
from .test_extract_varied import pooled

TUNED = ("varied", "varied2", "varied3", "varied4", "varied5", "varied6", "varied7", "varied8", "varied9", "varied10")
DOCUMENTS = [(p, p.with_suffix(".gold.csv")) for corpus in TUNED for p in sorted((FIXTURES / corpus).glob("*.txt"))]


def test_pooled_over_the_tuned_corpora():
    assert len(DOCUMENTS) >= 49
    figures, gold = pooled(DOCUMENTS)
    pairs, _ = match(figures, gold)
    assert f1(figures, gold, full_ok) >= 0.97
    assert harmonise_f1(pairs) >= 0.92


def test_issue13_shapes_pooled():
    # varied9 and varied10 hold the shapes issue 13 names (number-before-noun lists, bullets, framing
    # dashes, glosses, combined counts): measured 0.976 and 1.000 once the labeller follows the clause
    for corpus in ("varied9", "varied10"):
        documents = [(p, p.with_suffix(".gold.csv")) for p in sorted((FIXTURES / corpus).glob("*.txt"))]
        figures, gold = pooled(documents)
        pairs, _ = match(figures, gold)
        assert f1(figures, gold, full_ok) >= 0.98, corpus
        assert harmonise_f1(pairs) >= 0.95, corpus
