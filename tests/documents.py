"""Documents as users get them, made here from texts written for these tests: saved web pages in
three site styles and three encodings (with furniture that holds numbers), PDFs printed by headless
Chromium from our own HTML (a CJK font, running heads, page numbers, two columns, narrow columns
that wrap inside words and between a number and its measure word), and .docx files written with
python-docx. Each document's plain text is `plain(report)`: the figures of every copy are scored
against the figures of that text."""

from __future__ import annotations

import html
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .chromium import FLAGS, find_browser


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    blocks: tuple[tuple[str, str], ...]  # ("h", heading) or ("p", paragraph)


def plain(report: Report) -> str:
    return "\n".join([report.title, *(text for _kind, text in report.blocks)]) + "\n"


# ---------------------------------------------------------------- texts (written for these tests)

TUNING = (
    Report(
        "hexi",
        "河西市人大常委会2023年工作报告",
        (
            ("p", "过去一年，市人大常委会召开常委会会议8次，主任会议15次，审议议题52项，作出决议决定11件。"),
            ("h", "一、坚持立法引领，提高立法质量"),
            (
                "p",
                "全年制定地方性法规4件，修订2件，废止1件；召开立法座谈会17次、论证会6次，"
                "通过基层立法联系点收集意见建议3200余条，采纳率达到23.5%。",
            ),
            ("h", "二、依法开展监督，增强监督实效"),
            (
                "p",
                "听取审议专项工作报告14个，开展执法检查5次，专题询问2次，满意度测评1次；"
                "组织人大代表视察调研26次，参加代表680余人次，推动解决问题130多个。",
            ),
            (
                "p",
                "审查批准决算和预算调整方案各1件，审计查出问题整改金额达到4.6亿元，督促收回和盘活存量资金8300余万元。",
            ),
            ("h", "三、密切代表联系，服务代表履职"),
            (
                "p",
                "建成代表之家42个、代表联络站316个，接待群众1.2万人次，"
                "代表提出的建议287件全部办复，其中已经解决或列入计划解决的占81.2%。",
            ),
        ),
    ),
    Report(
        "nanshan",
        "南山县人大常委会工作报告（2023年）",
        (
            ("p", "2023年，县人大常委会共举行常委会会议9次，审议各类报告36个，任免国家机关工作人员67人次。"),
            ("h", "（一）围绕中心工作开展监督"),
            (
                "p",
                "常委会组成人员深入乡镇开展专题调研12次，形成调研报告9篇，提出意见建议58条；"
                "对6部法律法规在本县的实施情况开展执法检查，发现问题41个，已整改35个。",
            ),
            ("p", "民生实事项目票决制全面推开，确定实事项目10项，总投资2.3亿元，年底完成9项。"),
            ("h", "（二）加强自身建设"),
            (
                "p",
                "举办代表履职培训班3期，培训代表420名；机关干部参加学习讲座18场，"
                "撰写理论文章27篇，在省级以上刊物发表5篇。",
            ),
            ("p", "全年接待来访群众560人次，受理来信230件，办结率100%。"),
        ),
    ),
    Report(
        "dongpo",
        "东坡区人大常委会2023年工作综述",
        (
            ("p", "一年来，区人大常委会召开常委会会议11次，听取和审议“一府一委两院”工作报告23个，作出决议决定7项。"),
            ("h", "聚焦高质量发展"),
            (
                "p",
                "围绕优化营商环境，组织代表走访企业140余家，收集意见建议260条，"
                "协调解决融资、用地等问题48个，涉及资金1.5亿元。",
            ),
            (
                "p",
                "开展生态环境保护专项监督，检查点位85个，推动关停整治散乱污企业32家，"
                "空气质量优良天数比例达到86.4%，比上年提高3.2个百分点。",
            ),
            ("h", "践行全过程人民民主"),
            (
                "p",
                "全区三级人大代表1860名编入代表小组，开展“代表接待日”活动96场次，"
                "接待群众3100多人次，解决群众急难愁盼问题420余件。",
            ),
        ),
    ),
)


# ---------------------------------------------------------------- web pages


def _paragraphs_html(report: Report, heading: str = "h3", para: str = "p") -> str:
    parts = []
    for kind, text in report.blocks:
        tag = heading if kind == "h" else para
        parts.append(f"<{tag}>{html.escape(text)}</{tag}>")
    return "\n".join(parts)


