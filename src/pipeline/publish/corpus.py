"""The publish step: what a corpus run publishes beside the per-document reports, in one call.

`publish_corpus` writes the data package (documents.csv, datapackage.json), the SQLite file, the
indicator pages and the downloads, and returns what the index shows of them (the coverage view, the
indicator list, the downloads), which it also keeps in data/interim/.corpus/publish.summary.json for
the index step. It redoes only what changed since it last ran (data/interim/.corpus/publish.json
records what it wrote, with the keys it wrote it from):

- the database is written again only when one of the tables it holds changed (or the code did):
  updated from the last one where only some bodies' rows changed (publish.database), its bytes
  those of a fresh build;
- an indicator page is rendered again only when its rows or what else it shows changed
  (publish.pages); pages of indicators without data any more are removed;
- the downloads under reports/downloads are hard links to the files in data/processed, so the
  reports folder can be served or copied on its own, each file is stored once on disk, and a link
  already in place costs nothing. Where a link cannot be made (another file system, a system
  without hard links) the file is copied. Every writer of data/processed replaces a file by
  renaming a new one over it, never writing into it, so a download is never changed in place.

The database and the pages are independent pieces of work: given an executor they run side by side
in its workers (the database alone is the largest piece).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import paths
from pipeline.atomic import atomic_path, write_text_atomic
from pipeline.display import note
from pipeline.errors import PipelineError
from pipeline.fanout import fan_out, fan_out_started
from pipeline.hashing import package_sha256, sha256_of
from pipeline.panel import PANEL_COLUMNS
from pipeline.publish import pages as pages_
from pipeline.publish.database import NAME as DATABASE
from pipeline.publish.database import write_database
from pipeline.publish.datapackage import TABLES, write_datapackage
from pipeline.reference.indicators import by_id
from pipeline.reference.readers import known_bodies
from pipeline.reference.sources import discover_sources
from pipeline.report.indicator_pages import FOLDER, PAGE_COLUMNS, coverage

MANIFEST = "publish.json"
SUMMARY = "publish.summary.json"
# what reports/downloads offers, in the index's order; the three large tables say their rows and size
DOWNLOADS = [
    ("figures.csv", "所有数字：文件中的和已发布的，每行一个，附出处 · "
     "every figure, from documents and published, one a row, with its source"),
    ("comparison.csv", "每项指标与可比基准的比较 · each indicator against its comparable baselines"),
    ("checks.csv", "一致性核对及其结果 · consistency checks and their outcome"),
    ("documents.csv", "每份文件及其来源 · every document with its source metadata"),
    ("datapackage.json", "数据包描述（Frictionless）· the data package: every table's fields, types, units, licence"),
    (DATABASE, "SQLite 数据库，含证据句子全文检索 · all tables in SQLite, evidence sentences full-text searchable"),
]  # fmt: skip
COUNTED = ("figures.csv", "comparison.csv", "checks.csv")


def summary_path() -> Path:
    return paths.corpus_dir() / SUMMARY


def manifest_path() -> Path:
    return paths.corpus_dir() / MANIFEST


def read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def read_summary() -> dict[str, Any]:
    """What the last publish step left for the index ({} when it has not run)."""
    return read_json(summary_path())


def link_download(original: Path, target: Path) -> None:
    """`target` as a hard link to `original` (a copy where no link can be made), replaced atomically."""
    try:
        if os.path.samefile(original, target):
            return
    except FileNotFoundError:
        pass
    with atomic_path(target) as tmp:
        tmp.unlink()
        try:
            os.link(original, tmp)
        except OSError:  # another file system, or none with hard links
            shutil.copyfile(original, tmp)


def _database_key(processed: Path, hasher: Callable[[Path], str | None] = sha256_of) -> dict[str, Any]:
    inputs = {f"{n}.csv": hasher(processed / f"{n}.csv") for n in TABLES if (processed / f"{n}.csv").is_file()}
    return {"inputs": inputs, "code": package_sha256()}


def _database_standing(processed: Path, key: dict[str, Any], recorded: Any) -> bool:
    if not isinstance(recorded, dict) or recorded.get("key") != key or not isinstance(recorded.get("rows"), dict):
        return False
    try:
        return sha256_of(processed / DATABASE) == recorded.get("sha256")
    except FileNotFoundError:
        return False


def _database_base(recorded: Any) -> str | None:
    """The sha256 the last database was recorded with: write_database updates that file when it
    still has those bytes (and this code's layout), else builds it from scratch."""
    sha = recorded.get("sha256") if isinstance(recorded, dict) else None
    return sha if isinstance(sha, str) else None


def _publish_one(item: tuple[str, Any]) -> Any:
    """One piece of the step, in a worker or here: ("database", (processed folder, the last one's
    recorded sha256 or None)) or ("page", PageWork)."""
    kind, what = item
    if kind == "database":
        folder, base = what
        return write_database(Path(folder), base_sha256=base)
    return pages_.write_page(what)


def _page_works(css: str, root: Path, processed: Path, date: str, panel: pa.Table | None = None
                ) -> list[pages_.PageWork]:  # fmt: skip
    """Every page's inputs. `panel`: figures.parquet as read already (the report stage has it, as
    Arrow), else read here; a page takes only the fields it shows (its CSV is figures.csv's own
    records), made pandas as pd.read_parquet makes them."""
    columns = ["indicator_id", *PAGE_COLUMNS]
    if panel is None:
        panel = pq.read_table(processed / "figures.parquet", columns=columns)  # the long texts stay on disk
    panel = panel.select(columns).to_pandas()
    header, records = pages_.records_by(processed / "figures.csv", "indicator_id")
    bodies = known_bodies()
    documents = {(s.body, str(s.report_year)) for s in discover_sources()}
    indicators = by_id()
    panel = panel[panel["indicator_id"] != ""]
    years = pages_.document_years(panel, "indicator_id")  # of every page at once
    groups = sorted(panel.groupby("indicator_id"), key=lambda t: t[0])
    works = []
    for i, frame in groups:
        if i in indicators:
            text, own = header + records.get(i, b""), years.get(i, {})
            works.append(pages_.work_of(indicators[i], frame, text, bodies, documents, date, css, root, own))
    return works


def _changed_pages(works: list[pages_.PageWork], recorded: dict[str, Any]) -> tuple[dict[str, str], list]:
    """Each page's key, and the pages to render: those whose key or files are not as recorded, the
    largest first (most rows: the longest to render), so that no large one is left to last."""
    keys = {w.indicator.id: pages_.page_key(w) for w in works}
    changed = [w for w in works if not pages_.standing(w, keys[w.indicator.id], recorded.get(w.indicator.id))]
    changed.sort(key=lambda w: (-len(w.frame), w.indicator.id))
    return keys, [("page", w) for w in changed]


def _results(todo: list[tuple[str, Any]], outcomes: list[Any]) -> dict[tuple[str, str], Any]:
    """The pieces' results by (kind, name). A piece that fails fails the step, once the others are done."""
    results, failed = {}, []
    for (kind, what), outcome in zip(todo, outcomes, strict=True):
        name = "" if kind == "database" else what.indicator.id
        if outcome.ok:
            results[kind, name] = outcome.value
        else:
            failed.append(f"{name or kind}: {outcome.error}")
    if failed:
        more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
        raise PipelineError(f"publish: {len(failed)} part(s) failed: " + "; ".join(failed[:3]) + more)
    return results


def _downloads(root: Path, processed: Path, rows: dict[str, int]) -> list[tuple[str, str, str]]:
    out = []
    for name, description in DOWNLOADS:
        original = processed / name
        if not original.is_file():
            continue
        link_download(original, root / "downloads" / name)
        if name in COUNTED:
            size = original.stat().st_size
            description = f"{description} ({rows[name.removesuffix('.csv')]:,} rows, {size / 1024:,.0f} KiB)"
        out.append((name, f"downloads/{name}", description))
    return out


def _panel_header(processed: Path) -> list[str]:
    with (processed / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


@dataclasses.dataclass
class Publishing:
    """A publish step under way: what `prepare` decided, the database's build once started."""

    css: str
    root: Path
    processed: Path
    date: str
    todo: list[tuple[str, Any]]  # ("database", (folder, base)) when it has to be built again, else []
    database: dict[str, Any]  # what the manifest records of it (its key; rows and sha256 once standing)
    recorded: dict[str, Any]  # the pages as the manifest recorded them
    building: Callable[[], list] = lambda: []
    # once the pages are started (start_pages): every page's inputs and key, the changed ones, their renders
    works: list[pages_.PageWork] | None = None
    keys: dict[str, str] = dataclasses.field(default_factory=dict)
    changed: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    rendering: Callable[[], list] = lambda: []
    failure: Exception | None = None  # what making the pages ready raised: raised by finish

    @property
    def pieces(self) -> int:
        """At most this many pieces of work: the database, when it is built, and a page per indicator."""
        return len(self.todo) + len(self.recorded or by_id())

    def start(self, pool: Any) -> None:
        """The database's build handed to `pool` (an Executor; None: built when finished, here)."""
        self.building = fan_out_started(_publish_one, self.todo, pool)

    def start_pages(self, pool: Any, panel: pa.Table | None = None) -> None:
        """The pages made ready here (their inputs, keys, which changed) and the changed ones handed to
        `pool`, while the workers do whatever they were given before (the database, the reports).
        `panel`: figures.parquet, when the caller has it in memory. What this raises is kept and
        raised by `finish`: the caller collects the workers' other results first."""
        try:
            self.works = _page_works(self.css, self.root, self.processed, self.date, panel)
            self.keys, self.changed = _changed_pages(self.works, self.recorded)
        except Exception as exc:  # raised again by finish, once the workers are done
            self.works, self.failure = [], exc
            return
        self.rendering = fan_out_started(_publish_one, self.changed, pool)


def prepare(
    css: str,
    root: Path | None = None,
    processed: Path | None = None,
    force: bool = False,
    hasher: Callable[[Path], str | None] = sha256_of,
) -> Publishing | None:
    """The data package written and the database's fate decided; None when there is nothing to
    publish (no panel, or one this package did not write: then the index shows no pages).
    `hasher`: a file's sha256 (a run passes its hash memory's, which holds the processed tables'
    digests already: 276 MB not read twice at 1,000 documents)."""
    root = root or paths.REPORTS
    processed = processed or paths.PROCESSED
    if not (processed / "figures.parquet").is_file() or not (processed / "figures.csv").is_file():
        summary_path().unlink(missing_ok=True)  # the index shows nothing of an earlier run's pages
        return None
    if _panel_header(processed) != PANEL_COLUMNS:  # not a panel this package wrote: publish nothing rather than half
        note(f"{processed / 'figures.csv'}: not the panel's columns; data package, database and pages not written")
        summary_path().unlink(missing_ok=True)
        return None
    package = write_datapackage(processed)
    date = json.loads(package.read_text(encoding="utf-8")).get("created", "")[:10]
    before = {} if force else read_json(manifest_path())
    database = {"key": _database_key(processed, hasher)}
    todo: list[tuple[str, Any]] = []
    if _database_standing(processed, database["key"], before.get("database")):
        database = before["database"]
    else:
        todo.append(("database", (str(processed), _database_base(before.get("database")))))
    recorded = before.get("pages") if isinstance(before.get("pages"), dict) else {}
    return Publishing(css, root, processed, date, todo, database, recorded)


def finish(job: Publishing, pool: Any = None, executor: Callable[[int], Any] | None = None) -> dict:
    """The pages whose inputs changed rendered (on `pool`, or on `executor(pieces)`'s, or here), the
    database's build collected, the manifest and the index's summary written; returns the summary
    with "work": what was done this time."""
    root, processed = job.root, job.processed
    if job.works is None:
        works = _page_works(job.css, root, processed, job.date)
        keys, changed = _changed_pages(works, job.recorded)
        if pool is None and executor is not None:
            with executor(len(changed)) as own:
                rendered = fan_out(_publish_one, changed, own)
        else:
            rendered = fan_out(_publish_one, changed, pool)
    else:  # started already (start_pages)
        if job.failure is not None:
            job.building()  # the database's build done (its result not recorded) before the step fails
            raise job.failure
        works, keys, changed, rendered = job.works, job.keys, job.changed, job.rendering()
    done = _results(job.todo + changed, job.building() + rendered)
    database = job.database
    if ("database", "") in done:
        database = {**database, "rows": done["database", ""], "sha256": sha256_of(processed / DATABASE)}
    recorded = job.recorded
    pages = {i: {"key": keys[i], **done["page", i]} if ("page", i) in done else recorded[i] for i in keys}
    gone = pages_.remove_stale(root / FOLDER, recorded, set(pages))
    write_text_atomic(manifest_path(), json.dumps({"database": database, "pages": pages}, indent=1, sort_keys=True))
    panel = pd.read_parquet(processed / "figures.parquet", columns=["body", "report_year", "source_type"])
    listed = [(w.indicator.id, w.indicator.zh, w.indicator.en, f"{FOLDER}/{w.indicator.id}.html") for w in works]
    summary = {
        "coverage": coverage(panel, [(s.body, s.report_year) for s in discover_sources()], known_bodies()),
        "indicators": [(*entry, pages[entry[0]]["rows"]) for entry in listed],
        "downloads": _downloads(root, processed, database["rows"]),
        "date": job.date,
    }
    write_text_atomic(summary_path(), json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    rendered_pages = sum(1 for kind, _ in done if kind == "page")
    work = {"pages rendered": rendered_pages, "pages unchanged": len(pages) - rendered_pages,
            "pages removed": len(gone), "database written": int(("database", "") in done)}  # fmt: skip
    return {**summary, "work": work}  # what was done: said on the step's line, not kept for the index


def publish_corpus(
    css: str,
    root: Path | None = None,
    processed: Path | None = None,
    executor: Callable[[int], Any] | None = None,
    force: bool = False,
) -> dict:
    """Write everything issue 15 adds, redoing only what changed (everything with `force`), and
    return what the index shows of it, with "work": what was done this time ({} without a panel).
    `executor(pieces)`: a context manager giving a concurrent.futures Executor (or None) for that
    many pieces of work (pipeline.fanout.open_executor); without it, all is done in this process.
    The database, the largest piece, goes to a worker first; the pages are made ready meanwhile."""
    job = prepare(css, root, processed, force)
    if job is None:
        return {}
    if not job.todo or executor is None:
        job.start(None)
        return finish(job, executor=executor)
    with executor(job.pieces) as pool:
        job.start(pool)
        return finish(job, pool)


def published(root: Path | None = None, processed: Path | None = None) -> list[Path]:
    """Every file the last publish step wrote and owns (for the run's record of its outputs)."""
    root = root or paths.REPORTS
    processed = processed or paths.PROCESSED
    summary = read_summary()
    if not summary:
        return []
    pages = read_json(manifest_path()).get("pages") or {}
    owned = [processed / "documents.csv", processed / "datapackage.json", processed / DATABASE, summary_path()]
    owned += [root / href for _, href, _ in summary.get("downloads", [])]
    owned += [root / FOLDER / f"{ident}{suffix}" for ident in sorted(pages) for suffix in pages_.SUFFIXES]
    return owned
