"""issue 12: the per-document interim tables are deterministic gzip-compressed CSV."""

import gzip

import pytest

from pipeline import interim_csv

TEXT = 'doc_id,text\nd1,八届人大常委会\nd2,"a,b"\r\n'


def test_the_same_rows_give_the_same_bytes_and_nothing_in_the_header_varies(tmp_path):
    data = interim_csv.compress(TEXT)
    assert data == interim_csv.compress(TEXT)
    assert data[:3] == b"\x1f\x8b\x08"
    assert data[3] == 0  # flags: no file name, no comment, no extra field
    assert data[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert gzip.decompress(data).decode("utf-8") == TEXT
    first = interim_csv.write_table(tmp_path / "a" / "figures.csv.gz", TEXT).read_bytes()
    second = interim_csv.write_table(tmp_path / "b" / "other.csv.gz", TEXT).read_bytes()
    assert first == second == data  # the target's name and the time are not in the bytes


def test_a_table_reads_back_as_written_a_cr_in_a_cell_kept(tmp_path):
    path = interim_csv.write_table(tmp_path / "checks.csv.gz", TEXT)
    assert interim_csv.read_text(path) == TEXT
    plain = tmp_path / "old.csv"
    plain.write_bytes(TEXT.encode("utf-8"))
    assert interim_csv.read_text(plain) == TEXT


def test_writing_the_gz_removes_the_plain_table_and_leaves_no_temp_file(tmp_path):
    (tmp_path / "comparison.csv").write_text("old\n", encoding="utf-8")
    assert interim_csv.find(tmp_path, "comparison.csv") == tmp_path / "comparison.csv"
    interim_csv.write_table(tmp_path / "comparison.csv.gz", TEXT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comparison.csv.gz"]
    assert interim_csv.find(tmp_path, "comparison.csv") == tmp_path / "comparison.csv.gz"
    assert interim_csv.find(tmp_path, "checks.csv") is None
    assert interim_csv.path_of(tmp_path, "checks.csv") == tmp_path / "checks.csv.gz"


def test_only_a_gz_name_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"<name>\.csv\.gz"):
        interim_csv.write_table(tmp_path / "figures.csv", TEXT)
    assert list(tmp_path.iterdir()) == []
