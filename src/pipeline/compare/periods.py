"""Periods as month indexes: a year, a month, a term congress to congress."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.compare.notes import Note


@dataclass(frozen=True)
class Term:
    months: int
    assumed_start: str = ""  # "2017-02" where the start month was not given and was taken as this

    @property
    def years(self) -> float:
        return self.months / 12


def month_index(text: str, end: bool = False) -> int | None:
    """'2023' -> Jan (or Dec when end), '2023-05' -> May, '2023-05-17' -> May; '' -> None."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-\d{1,2})?", text.strip())
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    return year * 12 + month - 1


def term_period(start: str, end: str) -> tuple[Term, str] | None:
    """A term total's length and what was assumed. Terms run congress to congress: an end given
    as a month is where the next term begins, and a year-only start is taken in the same month
    (2017 .. 2022-02 -> 2017-02 .. 2022-02, five years)."""
    s, e = month_index(start), month_index(end, end=True)
    if s is None or e is None:
        return None
    end_has_month = bool(re.fullmatch(r"\d{4}-\d{1,2}.*", end.strip()))
    assumed = ""
    if re.fullmatch(r"\d{4}", start.strip()) and end_has_month:
        s = int(start) * 12 + e % 12
        assumed = f"{start}-{e % 12 + 1:02d}"
    months = e - s if end_has_month else e - s + 1
    if months <= 0:
        return None
    return Term(months, assumed), Note.of("term_start_assumed", month=assumed).en if assumed else ""
