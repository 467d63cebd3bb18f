"""Quantities: the spans of number + measure word or unit in a normalised paragraph.

Each match of numerals.QUANTITY_RE is parsed into a Quantity and either kept as a candidate
figure or rejected by the first rule of extract.rejects that holds, with its reason.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from functools import lru_cache

from pipeline.extract.model import Candidate
from pipeline.extract.rejects import _CODE_CHARACTERS, _FIXED_RE, Match, reject_reason
from pipeline.text.numerals import (
    CN_NUMERAL_CHARS,
    QUANTITY_RE,
    SIGNED_UNITS,
    Quantity,
    is_bare_scale,
    is_plausible,
    prefix_qualifier,
    quantity_from_parts,
)

# QUANTITY_RE with a look-ahead for the characters a quantity can start with: the same matches,
# but the scan skips the other characters at once instead of trying the whole pattern on each.
_QUANTITY_SCAN = re.compile(rf"(?=[\d{CN_NUMERAL_CHARS}])" + QUANTITY_RE.pattern)
# QUANTITY_RE's groups, in the order Match and _checked_quantity take them
_GROUPS = ("percent_of", "number", "mid", "scale", "unit", "post")


@lru_cache(maxsize=65536)  # the same numbers with the same measure words recur in every report
def _checked_quantity(groups: tuple[str | None, ...], prefix_approx: str) -> tuple[Quantity, bool]:
    """The Quantity of a match's groups, and whether its value is plausible (finite, at least zero,
    not too large for its unit: numerals.is_plausible).

    Raises ValueError when the number is not a numeral."""
    percent_of, number, mid, scale, unit, post = groups
    quantity = quantity_from_parts(number, scale, unit or "", percent_of, mid, post, prefix_approx)
    return quantity, is_plausible(float(quantity.value), quantity.unit)


def _fixed_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _FIXED_RE.finditer(text)]


def _is_minus_sign(text: str, at: int) -> bool:
    """A minus sign at `at`, not a hyphen: nothing of a code, a number or a range before it (A-3, 2020-2023)."""
    return at >= 0 and text[at] in "-−" and (at == 0 or (text[at - 1] not in _CODE_CHARACTERS and text[at - 1] != "-"))


def _looked_at(
    text: str,
    s: int,
    e: int,
    groups: tuple[str | None, ...],
    fixed: list[tuple[int, int]],
    fixed_starts: list[int],
) -> Match:
    """The Match the rules look at: the groups parsed, the qualifier before it read, whether it
    lies in a fixed expression (`fixed` and their starts: sorted and disjoint, so the last one
    starting before the match's end is the one to check)."""
    percent_of, number, mid, scale, unit, post = groups
    # where the word before the number ends: one space may stand between them (第 3 次, 约 3000 人),
    # as between number and unit (numerals.QUANTITY_RE)
    lead = s - 1 if s and text[s - 1] in " \u00a0" else s
    prefix_approx, qualifier_len = prefix_qualifier(text[max(0, lead - 3) : lead], is_bare_scale(number))
    at = lead - qualifier_len
    last = bisect.bisect_left(fixed_starts, e) - 1
    try:
        quantity, plausible = _checked_quantity(groups, prefix_approx)
        parse_error = ""
    except ValueError as exc:
        quantity, plausible, parse_error = None, True, str(exc)
    return Match(
        text, s, e, percent_of, number, mid, scale, unit or "", post, lead, qualifier_len,
        text[lead - 1] if lead else "",
        text[e] if e < len(text) else "",
        text[at - 1] if at > 0 else "",
        quantity, parse_error, plausible,
        last >= 0 and fixed[last][1] > s,
    )  # fmt: skip


def find_quantities(text: str) -> tuple[list[Candidate], list[tuple[int, int, str]]]:
    """Quantities in one normalised paragraph, and the numeral+unit spans rejected (with why)."""
    found: list[Candidate] = []
    rejected: list[tuple[int, int, str]] = []
    fixed = _fixed_spans(text)  # sorted and disjoint, so the last one starting before a span is the one to check
    fixed_starts = [fs for fs, _fe in fixed]
    for match in _QUANTITY_SCAN.finditer(text):
        groups = match.group(*_GROUPS)
        if not (groups[4] or groups[0]):  # neither a unit nor a 百分之
            continue
        s, e = match.span()
        m = _looked_at(text, s, e, groups, fixed, fixed_starts)
        reason = reject_reason(m)
        if reason:
            rejected.append((s, e, reason))
            continue
        quantity = m.quantity
        if m.post:  # the span is number through measure word; 以上/左右 only qualify it
            e = match.start("post")
        if quantity.unit in SIGNED_UNITS and _is_minus_sign(text, s - 1) and m.number[0].isdigit():
            # 同比增长-0.5%, 自然增长率-1.35‰: a rate below zero, its sign part of the figure
            s -= 1
            quantity = replace(quantity, value=-quantity.value)
        found.append(Candidate(s, e, quantity))
    return found, rejected
