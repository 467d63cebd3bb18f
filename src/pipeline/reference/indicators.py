"""The indicator taxonomy (data/reference/indicators.yaml): raw labels -> stable indicator ids.

Like OWID's country-name harmonisation, mapping warns both ways: labels that map to nothing and
taxonomy entries that nothing used.
"""

from __future__ import annotations

import itertools
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

# every entry says what it counts and what not, how its units compare, and whether it is one activity
# or a list counted together: a researcher can audit each id without reading code
REQUIRED_FIELDS = ("id", "zh", "en", "category", "kind", "definition", "units", "unit_equivalences", "match", "exclude")
OPTIONAL_FIELDS = ("priority", "context", "scope")
SCOPES = ("sentence", "clause")
KINDS = ("single", "combined")
# fields that may be present but empty: an entry with no unit equivalences or nothing excluded says so
MAY_BE_EMPTY = ("unit_equivalences", "exclude")

# What only frames a label, dropped before the taxonomy is matched (the label itself is kept as the
# text has it): a phrase before a dash (立法答卷——制定地方性法规), a leading bullet or citation
# marker (· - ● [3]), 包括 and 配合上级人大 before the verb, and pinyin glosses inside words (調(diào)研).
_GLOSS = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńň]{1,7}[)）]")
_FRAMING = re.compile(r"^.*[—―]{1,2}(?=[^—―]{2,}$)")
_LEADING = re.compile(r"^(?:[\s·•・●◆★■□▪\-–*]|\[\d{1,3}\]|［\d{1,3}］|【\d{1,3}】)+")
_LEADING_WORDS = re.compile(r"^(?:包括|配合(?:上级|全国|省|市)?(?:人大)?(?:常委会)?)(?=.)")


