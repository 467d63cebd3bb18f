"""Issue 15, section 5: the reader's look in headless Chromium (tests/chromium.py). At 390 px the page
is no wider than the window (tables scroll in their own box), and no Latin word is broken across two
lines, at 390 or 1280 px, on a report, the index and an indicator page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .chromium import Chromium
from .conftest import FIXTURES
from .test_report_html import copy_project, pipeline_run

# every Latin word of the page's text (URLs and hashes too: their parts are words) whose range spans
# more than one line box; text inside <img alt> is no text node, so charts' alt texts are not read
BROKEN_WORDS = r"""
(() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const word = /[A-Za-z]{2,}/g;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const m of text.matchAll(word)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
})()
"""
OVERFLOW = "[document.documentElement.scrollWidth, window.innerWidth]"
# elements wider than the window that are not inside a box that scrolls (what to fix when the above fails)
WIDE = r"""
[...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
  && !e.closest('.table-wrap')).slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))
"""


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("look"))
    shutil.copytree(FIXTURES / "second_year" / "lvliang" / "2024", root / "data" / "raw" / "lvliang" / "2024")
    pipeline_run(root)
    return root


PAGES = ["reports/lvliang/2023.html", "reports/index.html", "reports/indicators/sc_sessions.html"]


@pytest.mark.parametrize("page", PAGES)
def test_fits_390_px_and_breaks_no_latin_word(two_years, page, tmp_path):
    with Chromium() as browser:
        browser.open((two_years / page).as_uri(), 390, 844)
        width, inner = browser.evaluate(OVERFLOW)
        assert width <= inner, f"{page}: {width} px wide in a {inner} px window: {browser.evaluate(WIDE)}"
        assert browser.evaluate(BROKEN_WORDS) == [], page
        browser.viewport(1280, 900)
        assert browser.evaluate(BROKEN_WORDS) == [], page
        assert browser.log().errors == []


def test_indicator_page_links_reach_the_evidence_rows(two_years):
    page = two_years / "reports" / "indicators" / "sc_sessions.html"
    with Chromium() as browser:
        browser.open(page.as_uri(), 1280, 900)
        hrefs = browser.evaluate("[...document.querySelectorAll('a[href*=\"#fig-\"]')].map(a => a.href)")
        assert len(hrefs) >= 2
        browser.open(hrefs[0], 1280, 900)
        assert browser.evaluate("document.querySelector(':target') !== null")


def test_a_source_path_links_to_its_report(two_years):
    """A baseline from the body's own earlier document names it by path and links to its report."""
    html = (two_years / "reports" / "lvliang" / "2024.html").read_text(encoding="utf-8")
    assert '<a href="../lvliang/2023.html">lvliang/2023/000_27d8ef8a85ace649.txt</a>' in html
    assert '<span class="url">lvliang/2023/' not in html


# each cell's look, by the column it is in (issue 12: the rows carry no class, report.css styles the
# columns): [selector, CSS property, value] for cells of the report of the second year
COLUMN_LOOKS = [
    ["table.evidence tr[id^=fig-] td:nth-child(2)", "textAlign", "right"],  # the value
    ["table.evidence tr[id^=fig-] td:nth-child(3)", "minWidth", "135px"],  # the indicator, 10em of 13.5 px
    ["table.evidence td.pos", "fontSize", "12px"],
    ["table.evidence td.pos", "whiteSpace", "nowrap"],
    ["table.own tbody td:nth-last-child(7)", "textAlign", "right"],  # the baseline's value
    ["table.own tbody td:nth-last-child(6)", "whiteSpace", "nowrap"],  # its period
    ["table.own tbody td:nth-last-child(5)", "minWidth", "128.25px"],  # the method, 9.5em
    ["table.own tbody td:nth-last-child(3)", "textAlign", "right"],  # the % change
    ["table.own tbody td:nth-last-child(2)", "fontSize", "12.5px"],  # the note
]


def test_the_columns_are_styled_without_a_class_on_every_cell(two_years):
    page = two_years / "reports" / "lvliang" / "2024.html"
    check = """(looks => looks.map(([sel, prop, want]) => {
        const cells = [...document.querySelectorAll(sel)];
        const bad = cells.filter(c => getComputedStyle(c)[prop] !== want).map(c => getComputedStyle(c)[prop]);
        return [sel, prop, cells.length, bad.slice(0, 3)];
    }))(%s)"""
    import json

    with Chromium() as browser:
        browser.open(page.as_uri(), 1280, 900)
        for sel, prop, count, bad in browser.evaluate(check % json.dumps(COLUMN_LOOKS)):
            assert count and not bad, (sel, prop, count, bad)