def gov_page(report: Report, charset: str | None) -> str:
    """A congress site: table layout, top menu, breadcrumb, a counter in the byline, a related-links
    list and a footer with ICP and visitor numbers."""
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head>{meta}<title>{html.escape(report.title)}_人大之窗</title>
<meta name="PubDate" content="2024-01-26 09:30"></head>
<body><table width="1000"><tr><td class="top-nav">
<a href="/">首页</a> <a href="/rdgk">人大概况</a> <a href="/cwh">常委会第12次会议专题</a> <a href="/db">代表工作</a>
<a href="/jd">监督纵横</a></td></tr>
<tr><td><div class="position">您现在的位置：<a href="/">首页</a> &gt; <a>工作报告</a></div>
<div class="art_title"><h1>{html.escape(report.title)}</h1></div>
<div class="art_info">发布时间：2024-01-26 来源：常委会办公室 浏览次数：2381 【字体：大 中 小】</div>
<div class="art_content">
{_paragraphs_html(report)}
</div>
<div class="prevnext">上一篇：关于召开第12次会议的通知 下一篇：2022年工作报告</div>
<div class="xgxw"><h4>相关新闻</h4><ul>
<li><a href="/a1">常委会召开第十一次会议 审议议题9项</a></li>
<li><a href="/a2">代表视察团赴3县开展调研</a></li>
<li><a href="/a3">2022年全市人大工作综述（召开会议7次）</a></li></ul></div>
</td></tr>
<tr><td class="foot">主办单位：某市人大常委会办公室 地址：人民路88号 邮编：030000
<br>版权所有 晋ICP备05001234号-2 网站标识码1400000021 您是第1234567位访客</td></tr></table>
</body></html>"""


def news_page(report: Report, charset: str | None) -> str:
    """A newspaper site in HTML5: header menu, share bar with counts, a hot-list aside, a footer."""
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"""<!doctype html>
<html lang="zh-CN"><head>{meta}<title>{html.escape(report.title)} - 日报网</title>
<meta property="og:title" content="{html.escape(report.title)}">
<meta property="article:published_time" content="2024-02-03T08:00:00+08:00"></head>
<body><header class="site-header"><nav><ul><li><a>要闻</a></li><li><a>时政</a></li><li><a>2024两会</a></li>
<li><a>第3届文化节</a></li></ul></nav></header>
<div class="breadcrumb">首页 &gt; 时政 &gt; 人大</div>
<main><article><header><h1>{html.escape(report.title)}</h1>
<p class="meta">2024-02-03 08:00 来源：日报 阅读量：10万+</p></header>
<div class="article-body">
{_paragraphs_html(report, heading="h2")}
</div>
<div class="share-bar">分享到：微信 微博 <span>赞 356</span> <span>评论 12</span></div>
</article></main>
<aside class="hot"><h3>热点推荐</h3><ol><li><a>全市新增就业5.6万人</a></li><li><a>GDP增长6.1%</a></li>
<li><a>30个项目集中开工</a></li></ol></aside>
<footer>Copyright © 2024 日报社 版权所有 冀ICP备12003456号 公网安备13010202000123号 联系电话：0311-88888888</footer>
</body></html>"""


def wechat_page(report: Report, charset: str | None = "utf-8") -> str:
    """A saved WeChat article: the text in #js_content, sections and spans, read and like counters."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = []
    for kind, text in report.blocks:
        style = "font-weight:bold;color:#b80000" if kind == "h" else "font-size:16px;line-height:1.75"
        body.append(
            f'<section><p style="text-indent:2em"><span style="{style}">{html.escape(text)}</span></p></section>'
        )
    return f"""<!DOCTYPE html><html><head>{meta}
<meta property="og:title" content="{html.escape(report.title)}">
<meta property="og:type" content="article"><title>{html.escape(report.title)}</title></head>
<body id="activity-detail" class="zh_CN">
<div class="rich_media_area_primary"><h1 class="rich_media_title" id="activity-name">{html.escape(report.title)}</h1>
<div id="meta_content" class="rich_media_meta_list"><span class="rich_media_meta_text">人大宣传</span>
<em id="publish_time" class="rich_media_meta_text">2024-02-05 18:20</em></div>
<div class="rich_media_content" id="js_content">
{chr(10).join(body)}
</div>
<div class="rich_media_tool" id="js_toobar3"><span>阅读 5683</span> <span>赞 120</span> <span>在看 37</span></div>
<div class="qr_code_pc"><p>微信扫一扫关注该公众号</p></div>
</div></body></html>"""


PAGE_STYLES = {"gov": gov_page, "news": news_page, "wechat": wechat_page}
# (style, how the bytes are written, what the page declares)
PAGE_CASES = (
    ("gov", "gbk", "gbk"),  # GBK declared in <meta http-equiv>
    ("news", "utf-8", "utf-8"),  # UTF-8 declared
    ("gov", "gb18030", None),  # GB18030, undeclared: detected
    ("wechat", "utf-8", "utf-8"),
    ("news", "gb18030", None),
)
# numbers that stand only in a page's furniture: none of them may come out as a figure
FURNITURE_MARKS = ("浏览次数", "访客", "ICP", "相关新闻", "热点推荐", "阅读 5683", "阅读量", "分享到", "在看", "上一篇")


def page_bytes(report: Report, style: str, encoding: str, declared: str | None) -> bytes:
    # a character the encoding lacks (©) is written as a character reference, as sites do
    return PAGE_STYLES[style](report, declared).encode(encoding, errors="xmlcharrefreplace")


# ---------------------------------------------------------------- PDFs


PDF_LAYOUTS = ("a5", "two-column", "narrow")


