"""One body-year's report -> reports/<body>/<year>.html, without a kernel; all reports -> reports/index.html.

`render_report_html(body, year)` computes the report's HTML fragments (pipeline.report.fragments,
the same the analyst's notebook 31-report-one displays), lays them into a notebook in memory, one
output each, and exports it: the corpus run calls it in worker processes, and a report rendered
there is byte-identical to the same report rendered alone. `render_report` exports an executed
notebook the same way. Beside each report goes its index entry (data/interim/<body>/<year>/
index_entry.json), so the index is written from the entries, without reading every report's data.

The page is rendered with Jinja2 directly (templates/pages/report.html.j2), never by nbconvert,
whose exporter re-parsed every report it wrote (seconds per report): no code, no prompts, no script
or stylesheet fetched from anywhere, `lang="zh"`, a real <title>. An executed notebook gives the
same page from its HTML outputs: analyst-only cells and stderr (warnings, kept in the executed
notebook under reports/_executed/) are dropped first.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from pathlib import Path

from pipeline import paths
from pipeline.atomic import write_text_atomic
from pipeline.publish.corpus import read_summary
from pipeline.reference.readers import known_bodies
from pipeline.reference.sources import discover_sources
from pipeline.report import data as report_data
from pipeline.report import fragments
from pipeline.report.data import IndexEntry
from pipeline.report.fragments import index_html

TEMPLATE = "report"
# the report's sections, in order: one output cell each
SECTIONS = ("header_html", "headline_html", "comparison_html", "charts_html", "evidence_html", "quality_html",
            "footer_html")  # fmt: skip
ENTRY = "index_entry.json"
# cells that are for the analyst in JupyterLab, not for the reader
REMOVE_TAGS = {"remove-cell", "parameters", "injected-parameters"}


def template_root() -> Path:
    return Path(str(resources.files("pipeline.report") / "templates"))


def stylesheet() -> str:
    return (resources.files("pipeline.report") / "templates" / TEMPLATE / "static" / "report.css").read_text(
        encoding="utf-8"
    )


def report_path(body: str, year: int) -> Path:
    return paths.REPORTS / body / f"{year}.html"


def prepare(nb, title: str):
    """Drop analyst-only cells and stderr, number the cells, set the title (in place; returns nb)."""
    cells = []
    for cell in nb.cells:
        if REMOVE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            if not cell.outputs:
                continue
        cells.append(cell)
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    nb.cells = cells
    nb.metadata["title"] = title
    return nb


def page_html(sections: list[str], title: str) -> str:
    """The report page: the sections' HTML fragments in order, a head of our own, the stylesheet inline.

    The one renderer of a report: the corpus run hands it the fragments it computed, `render_report`
    the outputs of an executed notebook, so both give the same bytes for the same fragments."""
    return fragments.render("pages/report.html.j2", sections=sections, title=title, css=stylesheet())


def notebook_sections(nb) -> list[str]:
    """The HTML outputs of a (prepared) notebook, in order: what the reader sees of it."""
    return [o["data"]["text/html"] for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
            if "text/html" in o.get("data", {})]  # fmt: skip


def to_html(nb, title: str) -> str:
    return page_html(notebook_sections(prepare(nb, title)), title)


def warm_up() -> None:
    """Compile the report page's templates now, so the first report renders at once."""
    page_html([], "")


def render_report(executed: Path, body: str, year: int, target: Path | None = None) -> Path:
    """Render an executed 30-report notebook to reports/<body>/<year>.html, atomically."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    title = report_data.report_title(body, year, known_bodies())
    return write_text_atomic(target or report_path(body, year), to_html(nb, title))


def report_sections(data: report_data.ReportData) -> list[str]:
    """The report's HTML fragments, one per section, in order."""
    return [getattr(fragments, section)(data) for section in SECTIONS]


def report_notebook(data: report_data.ReportData):
    """The report as a notebook in memory: one cell per section, its HTML fragment as the output."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for html in report_sections(data):
        output = nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})
        nb.cells.append(nbformat.v4.new_code_cell("", outputs=[output]))
    return nb


def report_page(data: report_data.ReportData) -> str:
    """The report's HTML page from its data."""
    return page_html(report_sections(data), report_data.report_title(data.body, data.year, known_bodies()))


def render_report_html(body: str, year: int, panel=None) -> str:
    """The HTML of one report, from the processed and interim tables (`panel`: the panel's rows the
    report reads, see report.data.report_rows; read from figures.parquet when not given)."""
    return report_page(report_data.load(body, year, panel))


def write_report(body: str, year: int, panel=None) -> list[Path]:
    """reports/<body>/<year>.html and its index entry, atomically; the paths written."""
    data = report_data.load(body, year, panel)
    html = report_page(data)
    entry = json.dumps(asdict(report_data.index_entry(data)), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    return [
        write_text_atomic(report_path(body, year), html),
        write_text_atomic(paths.interim_dir(body, year) / ENTRY, entry),
    ]


def read_entry(body: str, year: int) -> IndexEntry:
    path = paths.interim_dir(body, year) / ENTRY
    try:
        return IndexEntry(**json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, TypeError):  # an older run wrote no entry: read the data once
        return report_data.index_entry(report_data.load(body, year))


def write_index(root: Path | None = None) -> Path:
    """reports/index.html: every rendered report, and what the publish step left for it (the coverage
    view, the indicator pages, the downloads: publish.corpus.read_summary)."""
    root = root or paths.REPORTS
    corpus = read_summary()
    entries = []
    for source in discover_sources():
        if (root / source.body / f"{source.report_year}.html").is_file():
            entries.append(read_entry(source.body, source.report_year))
    return write_text_atomic(root / "index.html", index_html(entries, [], stylesheet(), corpus))
