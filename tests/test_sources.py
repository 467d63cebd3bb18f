import codecs
import dataclasses
import hashlib
import shutil

import pytest
import yaml

from pipeline.errors import InputNotFound, SourceMetadataError, UnreadableDocument
from pipeline.extract.figures import extract
from pipeline.reference.readers import load_yaml
from pipeline.reference.sources import load_source
from pipeline.text.document import Document, decode_bytes, read_document
from pipeline.text.normalise import normalise

from .conftest import ROOT, SEED

REPORT = "一年来,市人大常委会召开常委会会议12次,审议法规草案6件,任免国家机关工作人员85人次。\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),
    ],
)
def test_decodes_each_encoding_to_the_same_text(encoding, prefix, expected):
    data = prefix + (REPORT * 3).encode(encoding)
    text, found = decode_bytes(data)
    assert text == REPORT * 3
    assert found == expected


def test_utf16_without_bom_is_recognised():
    text, found = decode_bytes((REPORT * 3).encode("utf-16-le"))
    assert text == REPORT * 3
    assert found == "utf_16_le"


def test_big5_traditional_text():
    trad = "市人大常委會召開常委會會議12次,審議法規草案6件,任免國家機關工作人員85人次。" * 3
    text, found = decode_bytes(trad.encode("big5"))
    assert text == trad
    assert found.startswith("big5")


def test_declared_encoding_is_used_strictly():
    data = REPORT.encode("gb18030")
    assert decode_bytes(data, declared="gb18030")[0] == REPORT
    with pytest.raises(UnreadableDocument, match="declared encoding utf-8"):
        decode_bytes(data, declared="utf-8")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t \r\n", "white space"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\x00\x01\x02\x03\xff\xfe\x00abc\x00\x00\x00\x00", "binary"),
        (bytes(range(1, 32)) * 40, "not a text document"),
    ],
)
def test_unreadable_bytes_are_refused_with_a_reason(data, message):
    with pytest.raises(UnreadableDocument, match=message):
        decode_bytes(data)


def test_normalise_keeps_length_and_maps_fullwidth():
    raw = "召开会议１５次，审议法规３件；比例９８．６％。\r\n下一行"
    norm, traditional = normalise(raw)
    assert len(norm) == len(raw)
    assert not traditional
    assert norm.startswith("召开会议15次,审议法规3件;比例98.6%。 \n")


def test_traditional_text_is_matched_as_simplified_with_offsets_kept():
    raw = "市人大常委會全年召開常委會會議12次,審議法規草案6件,任免國家機關工作人員85人次,辦理代表建議320件。"
    doc = Document(doc_id="t", raw=raw, encoding="utf-8")
    assert doc.traditional
    figures = extract(doc).figures
    assert [(f.text, int(f.value), f.unit) for f in figures] == [
        ("12次", 12, "次"),
        ("6件", 6, "件"),
        ("85人次", 85, "人次"),
        ("320件", 320, "件"),
    ]
    assert all(raw[f.start : f.end] == f.text for f in figures)
    assert "會議" in figures[0].indicator or "会议" in figures[0].indicator


def test_crlf_offsets_point_into_the_decoded_text():
    raw = "前言\r\n\r\n召开常委会会议9次,作出决议决定5项。\r\n\r\n完成人事任免67人次。\r\n"
    doc = Document(doc_id="t", raw=raw, encoding="utf-8")
    figures = extract(doc).figures
    assert [raw[f.start : f.end] for f in figures] == ["9次", "5项", "67人次"]


def test_fullwidth_figures_keep_their_raw_text():
    raw = "全年召开常委会会议１５次，听取审议专项工作报告２２项，满意度达到９８．６％。"
    doc = Document(doc_id="t", raw=raw, encoding="utf-8")
    figures = extract(doc).figures
    assert [(f.text, str(f.value), f.unit) for f in figures] == [
        ("１５次", "15", "次"),
        ("２２项", "22", "项"),
        ("９８．６％", "98.6", "%"),
    ]


