"""The reader's report of one body's year: HTML fragments that notebooks/30-report.ipynb displays.

Every function here is pure over a `ReportData` (which `load` reads from data/processed/,
data/interim/ and data/reference/), so the report can be tested on tiny tables. Everything that
comes from a source document, a published-figures row or a reference table is treated as hostile:
control characters and bidi overrides are stripped and the rest is HTML-escaped; a URL becomes a
link only when it is plain http(s).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline import __version__, paths
from pipeline.compare.baselines import year_figures
from pipeline.compare.periods import month_index
from pipeline.reference.indicators import by_id
from pipeline.reference.readers import known_bodies
from pipeline.reference.sources import find_source
from pipeline.report import charts as plotting

# ---------------------------------------------------------------- bilingual labels

CATEGORIES = {
    "meetings": ("会议", "Meetings"),
    "decisions": ("决议决定", "Resolutions and decisions"),
    "appointments": ("人事任免", "Appointments"),
    "legislation": ("立法", "Legislation"),
    "supervision": ("监督", "Supervision"),
    "deputies": ("代表工作", "Deputies"),
    "party": ("党的建设", "Party building"),
    "rule_of_law": ("法治建设", "Rule of law"),
    "publicity": ("宣传", "Publicity"),
    "environment": ("生态环境", "Environment"),
    "rural": ("乡村振兴", "Rural revitalisation"),
    "self_building": ("自身建设", "The committee's own work"),
    "other": ("其他", "Other"),
}
METHODS = {
    "earlier_year": ("往年数字", "an earlier year, as reported"),
    "term_total_annualised": ("任期总数折合年均", "term total, annualised"),
    "cumulative_difference": ("两个累计数之差", "difference of two cumulative counts"),
    "ordinal": ("会议序号，仅作核对", "a meeting number: a cross-check, not a count"),
    "peer": ("同级机关", "a peer body of the same level"),
}
PERIOD_KINDS = {
    "calendar_year": ("自然年", "calendar year"),
    "session_year": ("会议年度", "session year"),
    "term_total": ("任期总数", "term total"),
    "cumulative": ("累计", "cumulative"),
    "point_in_time": ("时点数", "point in time"),
    "ordinal": ("序号", "ordinal"),
    "partial_year": ("部分年度", "part of a year"),
}
APPROX = {
    "exact": ("", ""),
    "more_than": ("余", "more than"),
    "about": ("约", "about"),
    "less_than": ("近", "less than"),
}
CHECK_STATUS = {
    "pass": ("通过", "pass"),
    "fail": ("不符", "fail"),
    "inconclusive": ("无法判断", "inconclusive"),
}
CHECKS = {
    "summary_vs_named_laws": ("概述数字与文中列出的法规", "summary count against the laws the text names"),
    "cumulative_never_falls": ("累计数不减少", "a running total never falls"),
    "cumulative_vs_year": ("累计数之差与本年数字", "difference of running totals against the year's count"),
    "cumulative_covers_year": ("累计数不小于本年数字", "a later running total covers the year's count"),
    "count_vs_ordinal": ("会议次数与会议序号", "meeting count against the meeting number"),
}
REPAIRS = {
    "joined": ("已接续", "joined to its continuation"),
    "wrapped": ("折行已合并", "line wrap joined"),
    "cut_no_continuation": ("段落中断，下文不在文中", "cut mid-sentence, continuation not in the text"),
    "start_missing": ("段落开头缺失", "begins mid-sentence, start not in the text"),
}
SECTIONS = [
    ("headline", "主要数字", "Headline figures"),
    ("comparison", "与往期及同级比较", "Comparison with earlier periods and peers"),
    ("charts", "图表", "Charts"),
    ("evidence", "证据", "Evidence"),
    ("quality", "数据质量", "Data quality"),
]

# ---------------------------------------------------------------- text safety

# bidi embeddings, overrides and isolates, and the implicit marks: they can make text read backwards
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any) -> str:
    """Text fit to show: '' for missing, no bidi controls, no control characters (newlines kept)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = _BIDI.sub("", str(value))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co")).replace(
        "\t", " "
    )


def esc(value: Any) -> str:
    """Cleaned and HTML-escaped, line breaks as spaces: safe in element text and quoted attributes."""
    return html.escape(re.sub(r"\s*[\r\n]+\s*", " ", clean_text(value)), quote=True)


