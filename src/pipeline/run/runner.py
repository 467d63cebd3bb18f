"""`pipeline run`: three notebook executions, 10-clean, 20-compare and 30-report, each once per run.

Each notebook gets the documents to cover and how to fan out (`documents`, `force`, `jobs`,
`executor`, `scheduler`) and calls one package function (pipeline.run.stages) that does only what
changed, document by document. A notebook whose stage has nothing to do is not started at all:
the runner asks the same sidecars first. Parameters are checked against the notebook's
`parameters` cell before anything runs. The executed notebook of a run is kept in
reports/_executed/<notebook>; a failed one in reports/_failed/<notebook>, and the last good
outputs stay. One run at a time: a second refuses with one line (RunLocked, exit status 9).
"""

from __future__ import annotations

import ast
import errno
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.atomic import atomic_path, move_aside, write_text_atomic
from pipeline.display import note
from pipeline.errors import OS_ERROR_EXIT, NotebookFailed, PipelineError, UsageError
from pipeline.fanout import EXECUTORS
from pipeline.reference.sources import Source, check_body_year
from pipeline.run import incremental, kernels
from pipeline.run import keys as stages
from pipeline.run import steps as graph

KERNEL = "python3"
STEPS = list(graph.NOTEBOOKS)  # 10-clean, 20-compare, 30-report: in this order, each once per run
REPORT_STEP = graph.REPORT.notebook


class RunLocked(PipelineError):
    """Another `pipeline run` holds the run lock of this data folder."""

    exit_code = 9


class OperatingSystemRefused(PipelineError):
    """The operating system refused a write inside a notebook (disk full, read-only folder)."""

    exit_code = OS_ERROR_EXIT


@dataclass(frozen=True)
class StepResult:
    notebook: str
    step: str
    ran: int
    up_to_date: int
    failed: int
    seconds: float
    output: Path | None = None
    items: tuple[str, ...] = ()  # what ran: "body/year", or "corpus"

    @property
    def skipped(self) -> bool:
        return self.ran == 0 and self.failed == 0


def step_line(step: str, detail: str, outcome: str, seconds: float | None = None) -> str:
    """One line per step: what it covered, then its outcome and duration, always last.

    outcome: "done", "skipped", "failed: <why>"; done lines end "done in 2.1 s", skipped ones
    "skipped: up to date"."""
    head = f"{step}: {detail}" if detail else step
    if outcome == "done":
        return f"{head}; done in {seconds or 0:.1f} s"
    if outcome == "skipped":
        return f"{head}; skipped: up to date"
    return f"{head}; {outcome}" + (f" after {seconds:.1f} s" if seconds is not None else "")


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    if not declared:
        raise UsageError(f"{notebook.name}: has no cell tagged 'parameters'")
    unknown = sorted(set(parameters) - set(declared))
    missing = sorted(set(declared) - set(parameters))
    if unknown:
        raise UsageError(f"{notebook.name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(declared)}")
    if missing:
        raise UsageError(
            f"{notebook.name}: parameter(s) {', '.join(missing)} not given; "
            "pass each one the notebook's parameters cell names"
        )
    for name, spec in declared.items():
        # papermill infers no type without annotations; the literal default says what is expected
        try:
            expected = type(ast.literal_eval(spec.get("default") or "None"))
        except (ValueError, SyntaxError):
            continue
        value = parameters[name]
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise UsageError(f"{notebook.name}: parameter {name}={value!r} must be a whole number")
        if expected is str and not isinstance(value, str):
            raise UsageError(f"{notebook.name}: parameter {name}={value!r} must be a string")


OS_REFUSALS = {errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EPERM, errno.EDQUOT}
OS_ERROR_NAMES = {"OSError", "PermissionError", "IOError"}


def reap_orphans() -> list[int]:
    """Kill what a run killed with SIGKILL left behind (pipeline.run.kernels.reap_orphans), and
    remove its temporary files. Called with the run lock held, so no live run owns them. Returns
    the pids killed."""
    killed = kernels.reap_orphans()
    for folder in (paths.EXECUTED, paths.FAILED):
        if folder.is_dir():
            for stale in [*folder.glob(".*.kernel.log.*.tmp"), *folder.glob(".running-*")]:
                stale.unlink(missing_ok=True)
    if paths.PROCESSED.is_dir():
        # a file on its way (pipeline.atomic's .tmp; the database's .work copy, as large as the
        # database itself): only a run, under this lock, writes data/processed
        for stale in [*paths.PROCESSED.glob(".*.tmp"), *paths.PROCESSED.glob(".*.work")]:
            stale.unlink(missing_ok=True)
    return killed


