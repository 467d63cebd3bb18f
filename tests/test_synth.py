"""The synthetic corpus generator: varied documents whose figures are still known and found."""

import unicodedata
from decimal import Decimal

import pytest

from pipeline.extract.figures import extract
from pipeline.text.document import Document
from tests import synth

from .scoring import full_ok, match, value_ok


@pytest.fixture(scope="module")
def templates():
    return synth.default_templates()


@pytest.fixture(scope="module")
def documents(templates):
    return list(synth.generate(templates, 40, seed=7))


def _pooled_f1(documents, level):
    tp = fp = fn = 0
    for doc in documents:
        figures = extract(Document(doc_id=doc.name, raw=doc.text, encoding="utf-8")).figures
        pairs, false_alarms = match(figures, list(doc.gold))
        required = [m for m in pairs if m.gold["required"] != "0"]
        hits = sum(1 for m in required if level(m))
        tp += hits
        fn += len(required) - hits
        fp += len(false_alarms) + sum(1 for m in required if m.figure is not None and not level(m))
    return 2 * tp / (2 * tp + fp + fn)


def test_templates_are_the_seed_and_the_fixtures(templates):
    names = {t.name for t in templates}
    assert "000_27d8ef8a85ace649" in names and "traps" in names and "mixed_width_crlf" in names
    assert len(templates) >= 15


def test_gold_offsets_index_the_generated_text(documents):
    for doc in documents:
        for row in doc.gold:
            assert doc.text[int(row["start"]) : int(row["end"])] == row["text"]


def test_documents_are_varied_not_copies(templates, documents):
    originals = {t.text for t in templates}
    assert not any(doc.text in originals for doc in documents)
    # numbers changed: most figures of a document differ from its template's
    by_name = {t.name: t for t in templates}
    changed = total = 0
    for doc in documents:
        template = by_name[doc.template]
        for old, new in zip(template.gold, doc.gold, strict=True):
            total += 1
            changed += old["value"] != new["value"]
    assert changed / total > 0.6
    # and so did the way some numbers are written, and the place names
    texts = [row["text"] for doc in documents for row in doc.gold]
    assert any(t[0] in "０１２３４５６７８９" for t in texts)
    assert any(t[0] in "三四五六七八九十" for t in texts)
    assert not any("吕梁" in doc.text for doc in documents if doc.template == "000_27d8ef8a85ace649")


def test_varied_values_are_consistent_with_their_text(documents):
    # 2万余条 -> 3万余条 must say 30000; a value is the written number times a power of ten
    for doc in documents:
        for row in doc.gold:
            text = unicodedata.normalize("NFKC", row["text"])  # full-width digits too (５８０．６万元)
            if text.endswith("万元") and text[0].isdigit():
                number = Decimal(text.rstrip("万元余多").replace(",", ""))
                assert Decimal(row["value"]) == number * 10000, row


def test_same_seed_same_bytes_other_seed_other_text(templates):
    first = [d.text for d in synth.generate(templates, 5, seed=3)]
    again = [d.text for d in synth.generate(templates, 5, seed=3)]
    other = [d.text for d in synth.generate(templates, 5, seed=4)]
    assert first == again
    assert first != other


def test_min_chars_joins_templates(templates):
    docs = list(synth.generate(templates, 5, seed=1, min_chars=8000))
    assert all(len(d.text) >= 8000 and "+" in d.template for d in docs)
    for doc in docs:
        for row in doc.gold:
            assert doc.text[int(row["start"]) : int(row["end"])] == row["text"]


def test_the_extractor_finds_the_known_figures(documents):
    # the templates score 1.000 (value) and ≥ 0.98 (full); varied copies must stay close
    assert _pooled_f1(documents, value_ok) >= 0.98
    assert _pooled_f1(documents, full_ok) >= 0.95


def test_write_corpus(tmp_path, templates):
    written = synth.write_corpus(tmp_path, 3, seed=2, templates=templates)
    assert [p.name for p in written] == ["synth_00000.txt", "synth_00001.txt", "synth_00002.txt"]
    gold = synth.read_gold(tmp_path / "synth_00001.gold.csv")
    text = written[1].read_text(encoding="utf-8")
    assert gold and all(text[int(r["start"]) : int(r["end"])] == r["text"] for r in gold)
