"""Synthetic reports with known figures, for the benchmark and the scale test.

Each document is built from a template — a shipped document and its gold list of figures (the
seed and the fixture texts) — with every varied figure's number changed (and, for some, the way
it is written: Arabic, full-width or Chinese digits), the place names of bodies changed, and the
subjects of local laws (《…条例》) changed. The gold list is carried along: new offsets, new
values. Nothing is a copy of a template, and the same seed always gives the same bytes.

    .venv/bin/python -m tests.synth OUT_DIR --count 1000 [--seed 0] [--min-chars 6000]

writes OUT_DIR/synth_00000.txt and synth_00000.gold.csv (the fixtures' gold columns) for each.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipeline import paths
from pipeline.atomic import write_atomic
from pipeline.text.normalise import normalise
from pipeline.text.numerals import CN_NUMERAL_CHARS, QUANTITY_RE, parse_number

GOLD_COLUMNS = [
    "start",
    "end",
    "text",
    "value",
    "unit",
    "approx",
    "indicator",
    "key",
    "category",
    "required",
    "concept",
]

# Invented place names (two characters, no numeral in them) and subjects of local laws.
_PLACE_FIRST = "青云松柳泉枫桐梅兰澄宁岱沅澜翠"
_PLACE_SECOND = "阳川原林泽溪峰湾岭塘州浦源庄坪"
_LAW_SUBJECTS = (
    "城乡规划", "水资源保护", "物业管理", "养老服务", "河道管理", "燃气管理", "农村供水", "生活垃圾分类管理",
    "文明行为促进", "历史文化名城保护", "湿地保护", "电动自行车管理", "古树名木保护", "城市绿化", "餐厨废弃物管理",
)  # fmt: skip
_PLACE = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2})[市县区省州](?=人大|人民代表大会|人民政府|政府|委|第)")
_NOT_IN_NAMES = set(CN_NUMERAL_CHARS + "和与及在对全本该各为是的了、年月日届次全市县区省")
_LAW = re.compile(r"《((?:[\u4e00-\u9fff]{2}[市县区省])?)([\u4e00-\u9fff]{2,14}?)(条例)》")
_FULLWIDTH_DIGITS = str.maketrans("0123456789.", "０１２３４５６７８９．")
_POWERS_OF_TEN = {Decimal(10) ** k for k in range(0, 13)}


@dataclass(frozen=True)
class Template:
    name: str
    text: str  # the decoded raw text the gold offsets index
    gold: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class SynthDocument:
    name: str
    text: str
    gold: tuple[dict[str, str], ...]
    template: str  # the template(s) it was built from, '+'-joined


def read_gold(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(csv.DictReader(handle))


def load_template(text_path: Path, gold_path: Path) -> Template:
    raw = text_path.read_bytes().decode("utf-8-sig")
    gold = read_gold(gold_path)
    for row in gold:  # a template whose gold does not index its text would make wrong gold
        if raw[int(row["start"]) : int(row["end"])] != row["text"]:
            raise ValueError(f"{gold_path}: {row['text']!r} is not at {row['start']}-{row['end']} of {text_path}")
    return Template(text_path.stem, raw, gold)


def default_templates(root: Path | None = None) -> list[Template]:
    """The seed (data/raw/lvliang/2023) and every tests/fixtures/varied*/<name>.txt with its gold list."""
    root = root or paths.ROOT
    fixtures = root / "tests" / "fixtures"
    pairs = [(p, fixtures / "lvliang_2023.gold.csv") for p in sorted((root / "data/raw/lvliang/2023").glob("*.txt"))]
    pairs += [(p, p.with_suffix(".gold.csv")) for p in sorted(fixtures.glob("varied*/*.txt"))]
    templates = [load_template(t, g) for t, g in pairs if t.is_file() and g.is_file()]
    if not templates:
        raise FileNotFoundError(f"no template documents with gold lists under {root}")
    return templates


# ---------------------------------------------------------------- one varied figure


def _to_chinese(n: int) -> str:
    import cn2an

    return cn2an.an2cn(n)


def _new_number(rng: random.Random, old: Decimal, decimals: int, percent: bool) -> Decimal:
    """A different number of the same kind: within 0.5-1.5x, same decimal places (or round tens,
    hundreds… where the old one was round: 3400 -> 2700), at least 1."""
    step = Decimal(1).scaleb(-decimals)
    if decimals == 0:
        digits = str(int(old))
        zeros = len(digits) - len(digits.rstrip("0"))
        step = Decimal(1).scaleb(max(0, min(zeros, len(digits) - 2)))
    for _ in range(20):
        candidate = (old * Decimal(str(rng.uniform(0.5, 1.5)))).quantize(step)
        if candidate < 1 or candidate == old or (percent and candidate > 100):
            continue
        return candidate
    return old + step if not (percent and old + step > 100) else old - step


def _vary_figure(rng: random.Random, raw: str, norm: str, row: dict[str, str]) -> tuple[int, int, str, str] | None:
    """(start, end, new text of the numeral, new gold value) for one gold figure, or None to keep it."""
    s, e = int(row["start"]), int(row["end"])
    match = QUANTITY_RE.search(norm, s, e)
    if not match or (not match.group("unit") and not match.group("percent_of")):
        return None
    ns, ne = match.span("number")
    number = match.group("number")
    digits = re.match(r"(\d+)(?:\.(\d+))?(?=[万亿千百]*$)", number)  # 3400, 1.2 of 1.2万, not 1,234
    if digits:
        ne = ns + digits.end()
        number = digits.group(0)
    written = raw[ns:ne]
    try:
        old = Decimal(number) if digits else parse_number(number)
        value = Decimal(row["value"])
    except (ValueError, ArithmeticError):
        return None
    if old <= 2 or not old.is_finite() or re.fullmatch("[百千万亿]+", number):
        return None  # 一/两 and bare scales carry rules of their own (articles, idioms): keep them
    factor = value / old
    if factor not in _POWERS_OF_TEN:
        return None
    percent = match.group("percent_of") is not None or match.group("unit") in ("%", "‰")
    before = norm[ns - 1] if ns else ""
    if digits:
        decimals = len(digits.group(2) or "")
        new = _new_number(rng, old, decimals, percent)
        text = format(new, "f")
        style = rng.random()
        if written != number:  # full-width in the template: keep the template's style
            text = text.translate(_FULLWIDTH_DIGITS)
        elif decimals == 0 and not percent and style < 0.15 and before not in CN_NUMERAL_CHARS and before != "第":
            text = _to_chinese(int(new))
        elif style > 0.85:
            text = text.translate(_FULLWIDTH_DIGITS)
    elif re.fullmatch(f"[{CN_NUMERAL_CHARS}]+", number) and old == old.to_integral_value():
        new = _new_number(rng, old, 0, percent)
        if new <= 2:
            return None
        text = _to_chinese(int(new))
    else:
        return None
    return ns, ne, text, format(new * factor, "f")


# ---------------------------------------------------------------- one document


# words that open a sentence before 市/县… (回顾市人大常委会…): not place names
_NOT_PLACES = {"回顾", "紧扣", "按照", "围绕", "坚持", "聚焦", "全面", "深化", "加强", "支持", "配合", "协助", "关于",
               "根据", "通过", "督促", "推进", "助力", "服务", "保障"}  # fmt: skip


def _places(norm: str) -> list[str]:
    from pipeline.extract.figures import VERBS

    found = {m.group(1) for m in _PLACE.finditer(norm)}
    return sorted(
        name for name in found if not set(name) & _NOT_IN_NAMES and name not in _NOT_PLACES and name not in VERBS
    )


def vary(template: Template, rng: random.Random) -> tuple[str, tuple[dict[str, str], ...]]:
    """The template with numbers, places and law subjects varied, and its gold list to match."""
    raw = template.text
    norm = normalise(raw)[0]
    gold_spans = [(int(r["start"]), int(r["end"])) for r in template.gold]

    def free(s: int, e: int) -> bool:
        return not any(gs < e and s < ge for gs, ge in gold_spans)

    edits: list[tuple[int, int, str]] = []
    new_values: dict[int, str] = {}
    for i, row in enumerate(template.gold):
        varied = _vary_figure(rng, raw, norm, row)
        if varied is not None:
            ns, ne, text, value = varied
            edits.append((ns, ne, text))
            new_values[i] = value
    for place in _places(norm):
        replacement = rng.choice(_PLACE_FIRST) + rng.choice(_PLACE_SECOND)
        for m in re.finditer(re.escape(place), norm):
            if free(m.start(), m.end()):
                edits.append((m.start(), m.end(), replacement))
    for m in _LAW.finditer(norm):
        if free(m.start(), m.end()):
            edits.append((m.start(2), m.end(2), rng.choice(_LAW_SUBJECTS)))
    edits.sort()
    kept: list[tuple[int, int, str]] = []
    for edit in edits:  # a place inside a law's subject: the first edit wins
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)

    pieces, shifts, last = [], [], 0  # shifts: (old end of an edit, cumulative length change)
    delta = 0
    for s, e, text in kept:
        pieces.append(raw[last:s])
        pieces.append(text)
        last = e
        delta += len(text) - (e - s)
        shifts.append((e, delta))
    pieces.append(raw[last:])
    new_text = "".join(pieces)

    def moved(pos: int) -> int:
        shift = 0
        for end, d in shifts:
            if end > pos:
                break
            shift = d
        return pos + shift

    gold = []
    for i, row in enumerate(template.gold):
        s, e = moved(int(row["start"])), moved(int(row["end"]))
        gold.append(
            {**row, "start": str(s), "end": str(e), "text": new_text[s:e], "value": new_values.get(i, row["value"])}
        )
    return new_text, tuple(gold)


def generate(templates: Sequence[Template], count: int, seed: int = 0, min_chars: int = 0) -> Iterator[SynthDocument]:
    """`count` documents; each joins varied templates (blank line between) until it has `min_chars`."""
    if not templates:
        raise ValueError("no templates")
    rng = random.Random(seed)
    for number in range(count):
        parts: list[str] = []
        gold: list[dict[str, str]] = []
        names: list[str] = []
        length = 0
        while not parts or length < min_chars:
            template = templates[rng.randrange(len(templates))]
            text, rows = vary(template, rng)
            offset = length + (2 if parts else 0)
            if parts:
                parts.append("\n\n")
            parts.append(text)
            gold.extend({**r, "start": str(int(r["start"]) + offset), "end": str(int(r["end"]) + offset)} for r in rows)
            names.append(template.name)
            length = offset + len(text)
        yield SynthDocument(f"synth_{number:05d}", "".join(parts), tuple(gold), "+".join(names))


def gold_csv(rows: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=GOLD_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_corpus(
    out_dir: Path, count: int, seed: int = 0, min_chars: int = 0, templates: Sequence[Template] | None = None
) -> list[Path]:
    """Write <name>.txt (UTF-8) and <name>.gold.csv for each generated document; return the texts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in generate(templates or default_templates(), count, seed=seed, min_chars=min_chars):
        path = out_dir / f"{doc.name}.txt"
        text, gold = doc.text.encode("utf-8"), gold_csv(doc.gold).encode("utf-8")
        write_atomic(path, lambda tmp, data=text: tmp.write_bytes(data))
        write_atomic(out_dir / f"{doc.name}.gold.csv", lambda tmp, data=gold: tmp.write_bytes(data))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.synth", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-chars", type=int, default=0, help="join templates until a document has this many")
    args = parser.parse_args(argv)
    paths_written = write_corpus(args.out_dir, args.count, seed=args.seed, min_chars=args.min_chars)
    size = sum(p.stat().st_size for p in paths_written)
    print(f"{len(paths_written)} documents, {size:,} bytes of text in {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