_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`\\]+$", re.IGNORECASE)


def safe_url(value: Any) -> str | None:
    url = clean_text(value).strip()
    return url if _SAFE_URL.match(url) else None


def link(url: Any, text: Any = None) -> str:
    """An <a> for a plain http(s) URL; anything else (javascript:, data:, junk) stays visible text."""
    target = safe_url(url)
    shown = esc(text if text is not None else url)
    if target is None:
        return f'<span class="url">{shown}</span>'
    return f'<a href="{html.escape(target, quote=True)}" rel="noopener noreferrer">{shown}</a>'


def url_host(url: Any) -> str:
    match = re.match(r"^https?://([^/?#]+)", clean_text(url).strip(), re.IGNORECASE)
    return match.group(1) if match else clean_text(url)


def highlight(sentence: Any, offset: int | None, text: Any) -> str:
    """The sentence, escaped, with the figure's text marked where the offsets say it is.

    Falls back to the first occurrence of the text when the offset does not point at it (a sentence
    rejoined across a column break); line breaks in the source show as a marked cut."""
    sentence, text = clean_text(sentence), clean_text(text)
    at = -1
    if text:
        if offset is not None and 0 <= offset and sentence[offset : offset + len(text)] == text:
            at = offset
        else:
            at = sentence.find(text)
    if at < 0:
        return _with_cuts(sentence)
    return _with_cuts(sentence[:at]) + f"<mark>{_with_cuts(text)}</mark>" + _with_cuts(sentence[at + len(text) :])


def _with_cuts(text: str) -> str:
    parts = re.split(r"\s*[\r\n]+\s*", text)
    cut = '<span class="cut" title="原文在此换行 a line break in the source">⏎</span>'
    return cut.join(html.escape(p, quote=True) for p in parts)


def bi(zh: Any, en: Any, tag: str = "span") -> str:
    """Chinese first, the English label beside it (marked lang="en")."""
    zh_html = esc(zh)
    en_html = f' <{tag} class="en" lang="en">{esc(en)}</{tag}>' if clean_text(en) else ""
    return f"{zh_html}{en_html}"


def label(table: dict[str, tuple[str, str]], key: Any) -> str:
    zh, en = table.get(clean_text(key), (clean_text(key), ""))
    return bi(zh, en)


# ---------------------------------------------------------------- numbers


def number(value: Any) -> str:
    """20000.0 -> '20,000'; 3.8 -> '3.8'; missing -> ''."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if v != v:
        return ""
    return format(v, ",.15g")


def signed(value: Any, suffix: str = "") -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if v != v:
        return ""
    return ("+" if v > 0 else "") + format(v, ",.15g") + suffix


def percent(value: Any) -> str:
    """-28.57 -> '-28.6%'; missing -> ''."""
    v = _as_float(value)
    if v is None:
        return ""
    return "0%" if round(v, 1) == 0 else f"{v:+,.1f}%"


def _as_float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def period_label(start: Any, end: Any) -> str:
    """'2022-01-01'..'2022-12-31' -> '2022'; '2017'..'2022-02' -> '2017–2022-02'."""
    start, end = clean_text(start), clean_text(end)
    full = re.fullmatch(r"(\d{4})-01-01", start)
    if full and end == f"{full.group(1)}-12-31":
        return full.group(1)
    if start == end or not start:
        return end
    if not end:
        return start
    return f"{start}–{end}"


def baseline_period_label(text: Any) -> str:
    parts = clean_text(text).split(" to ")
    return period_label(parts[0], parts[1]) if len(parts) == 2 else clean_text(text)


# ---------------------------------------------------------------- data


@dataclass
class ReportData:
    body: str
    year: int
    meta: dict[str, Any]
    doc_id: str
    bodies: dict[str, dict[str, str]]
    figures: pd.DataFrame  # this document's figures: panel columns + sentence_start
    panel: pd.DataFrame
    comparison: pd.DataFrame
    checks: pd.DataFrame
    repairs: pd.DataFrame
    rejections: pd.DataFrame
    indicators: dict[str, Any] = field(default_factory=dict)


def _read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _this(frame: pd.DataFrame, body: str, year: int) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[(frame["body"] == body) & (frame["report_year"] == str(year))].reset_index(drop=True)


def load(body: str, year: int) -> ReportData:
    """Read what the report shows: the panel, the comparison and checks, the interim tables."""
    source = find_source(body, year)
    panel = pd.read_parquet(paths.PROCESSED / "figures.parquet")
    doc = panel[(panel["source_type"] == "document") & (panel["source"] == source.doc_id)].copy()
    interim = paths.interim_dir(body, year)
    detail = _read_csv(interim / "figures.csv")
    offsets = {
        (int(s), int(e)): int(ss)
        for s, e, ss in zip(detail["start"], detail["end"], detail["sentence_start"], strict=True)
    }
    doc["sentence_start"] = [offsets.get((int(s), int(e))) for s, e in zip(doc["start"], doc["end"], strict=True)]
    doc = doc.sort_values("start", kind="mergesort").reset_index(drop=True)
    return ReportData(
        body=body,
        year=year,
        meta=dict(source.meta),
        doc_id=source.doc_id,
        bodies=known_bodies(),
        figures=doc,
        panel=panel,
        comparison=_this(_read_csv(paths.PROCESSED / "comparison.csv"), body, year),
        checks=_this(_read_csv(paths.PROCESSED / "checks.csv"), body, year),
        repairs=_read_csv(interim / "layout_repairs.csv"),
        rejections=_read_csv(interim / "rejected_numerals.csv"),
        indicators=by_id(),
    )


def body_names(data: ReportData, body: Any) -> tuple[str, str]:
    row = data.bodies.get(clean_text(body), {})
    return clean_text(row.get("name_zh") or body), clean_text(row.get("name_en") or "")


def short_names(data: ReportData, body: Any) -> tuple[str, str]:
    """Short chart labels: 湖州市人大常委会 -> 湖州市; '... of the Huzhou Municipal ...' -> Huzhou."""
    zh, en = body_names(data, body)
    short_zh = re.sub(r"（.*?）|\(.*?\)", "", zh).replace("人大常委会", "").strip()
    if len(short_zh) < 2:
        inside = re.search(r"（(.*?)[，）]", zh)
        short_zh = inside.group(1) if inside else clean_text(body)
    match = re.search(r"of the (.+?) (?:Municipal|Provincial|County|District|People's)", en)
    if match:
        short_en = match.group(1)
    else:
        unnamed = re.search(r"unnamed (\w+)", en)
        short_en = f"unnamed {unnamed.group(1)}" if unnamed else clean_text(body)
    return short_zh, short_en


def report_title(body: str, year: int, bodies: dict[str, dict[str, str]]) -> str:
    row = bodies.get(body, {})
    zh = clean_text(row.get("name_zh") or body)
    en = re.sub(r"\s*\(.*\)$", "", clean_text(row.get("name_en") or ""))
    return f"{zh} {year} 年工作数字 · {en}: figures of {year}" if en else f"{zh} {year} 年工作数字"


def headline(data: ReportData) -> pd.DataFrame:
    """The year's figure for each indicator (its first mention), in the order the text gives them."""
    mapped = year_figures(data.panel, data.body, data.year)
    mapped = mapped[mapped["source"] == data.doc_id]
    return mapped.sort_values("start", kind="mergesort").reset_index(drop=True)


def check_counts(data: ReportData) -> dict[str, int]:
    counts = data.checks["status"].value_counts().to_dict() if not data.checks.empty else {}
    return {k: int(counts.get(k, 0)) for k in ("pass", "fail", "inconclusive") if counts.get(k)}


def summary_text(data: ReportData, figures: int = 3) -> str:
    """One line for the index: the first headline figures, counts, and the checks' outcome (plain text)."""
    top = headline(data).head(figures)
    shown = "、".join(
        f"{r.indicator_zh} {number(r.value)}{'余' if r.approx == 'more_than' else ''} {r.unit}"
        for r in top.itertuples()
    )
    n = len(data.figures)
    k = int((data.figures["indicator_id"] != "").sum())
    indicators = data.figures.loc[data.figures["indicator_id"] != "", "indicator_id"].nunique()
    checks = ", ".join(f"{v} {k_}" for k_, v in check_counts(data).items()) or "none"
    return (
        f"{shown} · {n} figures, {k} mapped to {indicators} indicators; checks: {checks}"
        if shown
        else f"{n} figures, {k} mapped to {indicators} indicators; checks: {checks}"
    )


# ---------------------------------------------------------------- HTML pieces


def _section_head(key: str, intro: str = "") -> str:
    for ident, zh, en in SECTIONS:
        if ident == key:
            text = f'<p class="intro">{intro}</p>' if intro else ""
            return f'<h2 id="{ident}">{esc(zh)} <span class="en" lang="en">{esc(en)}</span></h2>{text}'
    raise KeyError(key)


def english(text: Any) -> str:
    """The English beside the Chinese, escaped and marked lang="en"."""
    return f'<span class="en" lang="en">{esc(text)}</span>'


def empty(zh: str, text_en: str) -> str:
    return f'<p class="empty">{esc(zh)} {english(text_en)}</p>'


def _table(head: Iterable[str | tuple[str, str]], rows: Iterable[str], cls: str = "") -> str:
    """A scrollable table; a header cell is raw HTML or a (Chinese, English) pair."""
    header = "".join(f"<th>{esc(h[0])} {english(h[1])}</th>" if isinstance(h, tuple) else f"<th>{h}</th>" for h in head)
    body = "".join(rows)
    return (
        f'<div class="table-wrap"><table class="{cls}"><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _approx_badge(approx: Any) -> str:
    zh, en = APPROX.get(clean_text(approx), ("", ""))
    return f' <span class="approx" title="{esc(en)}">{esc(zh)} <span lang="en">{esc(en)}</span></span>' if zh else ""


def _indicator_cell(ident: Any, zh: Any, en: Any) -> str:
    if not clean_text(ident):
        return '<span class="unmapped">未归入指标 <span class="en" lang="en">not mapped</span></span>'
    return bi(zh, en, "span")


def _position(data: ReportData, start: Any, end: Any) -> str:
    return f'<span class="pos" title="{esc(data.doc_id)}">{esc(data.body)}/{data.year} · {esc(start)}–{esc(end)}</span>'


def header_html(data: ReportData) -> str:
    zh, en = body_names(data, data.body)
    meta = data.meta
    url = meta.get("url")
    start, end = f"{data.year}-01-01", f"{data.year}-12-31"  # what the clean step assumes when not given
    rows = [
        ("标题", "Title", esc(meta.get("title"))),
        ("发布者", "Publisher", esc(meta.get("publisher"))),
        ("发布日期", "Published", esc(meta.get("date_published") or "未注明 not recorded")),
        ("网址", "URL", link(url) if clean_text(url) else '未注明 <span lang="en">not recorded</span>'),
        (
            "文件",
            "File",
            f"<code>{esc(data.doc_id)}</code> · sha256 <code>{esc(str(meta.get('sha256', ''))[:16])}…</code>",
        ),
        (
            "时期",
            "Period",
            f"{esc(period_label(meta.get('period_start') or start, meta.get('period_end') or end))} · "
            + label(PERIOD_KINDS, meta.get("period_kind") or "calendar_year"),
        ),
    ]
    source = "".join(
        f'<tr><th>{esc(a)} <span class="en" lang="en">{esc(b)}</span></th><td>{c}</td></tr>' for a, b, c in rows
    )
    n = len(data.figures)
    mapped = int((data.figures["indicator_id"] != "").sum())
    indicators = data.figures.loc[data.figures["indicator_id"] != "", "indicator_id"].nunique()
    counts = check_counts(data)
    checks = "，".join(f"{CHECK_STATUS[k][0]} {v}" for k, v in counts.items()) or "无"
    checks_en = ", ".join(f"{v} {k}" for k, v in counts.items()) or "none"
    nav = " · ".join(f'<a href="#{i}">{esc(z)} <span lang="en">{esc(e)}</span></a>' for i, z, e in SECTIONS)
    return (
        '<header class="report-head">'
        '<p class="kicker">人大常委会工作报告中的数字 <span class="en" lang="en">'
        "Figures from a people's congress standing committee work report</span></p>"
        f"<h1>{esc(zh)} {data.year} 年工作数字</h1>"
        f'<p class="subtitle" lang="en">{esc(en)}: figures of {data.year}</p>'
        f'<p class="summary">本文共提取 <strong>{n}</strong> 个数字，其中 {mapped} 个归入 {indicators} 项指标；'
        f"一致性核对：{esc(checks)}。"
        f' <span class="en" lang="en">{n} figures extracted, {mapped} mapped to {indicators} indicators; '
        f"consistency checks: {esc(checks_en)}.</span></p>"
        f'<table class="source">{source}</table>'
        f'<nav class="toc">{nav}</nav>'
        "</header>"
    )


def _own_baseline(data: ReportData, ident: str) -> pd.Series | None:
    rows = data.comparison[
        (data.comparison["indicator_id"] == ident)
        & data.comparison["baseline_kind"].isin(["earlier_year", "term_total_annualised"])
    ]
    return rows.iloc[0] if len(rows) else None


def headline_html(data: ReportData) -> str:
    top = headline(data)
    intro = (
        "本年各项指标的数字，按原文出现的顺序；每个数字链接到它所在的句子。"
        ' <span class="en" lang="en">The year\'s figure for each indicator, in the order the text gives them; '
        "each links to the sentence it came from.</span>"
    )
    if top.empty:
        return _section_head("headline", intro) + empty(
            "本文没有可归入指标的数字。", "No figure in this document maps to an indicator."
        )
    cards = []
    for r in top.itertuples():
        base = _own_baseline(data, r.indicator_id)
        extra = ""
        if base is not None:
            annual = base["baseline_kind"] == "term_total_annualised"
            period = esc(baseline_period_label(base["baseline_period"]))
            change = esc(percent(base["pct_change"]))
            extra = (
                f'<span class="vs">{"任期年均" if annual else "往年"} {number(base["baseline_value"])}'
                f"{'/年' if annual else ''}（{period}）→ {change}"
                f'<span lang="en">vs {"term average" if annual else "earlier"} {number(base["baseline_value"])}'
                f"{'/yr' if annual else ''}: {change}</span></span>"
            )
        cards.append(
            f'<a class="card" href="#fig-{int(r.start)}">'
            f'<span class="num">{number(r.value)}</span><span class="unit">{esc(r.unit)}</span>'
            f"{_approx_badge(r.approx)}"
            f'<span class="zh">{esc(r.indicator_zh)}</span>'
            f'<span class="en" lang="en">{esc(r.indicator_en)}</span>'
            f'<span class="written">原文 “{esc(r.text)}”</span>'
            f"{extra}</a>"
        )
    return _section_head("headline", intro) + f'<div class="cards">{"".join(cards)}</div>'


def _published_facts(data: ReportData) -> pd.DataFrame:
    """Published figures the comparison rests on: the body's own facts of the compared indicators,
    and the peers' facts it cites; numbered P1, P2, … for reference."""
    if data.comparison.empty:
        return data.panel.iloc[0:0].assign(ref="")
    ids = set(data.comparison["indicator_id"])
    pub = data.panel[(data.panel["source_type"] == "published") & data.panel["indicator_id"].isin(ids)]
    peers = data.comparison[data.comparison["baseline_kind"] == "peer"]
    cited = set(zip(peers["baseline_body"], peers["baseline_source"], peers["indicator_id"], strict=True))
    is_cited = pd.Series(
        [(b, s, i) in cited for b, s, i in zip(pub["body"], pub["source"], pub["indicator_id"], strict=True)],
        index=pub.index,
        dtype=bool,
    )
    keep = (pub["body"] == data.body) | is_cited
    facts = (
        pub[keep].sort_values(["indicator_id", "body", "period_end", "source"], kind="mergesort").reset_index(drop=True)
    )
    return facts.assign(ref=[f"P{i + 1}" for i in range(len(facts))])


def _refs_for(facts: pd.DataFrame, row: pd.Series) -> list[str]:
    same = facts[
        (facts["indicator_id"] == row["indicator_id"])
        & (facts["body"] == row["baseline_body"])
        & (facts["source"] == row["baseline_source"])
    ]
    refs = list(same["ref"])
    if row["baseline_kind"] == "cumulative_difference":  # the earlier end of the window too
        first = clean_text(row["baseline_period"]).split(" to ")[0]
        earlier = facts[
            (facts["indicator_id"] == row["indicator_id"])
            & (facts["body"] == row["baseline_body"])
            & (facts["period_kind"] == "cumulative")
            & (facts["period_end"] == first)
        ]
        refs = list(earlier["ref"]) + [r for r in refs if r not in set(earlier["ref"])]
    return refs


def _source_cell(facts: pd.DataFrame, row: pd.Series) -> str:
    refs = _refs_for(facts, row)
    anchors = " ".join(f'<a href="#{r}">{r}</a>' for r in refs)
    return f"{anchors} {link(row['baseline_source'], url_host(row['baseline_source']))}".strip()


def comparison_html(data: ReportData) -> str:
    intro = (
        "只与可以比较的数字相比：往年数字照录；任期总数按任期的实际长度折合为年均数（标为“年均”）；"
        "两个累计数相减得到其间的数量，但那一段时间不是本自然年；会议序号不是次数，只用来核对；"
        "同级机关只取前后两年以内的数字，同级比较不是趋势。"
        ' <span class="en" lang="en">Like with like: an earlier year as reported; a term total annualised over '
        "the term's stated length (marked annualised); two cumulative counts differenced into the window "
        "between them, which is not the calendar year; a meeting number only as a cross-check, never as a count; "
        "peers are other bodies of the same level within two years, and a peer is not a trend.</span>"
    )
    comp = data.comparison
    if comp.empty:
        return _section_head("comparison", intro) + empty("没有比较数据。", "No comparison for this year.")
    facts = _published_facts(data)
    own_kinds = ["earlier_year", "term_total_annualised", "cumulative_difference", "ordinal"]
    own: dict[str, list[str]] = {}
    peer: dict[str, list[str]] = {}
    heads: dict[str, str] = {}
    body_zh, _ = short_names(data, data.body)
    for _, r in comp.iterrows():
        kind = r["baseline_kind"]
        if kind not in METHODS:
            continue
        method_zh, method_en = METHODS[kind]
        badge = (
            ' <span class="badge annual">年均 <span lang="en">annualised</span></span>'
            if kind == "term_total_annualised"
            else ""
        )
        per_year = " /年" if kind == "term_total_annualised" else ""
        baseline = f"{number(r['baseline_value'])} {esc(r['baseline_unit'])}{per_year}"
        heads[r["indicator_id"]] = (
            f'<td><a href="#fig-{_first_start(data, r["indicator_id"])}">'
            f"{bi(r['indicator_zh'], r['indicator_en'])}</a></td>"
            f'<td class="n">{number(r["value"])} {esc(r["unit"])}{_approx_badge(r["approx"])}</td>'
        )
        change = f'<td class="n">{esc(signed(r["change"]))}</td><td class="n">{esc(percent(r["pct_change"]))}</td>'
        if kind in own_kinds:
            own.setdefault(r["indicator_id"], []).append(
                f'<td class="n">{baseline}{badge}</td>'
                f'<td class="period">{esc(baseline_period_label(r["baseline_period"]))}</td>'
                f'<td class="method">{bi(method_zh, method_en)}</td>{change}'
                f'<td class="note" lang="en">{esc(r["note"])}</td><td>{_source_cell(facts, r)}</td>'
            )
        elif kind == "peer":
            zh, en = short_names(data, r["baseline_body"])
            peer.setdefault(r["indicator_id"], []).append(
                f'<td>{esc(zh)} <span class="en" lang="en">{esc(en)}</span></td>'
                f'<td class="period">{esc(baseline_period_label(r["baseline_period"]))}</td>'
                f'<td class="n">{baseline}</td>{change}<td>{_source_cell(facts, r)}</td>'
            )
    own_rows, peer_rows = _grouped(own, heads), _grouped(peer, heads)
    parts = [_section_head("comparison", intro)]
    this_year = f"{esc(body_zh)} {data.year}"
    parts.append('<h3>与本机关往期比较 <span class="en" lang="en">Against the body\'s own earlier periods</span></h3>')
    parts.append(
        _table(
            [
                ("指标", "Indicator"),
                f'<span class="nowrap">{this_year}</span>',
                ("基准", "Baseline"),
                ("时期", "Period"),
                ("方法", "Method"),
                ("差", "Change"),
                "%",
                ("说明", "How it was computed"),
                ("来源", "Source"),
            ],
            own_rows,
            "comparison",
        )
        if own_rows
        else empty("没有本机关往期数字。", "No earlier figure of this body.")
    )
    parts.append("<h3>与同级机关比较 " + english("Against peers of the same level (within two years)") + "</h3>")
    parts.append(
        _table(
            [
                ("指标", "Indicator"),
                f'<span class="nowrap">{this_year}</span>',
                ("同级机关", "Peer"),
                ("时期", "Period"),
                ("数值", "Value"),
                ("差", "Difference"),
                "%",
                ("来源", "Source"),
            ],
            peer_rows,
            "comparison",
        )
        if peer_rows
        else empty("没有同级机关的数字。", "No peer figure.")
    )
    none = comp[comp["baseline_kind"] == "none"]
    if len(none):
        items = "、".join(
            f'<a href="#fig-{_first_start(data, r.indicator_id)}">{esc(r.indicator_zh)}</a> {english(r.indicator_en)}'
            for r in none.itertuples()
        )
        parts.append(
            '<p class="note-list">没有可比数字的指标 '
            f"{english('Indicators with no earlier or peer figure')}：{items}</p>"
        )
    gone = comp[comp["value"].eq("") & ~comp["baseline_kind"].isin([*METHODS, "none"])]
    if len(gone):
        rows = [
            f"<tr><td>{bi(r['indicator_zh'], r['indicator_en'])}</td>"
            f'<td class="n">{number(r["baseline_value"])} {esc(r["baseline_unit"])}</td>'
            f"<td>{esc(baseline_period_label(r['baseline_period']))}</td>"
            f"<td>{label(PERIOD_KINDS, r['baseline_kind'])}</td>"
            f"<td>{_source_cell(facts, r)}</td></tr>"
            for _, r in gone.iterrows()
        ]
        parts.append(
            f'<h3>往期报告、本年未报 <span class="en" lang="en">Reported before, not in {data.year}</span></h3>'
        )
        parts.append(
            _table(
                [
                    ("指标", "Indicator"),
                    ("往期数字", "Earlier figure"),
                    ("时期", "Period"),
                    ("类型", "Kind"),
                    ("来源", "Source"),
                ],
                rows,
            )
        )
    return "".join(parts)


def _grouped(groups: dict[str, list[str]], heads: dict[str, str]) -> list[str]:
    """Rows of one indicator together, its name and this year's value spanning them."""
    rows = []
    for ident, cells in groups.items():
        head = heads[ident].replace("<td", f'<td rowspan="{len(cells)}"')
        rows.append(f'<tr class="group-start">{head}{cells[0]}</tr>')
        rows.extend(f"<tr>{c}</tr>" for c in cells[1:])
    return rows


def _first_start(data: ReportData, ident: str) -> str:
    rows = data.figures[data.figures["indicator_id"] == ident]
    return str(int(rows["start"].min())) if len(rows) else ""


# ---------------------------------------------------------------- charts


def parts_of_work(data: ReportData) -> list[tuple[str, int, int]]:
    """(label, mapped, unmapped) per category, the largest first."""
    figures = data.figures
    if figures.empty:
        return []
    grouped = figures.assign(mapped=figures["indicator_id"] != "").groupby("category", sort=True)["mapped"]
    rows = [(cat, int(m.sum()), int((~m).sum())) for cat, m in grouped]
    rows.sort(key=lambda r: (-(r[1] + r[2]), r[0]))
    return [(f"{CATEGORIES.get(c, (c, c))[0]} {CATEGORIES.get(c, (c, c))[1]}", m, u) for c, m, u in rows]


def baseline_panels(data: ReportData) -> list[plotting.Panel]:
    comp = data.comparison
    panels = []
    body_zh, _ = short_names(data, data.body)
    for _, rows in comp.groupby("indicator_id", sort=False):
        rows = rows[
            rows["baseline_kind"].isin(["earlier_year", "term_total_annualised", "cumulative_difference", "peer"])
        ]
        rows = rows[[_as_float(v) is not None for v in rows["baseline_value"]]]
        if rows.empty or _as_float(rows.iloc[0]["value"]) is None:
            continue
        first = rows.iloc[0]
        bars = [plotting.Bar(f"{body_zh} {data.year} 本年", float(first["value"]), "this_year")]
        for _, r in rows.iterrows():
            period = baseline_period_label(r["baseline_period"])
            if r["baseline_kind"] == "peer":
                zh, en = short_names(data, r["baseline_body"])
                bars.append(plotting.Bar(f"{zh} {en} {period}", float(r["baseline_value"]), "peer"))
            elif r["baseline_kind"] == "term_total_annualised":
                bars.append(plotting.Bar(f"{body_zh} {period} 任期年均", float(r["baseline_value"]), "own_past", True))
            elif r["baseline_kind"] == "cumulative_difference":
                bars.append(plotting.Bar(f"{body_zh} {period} 累计之差", float(r["baseline_value"]), "own_past", True))
            else:
                bars.append(plotting.Bar(f"{body_zh} {period}", float(r["baseline_value"]), "own_past"))
        title = f"{first['indicator_zh']}（{first['unit']}）\n{first['indicator_en']}"
        panels.append(plotting.Panel(title, tuple(bars)))
    # panels of similar length side by side, so a row wastes little space
    return sorted(panels, key=lambda p: len(p.bars))


def series_list(data: ReportData) -> list[plotting.Series]:
    """The body's own figures over time, per indicator and kind of period, wherever there are two or
    more points: single years (calendar or session years apart) and cumulative counts."""
    own = data.panel[
        (data.panel["body"] == data.body)
        & (data.panel["indicator_id"] != "")
        & (data.panel["kind"] == "actual")
        & data.panel["period_kind"].isin(["calendar_year", "session_year", "cumulative"])
    ]
    out = []
    for (ident, kind), rows in own.groupby(["indicator_id", "period_kind"], sort=True):
        rows = rows.assign(xm=[month_index(e, end=True) for e in rows["period_end"]]).dropna(subset=["xm"])
        rows = rows.sort_values(["xm", "source_type", "start"], kind="mergesort").drop_duplicates("xm")
        if len(rows) < 2:
            continue
        points = []
        this_x = None
        for r in rows.itertuples():
            x = (r.xm + 0.5) / 12 if kind == "cumulative" else float(r.xm // 12)
            span = r.period_end if kind == "cumulative" else str(int(r.xm // 12))
            points.append((x, float(r.value), span))
            if r.source == data.doc_id:
                this_x = x
        indicator = data.indicators.get(ident)
        zh, en = (indicator.zh, indicator.en) if indicator else (ident, "")
        kind_zh, kind_en = PERIOD_KINDS[kind]
        starts = sorted(set(rows["period_start"])) if kind == "cumulative" else []
        since = f"，起点 {'/'.join(starts)}" if starts else ""
        out.append(
            plotting.Series(
                f"{zh}（{kind_zh}{since}）\n{en}, {kind_en}", "/".join(sorted(set(rows["unit"]))), tuple(points), this_x
            )
        )
    return out


def _figure_html(uri: str, alt: str, caption_zh: str, caption_en: str) -> str:
    return (
        f'<figure><img src="{uri}" alt="{esc(alt)}">'
        f'<figcaption>{esc(caption_zh)} <span class="en" lang="en">{esc(caption_en)}</span></figcaption></figure>'
    )


def charts_html(data: ReportData) -> str:
    parts = [_section_head("charts")]
    parts_data = parts_of_work(data)
    if parts_data:
        figure = plotting.parts_chart(parts_data)
        parts.append(
            "<h3>各部分工作的数字 "
            + english("Figures by part of the work")
            + "</h3>"
            + _figure_html(
                plotting.png_data_uri(figure),
                "; ".join(f"{p[0]}: {p[1] + p[2]}" for p in parts_data),
                "本文数字按工作部分计数；深色为已归入指标的数字。",
                "Number of figures in the text by part of the work; dark: mapped to an indicator.",
            )
        )
    panels = baseline_panels(data)
    parts.append("<h3>本年与基准 " + english("This year against its baselines") + "</h3>")
    if panels:
        figure = plotting.baselines_chart(panels)
        parts.append(
            _figure_html(
                plotting.png_data_uri(figure),
                "; ".join(f"{p.title}: " + ", ".join(f"{b.label} {b.value:g}" for b in p.bars) for p in panels),
                "每项指标各用自己的刻度。斜线表示推算值：任期总数折合年均、或两个累计数之差。",
                "Each indicator on its own scale. Hatched bars are derived: a term total annualised, or two "
                "cumulative counts differenced.",
            )
        )
    else:
        parts.append(empty("没有可比的基准。", "No baseline to compare with."))
    series = series_list(data)
    parts.append("<h3>时间序列 " + english("Series over time") + "</h3>")
    if series:
        figure = plotting.series_chart(series)
        parts.append(
            _figure_html(
                plotting.png_data_uri(figure),
                "; ".join(f"{s.title}: " + ", ".join(f"{p[2]} {p[1]:g}" for p in s.points) for s in series),
                "本机关同一指标、同一种时期的数字，有两个或更多时点时绘出。",
                "The body's own figures of one indicator and one kind of period, wherever there are two or "
                "more points.",
            )
        )
    else:
        parts.append(empty("还没有两个或更多时点的序列。", "No indicator has two or more points of one kind yet."))
    return "".join(parts)


# ---------------------------------------------------------------- evidence


def evidence_html(data: ReportData) -> str:
    intro = (
        f"本文的每一个数字及其所在的句子；位置为原始文本 <code>{esc(data.doc_id)}</code> 中的字符序号。"
        ' <span class="en" lang="en">Every figure of the document with the sentence it came from; '
        f"positions are character offsets into the raw text <code>{esc(data.doc_id)}</code>.</span>"
    )
    rows = []
    for r in data.figures.itertuples():
        offset = None
        if r.sentence_start is not None and r.sentence_start == r.sentence_start:
            offset = int(r.start) - int(r.sentence_start)
        cat_zh, cat_en = CATEGORIES.get(r.category, (r.category, ""))
        rows.append(
            f'<tr id="fig-{int(r.start)}" data-start="{int(r.start)}" data-end="{int(r.end)}" '
            f'data-value="{esc(format(float(r.value), ".15g"))}" data-unit="{esc(r.unit)}" '
            f'data-indicator="{esc(r.indicator_id)}">'
            f"<td>{_position(data, int(r.start), int(r.end))}</td>"
            f'<td class="n">{number(r.value)} {esc(r.unit)}{_approx_badge(r.approx)}</td>'
            f'<td class="indicator">{_indicator_cell(r.indicator_id, r.indicator_zh, r.indicator_en)}'
            f'<div class="raw-label">{esc(r.indicator)}</div></td>'
            f'<td>{bi(cat_zh, cat_en)}<div class="section-name">{esc(r.section)}</div></td>'
            f'<td class="sentence">{highlight(r.evidence, offset, r.text)}</td></tr>'
        )
    parts = [_section_head("evidence", intro)]
    parts.append(
        _table(
            [
                ("来源与位置", "Source, position"),
                ("数值", "Value"),
                '指标 <span lang="en">Indicator</span> / 原文标签 <span lang="en">label</span>',
                ("部分", "Part"),
                ("句子（数字已标出）", "Sentence, the figure marked"),
            ],
            rows,
            "evidence",
        )
    )
    facts = _published_facts(data)
    parts.append(
        f'<h3 id="published">比较所用的已发布数字 {english("Published figures used for comparison")}</h3>'
        '<p class="intro">来自 <code>data/reference/published_figures.csv</code>，每行附原始网址。 '
        + english("From data/reference/published_figures.csv, each with the page it was published on.")
        + "</p>"
    )
    if facts.empty:
        parts.append(empty("无。", "None."))
    else:
        pub_rows = []
        for r in facts.itertuples():
            zh, en = body_names(data, r.body)
            pub_rows.append(
                f'<tr id="{r.ref}"><td>{r.ref}</td><td>{esc(zh)}<div class="en" lang="en">{esc(en)}</div></td>'
                f"<td>{esc(period_label(r.period_start, r.period_end))}"
                f"<div>{label(PERIOD_KINDS, r.period_kind)}</div></td>"
                f'<td>{bi(r.indicator_zh, r.indicator_en)}<div class="raw-label">{esc(r.indicator)}</div></td>'
                f'<td class="n">{number(r.value)} {esc(r.unit)}{_approx_badge(r.approx)}</td>'
                f"<td>{esc(r.evidence)}<div>{link(r.source)}</div><div>{esc(r.source_date)}</div></td></tr>"
            )
        parts.append(
            _table(
                [
                    "",
                    ("机关", "Body"),
                    ("时期", "Period"),
                    '指标 <span lang="en">Indicator</span> / 原文 <span lang="en">as published</span>',
                    ("数值", "Value"),
                    ("来源", "Source"),
                ],
                pub_rows,
                "published",
            )
        )
    return "".join(parts)


# ---------------------------------------------------------------- data quality


def quality_html(data: ReportData) -> str:
    parts = [_section_head("quality")]
    counts = check_counts(data)
    summary = "，".join(f"{CHECK_STATUS[k][0]} {v}" for k, v in counts.items()) or "无"
    parts.append(
        f'<h3>一致性核对 <span class="en" lang="en">Consistency checks</span></h3><p class="intro">{esc(summary)} '
        f'<span class="en" lang="en">({esc(", ".join(f"{v} {k}" for k, v in counts.items()) or "none run")})</span></p>'
    )
    if not data.checks.empty:
        rows = []
        for r in data.checks.itertuples():
            ind = data.indicators.get(r.indicator_id)
            status_zh, status_en = CHECK_STATUS.get(r.status, (r.status, r.status))
            rows.append(
                f'<tr class="check-{esc(r.status)}"><td>{label(CHECKS, r.check)}</td>'
                f"<td>{bi(ind.zh, ind.en) if ind else esc(r.indicator_id)}</td>"
                f'<td><span class="status {esc(r.status)}">{esc(status_zh)} '
                f'<span lang="en">{esc(status_en)}</span></span></td>'
                f'<td class="n">{esc(r.expected)}</td><td class="n">{esc(r.found)}</td>'
                f'<td class="note" lang="en">{esc(r.explanation)}</td></tr>'
            )
        parts.append(
            _table(
                [
                    ("核对", "Check"),
                    ("指标", "Indicator"),
                    ("结果", "Outcome"),
                    ("应为", "Expected"),
                    ("实为", "Found"),
                    ("说明", "Why"),
                ],
                rows,
                "checks",
            )
        )
    unmapped = data.figures[data.figures["indicator_id"] == ""]
    parts.append(
        "<h3>未归入指标的数字 " + english("Figures not mapped to an indicator") + "</h3>"
        f'<p class="intro">{len(unmapped)} / {len(data.figures)} 个数字的标签不属于指标表中的任何一项；'
        "它们仍保留在数据中，"
        f'<code>indicator_id</code> 为空。 <span class="en" lang="en">{len(unmapped)} of {len(data.figures)} figures '
        "have a label that no entry of the indicator taxonomy covers; they stay in the data with an empty "
        "indicator_id.</span></p>"
    )
    if len(unmapped):
        rows = [
            f'<tr><td><a href="#fig-{int(r.start)}">{_position(data, int(r.start), int(r.end))}</a></td>'
            f'<td>{esc(r.text)}</td><td class="n">{number(r.value)} {esc(r.unit)}{_approx_badge(r.approx)}</td>'
            f"<td>{esc(r.indicator)}</td><td>{label(CATEGORIES, r.category)}</td></tr>"
            for r in unmapped.itertuples()
        ]
        parts.append(
            _table(
                [
                    ("位置", "Position"),
                    ("原文", "As written"),
                    ("数值", "Value"),
                    ("标签", "Label"),
                    ("部分", "Part"),
                ],
                rows,
            )
        )
    parts.append(
        "<h3>版面修复 " + english("Layout repairs") + "</h3>"
        '<p class="intro">报纸版面上被分栏切断的段落：能在文中找到下文的已接续，找不到的标出。 '
        '<span class="en" lang="en">Paragraphs cut at the newspaper\'s column breaks: joined where the '
        "continuation is in the text, flagged where it is not.</span></p>"
    )
    if data.repairs.empty:
        parts.append(empty("无。", "None needed."))
    else:
        rows = [
            f'<tr><td>{label(REPAIRS, r.kind)}</td><td class="n">{esc(r.line)}</td>'
            f'<td class="n">{esc(r.other_line)}</td><td class="n">{esc(r.at)}</td>'
            f'<td class="sentence">{esc(r.detail)}</td></tr>'
            for r in data.repairs.itertuples()
        ]
        parts.append(
            _table(
                [
                    ("类型", "Kind"),
                    ("行", "Line"),
                    ("接续行", "Continued on"),
                    ("位置", "At char"),
                    ("内容", "Detail"),
                ],
                rows,
            )
        )
    parts.append(
        "<h3>未计为数字的数词 " + english("Numerals not taken as figures") + "</h3>"
        '<p class="intro">看似数字、实为序数、固定说法或冠词的数词，以及不计的理由。 <span class="en" lang="en">'
        "What only looks like a figure — ordinals, fixed expressions, articles — and why it was left out.</span></p>"
    )
    if data.rejections.empty:
        parts.append(empty("无。", "None."))
    else:
        rows = [
            f"<tr><td>{_position(data, r.start, r.end)}</td><td>{esc(r.text)}</td>"
            f'<td class="note" lang="en">{esc(r.reason)}</td></tr>'
            for r in data.rejections.itertuples()
        ]
        parts.append(
            _table(
                [
                    ("位置", "Position"),
                    ("原文", "As written"),
                    ("理由", "Reason"),
                ],
                rows,
            )
        )
    return "".join(parts)


def footer_html(data: ReportData) -> str:
    return (
        '<footer class="report-foot">'
        f"<p>由 annual-figures {esc(__version__)} 从原始文本生成；数字与 <code>data/processed/figures.csv</code> 一致。"
        ' <span class="en" lang="en">Made by annual-figures from the raw text; the numbers are those of '
        "data/processed/figures.csv.</span></p>"
        '<p>下载 <span lang="en">Download</span>: <a href="../downloads/figures.csv">figures.csv</a> · '
        '<a href="../downloads/comparison.csv">comparison.csv</a> · <a href="../downloads/checks.csv">checks.csv</a>'
        ' · <a href="../index.html">所有报告 <span lang="en">all reports</span></a></p>'
        "</footer>"
    )


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class IndexEntry:
    body: str
    year: int
    body_zh: str
    body_en: str
    title: str
    summary: str
    href: str


def index_entry(data: ReportData) -> IndexEntry:
    zh, en = body_names(data, data.body)
    return IndexEntry(
        body=data.body,
        year=data.year,
        body_zh=zh,
        body_en=en,
        title=clean_text(data.meta.get("title")),
        summary=summary_text(data),
        href=f"{data.body}/{data.year}.html",
    )


def index_html(entries: Iterable[IndexEntry], downloads: Iterable[tuple[str, str, str]], css: str) -> str:
    """reports/index.html: every report, newest first, and the CSV downloads (name, href, description)."""
    entries = sorted(entries, key=lambda e: (-e.year, e.body))
    rows = "".join(
        f'<tr><td class="n">{e.year}</td><td>{esc(e.body_zh)}<div class="en" lang="en">{esc(e.body_en)}</div></td>'
        f'<td><a href="{esc(e.href)}">{esc(e.title)}</a></td><td class="summary">{esc(e.summary)}</td></tr>'
        for e in entries
    )
    table = _table(
        [
            ("年份", "Year"),
            ("机关", "Body"),
            ("标题", "Title"),
            ("概要", "Summary"),
        ],
        [rows],
        "index",
    )
    files = "".join(
        f'<li><a href="{esc(href)}" download>{esc(name)}</a> — {desc}</li>' for name, href, desc in downloads
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>人大常委会工作报告数字 · Figures from people's congress standing committee reports</title>\n"
        f'<style type="text/css">\n{css}</style>\n</head>\n<body>\n<main class="report">\n'
        '<header class="report-head"><p class="kicker">annual-figures</p>'
        "<h1>人大常委会工作报告数字</h1>"
        '<p class="subtitle" lang="en">Figures from people\'s congress standing committee work reports</p>'
        '<p class="summary">每份报告列出一年的主要数字、与往期及同级机关的比较、每个数字的出处句子和数据质量。'
        ' <span class="en" lang="en">Each report gives a year\'s headline figures, the comparison with earlier '
        "periods and peers, the sentence each figure came from, and the data quality.</span></p></header>\n"
        '<h2 id="reports">报告 <span class="en" lang="en">Reports</span></h2>\n'
        f"{table}\n"
        '<h2 id="downloads">下载数据 <span class="en" lang="en">Download the data</span></h2>\n'
        f'<ul class="downloads">{files}</ul>\n'
        "</main>\n</body>\n</html>\n"
    )
