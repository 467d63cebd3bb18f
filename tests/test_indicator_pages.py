"""Issue 15: indicator pages across bodies and years, and the index's coverage view, on the seed plus a
second year of its body (tests/fixtures/second_year), built in this process; the publish step redoes
only what changed, and its downloads are links to the processed files."""

from __future__ import annotations

import csv
import gzip
import html as html_lib
import io
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_project
from tests.test_publish import point_paths
from tests.test_report import Tags, assert_charts_are_ours


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from pipeline.compare.step import compare_year
    from pipeline.extract.clean import clean_document
    from pipeline.panel import build_panel
    from pipeline.reference import indicators

    root = copy_project(tmp_path_factory.mktemp("pages"))
    shutil.copytree(FIXTURES / "second_year" / "lvliang" / "2024", root / "data" / "raw" / "lvliang" / "2024")
    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, root)
        for year in (2023, 2024):
            clean_document("lvliang", year)
        build_panel()
        for year in (2023, 2024):
            compare_year("lvliang", year)
        for year in (2023, 2024):  # stand-ins for the rendered reports, so the index lists them
            (root / "reports" / "lvliang").mkdir(parents=True, exist_ok=True)
            (root / "reports" / "lvliang" / f"{year}.html").write_text("<p>report</p>", encoding="utf-8")
        publish()
        yield root
    indicators.default_taxonomy.cache_clear()


def publish() -> dict:
    """The publish step, then the index, as the report stage runs them."""
    from pipeline.publish.corpus import publish_corpus
    from pipeline.report.render import stylesheet, write_index

    summary = publish_corpus(stylesheet())
    write_index()
    return summary


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_sc_sessions_page_has_the_years_and_the_peers(site):
    html = read(site / "reports" / "indicators" / "sc_sessions.html")
    assert "常委会会议" in html or "Standing committee" in html
    assert 'href="../lvliang/2023.html#fig-' in html and 'href="../lvliang/2024.html#fig-' in html
    assert html.count("吕梁市人大常委会") >= 2
    bodies = set(re.findall(r"<tr><td>([^<]+)<div", html))
    assert len(bodies) >= 2, bodies  # the body and at least one published peer
    charts = Tags(html).charts  # one inline SVG chart: the body's line and its peers', named in its <desc>
    assert_charts_are_ours(charts, 1)
    desc = re.search(r"<desc>([^<]*)</desc>", html).group(1)
    assert re.match(r"吕梁市: 2022 11.6, 2023 9, 2024 8; ", desc) and desc.count(": ") >= 2
    assert 'href="sc_sessions.csv.gz"' in html and (site / "reports" / "indicators" / "sc_sessions.csv.gz").is_file()
    assert "gzip 压缩的 CSV" in html and "gzip-compressed CSV" in html  # the link says what it gives, in both
    assert not (site / "reports" / "indicators" / "sc_sessions.csv").exists()
    assert "How to cite" in html and "version" in html


def test_definition_comes_from_the_taxonomy(site):
    from pipeline.reference.indicators import by_id

    indicator = by_id()["sc_sessions"]
    html = read(site / "reports" / "indicators" / "sc_sessions.html")
    assert indicator.definition_en and indicator.definition_en in html_lib.unescape(html)


def test_index_links_every_indicator_page_and_shows_coverage(site):
    html = read(site / "reports" / "index.html")
    pages = sorted(p.name for p in (site / "reports" / "indicators").glob("*.html"))
    assert pages and all(f'href="indicators/{p}"' in html for p in pages)
    assert 'id="coverage"' in html and 'href="lvliang/2024.html"' in html
    assert "datapackage.json" in html and "annual_figures.sqlite" in html


def test_page_csv_holds_only_that_indicator(site):
    import pandas as pd

    rows = pd.read_csv(site / "reports" / "indicators" / "sc_sessions.csv.gz", dtype=str, keep_default_na=False)
    assert len(rows) >= 3 and set(rows["indicator_id"]) == {"sc_sessions"}


