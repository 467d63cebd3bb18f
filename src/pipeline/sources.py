"""Reading a document: bytes -> text, with the encoding detected and said, never guessed silently.

Offsets everywhere in the project index the *decoded* text exactly as `bytes.decode` returns it
(a UTF-8 BOM is not part of the text; CR characters are). That is the text
`open(path, encoding=..., newline="")` gives, so `raw[start:end]` is always the figure's text.
Matching runs on a normalised copy of the same length (see `normalise`), never on a shortened one.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pipeline import paths
from pipeline.display import UNSAFE
from pipeline.errors import InputNotFound, SourceMetadataError, UnreadableDocument, UsageError

# One work report is tens of kilobytes; the largest national report is well under 1 MB. A file far
# beyond that is almost certainly not one document (a dump, a concatenation, a binary).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

_BINARY_SIGNATURES = {
    b"%PDF": "a PDF file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or a .docx/.xlsx file)",
    b"\xd0\xcf\x11\xe0": "an old Office document (.doc/.xls)",
    b"\x1f\x8b": "a gzip archive",
    b"{\\rtf": "an RTF document",
}

# Encodings a Chinese report plausibly comes in. GBK and GB2312 are decoded as GB18030, their
# superset, so a rare character never turns into an error half-way through a file.
_CANDIDATE_ENCODINGS = ["utf_8", "gb18030", "gbk", "gb2312", "big5", "utf_16", "utf_16_le", "utf_16_be"]
_SUPERSET = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}


@dataclass(frozen=True)
class Document:
    """A decoded document. `raw` is the text offsets point into; `norm` is the same length."""

    doc_id: str
    raw: str
    encoding: str
    path: Path | None = None
    norm: str = field(default="", repr=False)
    traditional: bool = False

    def __post_init__(self) -> None:
        if not self.norm:
            norm, traditional = normalise(self.raw)
            object.__setattr__(self, "norm", norm)
            object.__setattr__(self, "traditional", traditional)
        if len(self.norm) != len(self.raw):  # the whole offset story rests on this
            raise AssertionError("normalised text changed length")


# ---------------------------------------------------------------- decoding


def decode_bytes(data: bytes, declared: str | None = None, name: str = "<bytes>") -> tuple[str, str]:
    """Return (text, encoding). `declared` (from source.yaml) is used strictly when given."""
    if not data:
        raise UnreadableDocument(f"{name}: the file is empty")
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError as exc:
            raise SourceMetadataError(f"{name}: unknown encoding {declared!r} in source.yaml") from exc
        try:
            text = data.decode("utf_8_sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError as exc:
            raise UnreadableDocument(
                f"{name}: does not decode as its declared encoding {declared} (byte {exc.start}: {exc.reason}); "
                "check the encoding it was given (encoding: in source.yaml, or pipeline extract --encoding)"
            ) from exc
        return _check_text(text, name), codec
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableDocument(f"{name}: this is {what}, not text; convert it to UTF-8 text first")
    if data.startswith(codecs.BOM_UTF8):
        return _check_text(_strict(data, "utf_8_sig", name), name), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0:
        return _check_text(_strict(data, "utf_32", name), name), "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _check_text(_strict(data, "utf_16", name), name), "utf-16"
    if b"\x00" not in data[:4096]:  # NUL is valid UTF-8 but means UTF-16 or binary
        try:
            return _check_text(data.decode("utf_8"), name), "utf-8"
        except UnicodeDecodeError:
            pass
    encoding = _detect(data, name)
    return _check_text(_strict(data, encoding, name), name), encoding


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"{name}: not valid {encoding} at byte {exc.start} ({exc.reason})") from exc


def _detect(data: bytes, name: str) -> str:
    from charset_normalizer import from_bytes

    # UTF-16 without a BOM: NUL bytes are common there and never in text in other encodings.
    if b"\x00" in data[:4096]:
        for encoding in ("utf_16_le", "utf_16_be"):
            if _plausible_text_share(data, encoding) > 0.95:
                return encoding
        raise UnreadableDocument(f"{name}: contains NUL bytes; this is a binary file, not text")
    # Chinese text: GB18030 and Big5 share their byte ranges, so either decodes the other into
    # valid but wrong characters. Real text is made of each standard's common characters.
    chinese = _common_chinese(data)
    if chinese:
        return chinese
    # threshold: the share of "mess" tolerated. The default 0.2 refused one short GBK text in forty
    # (symbols such as — · “ count as mess); the best candidate is the same whenever one was below 0.2.
    best = from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS, threshold=0.5).best()
    if best is None:
        raise UnreadableDocument(
            f"{name}: the bytes decode as no text in UTF-8, UTF-16, GB18030/GBK or Big5; "
            "if you know its encoding, give it (encoding: in source.yaml, or pipeline extract --encoding)"
        )
    encoding = codecs.lookup(best.encoding).name.replace("-", "_")
    return _SUPERSET.get(encoding, encoding)


# The common characters of each standard: GB2312's first level (3,755 characters, lead bytes
# B0-D7) and Big5's frequently used block (5,401 characters, A440-C67E).
_COMMON = {
    "gb18030": ("gb2312", lambda code: 0xB0A1 <= code <= 0xD7FE),
    "big5hkscs": ("big5", lambda code: 0xA440 <= code <= 0xC67E),
}


def _common_chinese(data: bytes) -> str | None:
    """GB18030 or Big5 when the text decodes strictly in it, its Chinese characters are nearly all
    that standard's common ones, and reading it the other way gives clearly more rare ones; None
    when unsure."""
    shares = {}
    for encoding, (standard, common) in _COMMON.items():
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        cjk = _CJK.findall(text[:20000])
        if len(cjk) < 10:  # too little Chinese in this reading to judge it
            shares[encoding] = 0.0
            continue
        hits = 0
        for ch in cjk:
            try:
                hits += common(int.from_bytes(ch.encode(standard), "big"))
            except UnicodeEncodeError:
                pass
        shares[encoding] = hits / len(cjk)
    if not shares:
        return None
    best = max(shares, key=shares.__getitem__)
    # mostly common characters, and the other reading has at least twice the share of rare ones
    rare = 1 - shares[best]
    others = [1 - v for k, v in shares.items() if k != best]
    return best if rare <= 0.2 and all(other >= max(2 * rare, rare + 0.05) for other in others) else None


def _plausible_text_share(data: bytes, encoding: str) -> float:
    """Share of characters that are CJK, printable ASCII, white space or CJK punctuation."""
    sample = data[:8192]
    sample = sample[: len(sample) - len(sample) % 2]
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError:
        return 0.0
    if not text:
        return 0.0
    good = sum(
        1
        for ch in text
        if ("\u4e00" <= ch <= "\u9fff")
        or (" " <= ch <= "~")
        or ch in "\r\n\t"
        or ("\u3000" <= ch <= "\u303f")
        or ("\uff00" <= ch <= "\uffef")
        or ch in "“”‘’—…·"
    )
    return good / len(text)


def _common_text_pattern() -> re.Pattern[str]:
    """Runs of characters a Chinese text is mostly made of (printable ASCII, CJK ideographs and
    punctuation, full-width forms) that are neither control nor unassigned: _check_text need not
    look these up one by one. Built from unicodedata itself, so it agrees with the check."""
    ranges = [(0x20, 0x7E), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E), (0x2010, 0x2027)]
    runs: list[list[int]] = []  # consecutive accepted code points as [first, last]: a short class to compile
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            if unicodedata.category(chr(cp)) in ("Cc", "Cs", "Co", "Cn"):
                continue
            if runs and runs[-1][1] == cp - 1:
                runs[-1][1] = cp
            else:
                runs.append([cp, cp])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)
    return re.compile("[" + "".join(parts) + "\r\n\t\f]+")


_COMMON_TEXT = _common_text_pattern()


def _check_text(text: str, name: str) -> str:
    if not text.strip():
        raise UnreadableDocument(f"{name}: contains only white space")
    sample = _COMMON_TEXT.sub("", text[:20000])  # what is left may be control or unassigned
    control = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\r\n\t\f")
    sample = text[:20000]
    if control > max(3, len(sample) // 100):
        raise UnreadableDocument(
            f"{name}: decodes to {control} control or unassigned characters in its first "
            f"{len(sample)}; this is binary data, not a text document"
        )
    return text


def read_document(path: Path | str, declared_encoding: str | None = None, doc_id: str | None = None) -> Document:
    """Read one text file into a Document, refusing anything that is not a text document."""
    path = Path(path)
    if not path.exists():
        raise InputNotFound(f"{path}: no such file")
    if path.is_dir():
        raise InputNotFound(f"{path}: is a directory, not a document")
    if not path.is_file():
        raise InputNotFound(f"{path}: is not a regular file")
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(
            f"{path}: {size:,} bytes is over the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB limit "
            "for one document; split it into one file per report"
        )
    data = path.read_bytes()
    text, encoding = decode_bytes(data, declared_encoding, name=str(path))
    return Document(doc_id=doc_id or path.name, raw=text, encoding=encoding, path=path)


# ---------------------------------------------------------------- normalisation


def _fullwidth_map() -> dict[int, str]:
    table = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
    table[0x3000] = " "  # ideographic space
    table[0xFE50] = ","  # small comma
    table[0xFE6A] = "%"  # small percent
    table[0x2030] = "‰"
    # control characters and invisible bidi/format marks (display.UNSAFE) read as a space
    for cp in (*range(0xA0), 0x061C, *range(0x2000, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC)):
        if UNSAFE.match(chr(cp)):
            table[cp] = " "
    return table


_FULLWIDTH = _fullwidth_map()
# Runs of the characters _FULLWIDTH changes. str.translate looks up every character of the text
# (slow for CJK text); translating only these runs gives the same string several times faster.
_FULLWIDTH_RUN = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FULLWIDTH)) + "]+")


def _translate_fullwidth(text: str) -> str:
    return _FULLWIDTH_RUN.sub(lambda run: run.group().translate(_FULLWIDTH), text)


@lru_cache(maxsize=1)
def _traditional_map() -> dict[int, str]:
    """Traditional -> simplified, one character to one character, from OpenCC's character table.

    OpenCC's phrase tables can change a text's length, so only its character table is used:
    matching needs simplified forms, offsets need the same length.
    """
    import opencc

    table_path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in table_path.read_text(encoding="utf-8").splitlines():
        trad, _, simps = line.partition("\t")
        simp = simps.split(" ")[0] if simps else ""
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = simp
    return table


_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def traditional_character() -> re.Pattern[str]:
    """One CJK character that _traditional_map changes."""
    return re.compile("[" + "".join(chr(cp) for cp in sorted(_traditional_map()) if 0x4E00 <= cp <= 0x9FFF) + "]")


def looks_traditional(text: str) -> bool:
    """True when enough CJK characters are traditional forms that the text is a 繁體 text."""
    sample = text[:50000]
    changed = len(traditional_character().findall(sample))  # few or none in a simplified text: cheap
    if changed < 5:
        return False
    return changed / len(_CJK.findall(sample)) > 0.03


def normalise(raw: str) -> tuple[str, bool]:
    """Same-length normalised text for matching, and whether it was traditional Chinese.

    Full-width digits, letters and punctuation become ASCII; control characters and invisible
    bidi/format marks become spaces; CR of a CRLF becomes a space and a lone CR a line feed;
    traditional characters become simplified. Every change is one character
    for one character, so an offset into the result is an offset into `raw`.
    """
    text = _translate_fullwidth(raw)
    if "\r" in text:
        text = re.sub(r"\r(?=\n)", " ", text).replace("\r", "\n")
    traditional = looks_traditional(text)
    if traditional:
        text = text.translate(_traditional_map())
    return text, traditional


# ---------------------------------------------------------------- source.yaml


REQUIRED_SOURCE_FIELDS = ("body", "report_year", "file", "title", "publisher", "encoding", "sha256")


@dataclass(frozen=True)
class Source:
    """A raw document with its metadata, as described by data/raw/<body>/<year>/source.yaml."""

    body: str
    report_year: int
    path: Path
    encoding: str
    sha256: str
    meta: dict[str, Any]

    @property
    def doc_id(self) -> str:
        return f"{self.body}/{self.report_year}/{self.path.name}"

    def read(self) -> Document:
        """Verify the file is the one source.yaml describes, then read it."""
        verify_sha256(self.path, self.sha256)
        return read_document(self.path, declared_encoding=self.encoding, doc_id=self.doc_id)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        raise SourceMetadataError(
            f"{path}: sha256 is {actual}, source.yaml says {expected}; raw files are never edited - "
            "if this is a new version of the document, give it its own source.yaml entry"
        )


def known_bodies() -> dict[str, dict[str, str]]:
    from pipeline.reference import read_bodies  # checks the table: a missing or malformed one is a DataCheckError

    return read_bodies()


# ids of bodies and indicators: never a path, never a display name
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# what span a value covers (data/reference/README.md); a period's ends are YYYY, YYYY-MM or YYYY-MM-DD
PERIOD_KINDS = ("calendar_year", "session_year", "term_total", "cumulative", "point_in_time", "ordinal", "partial_year")
PERIOD_END = re.compile(r"^(?:\d{4}(?:-\d{2}(?:-\d{2})?)?)?$")


def check_body_year(body: object, year: object) -> tuple[str, int]:
    """Validate notebook/CLI parameters; a body id is never a path."""
    if not isinstance(body, str) or not IDENTIFIER.match(body):
        raise UsageError(f"body {body!r} is not an id like 'lvliang' (lower-case letters, digits, _)")
    if isinstance(year, bool) or not isinstance(year, int):
        try:
            year = int(str(year), 10)
        except ValueError as exc:
            raise UsageError(f"year {year!r} is not a whole number") from exc
    if not 1949 <= year <= 2100:
        raise UsageError(f"year {year} is out of range")
    return body, year


def load_yaml(text: str) -> Any:
    """yaml.safe_load, through libyaml when PyYAML has it (ten times faster: the taxonomy is read in
    every kernel). A document libyaml refuses is parsed again by the pure-Python parser, so the
    error raised, and the message a user reads, is the same either way."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def load_source(folder: Path) -> Source:
    """Read and check `folder/source.yaml`; the body must be one of data/reference/bodies.csv."""
    meta_path = folder / "source.yaml"
    if not meta_path.is_file():
        raise SourceMetadataError(f"{meta_path}: missing; every raw document needs its source.yaml")
    try:
        meta = load_yaml(meta_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceMetadataError(f"{meta_path}: not valid YAML ({first})") from exc
    if not isinstance(meta, dict):
        raise SourceMetadataError(f"{meta_path}: expected a mapping of fields, got {type(meta).__name__}")
    missing = [key for key in REQUIRED_SOURCE_FIELDS if not meta.get(key)]
    if missing:
        raise SourceMetadataError(f"{meta_path}: missing field(s) {', '.join(missing)}")
    body = str(meta["body"])
    if not IDENTIFIER.match(body):
        raise SourceMetadataError(f"{meta_path}: body {body!r} is not a lower-case id like 'lvliang'")
    if body not in known_bodies():
        raise SourceMetadataError(f"{meta_path}: unknown body {body!r}; add it to data/reference/bodies.csv first")
    try:
        year = int(meta["report_year"])
    except (TypeError, ValueError) as exc:
        raise SourceMetadataError(f"{meta_path}: report_year {meta['report_year']!r} is not a year") from exc
    if not 1949 <= year <= date.today().year + 1:
        raise SourceMetadataError(f"{meta_path}: report_year {year} is out of range")
    if folder.name != str(year) or folder.parent.name != body:
        raise SourceMetadataError(f"{meta_path}: says {body}/{year} but lies in {folder.parent.name}/{folder.name}")
    file_name = str(meta["file"])
    if Path(file_name).name != file_name:
        raise SourceMetadataError(f"{meta_path}: file {file_name!r} must be a plain file name in this folder")
    path = folder / file_name
    if not path.is_file():
        raise SourceMetadataError(f"{meta_path}: names {file_name}, which is not in {folder}")
    if UNSAFE.search(file_name):
        raise SourceMetadataError(
            f"{meta_path}: file {file_name!r} has control characters or bidi marks in its name; rename it"
        )
    for key in ("period_start", "period_end", "date_published"):
        if meta.get(key) is not None and not PERIOD_END.match(str(meta[key])):
            raise SourceMetadataError(f"{meta_path}: {key} {meta[key]!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if meta.get("period_kind") is not None and meta["period_kind"] not in PERIOD_KINDS:
        raise SourceMetadataError(
            f"{meta_path}: period_kind {meta['period_kind']!r} is not one of {', '.join(PERIOD_KINDS)}"
        )
    return Source(
        body=body,
        report_year=year,
        path=path,
        encoding=str(meta["encoding"]),
        sha256=str(meta["sha256"]),
        meta=meta,
    )


def discover_sources(raw_root: Path | None = None) -> list[Source]:
    """Every data/raw/<body>/<year>/ folder, sorted; a folder without source.yaml is an error."""
    root = raw_root or paths.RAW
    sources = []
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        sources.append(load_source(folder))
    return sources


def find_source(body: str, year: int) -> Source:
    folder = paths.raw_dir(body, year)
    if not folder.is_dir():
        raise InputNotFound(f"{folder}: no raw document for body {body!r} and year {year}")
    return load_source(folder)
