"""The derived text of a document that was not plain text, and its map back to the source.

`Derived.text` is what the extractor reads: figure offsets index it (`text == derived[start:end]`).
`segments` cover it in order, each a range with where it came from: `page` and `box` (PDF points,
left, bottom, right, top) for a PDF, `element` (an XPath) for a web page, `element` (paragraph n,
table n row m) for a Word file. data/interim/<body>/<year>/document.txt and document.map.json hold
both, written the same byte for byte from the same source.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.atomic import write_text_atomic

DERIVED_TEXT = "document.txt"
DERIVED_MAP = "document.map.json"


@dataclass
class Derived:
    """Text taken out of a page, a PDF or a Word file, with its provenance."""

    text: str
    format: str
    encoding: str  # the encoding the bytes were read in, and how it was known ("gb18030 (meta charset)")
    segments: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # title, date_published… where the file gives them
    dropped: list[dict[str, Any]] = field(default_factory=list)  # furniture left out, with the rule

    @property
    def has_pages(self) -> bool:
        return self.format == "pdf"

    def segment_at(self, offset: int) -> dict[str, Any] | None:
        starts = [s["start"] for s in self.segments]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and self.segments[i]["start"] <= offset < self.segments[i]["end"]:
            return self.segments[i]
        return None

    def page_at(self, offset: int) -> int | None:
        segment = self.segment_at(offset)
        return None if segment is None else segment.get("page")

    def map_json(self, source_name: str, sha256: str) -> str:
        payload = {
            "source": source_name,
            "sha256": sha256,
            "format": self.format,
            "encoding": self.encoding,
            "characters": len(self.text),
            "meta": self.meta,
            "segments": self.segments,
            "dropped": self.dropped,
        }
        return json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


class TextBuilder:
    """Builds a derived text line by line, recording each line's segment."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.segments: list[dict[str, Any]] = []

    def add(self, text: str, **where: Any) -> None:
        """Append `text` (no line break inside a segment's bookkeeping) with its provenance."""
        if not text:
            return
        self.segments.append({"start": self.length, "end": self.length + len(text), **where})
        self.parts.append(text)
        self.length += len(text)

    def newline(self) -> None:
        self.parts.append("\n")
        self.length += 1

    def text(self) -> str:
        return "".join(self.parts)


def write_derived(derived: Derived, folder: Path, source_name: str, sha256: str) -> list[Path]:
    """Write document.txt (UTF-8, LF) and document.map.json into `folder`; returns both paths."""
    text_path = write_text_atomic(folder / DERIVED_TEXT, derived.text)
    map_path = write_text_atomic(folder / DERIVED_MAP, derived.map_json(source_name, sha256))
    return [text_path, map_path]
