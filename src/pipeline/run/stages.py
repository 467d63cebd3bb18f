"""The work of the three notebooks, each one package call that fans out over documents.

`clean_stage` (10-clean: the clean and panel steps), `compare_stage` (20-compare: compare and
tables) and `report_stage` (30-report: report, publish and index) each take the documents to cover
("all", "none", a body, "body/year", or several of these separated by commas), decide item by item
what changed (pipeline.run.incremental, keys as pipeline.run.steps declares), do only that on the
executor (pipeline.fanout), record what succeeded and write what became of every item to
data/interim/.corpus/<notebook>.outcome.json, which `pipeline run` reads to report and to set its
exit status. A document that fails is named there and the others go on.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import panel as panel_step
from pipeline import paths
from pipeline.compare.peers import CompareIndex, CompareInputs, RowIndex
from pipeline.compare.rows import COMPARE_COLUMNS
from pipeline.compare.step import assemble_tables, compare_inputs, found_parts, part_paths, write_parts
from pipeline.extract.clean import clean_document
from pipeline.fanout import Outcome, fan_out, fan_out_started, open_executor
from pipeline.publish.corpus import Publishing, published, summary_path
from pipeline.publish.corpus import finish as finish_publish
from pipeline.publish.corpus import prepare as prepare_publish
from pipeline.reference.sources import Source, discover_sources
from pipeline.report import render
from pipeline.run import incremental as inc
from pipeline.run import steps
from pipeline.run.keys import (  # noqa: F401 - the stage's vocabulary, for the notebooks and tests
    CLEAN_OUTPUTS,
    COMPARE_OUTPUTS,
    StepReport,
    clean_key,
    clean_outputs,
    compare_key,
    compare_outputs,
    current_tables,
    gate_key,
    label,
    outcome_path,
    panel_key,
    panel_outputs,
    publish_key,
    read_outcome,
    report_key,
    select,
    write_outcome,
)

DATABASE_BESIDE_RENDERS = 64  # at most this many reports to render: the database is built beside them
MIN_PUBLISH_PIECES = 3  # the publish step's pieces of work (database, pages) from which it starts workers
# a body-year's comparison costs ~0.3 s, starting the workers 2-3 s: with fewer body-years than this
# (one new document re-runs a dozen) and no --jobs given, they are compared in this process
MIN_COMPARE_POOL_ITEMS = 24
# imported once by the pool's fork server, so workers start with the stage code (and pandas, pyarrow,
# matplotlib behind it) already loaded: ~1 s of imports per worker, on cores the main process needs
PRELOAD = ("pipeline.run.stages",)

# ---------------------------------------------------------------- workers (module level: pickled by name)


def _clean_one(item: tuple[str, int]) -> int:
    return len(clean_document(*item).figures)


def _compare_one(item: CompareInputs) -> int:
    result = compare_inputs(item)
    write_parts(item.body, item.year, result)
    return len(result.comparison)


def _render_one(item: tuple[str, int, Any]) -> int:
    body, year, rows = item
    return len(render.write_report(body, year, rows))


# ---------------------------------------------------------------- one step over its items


def _run_items(report: StepReport, todo: list[tuple[str, inc.Decision]], items: list[Any], fn, executor,
               outputs) -> list[Outcome]:  # fmt: skip
    return _record_items(report, todo, fan_out(fn, items, executor), outputs)


def _record_items(report: StepReport, todo: list[tuple[str, inc.Decision]], outcomes: list[Outcome],
                  outputs) -> list[Outcome]:  # fmt: skip
    """Each item's outcome recorded: its sidecar when it succeeded, else forgotten and named as failed."""
    for (item_label, decision), outcome in zip(todo, outcomes, strict=True):
        if outcome.ok:
            body, year = item_label.split("/")
            inc.record(report.step, item_label, decision, outputs(body, int(year)))
            report.ran.append(item_label)
        else:
            inc.forget(report.step, item_label)
            report.failed.append({"item": item_label, "error": outcome.error, "error_class": outcome.error_class,
                                  "exit_code": outcome.exit_code})  # fmt: skip
    return outcomes