def test_read_document_path_errors(tmp_path):
    with pytest.raises(InputNotFound, match="no such file"):
        read_document(tmp_path / "missing.txt")
    with pytest.raises(InputNotFound, match="directory"):
        read_document(tmp_path)


# ---------------------------------------------------------------- source.yaml


@pytest.fixture
def raw_copy(tmp_path):
    folder = tmp_path / "lvliang" / "2023"
    folder.mkdir(parents=True)
    shutil.copy(SEED, folder / SEED.name)
    shutil.copy(SEED.parent / "source.yaml", folder / "source.yaml")
    return folder


def test_shipped_source_yaml_verifies(raw_copy):
    source = load_source(raw_copy)
    assert (source.body, source.report_year) == ("lvliang", 2023)
    assert source.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert len(source.read().raw) == 4918


def test_changed_raw_file_fails_the_sha256_check(raw_copy):
    path = raw_copy / SEED.name
    path.write_bytes(path.read_bytes().replace("9次".encode(), "8次".encode(), 1))
    with pytest.raises(SourceMetadataError, match="sha256"):
        load_source(raw_copy).read()


def test_missing_source_yaml(raw_copy):
    (raw_copy / "source.yaml").unlink()
    with pytest.raises(SourceMetadataError, match="missing"):
        load_source(raw_copy)


def test_malformed_source_yaml(raw_copy):
    (raw_copy / "source.yaml").write_text("body: [unclosed\n", encoding="utf-8")
    with pytest.raises(SourceMetadataError, match="not valid YAML"):
        load_source(raw_copy)


