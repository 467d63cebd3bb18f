"""Running the notebooks with papermill, in this process (papermill's CLI costs seconds a notebook).

Parameters are checked against the notebook's `parameters` cell before anything runs: an unknown
or missing name, or a value of the wrong type, is an error, not a log line. A failed notebook is
kept under reports/_failed/ and the last good outputs stay where they were.
"""

from __future__ import annotations

import ast
import csv
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.atomic import atomic_path, move_aside, write_text_atomic
from pipeline.display import note
from pipeline.errors import NotebookFailed, PipelineError, UsageError
from pipeline.reference.sources import Source, check_body_year, discover_sources
from pipeline.run import incremental, kernels
from pipeline.run.preflight import check_reference

KERNEL = "python3"
# In this order, each for every body and year before the next (a compare step reads the panel of
# all documents). A step is skipped when its sidecar says nothing it depends on changed
# (pipeline.incremental, which also says what each step depends on). The report step's notebook
# is rendered to reports/<body>/<year>.html as part of the step.
REPORT_STEP = "30-report.ipynb"
STEPS = ["10-clean.ipynb", "20-compare.ipynb", REPORT_STEP]


@dataclass(frozen=True)
class StepResult:
    notebook: str
    body: str
    year: int
    output: Path
    skipped: bool = False


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


