"""Running the notebooks with papermill, in this process (papermill's CLI costs seconds a notebook).

Parameters are checked against the notebook's `parameters` cell before anything runs: an unknown
or missing name, or a value of the wrong type, is an error, not a log line. A failed notebook is
kept under reports/_failed/ and the last good outputs stay where they were.
"""

from __future__ import annotations

import ast
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import incremental, paths
from pipeline.errors import NotebookFailed, UsageError
from pipeline.sources import check_body_year, discover_sources

KERNEL = "python3"
# In this order, each for every body and year before the next (a compare step reads the panel of
# all documents). A step is skipped when its sidecar says nothing it depends on changed
# (pipeline.incremental, which also says what each step depends on). The report step's notebook
# is rendered to reports/<body>/<year>.html as part of the step.
STEPS = ["10-clean.ipynb", "20-compare.ipynb", "30-report.ipynb"]
REPORT_STEP = "30-report.ipynb"


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
        raise UsageError(f"{notebook.name}: parameter(s) {', '.join(missing)} not given")
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


def run_notebook(name: str, parameters: dict[str, Any], label: str) -> Path:
    """Execute notebooks/<name> with `parameters`; the executed copy goes to reports/_executed/<label>/."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = paths.NOTEBOOKS / name
    if not notebook.is_file():
        raise UsageError(f"{notebook}: no such notebook")
    check_parameters(notebook, parameters)
    done = paths.EXECUTED / label / name
    failed = paths.FAILED / label / name
    done.parent.mkdir(parents=True, exist_ok=True)
    work = done.with_name(f".running-{name}")
    try:
        papermill.execute_notebook(
            str(notebook),
            str(work),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(paths.NOTEBOOKS),
            progress_bar=False,
            log_output=False,
            # the kernel's own log only says it listens on loopback TCP; cell errors come as messages
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(work), failed)
        raise NotebookFailed(
            f"{name} ({label}) failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}; "
            f"the executed notebook is kept at {failed}"
        ) from exc
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    work.replace(done)
    if failed.exists():  # a success clears the record of an earlier failure
        failed.unlink()
    return done


def run_all(body: str | None = None, year: int | None = None, force: bool = False) -> list[StepResult]:
    """Run every step for every shipped document (or only the one body/year asked for), skipping
    a step whose inputs, notebook and package are unchanged since it last succeeded (not with force)."""
    if body is not None:
        check_body_year(body, year if year is not None else 2000)
    sources = [
        s for s in discover_sources() if (body is None or s.body == body) and (year is None or s.report_year == year)
    ]
    if not sources:
        raise UsageError(f"no raw documents under {paths.RAW} match body={body} year={year}")
    results = []
    package = incremental.package_fingerprint()
    for step in STEPS:
        for source in sources:
            label = f"{source.body}/{source.report_year}"
            parameters = {"body": source.body, "year": source.report_year}
            decision = incremental.decide(step, source, parameters, package, force=force)
            if not decision.run:
                print(f"pipeline: {step} {label} skipped ({decision.reason})", file=sys.stderr, flush=True)
                results.append(
                    StepResult(step, source.body, source.report_year, incremental.executed_path(step, source), True)
                )
                continue
            print(f"pipeline: {step} {label} … ({decision.reason})", file=sys.stderr, flush=True)
            output = run_notebook(step, parameters, label)
            if step == REPORT_STEP:
                from pipeline import render

                html = render.render_report(output, source.body, source.report_year)
                print(f"pipeline: report {html}", file=sys.stderr, flush=True)
            incremental.record(step, source, decision)  # only after the step (and its rendering) succeeded
            results.append(StepResult(step, source.body, source.report_year, output))
    ran = sum(not r.skipped for r in results)
    index = paths.REPORTS / "index.html"
    if ran or not index.is_file():
        from pipeline import render  # nbconvert is slow to import; a run with nothing to do never needs it

        index = render.write_index()
    print(
        f"pipeline: done ({ran} step(s) run, {len(results) - ran} up to date); "
        f"figures in {paths.PROCESSED / 'figures.csv'}, reports listed in {index}",
        file=sys.stderr,
    )
    return results
