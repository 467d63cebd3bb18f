"""Which format a document is in, told from its bytes (the file name's extension only breaks a tie),
and the furniture rules of intake/furniture.yaml."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import UnreadableDocument

FORMATS = ("text", "html", "pdf", "docx")
# what a folder given to `pipeline extract` or `pipeline add` is searched for
SUFFIXES = (".txt", ".html", ".htm", ".shtml", ".mhtml", ".pdf", ".docx")

_HTML_START = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|section|article|table)[\s>/]", re.I)


def sniff(data: bytes, name: str = "<bytes>") -> str:
    """'pdf', 'docx', 'html' or 'text'. A ZIP that is not a Word file is refused here; other
    binary files are refused by the text reader with what they are."""
    head = data[:1024]
    if b"%PDF-" in head:  # the header may follow a few bytes of junk (the PDF standard allows it)
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise UnreadableDocument(
                f"{name}: a damaged ZIP archive (or .docx file); it cannot be read - save it again from where it came, "
                "or export it as PDF or text"
            ) from exc
        if "word/document.xml" in names:
            return "docx"
        kind = "an .xlsx workbook" if "xl/workbook.xml" in names else "a ZIP archive"
        raise UnreadableDocument(
            f"{name}: this is {kind}, not a format the pipeline reads (text, a web page, PDF or .docx); "
            "save the report as one of those"
        )
    if _looks_like_html(data):
        return "html"
    return "text"


def _looks_like_html(data: bytes) -> bool:
    text = data[:4096]
    for bom in (codecs.BOM_UTF8,):
        if text.startswith(bom):
            text = text[len(bom) :]
    text = text.lstrip()
    if text[:1] != b"<":  # a text that quotes a tag further on is still text
        return False
    return bool(_HTML_START.search(text))


def sniff_path(path: Path) -> str:
    """The format of a file from its first bytes (and its whole bytes for a ZIP)."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return sniff(Path(path).read_bytes(), str(path))
    return sniff(head, str(path))


@lru_cache(maxsize=1)
def furniture() -> dict[str, Any]:
    """The furniture rules, with each line pattern compiled."""
    text = resources.files("pipeline.intake").joinpath("furniture.yaml").read_text(encoding="utf-8")
    rules = yaml.safe_load(text)
    for rule in rules["line_patterns"]:
        rule["regex"] = re.compile(rule["pattern"], re.I)
    return rules


def furniture_reason(line: str) -> str | None:
    """The name of the furniture rule a line matches, or None for a line of the document."""
    stripped = line.strip()
    for rule in furniture()["line_patterns"]:
        if len(stripped) <= rule.get("max_chars", 10**9) and rule["regex"].search(stripped):
            return str(rule["name"])
    return None
