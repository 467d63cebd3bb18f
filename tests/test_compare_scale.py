"""The compare step at corpus scale: what a body-year reads is bounded and is what the comparison
needs, its key changes only when that changes, and parts written and laid end to end give the
bytes pandas would."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from pipeline.compare.baselines import COMPARISON_COLUMNS, MAX_PEERS, compare, compare_records
from pipeline.compare.peers import CompareIndex, frame_digest
from pipeline.compare.rows import records
from pipeline.compare.semantics import PEER_YEARS, SINGLE_YEAR_PERIODS, peer_years
from pipeline.compare.step import csv_text

from .test_compare import fact, panel_of

INDICATORS = ("sc_sessions", "laws_enacted", "chair_meetings")


def _bodies(names: list[str], level: str = "county") -> pd.DataFrame:
    return pd.DataFrame({"body": names, "name_zh": "x", "name_en": "x", "level": level, "province": ""})


def _year_row(body, year, value=3, ident="sc_sessions", start=1, period="calendar_year") -> dict:
    row = fact(body, f"{year}-01-01", f"{year}-12-31", period, ident, value, "document", year, start)
    row["source"] = f"{body}/{year}/report.txt"  # one document per body-year
    return row


def _corpus(bodies: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bodies of one level (and two of another), 2019-2025, each figure stated once or twice, in a
    shuffled order; some years missing, some indicators missing, some published rows."""
    rng = random.Random(seed)
    names = [f"b{i:02d}" for i in range(bodies)]
    rows = []
    for body in [*names, "x0", "x1"]:
        for year in range(2019, 2026):
            if rng.random() < 0.2:
                continue
            for n, ident in enumerate(INDICATORS):
                if rng.random() < 0.25:
                    continue
                for mention in range(rng.choice((1, 1, 2))):
                    period = rng.choice(SINGLE_YEAR_PERIODS)
                    rows.append(_year_row(body, year, rng.randint(1, 40), ident, 100 * n + 10 * mention, period))
            if rng.random() < 0.3:
                rows.append(fact(body, f"{year}", f"{year}", "calendar_year", "sc_sessions", 5, report_year=year))
    rng.shuffle(rows)
    return panel_of(*rows), pd.concat([_bodies(names), _bodies(["x0", "x1"], "city")], ignore_index=True)