def print_html(page: str, out: Path, header_footer: bool = False) -> Path:
    """Print an HTML string to a PDF with headless Chromium (a real text layer, a CJK font)."""
    with tempfile.TemporaryDirectory(prefix="annual-figures-print-") as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(page, encoding="utf-8")
        flags = [f for f in FLAGS if f != "--remote-debugging-pipe"]
        if not header_footer:
            flags.append("--no-pdf-header-footer")
        subprocess.run(
            [find_browser(), *flags, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", source.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out


def pdf_html(report: Report, layout: str) -> str:
    """The report as a printed page: an A5 page with a running head and page numbers; two columns
    (printed with the browser's own head and foot: date, title, file URL, n/m); or a narrow column
    with a running head and 第 n 页, where many lines wrap inside words and numbers."""
    head = '@top-center { content: "人大工作资料汇编 2024年第2期"; font-size: 8pt; }'
    a5_foot = "@bottom-center { content: counter(page); font-size: 9pt; }"
    narrow_foot = '@bottom-right { content: "第 " counter(page) " 页"; }'
    css = {
        "a5": f"@page {{ size: A5; margin: 18mm 14mm; {head} {a5_foot} }}",
        "two-column": "@page { size: A4; margin: 20mm 16mm; } .body { column-count: 2; column-gap: 9mm; }",
        "narrow": f"@page {{ size: 120mm 170mm; margin: 15mm 12mm; {head} {narrow_foot} }}"
        " p { word-break: break-all; }",
    }[layout]
    paragraphs = "\n".join(
        f"<h3>{html.escape(text)}</h3>" if kind == "h" else f"<p>{html.escape(text)}</p>"
        for kind, text in report.blocks
    )
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(report.title)}</title>
<style>{css}
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 12pt; line-height: 1.6; }}
p {{ text-indent: 2em; margin: 0 0 2pt 0; text-align: justify; }}
h1 {{ font-size: 17pt; text-align: center; }} h3 {{ font-size: 13pt; margin: 8pt 0 4pt 0; }}
</style></head><body>
<h1>{html.escape(report.title)}</h1><div class="body">
{paragraphs}
</div></body></html>"""


# ---------------------------------------------------------------- Word files


def docx_bytes(report: Report, table: bool = True) -> bytes:
    """The report written with python-docx; with `table`, a digest table after the first paragraph
    whose rows repeat nothing (it is part of the text given as .txt too: see docx_plain)."""
    import io

    import docx

    document = docx.Document()
    document.core_properties.title = report.title
    document.add_heading(report.title, level=1)
    for i, (kind, text) in enumerate(report.blocks):
        if kind == "h":
            document.add_heading(text, level=2)
        else:
            document.add_paragraph(text)
        if i == 0 and table:
            grid = document.add_table(rows=2, cols=2)
            for row, (label, value) in zip(grid.rows, DIGEST, strict=True):
                row.cells[0].text, row.cells[1].text = label, value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DIGEST = (("召开座谈会", "12场"), ("走访企业", "35家"))


def docx_plain(report: Report) -> str:
    lines = [report.title]
    for i, (_kind, text) in enumerate(report.blocks):
        lines.append(text)
        if i == 0:
            lines.extend(f"{label} {value}" for label, value in DIGEST)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- held out
# Written after the readers were done and never tuned on: two more reports, other wordings.

HELD_OUT = (
    Report(
        "beiling",
        "北岭市人大常委会关于2023年度工作情况的报告",
        (
            ("p", "本年度，常委会依法召开全体会议10次，主任会议21次，共审议法规草案、工作报告等议题61项。"),
            ("h", "一、立法工作"),
            (
                "p",
                "审议通过《北岭市物业管理条例》等法规5部，其中新制定3部、修改2部；"
                "面向社会公开征求意见12轮，收到意见1500多条。",
            ),
            ("h", "二、监督工作"),
            (
                "p",
                "围绕民生热点，听取专项报告16项，对食品安全法等4部法律开展执法检查，"
                "暗访检查单位210家，提出整改建议75条；全市财政民生支出占比达到78.9%。",
            ),
            ("p", "预算联网监督系统接入单位356家，预警问题1200余个，涉及金额2.8亿元。"),
            ("h", "三、代表工作"),
            ("p", "组织代表集中视察4次，参加代表530人次；交办代表建议312件，办结率100%，满意率96.5%。"),
        ),
    ),
    Report(
        "xiyuan",
        "西源县人大常委会2023年工作回顾",
        (
            ("p", "这一年，县人大常委会共召开常委会会议7次，审议议题32项，依法任免干部45人次。"),
            ("h", "（一）助推乡村振兴"),
            (
                "p",
                "组织代表深入28个行政村开展调研，收集群众意见460条，推动落实乡村振兴资金6500余万元，"
                "新建和改造农村公路86公里。",
            ),
            ("h", "（二）加强代表服务"),
            ("p", "新建代表联络站15个，开展代表进站接待活动120余次，接待选民2800多人次，解决实际问题190件。"),
        ),
    ),
)
HELD_OUT_PAGE_CASES = (("news", "gbk", "gbk"), ("wechat", "utf-8", None), ("gov", "utf-8", "utf-8"))
HELD_OUT_PDF_LAYOUTS = ("two-column", "narrow")
