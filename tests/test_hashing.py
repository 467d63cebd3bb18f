"""One sha256 of a file, and the incremental runner's cache of it by file state."""

import hashlib
import os

import pytest

from pipeline.hashing import sha256_of
from pipeline.reference import sources
from pipeline.run import incremental


@pytest.mark.parametrize("size", [0, 5, (1 << 20) - 1, 1 << 20, (5 << 19) + 3])  # around the 1 MiB block
def test_sha256_of_is_the_digest_of_the_whole_file(tmp_path, size):
    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()
    assert sha256_of(str(path)) == hashlib.sha256(data).hexdigest()


def test_sha256_of_a_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        sha256_of(tmp_path / "absent")


def test_source_check_and_incremental_cache_share_one_implementation():
    assert sources.sha256_of is sha256_of
    assert incremental.sha256_of is sha256_of


@pytest.fixture
def hashed(monkeypatch) -> list:
    """The paths whose bytes the incremental cache reads, in order, from an empty cache."""
    calls = []

    def counting(path):
        calls.append(path)
        return sha256_of(path)

    monkeypatch.setattr(incremental, "sha256_of", counting)
    monkeypatch.setattr(incremental, "_HASHES", {})
    return calls


def test_the_incremental_cache_hashes_each_file_state_once(tmp_path, hashed):
    calls = hashed
    path = tmp_path / "panel.parquet"
    path.write_bytes(b"first")
    first = incremental.file_sha256(path)
    assert incremental.file_sha256(path) == first == hashlib.sha256(b"first").hexdigest()
    assert len(calls) == 1
    path.write_bytes(b"second, longer")
    os.utime(path, ns=(1, 1))  # a new state even on a file system with a coarse clock
    assert incremental.file_sha256(path) == hashlib.sha256(b"second, longer").hexdigest()
    assert len(calls) == 2
    assert incremental.file_sha256(tmp_path / "absent") is None
    assert len(calls) == 2


def test_a_file_under_two_names_is_hashed_once(tmp_path, hashed):
    """The downloads are hard links to data/processed: the same bytes are read once, not per name."""
    calls = hashed
    path = tmp_path / "figures.csv"
    path.write_bytes(b"body,value\n")
    os.link(path, tmp_path / "download.csv")
    assert incremental.file_sha256(path) == incremental.file_sha256(tmp_path / "download.csv")
    assert len(calls) == 1
    (tmp_path / "copy.csv").write_bytes(path.read_bytes())  # another file with the same bytes is read
    assert incremental.file_sha256(tmp_path / "copy.csv") == incremental.file_sha256(path)
    assert len(calls) == 2