def _every_candidate(panel: pd.DataFrame, bodies: pd.DataFrame, body: str, year: int) -> pd.DataFrame:
    """Rule 6 without the index: every row of another body of the level, a single year within PEER_YEARS."""
    level = dict(zip(bodies["body"], bodies["level"], strict=True))
    return panel[
        (panel["body"] != body)
        & panel["body"].map(level).eq(level[body])
        & panel["period_kind"].isin(SINGLE_YEAR_PERIODS)
        & (panel["kind"] == "actual")
        & (panel["indicator_id"] != "")
        & panel["report_year"].map(lambda y: y is not None and abs(y - year) <= PEER_YEARS)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_chosen_peers_give_the_comparison_every_candidate_gives(seed):
    panel, bodies = _corpus(12, seed)
    index = CompareIndex.of(panel, bodies)
    for body in ("b00", "b05", "b11", "x0"):
        for year in (2019, 2022, 2025):
            own = panel[panel["body"] == body]
            everything = compare_records(
                records(own), records(_every_candidate(panel, bodies, body, year)), body, year, index.level[body]
            )
            chosen = compare(panel, body, year, bodies)
            pd.testing.assert_frame_equal(chosen, everything)
            inputs = index.inputs(body, year)
            stated = len(index.targets.get((body, year), []))
            assert len(inputs.peers) <= MAX_PEERS * stated  # bounded whatever the number of bodies


def test_what_a_body_year_reads_does_not_grow_with_the_bodies_of_its_level():
    sizes = {}
    for bodies in (6, 40):
        panel, table = _corpus(bodies, 5)
        sizes[bodies] = len(CompareIndex.of(panel, table).inputs("b00", 2022).peers)
    assert sizes[40] <= MAX_PEERS * len(INDICATORS)
    assert sizes[6] <= sizes[40]


def test_the_peer_years_run_nearest_first():
    assert peer_years(2023) == [2023, 2022, 2024, 2021, 2025]


def test_the_digest_from_row_hashes_is_the_digest_of_the_rows():
    panel, bodies = _corpus(8, 7)
    index = CompareIndex.of(panel, bodies)
    inputs = index.inputs("b03", 2022)
    assert inputs.peers_digest == frame_digest(inputs.peers)
    assert inputs.own.digest == frame_digest(inputs.own.frame)
    assert len(inputs.own.frame) == (panel["body"] == "b03").sum()
    # what a run keys on before it takes any rows out of the panel
    assert CompareIndex.of(panel, bodies).body_digest("b03") == inputs.own.digest
    assert index.digest(index.peer_positions("b03", 2022)) == inputs.peers_digest


def test_a_reports_digest_from_row_hashes_is_the_digest_of_its_rows():
    from pipeline.compare.peers import RowIndex

    panel, _ = _corpus(6, 4)
    panel = panel.assign(source_type=["published" if i % 9 == 0 else "document" for i in range(len(panel))])
    index = RowIndex.of(panel)
    for body in ("b00", "b03", "nobody"):
        rows = index.report_rows(body)
        assert index.report_digest(body) == frame_digest(rows)
        assert set(rows["body"]) <= {body} | set(panel.loc[panel["source_type"] == "published", "body"])


def test_a_reports_rows_from_the_arrow_panel_are_those_of_the_frame(tmp_path):
    """The report stage reads figures.parquet as Arrow: a body's rows made pandas are the rows
    pd.read_parquet and iloc give, labels and types too, and so is their digest."""
    import pyarrow.parquet as pq

    from pipeline import panel as panel_step
    from pipeline.compare.peers import RowIndex

    panel, _ = _corpus(6, 5)
    panel = panel.assign(source_type=["published" if i % 7 == 0 else "document" for i in range(len(panel))], end=pd.NA)
    panel = panel_step._typed(panel[panel_step.PANEL_COLUMNS].sort_values("body", kind="mergesort"))
    panel_step.write_parquet(panel.reset_index(drop=True), tmp_path / "figures.parquet")
    frame = RowIndex.of(pd.read_parquet(tmp_path / "figures.parquet"))
    table = RowIndex.of(pq.read_table(tmp_path / "figures.parquet"))
    assert table.by_body.keys() == frame.by_body.keys()
    for body in ("b00", "b04", "x1", "nobody"):
        pd.testing.assert_frame_equal(table.report_rows(body), frame.report_rows(body))
        assert table.report_digest(body) == frame.report_digest(body)
    keyed = RowIndex.of(pq.read_table(tmp_path / "figures.parquet"), {"b00": "one", "b04": "two", "x1": "one"})
    assert keyed.report_digest("b00") == keyed.report_digest("x1") != keyed.report_digest("b04")


def test_a_new_document_changes_the_key_of_only_the_body_years_that_choose_it():
    names = ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "zz"]
    rows = [_year_row(b, y) for b in names[:-1] for y in (2021, 2022, 2023)]
    bodies = _bodies(names)
    before = CompareIndex.of(panel_of(*rows), bodies)
    # zz sorts last: in 2023 the six other bodies of 2023 fill b1's five places before it
    after = CompareIndex.of(panel_of(*rows, _year_row("zz", 2023)), bodies)
    assert after.inputs("b1", 2023).peers_digest == before.inputs("b1", 2023).peers_digest
    assert after.inputs("b1", 2023).own.digest == before.inputs("b1", 2023).own.digest
    # a body that sorts first is chosen in the same year
    early = CompareIndex.of(panel_of(*rows, _year_row("b0", 2023)), _bodies(["b0", *names]))
    assert early.inputs("b1", 2023).peers_digest != before.inputs("b1", 2023).peers_digest
    assert "b0" in set(early.inputs("b1", 2023).peers["body"])
    # its own body's every year is keyed on its rows
    grown = CompareIndex.of(panel_of(*rows, _year_row("b1", 2024)), bodies)
    assert grown.inputs("b1", 2021).own.digest != before.inputs("b1", 2021).own.digest


@pytest.mark.parametrize(
    "cell",
    ["plain", "a, comma", 'a "quote"', "line\nbreak", "carriage\rreturn", "'=formula", "", " lead", "中文，逗号"],
)
def test_a_part_is_written_as_pandas_would_write_it(cell, tmp_path):
    frame = pd.DataFrame([[cell, "x", ""], ["y", cell, "z"]], columns=["a", "b", "c"], dtype=object)
    expected = tmp_path / "pandas.csv"
    frame.to_csv(expected, index=False, encoding="utf-8", lineterminator="\n")
    assert csv_text(list(frame.columns), frame.to_numpy().tolist()).encode("utf-8") == expected.read_bytes()


def test_records_turn_a_missing_integer_into_none():
    frame = pd.DataFrame({"report_year": pd.array([2023, None], dtype="Int64"), "value": [1.0, 2.0]})
    assert records(frame) == [{"report_year": 2023, "value": 1.0}, {"report_year": None, "value": 2.0}]


def test_comparison_columns_are_the_ones_compare_returns():
    panel, bodies = _corpus(4, 9)
    assert list(compare(panel, "b01", 2022, bodies).columns) == COMPARISON_COLUMNS
