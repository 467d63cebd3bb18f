"""Regular expressions built for speed, with the same matches as the plain ones.

Python's `re` tries the branches of an alternation one by one: a list of 150 verbs costs 150 tests
at every position. A prefix tree (召开|组织(?:开展)?|…) costs one test per character instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def code_point_class(ranges: Iterable[tuple[int, int]], refused: Callable[[str], bool], extra: str = "") -> str:
    """A character class of the code points in `ranges` that `refused` lets through, plus `extra`:
    consecutive code points as one a-b range, so the class stays short to compile and quick to match
    (a fast path that agrees with a check done character by character, because it is built from it)."""
    runs: list[list[int]] = []  # consecutive accepted code points as [first, last]
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            if refused(chr(cp)):
                continue
            if runs and runs[-1][1] == cp - 1:
                runs[-1][1] = cp
            else:
                runs.append([cp, cp])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)
    return "[" + "".join(parts) + extra + "]"


# one CJK unified ideograph (the basic block: what Chinese report text is written in)
CJK = re.compile(r"[\u4e00-\u9fff]")


def literal_alternation(words: Iterable[str]) -> str:
    """A pattern matching exactly what `"|".join(sorted(words, key=len, reverse=True))` matches.

    At any position that alternation matches the longest word that fits there (no two different
    words of one length fit at one position). The prefix tree below does too: every branch is
    greedy, so a longer word is tried before the shorter one it extends.
    """
    tree: dict = {}
    for word in set(words):
        if not word:
            raise ValueError("an empty word matches everywhere")
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    return _pattern(tree)


def _pattern(node: dict) -> str:
    ends = "" in node
    branches = [re.escape(ch) + _pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:  # the word may stop here: try the longer ones first (greedy ?)
        return "(?:" + body + ")?" if len(branches) > 1 or len(body) > 1 else body + "?"
    return body
