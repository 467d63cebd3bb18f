"""Which rows of the panel one body-year's comparison and one report read, found once per run.

`compare` reads a body's own rows and its peers' (bodies of the same level, single years within
PEER_YEARS, mapped, actual); a report reads its body's rows and the published ones. `RowIndex`
groups the panel's row positions by body and by (level, year) once, so each body-year's rows are
picked in time proportional to their number, not to the panel's, and in the panel's order: the
comparison of a body-year computed from its rows is the comparison computed from the whole panel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.compare.baselines import PEER_YEARS

PEER_PERIODS = ("calendar_year", "session_year")


@dataclass
class RowIndex:
    panel: pd.DataFrame
    level: dict[str, str]
    by_body: dict[str, np.ndarray]
    pool: dict[tuple[str, int], np.ndarray]  # (level, year) -> positions of peer candidates
    published: np.ndarray

    @classmethod
    def of(cls, panel: pd.DataFrame, bodies: pd.DataFrame) -> RowIndex:
        level = dict(zip(bodies["body"], bodies["level"], strict=True))
        positions = np.arange(len(panel))
        by_body = {b: positions[m] for b, m in _groups(panel["body"])}
        candidate = (
            (panel["indicator_id"] != "") & panel["period_kind"].isin(PEER_PERIODS) & (panel["kind"] == "actual")
        ).to_numpy()
        pool: dict[tuple[str, int], list[np.ndarray]] = {}
        cand = panel[candidate]
        if len(cand):
            levels = cand["body"].map(level)
            for (lv, year), rows in cand.groupby([levels, cand["report_year"]], sort=True, dropna=True):
                pool.setdefault((str(lv), int(year)), []).append(positions[candidate][_positions_in(cand, rows)])
        merged = {k: np.sort(np.concatenate(v)) for k, v in pool.items()}
        published = positions[(panel["source_type"] == "published").to_numpy()]
        return cls(panel, level, by_body, merged, published)

    def compare_rows(self, body: str, year: int) -> pd.DataFrame:
        """What compare(panel, body, year) and run_checks read: the body's rows and its peers'."""
        own = self.by_body.get(body, np.empty(0, dtype=int))
        parts = [own]
        lv = self.level.get(body)
        if lv is not None:
            for y in range(year - PEER_YEARS, year + PEER_YEARS + 1):
                peers = self.pool.get((lv, y))
                if peers is not None:
                    parts.append(peers)
        return self.panel.iloc[np.unique(np.concatenate(parts))]  # sorted: in the panel's order

    def report_rows(self, body: str) -> pd.DataFrame:
        """What a report reads of the panel: its body's rows and every published row."""
        own = self.by_body.get(body, np.empty(0, dtype=int))
        return self.panel.iloc[np.unique(np.concatenate([own, self.published]))]


def _groups(column: pd.Series):
    codes, uniques = pd.factorize(column, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    for i, value in enumerate(uniques):
        yield value, order[bounds[i] : bounds[i + 1]]


def _positions_in(frame: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    return frame.index.get_indexer(rows.index)


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a frame's values, column names and order: the key of what an item read."""
    h = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    h.update(str(len(frame)).encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()
