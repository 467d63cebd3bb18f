"""A saved web page -> its main text, title and date, each paragraph mapped to its element.

The encoding is the one the page says (a BOM, then `<meta charset>` or the http-equiv
Content-Type), GBK and GB2312 read as GB18030, their superset; a page that says none is decoded by
detection (UTF-8, then GB18030/Big5 by their common characters), and the result names which. The
furniture of a site (navigation, breadcrumbs, counters, share bars, related links, footers) is
dropped twice: elements marked as such before trafilatura takes the main text, and lines that match
intake/furniture.yaml after it.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html
from lxml import etree

from pipeline.errors import UnreadableDocument
from pipeline.intake.derived import Derived, TextBuilder
from pipeline.intake.formats import furniture, furniture_reason
from pipeline.text.document import decode_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SUPERSET = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}
_BLOCKS = {"p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "blockquote", "pre"}
_LAYOUT_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "table", "section", "article"}
_SPACE = re.compile(r"\s+")


def decode_page(data: bytes, declared: str | None = None, name: str = "<page>") -> tuple[str, str]:
    """(text, how it was decoded): 'utf-8 (BOM)', 'gb18030 (meta charset gbk)', 'gb18030 (detected)'…"""
    if declared:
        text, codec = decode_bytes(data, declared, name)
        return text, f"{codec} (declared)"
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", name), "utf-8 (BOM)"
    match = _META_CHARSET.search(data[:4096])
    if match:
        label = match.group(1).decode("ascii").lower()
        try:
            codec = codecs.lookup(label).name
        except LookupError as exc:
            raise UnreadableDocument(
                f"{name}: the page declares charset {label!r}, which is no known encoding; "
                "give the right one with --encoding"
            ) from exc
        codec = _SUPERSET.get(codec, codec)
        return _strict(data, codec, name, f"its <meta charset> {label}"), f"{codec} (meta charset {label})"
    text, codec = decode_bytes(data, None, name)
    return text, f"{codec} (detected)"


def _strict(data: bytes, codec: str, name: str, said: str = "") -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"{name}: does not decode as {codec}{' (' + said + ')' if said else ''} at byte {exc.start}; "
            "give its real encoding with --encoding"
        ) from exc


def _class_words(element: Any) -> list[str]:
    words = []
    for attribute in ("class", "id"):
        value = (element.get(attribute) or "").lower()
        words.extend(w for w in re.split(r"[\s_-]+", value) if w)
        words.extend(w for w in value.split() if w)  # rich_media_tool as one word too
    return words


def _is_furniture(element: Any, rules: dict[str, Any]) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in rules["drop_tags"]:
        return True
    if tag == "header" and rules.get("header_outside_article"):
        if not any(a.tag in ("article", "main") for a in element.iterancestors()):
            return True
    if tag in ("p", "div", "span", "em", "li", "section") and not any(
        isinstance(child.tag, str) and child.tag in _BLOCKS for child in element.iterdescendants()
    ):  # a short block of its own that is a byline with a counter, a share bar, a footer line
        if furniture_reason(_SPACE.sub(" ", element.text_content()).strip()):
            return True
    prefixes = tuple(rules["drop_class_words"])
    if any(word.startswith(prefixes) for word in _class_words(element)):
        return True
    if tag in ("ul", "ol", "div", "table", "dl"):
        links = element.findall(".//a")
        if len(links) >= 2:
            text = _SPACE.sub("", element.text_content())
            linked = sum(len(_SPACE.sub("", a.text_content())) for a in links)
            if text and linked / len(text) >= rules["link_list_share"]:
                return True
    return False


def unwrap_layout_tables(root: Any) -> None:
    """A table that lays out a page (its cells hold paragraphs, headings or other blocks) is made
    plain blocks, so its text reads as paragraphs and not as one row of cells."""
    for table in list(root.iter("table")):
        if any(el.tag in _LAYOUT_BLOCKS for el in table.iterdescendants() if isinstance(el.tag, str)):
            for el in [table, *table.iterdescendants()]:
                if el.tag in ("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
                    el.tag = "div"


def strip_furniture(root: Any) -> None:
    """Remove the elements that are a site's furniture (in place)."""
    unwrap_layout_tables(root)
    rules = furniture()["html"]
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and _is_furniture(el, rules)]
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            tail = element.tail
            parent.remove(element)
            if tail and tail.strip():  # keep text that followed the element
                previous = parent[-1] if len(parent) else None
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail


def _element_texts(root: Any) -> list[tuple[str, str]]:
    """(XPath, text with white space removed) of every block element, in document order."""
    tree = root.getroottree()
    out = []
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            out.append((tree.getpath(element), _SPACE.sub("", element.text_content())))
    return out