@contextmanager
def run_lock() -> Iterator[None]:
    """data/interim/.run.lock, held for the whole run: a second run refuses at once, with one line."""
    paths.INTERIM.mkdir(parents=True, exist_ok=True)
    path = paths.INTERIM / ".run.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # a lock file: never written, only locked
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunLocked(
                f"another pipeline run is working on {paths.ROOT} (lock {path}); wait for it to finish, then run again"
            ) from exc
        yield
    finally:
        os.close(fd)


def run_notebook(name: str, parameters: dict[str, Any], label: str) -> Path:
    """Execute notebooks/<name> with `parameters`; the executed copy goes to reports/_executed/<label>/
    (reports/_executed/<name> for a run over the corpus, label "")."""
    import papermill

    notebook = paths.NOTEBOOKS / name
    if not notebook.is_file():
        raise UsageError(f"{notebook}: no such notebook")
    check_parameters(notebook, parameters)
    done = paths.EXECUTED / label / name if label else paths.EXECUTED / name
    failed = paths.FAILED / label / name if label else paths.FAILED / name
    done.parent.mkdir(parents=True, exist_ok=True)
    work = done.with_name(f".running-{name}")
    # papermill hands nbclient its logger, which logs a dead kernel ("Kernel died while waiting…")
    # on its own; the error line below says it
    client_log = logging.getLogger("papermill")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        # The kernel process writes its own log to its stderr: that it listens on loopback TCP
        # and, when a cell fails and papermill interrupts it, a traceback of the interrupt from
        # wherever it happened to land. Cell errors come as messages and are reported below; the
        # kernel's log goes to a file beside the executed notebook instead of the terminal.
        stopped: BaseException | None = None
        with atomic_path(done.with_name(f"{Path(name).stem}.kernel.log")) as kernel_log:
            with kernel_log.open("w", encoding="utf-8") as kernel_stderr:
                try:
                    papermill.execute_notebook(
                        str(notebook),
                        str(work),
                        parameters=parameters,
                        kernel_name=KERNEL,
                        cwd=str(paths.NOTEBOOKS),
                        progress_bar=False,
                        log_output=False,
                        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                        kernel_manager_class=kernels.logging_to(kernel_stderr),
                    )
                except BaseException as exc:  # raised below, once the log of the failed run is kept
                    stopped = exc
        if stopped is not None:
            raise stopped
    except KeyboardInterrupt:
        work.unlink(missing_ok=True)
        raise
    except Exception as exc:
        failed.parent.mkdir(parents=True, exist_ok=True)
        if work.exists():
            work.replace(failed)
        raise _failure(exc, name, label, failed) from exc
    finally:
        client_log.setLevel(level)
    work.replace(done)
    if failed.exists():  # a success clears the record of an earlier failure
        failed.unlink()
    return done


def _failure(exc: Exception, name: str, label: str, failed: Path) -> PipelineError:
    """The error to report for a failed notebook: a PipelineError raised in a cell keeps its class
    (and exit status), anything else is NotebookFailed."""
    from papermill.exceptions import PapermillExecutionError

    kept = f"the executed notebook is kept at {failed}" if failed.exists() else "no executed notebook was written"
    where = f"{name} for {label}" if label else name
    if isinstance(exc, PapermillExecutionError) and _os_refusal(exc):
        return OperatingSystemRefused(f"{exc.evalue} ({where}); check the folder's permissions and the free disk "
                                      f"space; {kept}")  # fmt: skip
    if isinstance(exc, PapermillExecutionError):
        classes = {cls.__name__: cls for cls in _subclasses(PipelineError)}
        if exc.ename in classes and exc.ename != NotebookFailed.__name__:
            return classes[exc.ename](f"{exc.evalue} ({where}; {kept})")
        who = f"{name} ({label})" if label else name
        return NotebookFailed(f"{who} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}; {kept}")
    who = f"{name} ({label})" if label else name
    return NotebookFailed(f"{who} did not run to the end: {type(exc).__name__}: {exc}; {kept}")


def _os_refusal(exc) -> bool:
    """A cell raised OSError for a full disk or a folder it may not write: the system, not the notebook."""
    if exc.ename not in OS_ERROR_NAMES and exc.ename not in ("OperatingSystemRefused",):
        return False
    text = str(exc.evalue)
    return exc.ename == "OperatingSystemRefused" or any(f"[Errno {code}]" in text for code in OS_REFUSALS)


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def _reference_check_stamp(package: dict[str, str]) -> tuple[Path, str]:
    """Where a passed reference check is remembered, and the key it is remembered under: these very
    tables with this very code. The check reads the published figures with pandas, which is most
    of what a run with nothing to do would otherwise cost."""
    key = json.dumps(
        {"package": package, "tables": incremental.reference_digests()}, sort_keys=True, ensure_ascii=False
    )
    return paths.INTERIM / ".reference-checked.json", key