def test_unknown_body(raw_copy, tmp_path):
    meta = yaml.safe_load((raw_copy / "source.yaml").read_text(encoding="utf-8"))
    meta["body"] = "atlantis"
    folder = tmp_path / "atlantis" / "2023"
    folder.mkdir(parents=True)
    shutil.copy(SEED, folder / SEED.name)
    (folder / "source.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SourceMetadataError, match="unknown body 'atlantis'"):
        load_source(folder)


@pytest.mark.parametrize("name", ["data/raw/lvliang/2023/source.yaml", "data/reference/indicators.yaml"])
def test_the_fast_yaml_reader_reads_what_the_pure_python_one_reads(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.safe_load(text)


def test_a_yaml_error_is_the_pure_python_parsers_own():
    broken = "title: 吕梁\nbody: [lvliang\nyear: 2023\n"
    with pytest.raises(yaml.YAMLError) as fast:
        load_yaml(broken)
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(broken)
    assert str(fast.value) == str(pure.value)


def test_source_yaml_is_parsed_once_per_state_and_again_when_rewritten(raw_copy, monkeypatch):
    from pipeline.reference import sources

    parsed, strict = [], sources.load_yaml_strict
    monkeypatch.setattr(sources, "load_yaml_strict", lambda text: parsed.append(text) or strict(text))
    load_source(raw_copy)
    load_source(raw_copy)
    assert len(parsed) == 2  # written just now: its mtime may not tell two writes apart, so parsed each time
    monkeypatch.setattr(sources, "trust_margin", lambda *stamps: -(10**18))  # as if written long ago
    first = load_source(raw_copy)
    first.meta["body"] = "changed by a caller"  # a caller's edit does not reach the next reader
    again = load_source(raw_copy)
    assert len(parsed) == 3 and again.meta["body"] == "lvliang" and again.report_year == 2023
    meta = raw_copy / "source.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("report_year: 2023", "report_year: 2099"), "utf-8")
    with pytest.raises(SourceMetadataError, match="2099"):
        load_source(raw_copy)  # another state of the file: parsed again
    assert len(parsed) == 4


def test_a_listing_is_reused_while_the_raw_tree_is_unchanged_and_redone_when_it_changes(raw_copy, monkeypatch):
    from pipeline.reference import sources

    root = raw_copy.parent.parent
    loaded, load = [], sources.load_source
    counted = lambda folder, bodies=None: loaded.append(folder) or load(folder, bodies)  # noqa: E731
    monkeypatch.setattr(sources, "load_source", counted)
    sources.discover_sources(root)
    sources.discover_sources(root)
    assert len(loaded) == 2  # written just now: the tree's stats may not tell two writes apart
    monkeypatch.setattr(sources, "trust_margin", lambda *stamps: -(10**18))  # as if written long ago
    first = sources.discover_sources(root)
    first[0].meta["title"] = "changed by a caller"  # a caller's edit does not reach the next listing
    again = sources.discover_sources(root)
    assert len(loaded) == 3 and again[0].meta["title"] != "changed by a caller"
    meta = raw_copy / "source.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("report_year: 2023", "report_year: 2099"), "utf-8")
    with pytest.raises(SourceMetadataError, match="2099"):
        sources.discover_sources(root)  # a changed source.yaml is seen
    meta.write_text((SEED.parent / "source.yaml").read_text(encoding="utf-8"), "utf-8")
    assert [s.doc_id for s in sources.discover_sources(root)] == [f"lvliang/2023/{SEED.name}"]
    shutil.copytree(raw_copy, root / "lvliang" / "2024")  # a folder added is listed (and checked)
    with pytest.raises(SourceMetadataError, match="lies in lvliang/2024"):
        sources.discover_sources(root)


def test_a_saved_listing_serves_the_next_process_until_the_raw_tree_changes(raw_copy, monkeypatch):
    from pipeline import paths
    from pipeline.reference import sources

    root = raw_copy.parent.parent
    (root.parent / "interim").mkdir()
    monkeypatch.setattr(paths, "RAW", root)
    monkeypatch.setattr(paths, "INTERIM", root.parent / "interim")
    monkeypatch.setattr(sources, "trust_margin", lambda *stamps: -(10**18))  # as if written long ago
    monkeypatch.setattr(sources, "_LISTED", {})
    monkeypatch.setattr(sources, "_SAVED", {})
    listed = sources.discover_sources()
    sources.save_listing()
    assert (root.parent / "interim" / ".sources.json").is_file()
    loaded, load = [], sources.load_source
    counted = lambda folder, bodies=None: loaded.append(folder) or load(folder, bodies)  # noqa: E731
    monkeypatch.setattr(sources, "load_source", counted)
    sources._LISTED.clear()  # another process: only the file on disk
    assert sources.discover_sources() == listed and loaded == []
    meta = raw_copy / "source.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("title:", "title: new"), "utf-8")
    sources._LISTED.clear()
    (again,) = sources.discover_sources()  # the tree changed: the saved listing is not used
    assert loaded == [raw_copy] and again.meta["title"].startswith("new")
    (root.parent / "interim" / ".sources.json").write_text("{not json", "utf-8")
    sources._LISTED.clear()
    assert sources.discover_sources() == [again] and len(loaded) == 2  # unreadable: listed from the files


def test_a_listing_json_would_not_give_back_as_it_was_is_not_saved(raw_copy, monkeypatch, tmp_path):
    from pipeline import paths
    from pipeline.reference import sources

    root = raw_copy.parent.parent
    monkeypatch.setattr(paths, "RAW", root)
    monkeypatch.setattr(paths, "INTERIM", tmp_path)
    monkeypatch.setattr(sources, "trust_margin", lambda *stamps: -(10**18))
    monkeypatch.setattr(sources, "_LISTED", {})
    monkeypatch.setattr(sources, "_SAVED", {})
    saved = tmp_path / ".sources.json"
    for odd in ({2023: "a number key"}, {"tags": {"a", "set"}}):
        sources.discover_sources()
        state, (source,) = sources._LISTED[str(root)]
        sources._LISTED[str(root)] = (state, [dataclasses.replace(source, meta={**source.meta, **odd})])
        sources.save_listing()  # a number key comes back a text, a set not at all: the files are listed next time
        assert not saved.exists()
        sources._LISTED.clear()
