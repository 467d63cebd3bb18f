"""Same-length normalisation: full-width forms, control marks, CR and traditional characters, one
character for one character, so an offset into the normalised text is an offset into the raw."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pipeline.display import UNSAFE
from pipeline.text.patterns import CJK


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


# Text copied from the web carries zero-width characters, even inside a number (1\u200b2次). Between
# two digits they read as NUMBER_JOINER, which numerals skip inside a number; anywhere else as a
# space, like the other invisible marks. One character for one, so offsets hold.
NUMBER_JOINER = "\u200b"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_IN_NUMBER = re.compile(f"(?<=[0-9\uff10-\uff19])[{_ZERO_WIDTH}]+(?=[0-9\uff10-\uff19])")
# Digits of other scripts (Arabic-Indic ٣٤, Devanagari…) are no numerals of a Chinese report: `\d`
# and int() would read ٣٤ as 34. They read as U+FFFD, which is no digit, so no figure is made of them.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
OTHER_DIGIT_MARK = "\ufffd"


def _join_numbers(raw: str, text: str) -> str:
    """`text` (raw, translated) with the zero-width runs of raw that sit between digits as NUMBER_JOINER."""
    if not any(ch in raw for ch in _ZERO_WIDTH):
        return text
    parts, last = [], 0
    for match in _ZERO_WIDTH_IN_NUMBER.finditer(raw):
        parts += [text[last : match.start()], NUMBER_JOINER * (match.end() - match.start())]
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


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
    return changed / len(CJK.findall(sample)) > 0.03


def normalise(raw: str) -> tuple[str, bool]:
    """Same-length normalised text for matching, and whether it was traditional Chinese.

    Full-width digits, letters and punctuation become ASCII; control characters and invisible
    bidi/format marks become spaces (zero-width ones between digits NUMBER_JOINER); digits of
    other scripts become U+FFFD; CR of a CRLF becomes a space and a lone CR a line feed;
    traditional characters become simplified. Every change is one character
    for one character, so an offset into the result is an offset into `raw`.
    """
    text = _join_numbers(raw, _translate_fullwidth(raw))
    if not text.isascii():
        text = _OTHER_DIGIT.sub(OTHER_DIGIT_MARK, text)
    if "\r" in text:
        text = re.sub(r"\r(?=\n)", " ", text).replace("\r", "\n")
    traditional = looks_traditional(text)
    if traditional:
        text = text.translate(_traditional_map())
    return text, traditional