def _set_aside_removed_documents() -> list[str]:
    """Move the interim folders of removed raw documents to data/interim/.removed/; their labels."""
    moved = []
    for folder in (table.parent for table in paths.interim_figure_tables()[1]):
        label = f"{folder.parent.name}/{folder.name}"
        kept = move_aside(folder, paths.INTERIM / paths.REMOVED_INTERIM / folder.parent.name)
        note(f"{label}: its raw document is gone; its figures leave the panel, its interim files are kept in {kept}")
        moved.append(label)
    return moved


def _documents_spec(documents: str | None, body: str | None, year: int | None) -> str:
    if documents:
        return documents
    if body is None:
        if year is not None:
            raise UsageError("--year needs --body")
        return "all"
    body, checked = check_body_year(body, year if year is not None else 2000)
    return f"{body}/{checked}" if year is not None else body


def _preflight(sources: list[Source], force: bool) -> dict[str, incremental.Decision]:
    """Everything that can be checked before a notebook runs is: a bad reference table, source.yaml,
    a changed raw file or one that does not decode is reported with its own exit status, and no
    output is touched. A document whose clean step is up to date was read and checked when it ran.
    Returns each document's clean decision (none with `force`), which the clean notebook's gate
    reuses: deciding 1,000 documents costs a second, and nothing but a run (which this one waits
    for) writes what they read, so a decision stands or errs towards running."""
    package = incremental.package_fingerprint()
    stamp, key = _reference_check_stamp(package)
    checked = stamp.is_file() and stamp.read_text(encoding="utf-8") == key
    if not checked:
        # the check reads the published figures with pandas: imported only when it has to run
        from pipeline.run.preflight import check_reference

        check_reference()
    decisions = {}
    for source in sources:
        if not force:
            decisions[stages.label(source)] = _clean_decision(source)
        if force or decisions[stages.label(source)].run:
            source.read()
    if not checked:  # only once everything passed: a refused run writes nothing
        write_text_atomic(stamp, key)
    return decisions


def _gate_problem(notebook: str, sources: list[Source], step_names: list[str]) -> str:
    """Why a compare or report notebook must run ('' when its gate and every item's outputs stand)."""
    gate = f"gate-{Path(notebook).stem}"
    decision = incremental.decide(gate, incremental.CORPUS, stages.gate_key(notebook, sources))
    if decision.run:
        return decision.reason
    for step in step_names:
        items = [incremental.CORPUS] if graph.BY_NAME[step].per == "corpus" else [stages.label(s) for s in sources]
        for item in items:
            old = incremental.read_sidecar(step, item)
            if old is None and step in ("tables", "publish", "index") and not sources:
                continue
            if not isinstance(old, dict):
                return f"{step} {item}: {'first run' if old is None else 'sidecar unreadable'}"
            problem = incremental.outputs_problem(old["outputs"])
            if not problem and step in stages.ITEM_OUTPUTS and item != incremental.CORPUS:
                body, _, year = item.partition("/")  # a sidecar of a version that wrote other files
                problem = incremental.unrecorded(old["outputs"], stages.ITEM_OUTPUTS[step](body, int(year)))
            if problem:
                return f"{step} {item}: {problem}"
    return ""


def _clean_decision(source: Source) -> incremental.Decision:
    outputs = stages.clean_outputs(source.body, source.report_year)
    return incremental.decide("clean", stages.label(source), stages.clean_key(source), expected=outputs)


def _clean_problem(sources: list[Source], known: dict[str, incremental.Decision] | None = None) -> str:
    """Why the clean notebook must run; `known`: decisions already made this run, by label."""
    for source in sources:
        decision = (known or {}).get(stages.label(source)) or _clean_decision(source)
        if decision.run:
            return f"clean {stages.label(source)}: {decision.reason}"
    tables = stages.current_tables()
    decision = incremental.decide("panel", incremental.CORPUS, stages.panel_key(tables))
    return "" if not decision.run else f"panel: {decision.reason}"


def notebook_needed(notebook: str, sources: list[Source], force: bool,
                    known: dict[str, incremental.Decision] | None = None) -> str:  # fmt: skip
    """Why `notebook` must run this time, or '' when every item of its steps is up to date;
    `known`: the clean decisions the preflight made."""
    if force:
        return "--force"
    if notebook == graph.CLEAN.notebook:
        return _clean_problem(sources, known)
    return _gate_problem(notebook, sources, [s.name for s in graph.steps_of(notebook)])


