"""The indicator pages of a corpus, each rendered again only when what it shows changed.

A page (reports/indicators/<id>.html and <id>.csv.gz, its rows as gzip-compressed CSV) is a function
of its indicator's rows of the panel, the names and documents of the bodies in those rows, the
data's date, the stylesheet and the package's code: `page_key` is a digest of exactly these, and
`report.indicator_pages.indicator_page` is handed nothing else (the bodies and documents are cut
down to the page's own), so a page whose key is as recorded, and whose files still have the bytes
recorded, is left as it is. Adding one document re-renders the pages of the indicators it has, not
the others; pages of indicators that no longer have data are removed. The CSV is gzipped
deterministically (pipeline.interim_csv.compress: no name, mtime 0), so the same rows give the same
bytes; a plain <id>.csv an older version wrote is removed once its .csv.gz is in place.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import html
import io
import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from pipeline import __version__
from pipeline.atomic import write_atomic, write_text_atomic
from pipeline.csv_records import record_starts
from pipeline.errors import DataCheckError
from pipeline.hashing import package_sha256, sha256_of
from pipeline.interim_csv import compress
from pipeline.reference.indicators import Indicator
from pipeline.report.format import number
from pipeline.report.fragments import environment, escaped, render
from pipeline.report.indicator_pages import FOLDER, TITLE, Row, indicator_page


@dataclasses.dataclass(frozen=True)
class PageWork:
    """What one page is made from: pickled to a worker as it is."""

    indicator: Indicator
    frame: pd.DataFrame
    bodies: dict[str, dict[str, str]]
    documents: frozenset[tuple[str, str]]
    date: str
    css: str
    folder: str  # reports/indicators
    records: bytes  # the indicator's records of figures.csv, its header first: the page's CSV as it is written

    @property
    def files(self) -> tuple[Path, Path]:
        return Path(self.folder) / f"{self.indicator.id}.html", Path(self.folder) / f"{self.indicator.id}{CSV}"


CSV = ".csv.gz"  # a page's rows: figures.csv's records, gzip-compressed
SUFFIXES = (".html", CSV)  # the files a page owns
LEGACY = ".csv"  # the plain CSV an older version wrote beside the page


BOM = b"\xef\xbb\xbf"  # figures.csv's, and so its pages' CSVs': Excel then reads them as UTF-8
KEY_BYTES = 256  # a record's first bytes, where the panel's fields up to indicator_id lie


def csv_bytes(records: bytes) -> bytes:
    """A page's CSV file: the records as figures.csv has them (UTF-8 with its BOM), gzipped with
    nothing in the header that varies between runs."""
    return compress(BOM + records)


def records_by(path: Path, column: str) -> tuple[bytes, dict[str, bytes]]:
    """A CSV's header line and, by their value of `column`, its records (each with its line end)
    joined in the file's order: bytes as the file has them, its BOM aside. A record may span lines
    (a quoted line break). The fields up to `column` are plain values in the panel (ids, years,
    dates): each record's value is read from its first bytes, and a record where one of those
    fields is quoted (or that is longer than the first bytes show) is parsed in full."""
    data = path.read_bytes().removeprefix(BOM)
    if data and not data.endswith(b"\n"):
        data += b"\n"
    ends, balanced = record_starts(np.frombuffer(data, dtype=np.uint8))
    if not balanced:
        raise DataCheckError(f"{path}: its last record has an unclosed quote")
    if not len(ends):
        raise DataCheckError(f"{path}: no header line")
    header = data[: ends[0]]
    names = next(csv.reader([header.decode("utf-8")]))
    if column not in names:
        raise DataCheckError(f"{path}: no column {column!r}")
    at = names.index(column)
    out: dict[bytes, list[bytes]] = {}
    for start, stop in itertools.pairwise(ends.tolist()):
        head = data[start : min(stop, start + KEY_BYTES)]
        fields = head.split(b",", at + 1)
        if len(fields) > at + 1 and b'"' not in b",".join(fields[: at + 1]):
            value = fields[at]
        else:  # quoted, or the last field: the csv module reads the record
            value = next(csv.reader(io.StringIO(data[start:stop].decode("utf-8"), newline="")))[at].encode()
        out.setdefault(value, []).append(data[start:stop])
    return header, {value.decode("utf-8"): b"".join(records) for value, records in out.items()}


def _named_year(report_year: Any) -> str | None:
    if report_year is not pd.NA and str(report_year) not in ("", "<NA>", "nan", "None"):
        return str(int(float(report_year)))
    return None


def document_years(frame: pd.DataFrame, by: str | None = None) -> dict[Any, dict[str, set[str]]]:
    """The years the document rows of `frame` name, by body (a row's year is its report year and the
    year its period ends), under each value of the column `by` (under None without it). Each distinct
    (body, year) is looked at once, not each row: a page has a thousand rows of a few dozen."""
    keys = [by] if by else []
    rows = frame.loc[(frame["source_type"] == "document").to_numpy(dtype=bool)]
    out: dict[Any, dict[str, set[str]]] = {}
    for column, year_of in (("period_end", lambda end: str(end)[:4]), ("report_year", _named_year)):
        distinct = rows[[*keys, "body", column]].drop_duplicates()
        under = distinct[by].tolist() if by else [None] * len(distinct)
        for key, body, value in zip(under, distinct["body"].tolist(), distinct[column].tolist(), strict=True):
            if (year := year_of(value)) is not None:
                out.setdefault(key, {}).setdefault(body, set()).add(year)
    return out


def page_documents(frame: pd.DataFrame, documents: set[tuple[str, str]],
                   years: dict[str, set[str]] | None = None) -> frozenset[tuple[str, str]]:  # fmt: skip
    """The documents a page depends on: a page asks of the documents only whether a row's body and
    year has one (its link to the report) and which of its bodies have one at all (drawn in colour).
    So: the documents of its bodies in the years its document rows name (a row's year is its report
    year or the year its period ends), and for a body with a document in none of those years, its
    first document only, to say it has one. Another year's document of a body then leaves the page
    as it is. `years`: document_years(frame)'s, when worked out already (for every page at once)."""
    named = set(frame["body"].unique())
    years = document_years(frame).get(None, {}) if years is None else years
    kept = {(b, y) for b, y in documents if y in years.get(b, ())}
    marked = {b for b, _ in kept}
    first: dict[str, str] = {}
    for b, y in sorted(documents):
        if b in named and b not in marked:
            first.setdefault(b, y)
    return frozenset(kept | set(first.items()))