def _kernel_manager_logging_to(stderr):
    """nbclient's kernel manager, with the kernel process's stderr sent to `stderr`."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManager(kernels.secure(AsyncKernelManager)):
        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("stderr", stderr)
            await super().start_kernel(**kw)

    return KernelManager


def run_notebook(name: str, parameters: dict[str, Any], label: str) -> Path:
    """Execute notebooks/<name> with `parameters`; the executed copy goes to reports/_executed/<label>/."""
    import papermill

    notebook = paths.NOTEBOOKS / name
    if not notebook.is_file():
        raise UsageError(f"{notebook}: no such notebook")
    check_parameters(notebook, parameters)
    done = paths.EXECUTED / label / name
    failed = paths.FAILED / label / name
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
                        kernel_manager_class=_kernel_manager_logging_to(kernel_stderr),
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
    if isinstance(exc, PapermillExecutionError):
        classes = {cls.__name__: cls for cls in _subclasses(PipelineError)}
        if exc.ename in classes and exc.ename != NotebookFailed.__name__:
            return classes[exc.ename](f"{exc.evalue} ({name} for {label}; {kept})")
        return NotebookFailed(f"{name} ({label}) failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}; {kept}")
    return NotebookFailed(f"{name} ({label}) did not run to the end: {type(exc).__name__}: {exc}; {kept}")


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def _figure_count(source: Source) -> int:
    path = paths.interim_dir(source.body, source.report_year) / "figures.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _reference_check_stamp(package: dict[str, str]) -> tuple[Path, str]:
    """Where a passed reference check is remembered, and the key it is remembered under: these very
    tables with this very code. The check reads the published figures with pandas, which is most
    of what a run with nothing to do would otherwise cost."""
    import json

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


def _warm_up_renderer() -> threading.Thread:
    """Start importing the renderer (nbconvert, pandas) and compiling its template on a thread.

    A kernel runs each notebook in a process of its own and this process only waits for it, so the
    renderer's second of set-up costs no time on a machine with a core to spare. The caller joins
    the thread when the first notebook is done; until then this thread only waits on the kernel,
    with papermill imported here first, so the two threads do not import the same modules at once.
    Should the warm-up fail, rendering later does the same work again and reports the error."""
    import papermill  # noqa: F401

    def warm_up() -> None:
        try:
            from pipeline.report import render

            render.warm_up()
        except Exception:  # the real rendering repeats this work and reports any error
            pass

    thread = threading.Thread(target=warm_up, name="warm-up-renderer", daemon=True)
    thread.start()
    return thread


def run_all(
    body: str | None = None, year: int | None = None, force: bool = False, keep_going: bool = False
) -> list[StepResult]:
    """Run every step for every shipped document (or only the one body/year asked for), skipping
    a step whose inputs, notebook and package are unchanged since it last succeeded (not with force).

    A failed step stops the run, unless `keep_going`: then that document's later steps are left
    out, every other document goes on, and the run ends with an error naming every failure."""
    if body is not None:
        check_body_year(body, year if year is not None else 2000)
    # Everything that can be checked before a notebook runs is: a bad reference table, source.yaml,
    # a changed raw file or one that does not decode is reported with its own exit status, and
    # no output is touched.
    package = incremental.package_fingerprint()
    stamp, key = _reference_check_stamp(package)
    checked = stamp.is_file() and stamp.read_text(encoding="utf-8") == key
    if not checked:
        check_reference()
    everything = discover_sources()
    sources = [s for s in everything if (body is None or s.body == body) and (year is None or s.report_year == year)]
    if not sources:
        have = ", ".join(f"{s.body}/{s.report_year}" for s in everything) or "none"
        wanted = " ".join(part for part in (body and f"body {body}", year and f"year {year}") if part)
        raise UsageError(f"no raw document under {paths.RAW} for {wanted}; documents there: {have}")
    for source in sources:
        source.read()
    if not checked:  # only once everything passed: a refused run writes nothing
        write_text_atomic(stamp, key)
    # a removed document's interim folder is moved aside (kept), and the panel is built again
    # without its figures by the first clean step, which runs for that reason
    removed = _set_aside_removed_documents()
    results = []
    renderer: threading.Thread | None = None
    failures: dict[str, PipelineError] = {}  # label -> what stopped it (with keep_going)
    for step in STEPS:
        for source in sources:
            label = f"{source.body}/{source.report_year}"
            parameters = {"body": source.body, "year": source.report_year}
            if label in failures:
                note(f"{step} {label} not run: an earlier step failed")
                continue
            decision = incremental.decide(step, source, parameters, package, force=force)
            if removed and step == STEPS[0]:  # one clean step rebuilds the panel: the first
                if not decision.run:
                    reason = f"the panel held figures of removed {removed[0]}"
                    decision = incremental.Decision(True, reason, decision.key)
                removed = []
            if not decision.run:
                # its outputs match what it reads now, so a failure recorded since is obsolete
                (paths.FAILED / label / step).unlink(missing_ok=True)
                note(f"{step} {label} skipped ({decision.reason})")
                results.append(
                    StepResult(step, source.body, source.report_year, incremental.executed_path(step, source), True)
                )
                continue
            note(f"{step} {label} … ({decision.reason})")
            if renderer is None:
                renderer = _warm_up_renderer()
            try:
                output = run_notebook(step, parameters, label)
                renderer.join()
                if step == REPORT_STEP:
                    from pipeline.report import render

                    html = render.render_report(output, source.body, source.report_year)
                    note(f"report {html}")
            except PipelineError as exc:
                if not keep_going:
                    raise
                note(f"{step} {label} failed: {exc}")
                failures[label] = exc
                continue
            incremental.record(step, source, decision)  # only after the step (and its rendering) succeeded
            results.append(StepResult(step, source.body, source.report_year, output))
            if step == STEPS[0] and _figure_count(source) == 0:
                note(f"note: {source.path}: no figures found; it adds no rows to the panel or the comparison")
    ran = sum(not r.skipped for r in results)
    index = paths.REPORTS / "index.html"
    if ran or not index.is_file():
        from pipeline.report import render  # nbconvert is slow to import; a run with nothing to do never needs it

        index = render.write_index()
    note(
        f"done ({ran} step(s) run, {len(results) - ran} up to date); "
        f"figures in {paths.PROCESSED / 'figures.csv'}, reports listed in {index}"
    )
    if failures:
        # the first failure's class, so the exit status says what kind of problem came first
        first = next(iter(failures.values()))
        raise type(first)(
            f"{len(failures)} of {len(sources)} document(s) failed: "
            + "; ".join(f"{label}: {exc}" for label, exc in failures.items())
        )
    return results