def _decide_all(report: StepReport, step: str, keyed: list[tuple[str, dict[str, Any]]], force: bool, outputs=None):
    """The items that must run; `outputs(body, year)`: the files an item writes, each of which its
    sidecar must record."""
    todo = []
    for item_label, key in keyed:
        body, _, year = item_label.partition("/")
        expected = outputs(body, int(year)) if outputs else None
        decision = inc.decide(step, item_label, key, force, expected)
        if decision.run:
            todo.append((item_label, decision))
            reason = decision.reason.split(" changed")[0] if decision.reason.startswith("input") else decision.reason
            report.reasons[reason] = report.reasons.get(reason, 0) + 1
        else:
            report.up_to_date += 1
    return todo


def _corpus_step(report: StepReport, key: dict[str, Any], force: bool, work, outputs) -> None:
    """Run a corpus step's `work(old sidecar)` unless its key and outputs stand; `outputs`: the paths
    it owns, or a function giving them once the work is done."""
    started = time.perf_counter()
    decision = _corpus_decision(report, key, force)
    if decision.run:
        old = inc.read_sidecar(report.step, inc.CORPUS)
        work(old if isinstance(old, dict) and not force else None)
        _corpus_done(report, decision, outputs() if callable(outputs) else outputs)
    report.seconds = time.perf_counter() - started


def _corpus_decision(report: StepReport, key: dict[str, Any], force: bool) -> inc.Decision:
    """Whether a corpus step must run (and why, on its report); up to date otherwise."""
    decision = inc.decide(report.step, inc.CORPUS, key, force)
    if decision.run:
        report.reasons[decision.reason] = 1
    else:
        report.up_to_date = 1
    return decision


def _corpus_done(report: StepReport, decision: inc.Decision, outputs: list[Path]) -> None:
    """A corpus step's work done: its sidecar records the key and the outputs it owns."""
    inc.record(report.step, inc.CORPUS, decision, outputs)
    report.ran.append(inc.CORPUS)


def _changed_parts(old: dict[str, Any] | None, key: dict[str, Any], outputs: list[Path]) -> set[str] | None:
    """The parts whose hash differs from the last build, or None (rebuild from every part) when the
    last build is not a base: another package, other inputs, or outputs not as it left them."""
    if old is None or inc.outputs_problem(old.get("outputs", {})):
        return None
    previous = old["key"]
    if any(previous.get(k) != key.get(k) for k in ("package", "notebook_sha256", "inputs", "sidecar_version", "step")):
        return None
    before = previous.get("parts") or {}
    now = key["parts"]
    return {k for k in set(before) | set(now) if before.get(k) != now.get(k)}


# ---------------------------------------------------------------- the stages


def clean_stage(documents: str = "all", force: bool = False, jobs: int = 0, executor: str = "pool",
                scheduler: str = "") -> list[StepReport]:  # fmt: skip
    """10-clean: extract every new or changed document, then update the panel from the parts."""
    sources = select(documents)
    clean = StepReport("clean")
    started = time.perf_counter()
    todo = _decide_all(clean, "clean", [(label(s), clean_key(s)) for s in sources], force, clean_outputs)
    items = [tuple(t[0].split("/")) for t in todo]
    items = [(b, int(y)) for b, y in items]
    with open_executor(executor, jobs or None, scheduler, len(items), PRELOAD) as pool:
        outcomes = _run_items(clean, todo, items, _clean_one, pool, clean_outputs)
    by_label = {label(s): s for s in sources}
    clean.without_figures = [
        str(by_label[t[0]].path) for t, o in zip(todo, outcomes, strict=True) if o.ok and not o.value
    ]
    clean.seconds = time.perf_counter() - started
    panel = StepReport("panel")
    tables = current_tables()
    key = panel_key(tables)
    key = {**key, "sidecar_version": inc.SIDECAR_VERSION, "step": "panel"}

    def build(old: dict[str, Any] | None) -> None:
        changed = _changed_parts(old, key, panel_outputs())
        panel_step.update_panel(tables, None if changed is None else {inc.absolute(c) for c in changed})

    _corpus_step(panel, key, force, build, panel_outputs())
    reports = [clean, panel]
    write_outcome(steps.CLEAN.notebook, reports)
    inc.save_memory()
    return reports


def _bodies_frame():
    return pd.read_csv(paths.reference("bodies.csv"), dtype=str, keep_default_na=False)


