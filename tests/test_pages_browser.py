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
    assert '<a class="url" href="../lvliang/2023.html">lvliang/2023/000_27d8ef8a85ace649.txt</a>' in html
    assert '<span class="url">lvliang/2023/' not in html
