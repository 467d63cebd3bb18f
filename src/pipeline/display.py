"""Text that reaches a person: a terminal line, a table cell, a notebook output.

Documents and hand-kept tables come from copied web pages and county sites; they can carry
control characters (an ESC that recolours or retitles a terminal, a NUL, a bell) and bidi
controls (U+202E turns the rest of a line around, so 12 reads as 21). Where text is shown it is
either cleaned (data fields: those characters removed) or made visible (a stderr line: escaped).
HTML is not escaped here; whoever renders HTML escapes it (pandas does in notebook tables).
"""

from __future__ import annotations

import re
import sys

# C0 and C1 controls other than tab, line feed and carriage return; DEL.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidi controls and invisible format characters: ALM, zero-width space/joiners, LRM/RLM,
# embeddings and overrides, word joiner and invisible operators, isolates, BOM, interlinear marks.
_FORMAT = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
UNSAFE = re.compile(f"[{_CONTROL}{_FORMAT}]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029\x85]")


def clean_text(text: str) -> str:
    """A data field as it may be shown: unsafe characters removed, tabs and line breaks as spaces."""
    return UNSAFE.sub("", _LINE_BREAKS.sub(" ", text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """One line for stderr: line breaks become spaces, other unsafe characters visible escapes."""
    return UNSAFE.sub(_escape, _LINE_BREAKS.sub(" ", text))


def note(message: str) -> None:
    """One line on stderr, prefixed `pipeline: `; a file name with control characters or bidi
    marks cannot garble the terminal or split the line."""
    print(f"pipeline: {for_terminal(message)}", file=sys.stderr, flush=True)