def _locate(line: str, elements: list[tuple[str, str]], start: int) -> tuple[str, int]:
    """The innermost element at or after `start` whose text holds `line`; ('', start) when none."""
    key = _SPACE.sub("", line)
    best = ("", start)
    for i in range(start, len(elements)):
        path, text = elements[i]
        if key and key in text:
            best = (path, i)
            # a following element inside this one that also holds it is more precise
            for j in range(i + 1, len(elements)):
                if not elements[j][0].startswith(path + "/"):
                    break
                if key in elements[j][1]:
                    best = (elements[j][0], j)
            return best
    return best


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _with_headings(kept: list[tuple[int, str, str]], elements: list[tuple[str, str]], root: Any):
    """The main text's lines with the headings (h1-h6) that stand between them in the page put back
    where they stand: trafilatura leaves some out, and a heading names the section of its figures."""
    if not kept:
        return kept
    tree = root.getroottree()
    index = {path: i for i, (path, _text) in enumerate(elements)}
    have = {_SPACE.sub("", line) for _i, line, _p in kept}
    last = kept[-1][0]
    extra = []
    for heading in root.iter(*_HEADINGS):
        text = _SPACE.sub(" ", heading.text_content()).strip()
        i = index.get(tree.getpath(heading), -1)
        if text and _SPACE.sub("", text) not in have and i <= last and not furniture_reason(text):
            extra.append((i, text, tree.getpath(heading)))
    return sorted(kept + extra, key=lambda item: item[0])


def _split(line: str, elements: list[tuple[str, str]], root: Any, start: int) -> list[tuple[int, str, str]]:
    """A line trafilatura ran together from several blocks, split back into those blocks (each its
    own line, mapped to its element); [] when the blocks do not make up the line."""
    key, at, pieces = _SPACE.sub("", line), 0, []
    tree = root.getroottree()
    for i in range(start, len(elements)):
        path, text = elements[i]
        if at == len(key):
            break
        leaf = i + 1 == len(elements) or not elements[i + 1][0].startswith(path + "/")
        if not text or not leaf:
            continue
        if not key.startswith(text, at):
            return []
        element = tree.xpath(path)[0]
        pieces.append((i, _SPACE.sub(" ", element.text_content()).strip(), path))
        at += len(text)
    return pieces if at == len(key) else []


def _main_text(cleaned: str, name: str) -> str:
    import trafilatura

    text = trafilatura.extract(
        cleaned,
        output_format="txt",
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        deduplicate=False,
        favor_recall=True,
    )
    if not text or not text.strip():
        raise UnreadableDocument(
            f"{name}: no main text found in this web page (is it a page of links or a frame?); save the page that "
            "shows the report's text, or copy the text into a .txt file"
        )
    return text


def _metadata(page: str, root: Any) -> dict[str, Any]:
    import htmldate
    import trafilatura

    meta: dict[str, Any] = {}
    found = trafilatura.extract_metadata(page)
    title = found.title if found is not None else None
    if not title:
        titles = root.findall(".//title")
        title = titles[0].text_content().strip() if titles else None
    if title:
        meta["title"] = _SPACE.sub(" ", title).strip()
    date = htmldate.find_date(page, extensive_search=False, original_date=True)
    if date:
        meta["date_published"] = date
    return meta


def read_html(data: bytes, declared: str | None = None, name: str = "<page>") -> Derived:
    """A saved page's bytes -> its main text, one paragraph a line, mapped to the elements."""
    page, how = decode_page(data, declared, name)
    try:
        root = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableDocument(f"{name}: not a web page that can be parsed ({exc})") from exc
    meta = _metadata(page, root)
    strip_furniture(root)
    cleaned = lxml.html.tostring(root, encoding="unicode")
    text = _main_text(cleaned, name)
    elements = _element_texts(root)
    kept, dropped, cursor = [], [], 0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        reason = furniture_reason(line)
        if reason:
            dropped.append({"text": line, "rule": reason})
            continue
        path, found = _locate(line, elements, cursor)
        inner = path and found + 1 < len(elements) and elements[found + 1][0].startswith(path + "/")
        pieces = _split(line, elements, root, found if path else cursor) if inner or not path else []
        for at, piece, where in pieces or [(found, line, path)]:
            kept.append((at, piece, where))
            cursor = at
    builder = TextBuilder()
    for _index, line, path in _with_headings(kept, elements, root):
        builder.add(line, element=path)
        builder.newline()
    if not builder.segments:
        raise UnreadableDocument(f"{name}: the page's main text is all furniture (navigation, counters, footers)")
    return Derived(
        text=builder.text(), format="html", encoding=how, segments=builder.segments, meta=meta, dropped=dropped
    )