def work_of(indicator: Indicator, frame: pd.DataFrame, records: bytes, bodies, documents, date: str, css: str,
            root: Path, years: dict[str, set[str]] | None = None) -> PageWork:  # fmt: skip
    """The page's inputs, cut down to what it shows: its bodies, and their documents it asks about."""
    named = set(frame["body"].unique())
    return PageWork(
        indicator,
        frame.reset_index(drop=True),
        {b: dict(bodies[b]) for b in sorted(named) if b in bodies},
        page_documents(frame, documents, years),
        date,
        css,
        str(root / FOLDER),
        records,
    )


def canonical(value: Any) -> Any:
    """`value` as JSON that is the same in every process: a set's order (and so its repr) follows
    the string hashes, which differ from process to process."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, re.Pattern):
        return [value.pattern, value.flags]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, ensure_ascii=False))
    if isinstance(value, tuple | list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def page_key(work: PageWork) -> str:
    """A digest of everything the page shows: its rows (values, column names and types), its bodies'
    names and documents, the date, the stylesheet, the version and the package's code."""
    digest = hashlib.sha256()
    context = [canonical(work.indicator), work.bodies, sorted(work.documents), work.date, __version__, TITLE,
               package_sha256(), list(work.frame.columns), [str(t) for t in work.frame.dtypes]]  # fmt: skip
    digest.update(json.dumps(context, ensure_ascii=False, sort_keys=True).encode())
    digest.update(hashlib.sha256(work.css.encode()).digest())
    digest.update(hashlib.sha256(work.records).digest())
    digest.update(pd.util.hash_pandas_object(work.frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class _Escaped(dict):
    """Each distinct text escaped once, as the templates print it (report.fragments.escaped). Printable
    ASCII (a link to a report's row, a year) has nothing to clean, only to escape."""

    def __missing__(self, value: Any) -> Markup:
        if isinstance(value, str) and value.isascii() and value.isprintable():
            out = self[value] = Markup(html.escape(value, quote=True))
        else:
            out = self[value] = escaped(value)
        return out


SENTENCE = '<a href="{}">报告中的句子 <span lang="en">sentence in the report</span></a>'  # a document row's source


def table_rows(rows: list[Row]) -> Markup:
    """The page's table rows, one <tr> a line, as one piece of markup: a page of a thousand rows has a
    few dozen bodies, a handful of period kinds and approx classes and few published sources, so each
    of those cells is rendered once (by the macros of pages/indicator_cells.html.j2), each distinct
    text is escaped once (as a template prints it), and a row is put together here, not by a template
    loop printing each of its cells."""
    macros = environment().get_template("pages/indicator_cells.html.j2").module
    body = {b: str(macros.body(zh, en)) for b, zh, en in {(r.body, r.body_zh, r.body_en) for r in rows}}
    kind = {k: str(macros.period_kind(k)) for k in {r.period_kind for r in rows}}
    approx = {a: str(macros.approx(a)) for a in {r.approx for r in rows}}
    link = {h: str(macros.link(h)) for h in {r.href for r in rows if r.source_type != "document"}}
    text = _Escaped()
    values = {v: text[number(v)] for v in {r.value for r in rows if r.value}}  # 0.0 and -0.0 print apart
    out = []
    for r in rows:
        if r.source_type != "document":
            source = link[r.href]
        elif href := text[r.href]:
            source = SENTENCE.format(str(href))
        else:
            source = str(text[r.source])
        value = values[r.value] if r.value else text[number(r.value)]
        out += ["<tr><td>", body[r.body], '</td><td class="n">', text[r.year], '</td><td class="n">', value, " ",
                text[r.unit], "</td><td>", kind[r.period_kind], '<div class="en" lang="en">', text[r.period],
                "</div></td><td>", approx[r.approx], "</td><td>", source, "</td></tr>\n"]  # fmt: skip
    return Markup("".join(out))


def write_page(work: PageWork) -> dict[str, Any]:
    """Render and write one page and its CSV; what the manifest records of it."""
    page = indicator_page(work.indicator, work.frame, work.bodies, set(work.documents), work.date)
    html, table = work.files
    write_atomic(table, lambda tmp: tmp.write_bytes(csv_bytes(work.records)))  # figures.csv's own records
    table.with_name(f"{work.indicator.id}{LEGACY}").unlink(missing_ok=True)  # an older version's plain CSV
    table = table_rows(page.rows)
    text = render("pages/indicator.html.j2", page=page, table=table, title=TITLE, version=__version__, css=work.css)
    write_text_atomic(html, text)
    return {"rows": len(page.rows), "files": {p.name: sha256_of(p) for p in work.files}}


def standing(work: PageWork, key: str, recorded: dict[str, Any] | None) -> bool:
    """True when the page was last written with this key and its files still have those bytes."""
    if not isinstance(recorded, dict) or recorded.get("key") != key:
        return False
    files = recorded.get("files") or {}
    for path in work.files:
        try:
            if sha256_of(path) != files.get(path.name):
                return False
        except FileNotFoundError:
            return False
    return True


def remove_stale(folder: Path, recorded: dict[str, Any], current: set[str]) -> list[str]:
    """Delete the pages (and CSVs) the last run wrote for indicators that have no data now, and the
    plain <id>.csv an older version left beside a current page (whose .csv.gz is in place by now)."""
    gone = sorted(set(recorded) - current)
    for ident in gone:
        for suffix in (*SUFFIXES, LEGACY):
            (folder / f"{ident}{suffix}").unlink(missing_ok=True)
    for ident in sorted(current):
        if (folder / f"{ident}{CSV}").is_file():
            (folder / f"{ident}{LEGACY}").unlink(missing_ok=True)
    return gone
