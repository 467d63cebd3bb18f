"""A second year of a body, added as a user would (tests/fixtures/second_year/README.md): the earlier
year's report and comparison.csv treat nothing later as earlier, the later year compares with the
earlier one year on year, and no chart series or headline card puts non-equivalent counts side by side."""

import csv
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.compare.baselines import OWN_BASELINE_KINDS
from pipeline.compare.semantics import is_earlier

from .conftest import FIXTURES
from .test_report_html import copy_project, pipeline_run

EARLIER_KINDS = tuple(k for k in OWN_BASELINE_KINDS if k != "ordinal")
# what the report shows, read in a kernel of the temporary project (pipeline.paths reads the root there)
REPORT_VIEW = """
import json, sys
from pipeline.report import data as d, chart_data as c
out = {}
for year in (2023, 2024):
    r = d.load("lvliang", year)
    out[year] = {
        "series_units": [s.unit for s in c.series_list(r)],
        "series_titles": [s.title for s in c.series_list(r)],
        "bars": [[b.label for b in p.bars] for p in c.baseline_panels(r)],
        "headline_baselines": {i: (None if (b := d.own_baseline(r, i)) is None else b["baseline_kind"])
                               for i in ("deputy_suggestions", "satisfaction_evaluations", "sc_sessions")},
    }
json.dump(out, sys.stdout, ensure_ascii=False)
"""


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("two_years"))
    shutil.copytree(FIXTURES / "second_year" / "lvliang" / "2024", root / "data" / "raw" / "lvliang" / "2024")
    pipeline_run(root)
    return root


def _comparison(root: Path) -> list[dict]:
    with (root / "data" / "processed" / "comparison.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _view(root: Path) -> dict:
    env = {**os.environ, "ANNUAL_FIGURES_ROOT": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", REPORT_VIEW], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_earlier_year_treats_nothing_later_as_earlier(two_years):
    rows = [r for r in _comparison(two_years) if r["report_year"] == "2023"]
    assert rows
    # an ordinal is a cross-check inside the year, not an earlier period
    own = [r for r in rows if r["baseline_kind"] in EARLIER_KINDS]
    assert own and all(is_earlier(r["baseline_start"], r["baseline_end"], 2023) for r in own)
    # the 2024 document is no baseline of 2023 and nothing of 2024 is "reported before, not this year"
    with (two_years / "data" / "processed" / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
        panel = list(csv.DictReader(handle))
    doc_2024 = {r["source"] for r in panel if r["source_type"] == "document" and r["report_year"] == "2024"}
    assert len(doc_2024) == 1
    assert not any(r["baseline_source"] in doc_2024 and r["baseline_kind"] in EARLIER_KINDS for r in rows)
    gone = [r for r in rows if r["value"] == ""]
    assert all(r["baseline_end"] < "2023" and r["coverage"] == "not_stated" for r in gone)
    assert "opinions_collected" not in {r["indicator_id"] for r in gone}
    # the cumulative windows that end after 2023 starts are shown as what they are
    later = {
        (r["baseline_start"], r["baseline_end"]): r["baseline_kind"]
        for r in rows
        if r["indicator_id"] == "laws_enacted"
    }
    assert later.get(("2024-06", "2025-09")) == "later_period"


def test_the_later_year_compares_with_the_earlier_one_year_on_year(two_years):
    rows = [r for r in _comparison(two_years) if r["report_year"] == "2024"]
    by = {(r["indicator_id"], r["baseline_kind"]): r for r in rows}
    sessions = by[("sc_sessions", "earlier_year")]
    assert (sessions["value"], sessions["baseline_value"], sessions["change"]) == ("8", "9", "-1")
    assert sessions["baseline_start"] == "2023-01-01"
    # 256 件 of suggestions against 2万余条 of opinions; 12 个 departments against 48 次 of evaluation
    for ident in ("deputy_suggestions", "satisfaction_evaluations"):
        refused = by[(ident, "not_comparable")]
        assert refused["change"] == "" and "shown, not differenced" in refused["note"]
        assert (ident, "earlier_year") not in by
    # what the 2023 document states and 2024's does not: not stated, not "no data"
    coverage = {r["indicator_id"]: r["coverage"] for r in rows if r["value"] == ""}
    assert coverage["legislative_hearings"] == "not_stated"
    assert {r["coverage"] for r in rows if r["value"] != ""} == {"reported"}
    # the year before: 2024 has the 2023 document; 2023 has no 2022 document (no data, not "not stated")
    assert sessions["previous_year_coverage"] == "reported"
    assert coverage_of(two_years, "2024", "opinions_collected") == "not_stated"
    assert coverage_of(two_years, "2023", "sc_sessions") == "no_document"


def coverage_of(root: Path, year: str, ident: str) -> str:
    (row,) = {
        r["previous_year_coverage"]
        for r in _comparison(root)
        if r["report_year"] == year and r["indicator_id"] == ident
    }
    return row


class _Section(HTMLParser):
    """The text after the heading that starts with `heading`, up to the next heading."""

    def __init__(self, heading: str):
        super().__init__()
        self.heading, self.inside, self.in_h3, self.text = heading, False, False, []

    def handle_starttag(self, tag, attrs):
        if tag == "h3":
            self.in_h3 = True
            self.inside = False

    def handle_endtag(self, tag):
        if tag == "h3":
            self.in_h3 = False

    def handle_data(self, data):
        if self.in_h3 and data.strip().startswith(self.heading):
            self.inside = True
        elif self.inside:
            self.text.append(data)


def test_the_reports_show_nothing_later_as_earlier_and_mix_no_counts(two_years):
    html = (two_years / "reports" / "lvliang" / "2023.html").read_text(encoding="utf-8")
    section = _Section("本年未载")
    section.feed(html)
    shown = "".join(section.text)
    assert "2022-02" in shown  # the term total reported before is there
    assert "2024" not in shown and "收集群众意见建议" not in shown
    view = _view(two_years)
    # no bar of 2023 is a window that ends after 2023 starts
    assert not any("2025-09" in label or "2024-06" in label for bars in view["2023"]["bars"] for label in bars)
    for year in ("2023", "2024"):
        units = view[year]["series_units"]
        assert "件/条" not in units and "条/件" not in units and "个/次" not in units and "次/个" not in units
    # the headline card of 2024 gives no earlier figure for counts that are not comparable
    headline = view["2024"]["headline_baselines"]
    assert headline == {"deputy_suggestions": None, "satisfaction_evaluations": None, "sc_sessions": "earlier_year"}