@lru_cache(maxsize=65536)
def match_form(label: str) -> str:
    """The label as the taxonomy matches it: glosses, framing phrases, bullets, citation markers and
    leading 包括 / 配合上级人大 dropped; then each run of 《titles》 as the kind it names."""
    form = _GLOSS.sub("", label)
    form = _FRAMING.sub("", form)
    form = _LEADING.sub("", form)
    form = _LEADING_WORDS.sub("", form)
    return titles_as_kinds(form or label)


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
    kind: str = "single"
    definition_zh: str = ""
    definition_en: str = ""
    # groups of units that count the same thing (件 = 部 for laws); see units_equivalent
    unit_equivalences: tuple[frozenset[str], ...] = ()

    @property
    def combined(self) -> bool:
        return self.kind == "combined"

    def units_equivalent(self, a: str, b: str) -> bool:
        """Two figures of this indicator may be differenced only in one unit or in units of one group."""
        return a == b or any(a in group and b in group for group in self.unit_equivalences)

    def fits(self, label: str, unit: str, context: str = "", clause: str = "") -> bool:
        return self.fits_label(label, unit) and self.context_allows(label, context, clause)

    def fits_label(self, label: str, unit: str) -> bool:
        """The label and unit alone fit (the context is not looked at)."""
        if unit not in self.units:
            return False
        label = match_form(label)
        if not self.match.search(label):
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
        fix = "fix it there, or restore the file from git"
        raise DataCheckError(f"{path}: not valid YAML{where} ({problem}); {fix}") from exc
    if not isinstance(entries, list):
        raise DataCheckError(f"{path}: expected a list of indicators")
    seen: set[str] = set()
    out = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict):
            raise DataCheckError(f"{where}: not a mapping")
        missing = [k for k in REQUIRED_FIELDS if k not in entry or (k not in MAY_BE_EMPTY and not entry[k])]
        if missing:
            raise DataCheckError(
                f"{where}: missing {', '.join(missing)}; add them (the comment at the top of indicators.yaml "
                "says what each field holds)"
            )
        unknown_fields = sorted(set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
        if unknown_fields:
            raise DataCheckError(f"{where}: unknown field(s) {', '.join(map(str, unknown_fields))}")
        ident = str(entry["id"])
        if not IDENTIFIER.match(ident):
            raise DataCheckError(f"{where}: id {ident!r} is not a lower-case identifier")
        if ident in seen:
            raise DataCheckError(f"{where}: duplicate indicator id {ident!r}; each id names one concept")
        seen.add(ident)
        out.append(_indicator(entry, ident, where))
    # highest priority first; the file's order breaks ties
    return tuple(sorted(out, key=lambda i: -i.priority))


def _patterns(value: object, where: str, field: str) -> re.Pattern[str] | None:
    """A pattern, or a list of alternative wordings joined into one; '' or [] is none."""
    wordings = value if isinstance(value, list) else [value] if value not in (None, "") else []
    if not all(isinstance(w, str) and w for w in wordings):
        raise DataCheckError(f"{where}: field {field!r} must be a pattern or a list of non-empty patterns")
    if not wordings:
        return None
    try:
        return re.compile("|".join(f"(?:{w})" for w in wordings))
    except re.error as exc:
        raise DataCheckError(f"{where}: field {field!r} has a bad pattern ({exc})") from exc


def _definition(value: object, where: str) -> tuple[str, str]:
    if (
        not isinstance(value, dict)
        or sorted(value) != ["en", "zh"]
        or not all(isinstance(value[k], str) and value[k].strip() for k in ("zh", "en"))
    ):
        raise DataCheckError(
            f"{where}: field 'definition' must be a mapping with a non-empty zh and en (what counts, what does not)"
        )
    return clean_text(value["zh"]), clean_text(value["en"])


def _unit_groups(value: object, units: tuple[str, ...], where: str) -> tuple[frozenset[str], ...]:
    if not isinstance(value, list) or not all(isinstance(g, list) for g in value):
        raise DataCheckError(f"{where}: field 'unit_equivalences' must be a list of lists of units ([] for none)")
    groups = tuple(frozenset(str(u) for u in g) for g in value)
    for group in groups:
        if len(group) < 2:
            raise DataCheckError(f"{where}: field 'unit_equivalences' has a group of fewer than two units")
        stray = sorted(group - set(units))
        if stray:
            raise DataCheckError(f"{where}: field 'unit_equivalences' names {', '.join(stray)}, not in its units")
    for a, b in itertools.combinations(groups, 2):
        if a & b:
            raise DataCheckError(f"{where}: field 'unit_equivalences' puts {', '.join(sorted(a & b))} in two groups")
    return groups


def _indicator(entry: dict, ident: str, where: str) -> Indicator:
    """One checked entry; a defect is a DataCheckError naming the entry and the field."""
    where = f"{where} ({ident})"
    if not isinstance(entry["units"], list):
        raise DataCheckError(f"{where}: field 'units' must be a list")
    units = tuple(str(u) for u in entry["units"])
    unknown = [u for u in units if u not in KNOWN_UNITS]
    if unknown:
        raise DataCheckError(
            f"{where}: unknown unit(s) {', '.join(unknown)}; use measure words the extractor knows "
            "(pipeline.text.numerals.UNITS)"
        )
    kind = str(entry["kind"])
    if kind not in KINDS:
        raise DataCheckError(f"{where}: field 'kind' is {kind!r}, not one of {', '.join(KINDS)}")
    zh_definition, en_definition = _definition(entry["definition"], where)
    scope = str(entry.get("scope", "sentence"))
    if scope not in SCOPES:
        raise DataCheckError(f"{where}: scope {scope!r} is not one of {', '.join(SCOPES)}")
    return Indicator(
        id=ident,
        zh=clean_text(str(entry["zh"])),
        en=clean_text(str(entry["en"])),
        category=str(entry["category"]),
        units=units,
        priority=int(entry.get("priority", 0)),
        match=_patterns(entry["match"], where, "match"),
        exclude=_patterns(entry["exclude"], where, "exclude"),
        context=_patterns(entry.get("context"), where, "context"),
        clause_scope=scope == "clause",
        kind=kind,
        definition_zh=zh_definition,
        definition_en=en_definition,
        unit_equivalences=_unit_groups(entry["unit_equivalences"], units, where),
    )


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