def compare_stage(documents: str = "all", force: bool = False, jobs: int = 0, executor: str = "pool",
                  scheduler: str = "") -> list[StepReport]:  # fmt: skip
    """20-compare: the body-years whose rows (own and chosen peers') changed, then the tables from the parts.

    A body's rows go to the workers once per chunk of its years (they share one BodyRows)."""
    sources = select(documents)
    compare = StepReport("compare")
    started = time.perf_counter()
    index = CompareIndex.of(pd.read_parquet(paths.PROCESSED / "figures.parquet", columns=list(COMPARE_COLUMNS)),
                            _bodies_frame())  # fmt: skip
    keyed, chosen = [], {}
    for s in sources:
        peers = index.peer_positions(s.body, s.report_year)
        chosen[label(s)] = (s.body, s.report_year, peers)
        keyed.append((label(s), compare_key(s, index.body_digest(s.body), index.digest(peers))))
    todo = _decide_all(compare, "compare", keyed, force, compare_outputs)
    items = [index.inputs(*chosen[lab]) for lab, _ in todo]
    pieces = 1 if executor == "pool" and not jobs and len(items) < MIN_COMPARE_POOL_ITEMS else len(items)
    with open_executor(executor, jobs or None, scheduler, pieces, PRELOAD) as pool:
        _run_items(compare, todo, items, _compare_one, pool, part_paths)
    compare.seconds = time.perf_counter() - started

    tables = StepReport("tables")
    everything = discover_sources()
    found = {label(s): found_parts(s.body, s.report_year) for s in everything}
    done = [s for s in everything if found[label(s)]]
    parts = [p for s in done for p in found[label(s)]]
    outputs = [paths.PROCESSED / "comparison.csv", paths.PROCESSED / "checks.csv"]
    key = {"package": inc.package_fingerprint(), "parts": inc.hashes(parts), "sidecar_version": inc.SIDECAR_VERSION,
           "step": "tables"}  # fmt: skip

    def build(old: dict[str, Any] | None) -> None:
        changed = _changed_parts(old, key, outputs)
        items_done = [(s.body, s.report_year) for s in done]
        if changed is not None:
            changed = {(Path(c).parent.parent.name, int(Path(c).parent.name)) for c in changed}
        assemble_tables(items_done, changed)

    if done:
        _corpus_step(tables, key, force, build, outputs)
    reports = [compare, tables]
    _close_gate(steps.COMPARE.notebook, sources, reports)
    write_outcome(steps.COMPARE.notebook, reports)
    inc.save_memory()
    return reports


