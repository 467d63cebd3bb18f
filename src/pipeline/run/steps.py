"""The step graph, declared once, as data: what each step covers, reads and writes.

A run executes three notebooks, each once: 10-clean (the clean and panel steps), 20-compare (the
compare and tables steps) and 30-report (the report, publish and index steps). Inside, every step works
item by item and skips an item whose inputs and outputs are as its sidecar recorded
(pipeline.run.incremental). `{body}` and `{year}` stand for the item's; the README's table of
steps is generated from STEPS (`steps_table()`) and a test keeps the two the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str  # the notebook that runs it (once per run, over every item)
    per: str  # "document": one item per body/year; "corpus": one item for the whole corpus
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    reads_panel: str = ""  # what part of the panel an item's key hashes ("" when none)


CLEAN = Step(
    "clean",
    "10-clean.ipynb",
    "document",
    inputs=(
        "data/raw/{body}/{year}/<document>",
        "data/raw/{body}/{year}/source.yaml",
        "data/reference/indicators.yaml",
    ),
    outputs=(
        "data/interim/{body}/{year}/figures.csv.gz",
        "data/interim/{body}/{year}/layout_repairs.csv.gz",
        "data/interim/{body}/{year}/rejected_numerals.csv.gz",
    ),
)
PANEL = Step(
    "panel",
    "10-clean.ipynb",
    "corpus",
    inputs=(
        "data/interim/*/*/figures.csv.gz (only the changed ones are re-read)",
        "data/reference/published_figures.csv",
        "data/reference/indicators.yaml",
        "data/reference/bodies.csv",
    ),
    outputs=("data/processed/figures.csv", "data/processed/figures.parquet"),
)
COMPARE = Step(
    "compare",
    "20-compare.ipynb",
    "document",
    inputs=(
        "the panel's rows of {body} (every year) and its chosen peer rows (per indicator it states, the five "
        "nearest of the same level within two years)",
        "data/raw/{body}/{year}/<document>",
        "data/raw/{body}/{year}/source.yaml",
        "data/reference/bodies.csv",
        "data/reference/indicators.yaml",
    ),
    outputs=("data/interim/{body}/{year}/comparison.csv.gz", "data/interim/{body}/{year}/checks.csv.gz"),
    reads_panel="own body and peers",
)
TABLES = Step(
    "tables",
    "20-compare.ipynb",
    "corpus",
    inputs=(
        "data/interim/*/*/comparison.csv.gz",
        "data/interim/*/*/checks.csv.gz (laid end to end, in body/year order)",
    ),
    outputs=("data/processed/comparison.csv", "data/processed/checks.csv"),
)
REPORT = Step(
    "report",
    "30-report.ipynb",
    "document",
    inputs=(
        "the panel's rows of {body} and the published rows",
        "data/interim/{body}/{year}/*.csv.gz (figures, layout repairs, rejections, comparison, checks)",
        "data/raw/{body}/{year}/source.yaml",
        "data/reference/bodies.csv",
        "data/reference/indicators.yaml",
    ),
    outputs=("reports/{body}/{year}.html", "data/interim/{body}/{year}/index_entry.json"),
    reads_panel="own body and published",
)
PUBLISH = Step(
    "publish",
    "30-report.ipynb",
    "corpus",
    inputs=(
        "data/processed/figures.csv, figures.parquet, comparison.csv, checks.csv",
        "data/raw/*/*/source.yaml",
        "data/reference/bodies.csv",
        "data/reference/indicators.yaml",
    ),
    outputs=(
        "data/processed/documents.csv, datapackage.json, annual_figures.sqlite",
        "reports/indicators/<id>.html, <id>.csv.gz (only the pages whose rows changed are rendered again)",
        "reports/downloads/* (hard links to data/processed)",
        "data/interim/.corpus/publish.summary.json",
    ),
)
INDEX = Step(
    "index",
    "30-report.ipynb",
    "corpus",
    inputs=("data/interim/*/*/index_entry.json", "data/interim/.corpus/publish.summary.json"),
    outputs=("reports/index.html",),
)

# in the order they run; each also depends on its notebook and on the package's code
STEPS: tuple[Step, ...] = (CLEAN, PANEL, COMPARE, TABLES, REPORT, PUBLISH, INDEX)
NOTEBOOKS: tuple[str, ...] = tuple(dict.fromkeys(step.notebook for step in STEPS))
BY_NAME = {step.name: step for step in STEPS}


def steps_of(notebook: str) -> tuple[Step, ...]:
    return tuple(step for step in STEPS if step.notebook == notebook)


def steps_table() -> str:
    """The README's table of steps, generated from STEPS."""
    lines = ["| step | notebook | per | reads | writes |", "| --- | --- | --- | --- | --- |"]
    for step in STEPS:
        reads = "; ".join(f"`{i}`" if i.startswith("data/") else i for i in step.inputs)
        writes = "; ".join(f"`{o}`" for o in step.outputs)
        lines.append(f"| {step.name} | `{step.notebook}` | {step.per} | {reads} | {writes} |")
    return "\n".join(lines) + "\n"
