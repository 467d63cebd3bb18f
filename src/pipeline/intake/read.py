"""One entry for every format: a path -> the text the extractor reads, with its provenance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UnreadableDocument
from pipeline.intake.derived import Derived
from pipeline.intake.docx import read_docx
from pipeline.intake.formats import sniff
from pipeline.intake.html import read_html
from pipeline.intake.pdf import read_pdf
from pipeline.text.document import MAX_DOCUMENT_BYTES, Document, read_document, regular_file_size

# a PDF of a session's compilation with images is far larger than its text
MAX_BINARY_BYTES = 100 * 1024 * 1024


@dataclass
class Intake:
    """A document read from any supported format. `document.raw` is the text offsets index: the
    file's own decoded text for plain text, the derived text otherwise (`derived` then says where
    each range came from)."""

    document: Document
    format: str
    derived: Derived | None = None

    @property
    def has_pages(self) -> bool:
        return self.derived is not None and self.derived.has_pages

    def page_at(self, offset: int) -> int | None:
        return None if self.derived is None else self.derived.page_at(offset)


def derive(data: bytes, fmt: str, declared_encoding: str | None, name: str) -> Derived:
    if fmt == "html":
        return read_html(data, declared_encoding, name)
    if fmt == "pdf":
        return read_pdf(data, name)
    if fmt == "docx":
        return read_docx(data, name)
    raise ValueError(f"no derived text for format {fmt!r}")


def read_path(path: Path | str, declared_encoding: str | None = None, doc_id: str | None = None) -> Intake:
    """Read one file of any supported format; a format it cannot read is refused (exit 4)."""
    path = Path(path)
    size = regular_file_size(path)
    limit = MAX_BINARY_BYTES
    if size > max(limit, MAX_DOCUMENT_BYTES):
        raise UnreadableDocument(
            f"{path}: {size:,} bytes is over the {limit // (1024 * 1024)} MiB limit for one document"
        )
    with open(path, "rb") as handle:
        head = handle.read(4096)
    fmt = sniff(path.read_bytes() if head.startswith(b"PK\x03\x04") else head, str(path))
    if fmt == "text":  # as before: the text reader refuses binaries and files over MAX_DOCUMENT_BYTES
        return Intake(read_document(path, declared_encoding=declared_encoding, doc_id=doc_id), "text")
    binary = fmt in ("pdf", "docx")
    derived = derive(path.read_bytes(), fmt, None if binary else declared_encoding, str(path))
    document = Document(doc_id=doc_id or path.name, raw=derived.text, encoding=derived.encoding, path=path)
    return Intake(document, fmt, derived)
