"""Reading a document: bytes -> text, with the encoding detected and said, never guessed silently.

Offsets everywhere in the project index the *decoded* text exactly as `bytes.decode` returns it
(a UTF-8 BOM is not part of the text; CR characters are). That is the text
`open(path, encoding=..., newline="")` gives, so `raw[start:end]` is always the figure's text.
Matching runs on a normalised copy of the same length (see `normalise`), never on a shortened one.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputNotFound, SourceMetadataError, UnreadableDocument
from pipeline.text.normalise import normalise
from pipeline.text.patterns import CJK, code_point_class

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


# Codecs Python calls text encodings that do not turn a text file's bytes into its text: escapes and
# host-name encodings (they can make lone surrogates, or raise UnicodeError), and the one that refuses
# everything. Bytes-to-bytes codecs (base64, hex, rot13, zlib…) are refused by their own flag.
_NOT_FILE_ENCODINGS = frozenset(
    {"punycode", "idna", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem"}
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_codec(name: str) -> str:
    """The codec name for `name` if it is an encoding of text files; LookupError (with why) if not."""
    try:
        info = codecs.lookup(name)
    except LookupError as exc:
        raise LookupError("no such encoding") from exc
    if not getattr(info, "_is_text_encoding", True):
        raise LookupError(f"{info.name} is a bytes-to-bytes codec, not a text encoding")
    if info.name.replace("-", "_") in _NOT_FILE_ENCODINGS:
        raise LookupError(f"{info.name} is not an encoding of text files")
    return info.name


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
        raise UnreadableDocument(f"{name}: the file is empty; give the file with the report's text")
    if declared:
        try:
            codec = text_codec(declared)
        except LookupError as exc:
            raise SourceMetadataError(
                f"{name}: encoding {declared!r} in source.yaml: {exc}; write the file's real encoding there "
                "(e.g. utf-8, gb18030, big5, utf-16)"
            ) from exc
        try:
            text = data.decode("utf_8_sig" if codec == "utf-8" else codec)
        except UnicodeError as exc:  # UnicodeDecodeError, or a codec's own UnicodeError
            where = f"byte {exc.start}: {exc.reason}" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise UnreadableDocument(
                f"{name}: does not decode as its declared encoding {declared} ({where}); "
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
        raise UnreadableDocument(
            f"{name}: contains NUL bytes; this is a binary file, not text; convert it to UTF-8 text first"
        )
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
        cjk = CJK.findall(text[:20000])
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
    refused = lambda c: unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn")  # noqa: E731
    return re.compile(code_point_class(ranges, refused, "\r\n\t\f") + "+")


_COMMON_TEXT = _common_text_pattern()


def _check_text(text: str, name: str) -> str:
    if not text.strip():
        raise UnreadableDocument(f"{name}: contains only white space; give the file with the report's text")
    surrogate = _SURROGATE.search(text)
    if surrogate:  # no text file holds one; it cannot even be written out again as UTF-8
        raise UnreadableDocument(
            f"{name}: decodes to a lone surrogate (U+{ord(surrogate.group()):04X}) at character {surrogate.start()}; "
            "this is not text in that encoding; give the file's real encoding (encoding: in source.yaml, "
            "or pipeline extract --encoding)"
        )
    sample = _COMMON_TEXT.sub("", text[:20000])  # what is left may be control or unassigned
    control = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\r\n\t\f")
    sample = text[:20000]
    if control > max(3, len(sample) // 100):
        raise UnreadableDocument(
            f"{name}: decodes to {control} control or unassigned characters in its first "
            f"{len(sample)}; this is binary data, not a text document; convert it to UTF-8 text first"
        )
    return text


def regular_file_size(path: Path) -> int:
    """The size of `path`, a regular file; a missing path, a folder or a device is refused by name."""
    if not path.exists():
        raise InputNotFound(f"{path}: no such file; check the path (relative to the folder you run from)")
    if path.is_dir():
        raise InputNotFound(f"{path}: is a directory, not a document")
    if not path.is_file():
        raise InputNotFound(f"{path}: is not a regular file")
    return path.stat().st_size


def read_document(path: Path | str, declared_encoding: str | None = None, doc_id: str | None = None) -> Document:
    """Read one text file into a Document, refusing anything that is not a text document."""
    path = Path(path)
    size = regular_file_size(path)
    if size > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(
            f"{path}: {size:,} bytes is over the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB limit "
            "for one document; split it into one file per report"
        )
    data = path.read_bytes()
    text, encoding = decode_bytes(data, declared_encoding, name=str(path))
    return Document(doc_id=doc_id or path.name, raw=text, encoding=encoding, path=path)
