"""jieba's word list, looked up from an SQLite copy instead of loaded whole into every process.

Layout repair asks the word list two small questions: how common is the word that a column break
may have cut (`count`), and what is the first word jieba finds at the start of a paragraph
(`first_word`, the same answer as `jieba.lcut(text, HMM=False)[0]`). Loading jieba's dictionary
builds a dict of 580,000 strings, about 0.75 s in every kernel and worker process, for a few dozen
lookups. The copy is written once per machine and jieba version, under the user's cache folder
(`$XDG_CACHE_HOME`, else `~/.cache`; `ANNUAL_FIGURES_CACHE` overrides), atomically, so processes
that start together never read half a file. Where no cache folder can be written, the lookups use
jieba's own dictionary in memory: slower to start, the same answers.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import math
import os
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pipeline.atomic import atomic_path

# what jieba treats as one block of text to segment (its re_han_default), and ASCII word characters
_HAN_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_ASCII_WORD_CHAR = re.compile(r"[a-zA-Z0-9]")
_SCHEMA = 1


class _Counts(Protocol):
    def get(self, word: str) -> int | None: ...


class Lexicon:
    """Counts of jieba's dictionary: a word's count, 0 for a prefix of a word only, None otherwise."""

    def __init__(self, counts: _Counts, total: int) -> None:
        self._counts = counts
        self.total = total
        self._log_total = math.log(total)

    def count(self, word: str) -> int:
        return self._counts.get(word) or 0

    def first_word(self, text: str) -> str:
        """The first word of jieba's segmentation of `text` without its HMM (jieba.lcut(text, HMM=False)[0])."""
        if not text:
            raise ValueError("no text to segment")
        block = _HAN_BLOCK.match(text)
        if block is None:  # outside jieba's blocks every character is a word, and so is a Windows line end
            return "\r\n" if text.startswith("\r\n") else text[0]
        return self._best_first_word(block.group())

    def _best_first_word(self, sentence: str) -> str:
        # jieba's maximum-probability route over the DAG of dictionary words, computed from the end;
        # ties go to the longer word, as max() over (score, end) tuples does in jieba
        n = len(sentence)
        ends: list[list[int]] = []
        for k in range(n):
            found = []
            i = k
            fragment = sentence[k]
            while i < n:
                count = self._counts.get(fragment)
                if count is None:
                    break
                if count:
                    found.append(i)
                i += 1
                fragment = sentence[k : i + 1]
            ends.append(found or [k])
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for k in range(n - 1, -1, -1):
            route[k] = max(
                (math.log(self._counts.get(sentence[k : x + 1]) or 1) - self._log_total + route[x + 1][0], x)
                for x in ends[k]
            )
        # jieba then joins runs of single ASCII letters and digits into one word
        ascii_run, k = "", 0
        while k < n:
            word = sentence[k : route[k][1] + 1]
            if len(word) != 1 or not _ASCII_WORD_CHAR.match(word):
                return ascii_run or word
            ascii_run += word
            k += 1
        return ascii_run


class _SqliteCounts:
    def __init__(self, path: Path) -> None:
        # read-only and immutable: no locking, no journal, safe for many processes at once
        self._db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._select = "SELECT count FROM words WHERE word = ?"

    def get(self, word: str) -> int | None:
        row = self._db.execute(self._select, (word,)).fetchone()
        return None if row is None else row[0]

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]


def cache_folder() -> Path:
    override = os.environ.get("ANNUAL_FIGURES_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "annual-figures"


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces its dictionary on stderr otherwise
    return jieba


def _cache_path() -> Path:
    # named by jieba's version and its dictionary's size, found without importing jieba (0.15 s)
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is not installed", name="jieba")
    dictionary = Path(spec.origin).with_name("dict.txt")
    size = dictionary.stat().st_size if dictionary.is_file() else 0
    return cache_folder() / f"jieba-{importlib.metadata.version('jieba')}-{size}-v{_SCHEMA}.sqlite"


def _write_copy(path: Path, counts: dict[str, int], total: int) -> None:
    with atomic_path(path) as tmp:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.executemany("INSERT INTO words VALUES (?, ?)", sorted(counts.items()))
            db.execute("INSERT INTO meta VALUES ('total', ?)", (str(total),))
            db.commit()
        finally:
            db.close()


def _open_copy(path: Path) -> Lexicon | None:
    try:
        counts = _SqliteCounts(path)
        total = counts.meta("total")
    except sqlite3.DatabaseError:  # damaged: not a database, or not ours
        return None
    return None if total is None else Lexicon(counts, int(total))


@lru_cache(maxsize=4)
def _lexicon_for_process(pid: int) -> Lexicon:
    # one per process: an SQLite connection must not cross a fork
    path = _cache_path()
    if path.is_file():
        opened = _open_copy(path)
        if opened is not None:
            return opened
    # no copy yet, or a damaged one: read jieba's dictionary, and write a fresh copy for next time
    jieba = _jieba()
    jieba.initialize()
    try:
        _write_copy(path, jieba.dt.FREQ, jieba.dt.total)
    except (OSError, sqlite3.Error):
        pass  # no cache folder to write: the same answers, a slower start
    return Lexicon(jieba.dt.FREQ, jieba.dt.total)


def lexicon() -> Lexicon:
    return _lexicon_for_process(os.getpid())
