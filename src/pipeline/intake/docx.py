"""A Word file -> its paragraphs and table rows in the order the document has them, each mapped
to where it stands (paragraph n, table n row m)."""

from __future__ import annotations

import io

from pipeline.errors import UnreadableDocument
from pipeline.intake.derived import Derived, TextBuilder

# between the cells of a table row: the figures digest form `召开常委会会议 9 次` reads it
CELL_SEPARATOR = " "


def read_docx(data: bytes, name: str = "<docx>") -> Derived:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors… for a broken file
        raise UnreadableDocument(f"{name}: a .docx file that cannot be read ({type(exc).__name__}: {exc})") from exc
    builder = TextBuilder()
    paragraphs = tables = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraphs += 1
            text = Paragraph(child, document).text.strip()
            if text:
                builder.add(text, element=f"paragraph {paragraphs}")
                builder.newline()
        elif tag == "tbl":
            tables += 1
            for number, row in enumerate(Table(child, document).rows, start=1):
                cells: list[str] = []
                for cell in row.cells:  # a merged cell is repeated: keep it once
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    builder.add(CELL_SEPARATOR.join(cells), element=f"table {tables} row {number}")
                    builder.newline()
    if not builder.segments:
        raise UnreadableDocument(f"{name}: this .docx file has no text in its paragraphs or tables")
    meta = {}
    title = (document.core_properties.title or "").strip()
    if title:
        meta["title"] = title
    return Derived(
        text=builder.text(), format="docx", encoding="docx (UTF-8 XML)", segments=builder.segments, meta=meta
    )