def test_same_data_same_bytes(site):
    before = read(site / "reports" / "indicators" / "sc_sessions.html")
    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, site)
        publish()
    assert read(site / "reports" / "indicators" / "sc_sessions.html") == before


def test_the_page_csv_is_gzipped_the_same_every_time(site):
    """A page's CSV is gzip with nothing in its header that varies (no name, mtime 0): the same
    rows give the same bytes, UTF-8 with the BOM figures.csv has."""
    from pipeline.publish.pages import csv_bytes

    data = (site / "reports" / "indicators" / "sc_sessions.csv.gz").read_bytes()
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0" and not data[3] & 0x08  # mtime 0, no name
    text = gzip.decompress(data)
    assert text.startswith(b"\xef\xbb\xbf") and not text.startswith(b"\xef\xbb\xbf" * 2)
    assert csv_bytes(text.removeprefix(b"\xef\xbb\xbf")) == data


def test_an_older_projects_plain_page_csv_is_replaced(copied):
    """A project an older version published has reports/indicators/<id>.csv: the next publish writes
    <id>.csv.gz with the same rows and removes the plain one; the run's outputs list the new file."""
    from pipeline.publish.corpus import manifest_path, published

    pages = copied / "reports" / "indicators"
    gz = pages / "sc_sessions.csv.gz"
    plain = gzip.decompress(gz.read_bytes())
    for path in sorted(pages.glob("*.csv.gz")):  # as the older version left them
        path.with_name(path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    manifest_path().unlink()  # and its manifest knew of no .csv.gz
    publish()
    assert not list(pages.glob("*.csv")) and gzip.decompress(gz.read_bytes()) == plain
    owned = published()
    assert gz in owned and all(p.exists() for p in owned)
    assert not [p for p in owned if p.suffix == ".csv" and p.parent == pages]
    (pages / "sc_sessions.csv").write_bytes(plain)  # a stray one beside a page left as it is goes too
    publish()
    assert not (pages / "sc_sessions.csv").exists() and gz.is_file()


def test_every_character_of_every_chart_label_has_a_glyph(site):
    """The conventions' "no missing glyphs" test: every character a report's charts or an indicator
    page's chart draws comes from a font (Noto Sans SC, else DejaVu Sans), none is a box."""
    from pipeline.report import data as report_data
    from pipeline.report import fonts
    from pipeline.report import indicator_pages as pages
    from pipeline.report.fragments import report_charts

    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, site)
        data = report_data.load("lvliang", 2024)
        charts = report_charts(data)
        assert all(charts.values())  # parts, baselines and a series: the second year makes one
        frame = data.panel[data.panel["indicator_id"] == "sc_sessions"]
        drawing, _ = pages.indicator_chart(data.indicators["sc_sessions"], pages.page_rows(
            frame, data.bodies, {("lvliang", "2023"), ("lvliang", "2024")}), data.bodies, {"lvliang"})  # fmt: skip
    assert all(chart.missing == () for chart in charts.values()) and drawing.missing == set()
    drawn = "".join(t[4] for t in drawing.texts) + "".join(re.findall(r"<desc>([^<]*)", "".join(
        str(c.svg) for c in charts.values())))  # fmt: skip
    assert re.search(r"[\u4e00-\u9fff]", drawn)
    for char in set(drawn) - {" "}:
        glyph = fonts.glyph(char)
        assert glyph.path and not glyph.missing, f"{char!r} (U+{ord(char):04X}) has no glyph"


# ---------------------------------------------------------------- the publish step redoes only what changed


@pytest.fixture
def copied(site, tmp_path):
    """A copy of the published site that these tests may change; paths point at it (the copy's
    downloads are copies, not links: shutil.copytree copies each link as a file)."""
    from pipeline.reference import indicators

    root = tmp_path / "site"
    shutil.copytree(site, root)
    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, root)
        yield root
    indicators.default_taxonomy.cache_clear()


