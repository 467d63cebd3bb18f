"""The held-out check: reports written after the readers were done, never tuned on, as pages and
PDFs; (value, unit) F1 against their .txt must be >= 0.99 with no furniture figure."""

from __future__ import annotations

import re

import pytest

from . import documents as D
from .intake_scoring import file_figures, pooled_f1, score, text_figures


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("heldout")
    made = []
    for report in D.HELD_OUT:
        for style, encoding, declared in D.HELD_OUT_PAGE_CASES:
            path = out / f"{report.name}-{style}-{encoding}.html"
            path.write_bytes(D.page_bytes(report, style, encoding, declared))
            made.append((report, path))
        for layout in D.HELD_OUT_PDF_LAYOUTS:
            path = D.print_html(D.pdf_html(report, layout), out / f"{report.name}-{layout}.pdf", layout == "two-column")
            made.append((report, path))
    return made


def test_held_out_copies_match_their_texts(held_out, capsys):
    scores = {"html": [], "pdf": []}
    for report, path in held_out:
        found, text = file_figures(path)
        result = score(text_figures(D.plain(report)), found)
        scores[path.suffix[1:]].append(result)
        for row in found:
            assert text[row["start"] : row["end"]] == row["text"]
            assert not re.search(r"[<>]", row["sentence"])
            assert not any(mark in row["sentence"] for mark in D.FURNITURE_MARKS), row["sentence"]
    with capsys.disabled():
        print("\nintake F1 (held out): " + ", ".join(f"{k} {pooled_f1(v):.3f} ({len(v)})" for k, v in scores.items()))
    assert all(pooled_f1(v) >= 0.99 for v in scores.values())
