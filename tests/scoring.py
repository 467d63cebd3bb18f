"""Matching extracted figures against a gold list, for tests (same rules as the shared scorer:
spans overlap; value and unit agree; approx agrees and the gold key is in the label)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path


@dataclass
class Match:
    gold: dict
    figure: object | None


def load_gold(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _overlaps(figure, row) -> bool:
    return figure.start < int(row["end"]) and int(row["start"]) < figure.end


def _canonical_unit(unit: str) -> str:
    return unit.replace("人(次)", "人次").translate(str.maketrans("個項場條處戶張篇員", "个项场条处户张篇员"))


def match(figures, gold) -> tuple[list[Match], list]:
    """Pair each gold row with the first unused overlapping figure; return pairs and false alarms."""
    used: set[int] = set()
    pairs = []
    for row in gold:
        hit = None
        for i, figure in enumerate(figures):
            if i not in used and _overlaps(figure, row):
                hit = figure
                used.add(i)
                break
        pairs.append(Match(row, hit))
    false_alarms = [f for i, f in enumerate(figures) if i not in used]
    return pairs, false_alarms


def value_ok(m: Match) -> bool:
    f = m.figure
    return (
        f is not None
        and Decimal(str(f.value)) == Decimal(m.gold["value"])
        and _canonical_unit(f.unit) == _canonical_unit(m.gold["unit"])
    )


def full_ok(m: Match) -> bool:
    keys = m.gold["key"].split("|")
    return value_ok(m) and m.figure.approx == m.gold["approx"] and any(k in m.figure.indicator for k in keys)


def f1(figures, gold, level=value_ok) -> float:
    pairs, false_alarms = match(figures, gold)
    required = [m for m in pairs if m.gold["required"] != "0"]
    tp = sum(1 for m in required if level(m))
    fn = len(required) - tp
    fp = len(false_alarms) + sum(1 for m in required if m.figure is not None and not level(m))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def harmonise_f1(pairs: list[Match]) -> float:
    """Pairwise agreement of indicator ids with gold concepts over matched required figures: pairs
    that share a concept should share an id, and pairs that don't, shouldn't. A gold row without a
    concept is a concept of its own."""
    items = [
        (m.gold["concept"] or f"single:{id(m)}", m.figure.indicator_id)
        for m in pairs
        if m.figure is not None and m.gold["required"] != "0"
    ]
    both = same_gold = same_pred = 0
    for i, (gold_a, pred_a) in enumerate(items):
        for gold_b, pred_b in items[i + 1 :]:
            g = gold_a == gold_b and not gold_a.startswith("single:")
            p = bool(pred_a) and pred_a == pred_b
            same_gold += g
            same_pred += p
            both += g and p
    return 2 * both / (same_gold + same_pred) if both else 0.0