def stamps(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def rewrite_panel(root: Path, change) -> None:
    """figures.parquet and figures.csv with `change(frame)` applied, as the panel step writes them."""
    import pandas as pd

    from pipeline.atomic import write_processed_csv

    processed = root / "data" / "processed"
    frame = change(pd.read_parquet(processed / "figures.parquet"))
    frame.to_parquet(processed / "figures.parquet", index=False)
    write_processed_csv(processed / "figures.csv", frame)


def test_a_page_whose_rows_did_not_change_is_not_rendered_again(copied):
    pages = copied / "reports" / "indicators"
    database = copied / "data" / "processed" / "annual_figures.sqlite"
    before, db_before = stamps(pages), database.stat().st_mtime_ns
    time.sleep(0.01)
    publish()
    assert stamps(pages) == before and database.stat().st_mtime_ns == db_before  # nothing changed: nothing written

    def one_more_session(frame):
        frame.loc[frame["indicator_id"] == "sc_sessions", "value"] += 1
        return frame

    rewrite_panel(copied, one_more_session)
    publish()
    after = stamps(pages)
    changed = sorted(n for n in after if after[n] != before.get(n))
    assert changed == ["sc_sessions.csv.gz", "sc_sessions.html"]
    assert database.stat().st_mtime_ns != db_before  # the table it holds changed: built again


def test_a_page_without_data_is_removed_and_a_deleted_page_comes_back(copied):
    pages = copied / "reports" / "indicators"
    good = read(pages / "sc_sessions.html")
    (pages / "sc_sessions.html").unlink()
    publish()
    assert read(pages / "sc_sessions.html") == good
    rewrite_panel(copied, lambda frame: frame[frame["indicator_id"] != "sc_sessions"])
    summary = publish()
    assert not (pages / "sc_sessions.html").exists() and not (pages / "sc_sessions.csv.gz").exists()
    assert "sc_sessions" not in {entry[0] for entry in summary["indicators"]}
    assert 'href="indicators/sc_sessions.html"' not in read(copied / "reports" / "index.html")


def test_the_page_csv_is_figures_csv_records_of_its_indicator(copied):
    import csv

    processed = copied / "data" / "processed"
    with (processed / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("indicator_id")
    table = copied / "reports" / "indicators" / "sc_sessions.csv.gz"
    with gzip.open(table, "rt", encoding="utf-8-sig", newline="") as handle:
        page = list(csv.reader(handle))
    assert page == [rows[0], *(r for r in rows[1:] if r[at] == "sc_sessions")] and len(page) > 2


def test_a_record_spanning_lines_is_kept_whole(tmp_path):
    from pipeline.publish.pages import records_by

    path = tmp_path / "t.csv"
    path.write_text('a,id,text\n1,x,"one\nline, two"\n"2,0",y,plain\n3,x,"say ""hi"""\n4,"x",q\n', encoding="utf-8-sig")
    header, records = records_by(path, "id")
    assert header == b"a,id,text\n"
    assert records == {"x": b'1,x,"one\nline, two"\n3,x,"say ""hi"""\n4,"x",q\n', "y": b'"2,0",y,plain\n'}


def test_records_are_split_as_the_csv_module_reads_them(tmp_path):
    """Records of every awkward kind (quoted keys and fields before them, quoted line breaks, long
    leading fields, the key last, no line break at the end, Chinese text) go to the value the csv
    module reads, each whole and in the file's order."""
    import random

    from pipeline.publish.pages import records_by

    pick = random.Random(12)
    pieces = ["x", "y", "常委会", 'say "hi"', "a,b", "two\nlines", "", " ", "9" * 300, "tab\there"]
    for key_at in (0, 2, 3):
        rows = [["c0", "c1", "c2", "c3"]]
        rows += [[pick.choice(pieces) for _ in range(4)] for _ in range(400)]
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        text = buffer.getvalue()
        path = tmp_path / f"t{key_at}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + text.removesuffix("\n").encode())  # no line break at the very end
        header, records = records_by(path, rows[0][key_at])
        expected: dict[str, list[list[str]]] = {}
        for row in rows[1:]:
            expected.setdefault(row[key_at], []).append(row)
        got = {k: list(csv.reader(io.StringIO(v.decode(), newline=""))) for k, v in records.items()}
        assert header == b"c0,c1,c2,c3\n" and got == expected, key_at


def test_a_records_file_that_is_not_a_table_fails_clearly(tmp_path):
    from pipeline.errors import DataCheckError
    from pipeline.publish.pages import records_by

    for name, text, says in [("empty.csv", "", "no header line"), ("open.csv", 'a,id\n1,"x\n', "unclosed quote"),
                             ("other.csv", "a,b\n1,2\n", "no column 'id'")]:  # fmt: skip
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(DataCheckError, match=says):
            records_by(tmp_path / name, "id")


def test_downloads_are_links_to_the_processed_files(site):
    processed, downloads = site / "data" / "processed", site / "reports" / "downloads"
    names = ["figures.csv", "comparison.csv", "checks.csv", "documents.csv", "datapackage.json",
             "annual_figures.sqlite"]  # fmt: skip
    assert sorted(p.name for p in downloads.iterdir()) == sorted(names)
    for name in names:
        assert (downloads / name).samefile(processed / name), name


def test_a_download_is_copied_where_no_link_can_be_made(copied, monkeypatch):
    import os

    def no_links(src, dst):
        raise OSError(18, "Invalid cross-device link")

    downloads = copied / "reports" / "downloads"
    (downloads / "figures.csv").unlink()
    monkeypatch.setattr(os, "link", no_links)
    publish()
    original = copied / "data" / "processed" / "figures.csv"
    assert not (downloads / "figures.csv").samefile(original)
    assert (downloads / "figures.csv").read_bytes() == original.read_bytes()


KEYS = """
import json, sys
from pipeline.publish import corpus, pages
from pipeline.report.render import stylesheet
date = json.loads((corpus.paths.PROCESSED / "datapackage.json").read_text(encoding="utf-8"))["created"][:10]
works = corpus._page_works(stylesheet(), corpus.paths.REPORTS, corpus.paths.PROCESSED, date)
print(json.dumps({w.indicator.id: pages.page_key(w) for w in works}))
"""


def test_a_page_key_is_the_same_in_every_process(site):
    """The keys the last publish step recorded, computed again under other string hashes (a set's
    order, and so its repr, differs from process to process: the pages would all be rendered again)."""
    import json
    import os
    import subprocess
    import sys

    recorded = json.loads((site / "data" / "interim" / ".corpus" / "publish.json").read_text(encoding="utf-8"))
    expected = {ident: page["key"] for ident, page in recorded["pages"].items()}
    for seed in ("1", "2"):
        env = {**os.environ, "ANNUAL_FIGURES_ROOT": str(site), "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", KEYS], env=env, capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == expected, seed


def test_escaping_a_table_cell_once_is_escaping_it_as_the_templates_do():
    from pipeline.publish.pages import _Escaped
    from pipeline.report.fragments import escaped

    texts = ["../lvliang/2023.html#fig-12", "2023", "1,234", "a<b&\"c'", "tab\there", "line\nbreak", "bidi\u202eevil",
             "全角　空格", "\x07bell", "", "  spaced  ", "https://example.org/?a=1&b=2"]  # fmt: skip
    cache = _Escaped()
    assert [cache[t] for t in texts] == [escaped(t) for t in texts]


def test_a_page_shows_the_same_with_only_the_documents_it_depends_on(site):
    """publish.pages.page_documents keeps of the documents only what a page asks about: the page
    rendered with every document (and more, of other years and bodies) is the page rendered with those."""
    from pipeline.publish import corpus
    from pipeline.publish.pages import page_documents
    from pipeline.reference.readers import known_bodies
    from pipeline.reference.sources import discover_sources
    from pipeline.report.indicator_pages import indicator_page
    from pipeline.report.render import stylesheet

    everything = {(s.body, str(s.report_year)) for s in discover_sources()}
    everything |= {("lvliang", "2031"), ("lvliang", "2019"), ("taiyuan", "2024")}  # years without rows, a peer
    bodies = known_bodies()
    works = corpus._page_works(stylesheet(), site / "reports", site / "data" / "processed", "2024-01-01")
    assert works
    for w in works:
        reduced = page_documents(w.frame, everything)
        assert len(reduced) < len(everything)
        full = indicator_page(w.indicator, w.frame, bodies, everything, w.date)
        cut = indicator_page(w.indicator, w.frame, bodies, set(reduced), w.date)
        assert cut == full, w.indicator.id


def test_another_years_document_leaves_the_pages_whose_rows_did_not_change(copied):
    """A new document (its figures not yet in the panel) changes documents.csv and so the database,
    and no page: its body's rows are as they were."""
    raw = copied / "data" / "raw" / "lvliang"
    shutil.copytree(raw / "2024", raw / "2025")
    meta = raw / "2025" / "source.yaml"
    text = re.sub(r"(report_year|period_start|period_end): 2024", r"\1: 2025", read(meta))
    meta.write_text(text, encoding="utf-8")
    pages = copied / "reports" / "indicators"
    before = stamps(pages)
    work = publish()["work"]
    assert stamps(pages) == before
    assert work["pages rendered"] == 0 and work["database written"] == 1
    assert "lvliang,2025" in read(copied / "data" / "processed" / "documents.csv")


def test_a_table_that_is_not_the_panel_publishes_nothing(copied):
    """Not half: no summary is left for the index to show the earlier pages from."""
    from pipeline.publish.corpus import publish_corpus, read_summary
    from pipeline.report.render import stylesheet, write_index

    assert read_summary()
    (copied / "data" / "processed" / "figures.csv").write_text("body,value\nlvliang,1\n", encoding="utf-8-sig")
    assert publish_corpus(stylesheet()) == {}
    assert read_summary() == {}
    write_index()
    assert 'href="indicators/' not in read(copied / "reports" / "index.html")


# The table as the page template printed it before publish.pages.table_rows put its rows together: a
# loop doing every cell per row (the cells' macros, escaping). The pages must keep its bytes.
LOOP = """{% import "pages/indicator_cells.html.j2" as c %}
{% for r in rows %}
<tr><td>{{ c.body(r.body_zh, r.body_en) }}</td><td class="n">{{ r.year }}</td><td class="n">{{ r.value|number }} \
{{ r.unit }}</td><td>{{ c.period_kind(r.period_kind) }}<div class="en" lang="en">{{ r.period }}</div></td><td>\
{{ c.approx(r.approx) }}</td><td>{% if r.source_type == "document" %}{% if r.href %}<a href="{{ r.href }}">\
报告中的句子 <span lang="en">sentence in the report</span></a>{% else %}{{ r.source }}{% endif %}{% else %}\
{{ c.link(r.href) }}{% endif %}</td></tr>
{% endfor %}
"""


def looped_page(work) -> str:
    """A page as the template loop rendered it, from the page's own inputs."""
    from pipeline import __version__
    from pipeline.report.fragments import environment
    from pipeline.report.indicator_pages import TITLE, indicator_page

    env = environment()
    source = env.loader.get_source(env, "pages/indicator.html.j2")[0]
    at = source.index("{{ table }}")
    source = source[:at] + LOOP + source[source.index("-#}\n", at) + 4 :]
    page = indicator_page(work.indicator, work.frame, work.bodies, set(work.documents), work.date)
    rows = env.from_string(LOOP).render(rows=page.rows)
    assert rows.count("<tr>") == len(page.rows)
    return env.from_string(source).render(page=page, table=None, rows=page.rows, title=TITLE, version=__version__,
                                          css=work.css)  # fmt: skip


AWKWARD = 'a "quoted", comma\nnew line <b> & amp; 2>1'


def test_pages_are_the_bytes_a_full_render_and_the_template_loop_give(copied, monkeypatch):
    """On a corpus of two bodies, with a body added, a year added and a document removed, and awkward
    texts (quotes, commas, line breaks, <, &): each page written where the last run's pages are is the
    page written afresh, and its HTML is what the template loop printed; its CSV is figures.csv's records."""
    from types import SimpleNamespace

    import pandas as pd

    from pipeline.panel import PANEL_COLUMNS, write_panel
    from pipeline.publish import corpus
    from pipeline.publish import pages as pages_
    from pipeline.report.render import stylesheet

    processed = copied / "data" / "processed"
    seed = pd.read_parquet(processed / "figures.parquet")  # lvliang's two documents and published peers
    other = seed[seed["body"] == "lvliang"].assign(body="taiyuan", source=AWKWARD, text=AWKWARD, evidence=AWKWARD)
    other.loc[other.index[::3], "unit"] = "<件&>"
    steps = [  # (the panel's rows, the documents)
        (seed, {("lvliang", 2023), ("lvliang", 2024)}),
        (pd.concat([seed, other]), {("lvliang", 2023), ("lvliang", 2024), ("taiyuan", 2023)}),  # a body added
        (pd.concat([seed, other]), {("lvliang", 2023), ("lvliang", 2024), ("taiyuan", 2023), ("taiyuan", 2024)}),
        (pd.concat([seed[(seed["body"] != "lvliang") | (seed["report_year"] != 2023)], other]),
         {("lvliang", 2024), ("taiyuan", 2023), ("taiyuan", 2024)}),  # a document removed
    ]  # fmt: skip
    assert len(other) and (seed["source_type"] == "published").any()
    css, recorded = stylesheet(), corpus.read_json(corpus.manifest_path())["pages"]  # the site's last run
    for n, (panel, documents) in enumerate(steps):
        panel = panel.sort_values(["body", "period_end", "period_start", "source_type", "source", "start"])
        write_panel(panel.reset_index(drop=True)[PANEL_COLUMNS], processed)
        sources = [SimpleNamespace(body=b, report_year=y) for b, y in sorted(documents)]
        monkeypatch.setattr(corpus, "discover_sources", lambda sources=sources: sources)
        made = {}
        for root, before in ((copied / "reports", recorded), (copied / f"fresh{n}", {})):
            works = corpus._page_works(css, root, processed, "2024-05-01")
            keys, todo = corpus._changed_pages(works, before)
            pages = {i: before[i] for i in keys if i in before}
            pages.update({w.indicator.id: {"key": keys[w.indicator.id], **pages_.write_page(w)} for _, w in todo})
            pages_.remove_stale(root / "indicators", before, set(pages))
            made[root] = {p.name: p.read_bytes() for p in sorted((root / "indicators").iterdir())}
            if not before:
                assert len(todo) == len(works), "a fresh folder has every page rendered"
        incremental, fresh = made.values()
        assert incremental == fresh and fresh, n
        with (processed / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
        for w in works:
            assert fresh[f"{w.indicator.id}.html"].decode("utf-8") == looped_page(w), (n, w.indicator.id)
            table = gzip.decompress(fresh[f"{w.indicator.id}.csv.gz"]).decode("utf-8-sig")
            at = records[0].index("indicator_id")
            mine = [records[0], *(r for r in records[1:] if r[at] == w.indicator.id)]
            assert list(csv.reader(io.StringIO(table, newline=""))) == mine and len(mine) > 1, (n, w.indicator.id)
            assert table.encode("utf-8") == w.records
        recorded = pages
    assert (
        "&lt;件&amp;&gt;" in fresh["sc_sessions.html"].decode()
        and "&lt;b&gt; &amp; amp;" in fresh["sc_sessions.html"].decode()
    )
