"""Which rows of the panel one body-year's comparison and one report read, found once per run.

A comparison reads its body's own rows (every year: earlier years, terms, running totals) and, for
each indicator the body states that year, the peer rows it will show: at most MAX_PEERS, chosen by
rule 6 of pipeline.compare.semantics. `CompareIndex` sorts the panel's peer candidates once by
(level, indicator, year, body), so a body-year's peers are picked by walking a few short lists,
whatever the size of the corpus: what a body-year reads, is shipped to a worker and is keyed on
stays bounded, and a new document re-runs only the body-years whose own or chosen rows it changes.
The comparison computed from those rows is the comparison computed from the whole panel (a test
holds them together).

A report reads its body's rows and the published ones (`RowIndex`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.compare.rows import COMPARE_COLUMNS, Rows, records
from pipeline.compare.semantics import MAX_PEERS, SINGLE_YEAR_PERIODS, peer_years

NO_ROWS = np.empty(0, dtype=np.intp)


@dataclass
class BodyRows:
    """One body's panel rows (the compared columns, in the panel's order), its level and their digest.
    Every year of the body shares one: pickled once per chunk of work, converted once per worker."""

    body: str
    level: str | None
    frame: pd.DataFrame
    digest: str
    _records: Rows | None = field(default=None, repr=False, compare=False)

    def records(self) -> Rows:
        if self._records is None:
            self._records = records(self.frame)
        return self._records

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_records": None}  # the frame travels; the records are rebuilt


@dataclass
class CompareInputs:
    """What one body-year's comparison and checks read: its body's rows and its chosen peer rows."""

    body: str
    year: int
    own: BodyRows
    peers: pd.DataFrame
    peers_digest: str


class _HashedPanel:
    """Digests of sets of panel rows from row hashes computed once for the panel (`self.panel`)."""

    panel: pd.DataFrame

    @cached_property
    def _row_hashes(self) -> np.ndarray:
        panel = self.panel.to_pandas() if isinstance(self.panel, pa.Table) else self.panel
        return pd.util.hash_pandas_object(panel, index=False).to_numpy()

    @cached_property
    def _columns(self) -> tuple[str, ...]:
        return tuple(self.panel.column_names if isinstance(self.panel, pa.Table) else map(str, self.panel.columns))

    def digest(self, positions: np.ndarray) -> str:
        """frame_digest(self.panel.iloc[positions])."""
        return _digest(self._columns, self._row_hashes[positions] if len(positions) else None)


@dataclass
class CompareIndex(_HashedPanel):
    panel: pd.DataFrame  # the compared columns of the panel
    level: dict[str, str]
    by_body: dict[str, np.ndarray]
    # (level, indicator id, year) -> ([body], [position]), by body, then in the panel's order
    pool: dict[tuple[str, str, int], tuple[list[str], list[int]]]
    targets: dict[tuple[str, int], list[str]]  # (body, year) -> the indicator ids it states, sorted
    _bodies: dict[str, BodyRows] = field(default_factory=dict, repr=False)
    _body_digests: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, panel: pd.DataFrame, bodies: pd.DataFrame) -> CompareIndex:
        panel = panel[list(COMPARE_COLUMNS)].reset_index(drop=True)
        level = dict(zip(bodies["body"], bodies["level"], strict=True))
        by_body = dict(_groups(panel["body"]))
        # only the few columns the choice reads are filtered and walked: filtering the whole panel
        # and iterating Arrow-backed columns value by value cost seconds at 1,000 documents
        keys = panel[["body", "indicator_id", "report_year"]]
        mapped = ((panel["indicator_id"] != "") & (panel["kind"] == "actual")).to_numpy(dtype=bool, na_value=False)
        single = panel["period_kind"].isin(SINGLE_YEAR_PERIODS).to_numpy(dtype=bool, na_value=False)
        peer = keys[mapped & single]
        peer = peer.assign(_level=peer["body"].map(level), _pos=peer.index)
        peer = peer.dropna(subset=["_level", "report_year"])
        peer = peer.sort_values(["_level", "indicator_id", "report_year", "body"], kind="mergesort")
        # grouped with numpy, the groups' lists cut from three whole-column lists: no Python step per row
        lv, ident, year = (pd.factorize(peer[c], sort=False)[0] for c in ("_level", "indicator_id", "report_year"))
        starts = np.flatnonzero(np.diff(lv, prepend=-1) | np.diff(ident, prepend=-1) | np.diff(year, prepend=-1))
        edges = [*starts.tolist(), len(peer)]
        names, positions = peer["body"].tolist(), peer["_pos"].tolist()
        heads = zip(peer["_level"].to_numpy()[starts].tolist(), peer["indicator_id"].to_numpy()[starts].tolist(),
                    peer["report_year"].to_numpy()[starts].tolist(), strict=True)  # fmt: skip
        pool = {(str(v), i, int(y)): (names[a:b], positions[a:b]) for (v, i, y), a, b in
                zip(heads, edges[:-1], edges[1:], strict=True)}  # fmt: skip
        # the figures a body-year is compared on (baselines.year_figures): stated in its document
        document = (panel["source_type"] == "document").to_numpy(dtype=bool, na_value=False)
        stated = keys[mapped & document].dropna(subset=["report_year"]).drop_duplicates()
        targets: dict[tuple[str, int], list[str]] = {}
        for body, year, ident in zip(stated["body"].tolist(), stated["report_year"].tolist(),
                                     stated["indicator_id"].tolist(), strict=True):  # fmt: skip
            targets.setdefault((body, int(year)), []).append(ident)
        return cls(panel, level, by_body, pool, {k: sorted(v) for k, v in sorted(targets.items())})

    def body_rows(self, body: str) -> BodyRows:
        if body not in self._bodies:
            positions = self.by_body.get(body, NO_ROWS)
            self._bodies[body] = BodyRows(
                body, self.level.get(body), self.panel.iloc[positions], self.digest(positions)
            )
        return self._bodies[body]

    def peer_positions(self, body: str, year: int) -> np.ndarray:
        """Rule 6: for each indicator the body states in `year`, the MAX_PEERS nearest peer rows."""
        lv = self.level.get(body)
        if lv is None:
            return NO_ROWS
        chosen: list[int] = []
        years = peer_years(year)
        for ident in self.targets.get((body, year), ()):
            found: list[int] = []
            for y in years:
                for peer_body, position in zip(*self.pool.get((lv, ident, y), ((), ())), strict=True):
                    if peer_body != body:
                        found.append(position)
                        if len(found) == MAX_PEERS:
                            break
                if len(found) == MAX_PEERS:
                    break
            chosen += found
        return np.array(sorted(chosen), dtype=np.intp)

    def body_digest(self, body: str) -> str:
        """body_rows(body).digest, without taking the body's rows out of the panel (once per body:
        a run keys each of its years on it)."""
        if body in self._bodies:
            return self._bodies[body].digest
        if body not in self._body_digests:
            self._body_digests[body] = self.digest(self.by_body.get(body, NO_ROWS))
        return self._body_digests[body]

    def inputs(self, body: str, year: int, positions: np.ndarray | None = None) -> CompareInputs:
        """What the body-year reads; `positions`, its peer_positions when the caller has them already.
        Taking rows out of the panel is most of the cost: a run keys every body-year on digests
        (body_digest, digest of peer_positions) and calls this only for those that must run."""
        positions = self.peer_positions(body, year) if positions is None else positions
        return CompareInputs(body, year, self.body_rows(body), self.panel.iloc[positions], self.digest(positions))


@dataclass
class RowIndex(_HashedPanel):
    """The report rows of each body in a panel: a pandas frame, or the Arrow table of
    figures.parquet (rows made pandas only for the bodies that render). `digests`, the panel
    step's digests of each body's rows (pipeline.panel.row_digests), key the reports without
    hashing the panel; without them the rows are hashed (frame_digest)."""

    panel: pd.DataFrame | pa.Table
    by_body: dict[str, np.ndarray]
    published: np.ndarray
    digests: Mapping[str, str] | None = None

    @classmethod
    def of(cls, panel: pd.DataFrame | pa.Table, digests: Mapping[str, str] | None = None) -> RowIndex:
        if isinstance(panel, pa.Table):
            encoded = panel.column("body").combine_chunks().dictionary_encode()
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            by_body = dict(_code_groups(codes, encoded.dictionary.to_pylist()))
            published = pc.equal(panel.column("source_type"), "published").to_numpy(zero_copy_only=False)
            return cls(panel, by_body, np.flatnonzero(published), digests)
        positions = np.arange(len(panel))
        published = positions[(panel["source_type"] == "published").to_numpy()]
        return cls(panel, dict(_groups(panel["body"])), published, digests)

    def report_positions(self, body: str) -> np.ndarray:
        return np.unique(np.concatenate([self.by_body.get(body, NO_ROWS), self.published]))

    def report_rows(self, body: str) -> pd.DataFrame:
        """What a report reads of the panel: its body's rows and every published row (labelled by
        their positions in the panel, as `panel.iloc` gives them)."""
        positions = self.report_positions(body)
        if isinstance(self.panel, pa.Table):
            frame = self.panel.take(positions).to_pandas()
            frame.index = pd.Index(positions)
            return frame
        return self.panel.iloc[positions]

    def report_digest(self, body: str) -> str:
        """The key of what a report reads: from the panel step's digest of its body's rows (which
        covers the published rows too), or frame_digest(report_rows(body)) from row hashes computed
        once for the panel. A run keys every report and takes rows out of the panel only for those
        it renders."""
        if self.digests is not None:
            return hashlib.sha256(f"report rows:{self.digests[body]}".encode()).hexdigest()
        return self.digest(self.report_positions(body))


def _groups(column: pd.Series):
    codes, uniques = pd.factorize(column, sort=False)
    return _code_groups(codes, list(uniques))


def _code_groups(codes: np.ndarray, names: list[str]):
    """(value, positions of its rows) from a column's codes and the values they stand for (a pandas
    factorization or an Arrow dictionary); a value no row has is left out."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    for i, value in enumerate(names):
        if bounds[i + 1] > bounds[i]:
            yield value, order[bounds[i] : bounds[i + 1]]


def _digest(columns, row_hashes: np.ndarray | None) -> str:
    h = hashlib.sha256(_header(tuple(columns)))
    h.update(str(0 if row_hashes is None else len(row_hashes)).encode())
    if row_hashes is not None:
        h.update(row_hashes.tobytes())
    return h.hexdigest()


@lru_cache(maxsize=64)
def _header(columns: tuple) -> bytes:
    """What a digest starts with: the column names (the same few sets, over a run's thousands of digests)."""
    return ",".join(map(str, columns)).encode()


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a frame's values, column names and order: the key of what an item read."""
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy() if len(frame) else None
    return _digest(frame.columns, hashes)