def report_stage(documents: str = "all", force: bool = False, jobs: int = 0, executor: str = "pool",
                 scheduler: str = "") -> list[StepReport]:  # fmt: skip
    """30-report: render the reports whose inputs changed, in workers, then the index from the entries."""
    sources = select(documents)
    report = StepReport("report")
    started = time.perf_counter()
    # Arrow: rows become pandas only for the bodies that render; keyed on the panel step's digests
    panel = pq.read_table(paths.PROCESSED / "figures.parquet")
    index = RowIndex.of(panel, panel_step.row_digests())
    digests: dict[str, str] = {}
    keyed = []
    for s in sources:
        if s.body not in digests:
            digests[s.body] = index.report_digest(s.body)
        keyed.append((label(s), report_key(s, digests[s.body])))
    todo = _decide_all(report, "report", keyed, force)
    rows: dict[str, pd.DataFrame] = {}  # one frame per body, shared by its years
    items = []
    for lab, _ in todo:
        body, year = lab.split("/")
        if body not in rows:
            rows[body] = index.report_rows(body)
        items.append((body, int(year), rows[body]))
    publish = StepReport("publish")
    everything = discover_sources()
    key = {**publish_key(everything), "sidecar_version": inc.SIDECAR_VERSION, "step": "publish"}
    publish_started = time.perf_counter()
    decision = _corpus_decision(publish, key, force)
    job = prepare_publish(render.stylesheet(), force=force, hasher=inc.file_sha256) if decision.run else None
    preparing = time.perf_counter() - publish_started
    with _stage_pool(executor, jobs, scheduler, items, job) as (pool, beside):
        # beside a few renders everything is in flight at once: the database (started first, by
        # _stage_pool), then the renders, then the changed pages, each handed to the pool as soon as
        # it is known; this process makes the pages ready (from the panel it has) while the workers
        # run. The seconds: publish counts its preparation, the pages made ready here and the wait
        # for its pieces after the reports; report counts the rest up to the reports' outcomes.
        rendering = fan_out_started(_render_one, items, pool)
        if beside and job:
            readying = time.perf_counter()
            job.start_pages(pool, panel)
            preparing += time.perf_counter() - readying
        _record_items(report, todo, rendering(), _report_outputs)
        report.seconds = time.perf_counter() - started - preparing
        resumed = time.perf_counter()
        parts = finish_publish(job, pool) if beside else {}
    # the panel's frames (the renders' outcome call holds their items too): publish's workers need
    # the memory more; Arrow's allocator keeps what is freed until told to give it back
    del panel, index, rows, items, rendering
    pa.default_memory_pool().release_unused()
    if job is not None and not beside:
        own = job.pieces if job.pieces >= MIN_PUBLISH_PIECES else 1
        with open_executor(executor, jobs or None, scheduler, own, PRELOAD) as pool:
            job.start(pool)
            parts = finish_publish(job, pool)
    if decision.run:
        publish.parts = parts.get("work", {})
        _corpus_done(publish, decision, published())
    publish.seconds = preparing + time.perf_counter() - resumed
    entries = StepReport("index")
    entry_files = [paths.interim_dir(s.body, s.report_year) / render.ENTRY for s in everything]
    summary = summary_path()
    key = {"package": inc.package_fingerprint(), "inputs": inc.hashes([summary]), "parts": inc.hashes(entry_files),
           "sidecar_version": inc.SIDECAR_VERSION, "step": "index"}  # fmt: skip
    _corpus_step(entries, key, force, lambda old: render.write_index(), [paths.REPORTS / "index.html"])
    reports = [report, publish, entries]
    _close_gate(steps.REPORT.notebook, sources, reports)
    write_outcome(steps.REPORT.notebook, reports)
    inc.save_memory()
    return reports


@contextmanager
def _stage_pool(executor: str, jobs: int, scheduler: str, items: list, job: Publishing | None):
    """The report stage's pool, and whether the publish step's database is being built in it.

    Beside a few renders (one document added) the database, publish's largest piece, is built in
    the same pool while they run, handed to it first, and the changed pages follow them there. After many renders,
    publish gets a fresh pool of its own (the caller's): the render workers' memory goes with them."""
    beside = job is not None and len(items) <= DATABASE_BESIDE_RENDERS
    pieces = len(items) + (job.pieces if job and beside else 0)
    if len(items) < 2 and pieces < MIN_PUBLISH_PIECES:
        pieces = 1  # workers cost a second or so each to start: not worth it for a piece or two
    with open_executor(executor, jobs or None, scheduler, pieces, PRELOAD) as pool:
        if beside and job:
            job.start(pool)
        yield pool, beside


def _report_outputs(body: str, year: int) -> list[Path]:
    return [render.report_path(body, year), paths.interim_dir(body, year) / render.ENTRY]


def _close_gate(notebook: str, sources: list[Source], reports: list[StepReport]) -> None:
    """With every item done, record the stage's gate, so the next run can skip its kernel."""
    gate = f"gate-{Path(notebook).stem}"
    if any(r.failed for r in reports):
        inc.forget(gate, inc.CORPUS)
        return
    decision = inc.Decision(True, "", {"sidecar_version": inc.SIDECAR_VERSION, "step": gate,
                                       **gate_key(notebook, sources)})  # fmt: skip
    inc.record(gate, inc.CORPUS, decision, [])


# ---------------------------------------------------------------- what a notebook shows


def summary_frame(reports: list[StepReport]):
    """What a notebook shows of its stage: per step, how many items ran, were up to date, failed."""
    rows = [
        {"step": r.step, "ran": len(r.ran), "up to date": r.up_to_date, "failed": len(r.failed),
         "seconds": round(r.seconds, 2), "why": "; ".join(f"{k}: {v}" for k, v in sorted(r.reasons.items()))}
        for r in reports
    ]  # fmt: skip
    return pd.DataFrame(rows)
