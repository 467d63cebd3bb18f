"""The indicator taxonomy (data/reference/indicators.yaml): raw labels -> stable indicator ids.

Like OWID's country-name harmonisation, mapping warns both ways: labels that map to nothing and
taxonomy entries that nothing used.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline import paths
from pipeline.display import clean_text
from pipeline.errors import DataCheckError
from pipeline.reference.readers import IDENTIFIER, load_yaml
from pipeline.text.numerals import KNOWN_UNITS

REQUIRED_FIELDS = ("id", "zh", "en", "category", "units", "match")
OPTIONAL_FIELDS = ("priority", "exclude", "context", "scope")
SCOPES = ("sentence", "clause")


# 制定《槐阳市古树名木保护条例》等: a run of titles stands for what they name, the kind its last
# title ends with (制定条例); the names themselves say nothing about what is counted
_TITLE_RUN = re.compile(r"(?:《([^《》]{0,60})》[、和及与,，]?)+等?")
_TITLE = re.compile(r"《([^《》]*)》")
_TITLE_NOTE = re.compile(r"[(（]([^)）]*)[)）]$")
_TITLE_KINDS = re.compile(r"(?:实施细则|实施办法|条例|法规|办法|规定|决定|决议|规则|细则|法|报告|规划|计划|方案)$")


def titles_as_kinds(label: str) -> str:
    """The label with each run of 《titles》 replaced by the kind of document the last one names."""
    if "《" not in label:
        return label

    def kind(match: re.Match[str]) -> str:
        last = _TITLE.findall(match.group())[-1]
        note = _TITLE_NOTE.search(last)  # 《…条例（修订草案）》: a draft of one
        named = _TITLE_KINDS.search(last[: note.start()] if note else last)
        draft = "草案" if note and "草案" in note.group(1) else ""
        return (named.group() if named else "") + draft

    return _TITLE_RUN.sub(kind, label)


def only_titles(text: str) -> bool:
    """'' or 《…条例》等: nothing but a run of titles (white space aside)."""
    text = text.strip()
    return not text or _TITLE_RUN.fullmatch(text) is not None


class HarmonisationWarning(UserWarning):
    """A label mapped to no indicator, or an indicator nothing used."""


@dataclass(frozen=True)
class Indicator:
    id: str
    zh: str
    en: str
    category: str
    units: tuple[str, ...]
    priority: int
    match: re.Pattern[str]
    exclude: re.Pattern[str] | None
    # Some wordings name their object only earlier in the sentence (提出意见建议16条 is a deputies'
    # count only where 代表 are the ones proposing): `context` must then be found there too, in the
    # whole sentence up to the figure or, with scope "clause", in the figure's own clause.
    context: re.Pattern[str] | None = None
    clause_scope: bool = False

    def fits(self, label: str, unit: str, context: str = "", clause: str = "") -> bool:
        return self.fits_label(label, unit) and self.context_allows(label, context, clause)

    def fits_label(self, label: str, unit: str) -> bool:
        """The label and unit alone fit (the context is not looked at)."""
        if unit not in self.units or not self.match.search(label):
            return False
        return not (self.exclude and self.exclude.search(label))

    def context_allows(self, label: str, context: str = "", clause: str = "") -> bool:
        if not self.context:
            return True
        where = (clause if self.clause_scope else context) or label
        return bool(self.context.search(where))


def taxonomy_path() -> Path:
    return paths.reference("indicators.yaml")


def load_taxonomy(path: Path | None = None) -> tuple[Indicator, ...]:
    """Read and check the taxonomy; any defect is a DataCheckError naming the entry."""
    path = path or taxonomy_path()
    if not path.is_file():
        raise DataCheckError(f"{path}: missing; restore the indicator taxonomy from git")
    try:
        entries = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataCheckError(f"{path}: cannot read the indicator taxonomy ({exc})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataCheckError(f"{path}: not valid YAML{where} ({problem})") from exc
    if not isinstance(entries, list):
        raise DataCheckError(f"{path}: expected a list of indicators")
    seen: set[str] = set()
    out = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict):
            raise DataCheckError(f"{where}: not a mapping")
        missing = [k for k in REQUIRED_FIELDS if not entry.get(k)]
        if missing:
            raise DataCheckError(f"{where}: missing {', '.join(missing)}")
        unknown_fields = sorted(set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
        if unknown_fields:
            raise DataCheckError(f"{where}: unknown field(s) {', '.join(map(str, unknown_fields))}")
        ident = str(entry["id"])
        if not IDENTIFIER.match(ident):
            raise DataCheckError(f"{where}: id {ident!r} is not a lower-case identifier")
        if ident in seen:
            raise DataCheckError(f"{where}: duplicate indicator id {ident!r}; each id names one concept")
        seen.add(ident)
        units = tuple(str(u) for u in entry["units"])
        unknown = [u for u in units if u not in KNOWN_UNITS]
        if unknown:
            raise DataCheckError(
                f"{where} ({ident}): unknown unit(s) {', '.join(unknown)}; use measure words the extractor knows "
                "(pipeline.text.numerals.UNITS)"
            )
        try:
            match = re.compile(str(entry["match"]))
            exclude = re.compile(str(entry["exclude"])) if entry.get("exclude") else None
            context = re.compile(str(entry["context"])) if entry.get("context") else None
        except re.error as exc:
            raise DataCheckError(f"{where} ({ident}): bad pattern ({exc})") from exc
        scope = str(entry.get("scope", "sentence"))
        if scope not in SCOPES:
            raise DataCheckError(f"{where} ({ident}): scope {scope!r} is not one of {', '.join(SCOPES)}")
        out.append(
            Indicator(
                id=ident,
                zh=clean_text(str(entry["zh"])),
                en=clean_text(str(entry["en"])),
                category=str(entry["category"]),
                units=units,
                priority=int(entry.get("priority", 0)),
                match=match,
                exclude=exclude,
                context=context,
                clause_scope=scope == "clause",
            )
        )
    # highest priority first; the file's order breaks ties
    return tuple(sorted(out, key=lambda i: -i.priority))


@lru_cache(maxsize=4)
def default_taxonomy() -> tuple[Indicator, ...]:
    return load_taxonomy()


def by_id(taxonomy: Iterable[Indicator] | None = None) -> dict[str, Indicator]:
    return {i.id: i for i in (taxonomy if taxonomy is not None else default_taxonomy())}


def map_label(
    label: str, unit: str, taxonomy: Iterable[Indicator] | None = None, context: str = "", clause: str = ""
) -> str:
    """The id of the first indicator that fits the label and unit, or '' when none does.

    `context` is the sentence up to the figure, `clause` the figure's clause up to it (the label
    alone stands in for either when not given).
    """
    label = titles_as_kinds(label)
    for indicator in taxonomy if taxonomy is not None else default_taxonomy():
        if indicator.fits(label, unit, context, clause):
            return indicator.id
    return ""


@dataclass
class Harmonisation:
    ids: list[str]
    unmapped: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)


def harmonise(
    items: Iterable[tuple[str, str]], taxonomy: Iterable[Indicator] | None = None, warn: bool = True
) -> Harmonisation:
    """Map (label, unit) pairs; report labels that map to nothing and entries nothing used."""
    taxonomy = tuple(taxonomy if taxonomy is not None else default_taxonomy())
    ids = [map_label(label, unit, taxonomy) for label, unit in items]
    labels = [label for label, _ in items] if isinstance(items, list) else None
    result = Harmonisation(ids=ids)
    if labels is not None:
        result.unmapped = sorted({label for label, ident in zip(labels, ids, strict=True) if not ident})
    used = set(ids)
    result.unused = [i.id for i in taxonomy if i.id not in used]
    if warn and result.unmapped:
        warnings.warn(
            f"{len(result.unmapped)} label(s) map to no indicator: " + ", ".join(result.unmapped[:10]),
            HarmonisationWarning,
            stacklevel=2,
        )
    if warn and result.unused:
        warnings.warn(
            f"{len(result.unused)} indicator(s) used by nothing: " + ", ".join(result.unused[:10]),
            HarmonisationWarning,
            stacklevel=2,
        )
    return result
