"""The on-disk copy of jieba's word list answers as jieba does, and is built, reused and repaired."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import jieba
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.text import lexicon

ROOT = Path(__file__).resolve().parents[1]
TEXTS = sorted((ROOT / "tests" / "fixtures").rglob("*.txt")) + sorted((ROOT / "data" / "raw").rglob("*.txt"))

jieba.setLogLevel(logging.WARNING)
jieba.initialize()


def _jieba_first(text: str) -> str:
    return jieba.lcut(text, HMM=False)[0]


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNUAL_FIGURES_CACHE", str(tmp_path / "cache"))
    lexicon._lexicon_for_process.cache_clear()
    yield tmp_path / "cache"
    lexicon._lexicon_for_process.cache_clear()


def test_the_first_word_is_jiebas_on_every_window_of_the_shipped_texts():
    words = lexicon.lexicon()
    windows = 0
    for path in TEXTS:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for start in range(0, max(len(text) - 8, 0), 2):
            window = text[start : start + 8]
            assert words.first_word(window) == _jieba_first(window), (path.name, window)
            windows += 1
    assert windows > 20_000


_HAN = "人大常委会议代表建议执法检查审定工作报告效维护群众合法权益"
_MIXED = st.text(
    alphabet=st.sampled_from(list(_HAN) + list("ab9Z.%-+ ，。\r\n\u3000")),
    min_size=1,
    max_size=10,
)


@given(_MIXED)
def test_the_first_word_is_jiebas_on_mixed_text(text):
    assert lexicon.lexicon().first_word(text) == _jieba_first(text)


def test_counts_are_jiebas_words_prefixes_count_nothing():
    words = lexicon.lexicon()
    sample = list(jieba.dt.FREQ.items())[::97]
    assert len(sample) > 5_000
    for word, count in sample:
        assert words.count(word) == count, word
    assert words.count("不是词不是词") == 0
    assert words.total == jieba.dt.total


def test_the_copy_is_written_once_and_later_processes_do_not_load_jieba(own_cache):
    assert lexicon.lexicon().count("代表") == jieba.dt.FREQ["代表"]
    copies = list(own_cache.glob("jieba-*.sqlite"))
    assert len(copies) == 1 and not list(own_cache.glob("*.tmp"))
    probe = (
        "import sys; from pipeline.text import lexicon; w = lexicon.lexicon(); "
        "print(w.count('代表'), w.first_word('效维护群众合法'), 'jieba' in sys.modules)"
    )
    env = {**os.environ, "ANNUAL_FIGURES_CACHE": str(own_cache)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == [str(jieba.dt.FREQ["代表"]), _jieba_first("效维护群众合法"), "False"]
    assert list(own_cache.glob("jieba-*.sqlite")) == copies


def test_a_damaged_copy_gives_the_same_answers_and_is_replaced(own_cache):
    lexicon.lexicon()
    (copy,) = own_cache.glob("jieba-*.sqlite")
    copy.write_bytes(b"not a database at all" * 100)
    lexicon._lexicon_for_process.cache_clear()
    assert lexicon.lexicon().count("常委会") == jieba.dt.FREQ.get("常委会", 0)
    assert copy.read_bytes()[:16] == b"SQLite format 3\x00"  # written afresh
    lexicon._lexicon_for_process.cache_clear()
    words = lexicon.lexicon()
    assert isinstance(words._counts, lexicon._SqliteCounts)
    assert words.first_word("审议通过") == _jieba_first("审议通过")


def test_without_a_writable_cache_folder_the_answers_are_the_same(own_cache):
    own_cache.parent.mkdir(exist_ok=True)
    own_cache.write_text("a file where the folder should be")
    words = lexicon.lexicon()
    assert words.count("代表") == jieba.dt.FREQ["代表"]
    assert words.first_word("效维护群众") == _jieba_first("效维护群众")