def _say_steps(notebook: str, reports: list[stages.StepReport]) -> list[StepResult]:
    results = []
    for r in reports:
        covered = f"{len(r.ran)} run, {r.up_to_date} up to date" + (f", {len(r.failed)} failed" if r.failed else "")
        if r.reasons:
            covered += " (" + "; ".join(f"{why}: {n}" for why, n in sorted(r.reasons.items())) + ")"
        if r.parts:
            covered += ": " + ", ".join(f"{what} {n}" for what, n in r.parts.items())
        for failure in r.failed:
            note(step_line(f"{r.step} {failure['item']}", "", f"failed: {failure['error']}"))
        for path in r.without_figures:
            note(f"note: {path}: no figures found; it adds no rows to the panel or the comparison")
        outcome = "done" if r.ran else ("skipped" if not r.failed else f"failed: {len(r.failed)} item(s)")
        note(step_line(r.step, covered, outcome, r.seconds))
        results.append(
            StepResult(notebook, r.step, len(r.ran), r.up_to_date, len(r.failed), r.seconds, items=tuple(r.ran))
        )
    return results


def run_all(
    body: str | None = None,
    year: int | None = None,
    force: bool = False,
    keep_going: bool = True,
    *,
    documents: str | None = None,
    fail_fast: bool = False,
    jobs: int | None = None,
    executor: str = "pool",
    scheduler: str = "",
) -> list[StepResult]:
    """Run the three notebooks over the documents asked for (default: all under data/raw), each
    once, each doing only what changed. A document that fails is named and the others go on; the
    run then fails at the end naming each failure (the exit status is that of the first). With
    `fail_fast` (or keep_going=False) the run stops after the stage in which the first failure came."""
    spec = _documents_spec(documents, body, year)
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: give at least 1")
    if executor not in EXECUTORS:
        raise UsageError(f"--executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    sources = stages.select(spec)
    decided = _preflight(sources, force)
    with run_lock():
        reap_orphans()
        removed = _set_aside_removed_documents()
        fan = {"jobs": jobs or 0, "executor": executor, "scheduler": scheduler}
        results, failures = _run_notebooks(spec, sources, force, removed, fail_fast or not keep_going, fan, decided)
        incremental.save_memory()
    ran = sum(r.ran for r in results)
    note(
        f"done ({ran} item(s) run, {sum(r.up_to_date for r in results)} up to date); "
        f"figures in {paths.PROCESSED / 'figures.csv'}, reports listed in {paths.REPORTS / 'index.html'}"
    )
    if failures:
        first = failures[0]
        cls = {c.__name__: c for c in _subclasses(PipelineError)}.get(first["error_class"], None)
        if cls is None:
            cls = OperatingSystemRefused if first["exit_code"] == OS_ERROR_EXIT else NotebookFailed
        documents_failed = sorted({f["item"] for f in failures})
        raise cls(
            f"{len(documents_failed)} of {len(sources)} document(s) failed: "
            + "; ".join(f"{f['item']}: {f['step']}: {f['error']}" for f in failures)
        )
    return results


def _run_notebooks(spec: str, sources: list[Source], force: bool, removed: list[str], fail_fast: bool,
                   fan: dict[str, Any], decided: dict[str, incremental.Decision] | None = None,
                   ) -> tuple[list[StepResult], list[dict[str, Any]]]:  # fmt: skip
    results: list[StepResult] = []
    failures: list[dict[str, Any]] = []
    for notebook in STEPS:
        why = notebook_needed(notebook, sources, force, decided)
        if removed and notebook == graph.CLEAN.notebook and not why:
            why = f"the panel held figures of removed {removed[0]}"
        if not why:
            (paths.FAILED / notebook).unlink(missing_ok=True)  # what it wrote stands: an old failure is obsolete
            for step in graph.steps_of(notebook):
                note(step_line(step.name, f"{notebook}", "skipped"))
                items = 1 if step.per == "corpus" else len(sources)  # every item of a skipped step is up to date
                results.append(StepResult(notebook, step.name, 0, items, 0, 0.0))
            continue
        note(f"{notebook}: runs ({why})")
        stages.outcome_path(notebook).unlink(missing_ok=True)
        parameters = {"documents": spec, "force": force, **fan}
        started = time.perf_counter()
        try:
            output = run_notebook(notebook, parameters, "")
        except PipelineError as exc:
            note(step_line(notebook, "", f"failed: {exc}", time.perf_counter() - started))
            raise
        reports = stages.read_outcome(notebook)
        if reports is None:
            raise NotebookFailed(f"{notebook} ran but wrote no record of its items ({stages.outcome_path(notebook)})")
        results += [r for r in _say_steps(notebook, reports)]
        results[-1] = StepResult(**{**results[-1].__dict__, "output": output})
        for r in reports:
            failures += [{**f, "step": r.step} for f in r.failed]
        note(step_line(notebook, "", "done", time.perf_counter() - started))
        if failures and fail_fast:
            break
    return results, failures
