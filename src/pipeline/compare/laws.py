"""Laws a work report names as enacted, revised or repealed (制定《…条例》): the titles the checks
count against the figures. Plain patterns, no pandas: the run's preflight reads VERB_TO_INDICATOR
before anything heavy is imported."""

from __future__ import annotations

import re

from pipeline.text.document import Document

# 制定《乡村绿化条例》, 修订《中小学幼儿园规划建设条例》: a verb just before a named law
_NAMED_LAW = re.compile(
    r"(制定|出台|审议通过|修订|修改|修正|废止)(?:了|全省首部|首部)?((?:《[^》]{2,40}》[、和及与]?)+)"
)
_LAW_TITLE = re.compile(r"《([^》]{2,40}(?:条例|法|规定|办法|决定))》")
VERB_TO_INDICATOR = {
    "制定": "laws_enacted",
    "出台": "laws_enacted",
    "审议通过": "laws_enacted",
    "修订": "laws_revised",
    "修改": "laws_revised",
    "修正": "laws_revised",
    "废止": "laws_repealed",
}


def named_laws(document: Document) -> dict[str, list[str]]:
    """Titles of laws the text says were enacted, revised or repealed, by indicator id."""
    found: dict[str, list[str]] = {}
    for match in _NAMED_LAW.finditer(document.norm):
        ident = VERB_TO_INDICATOR[match.group(1)]
        for title in _LAW_TITLE.findall(match.group(2)):
            if title not in found.setdefault(ident, []):
                found[ident].append(title)
    return found
