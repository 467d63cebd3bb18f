"""Before a run starts: every reference table read and checked, and the indicator ids the code
relies on present in the taxonomy."""

from __future__ import annotations

from pipeline import paths
from pipeline.compare.laws import VERB_TO_INDICATOR
from pipeline.errors import DataCheckError
from pipeline.reference.indicators import load_taxonomy
from pipeline.reference.published import read_published
from pipeline.reference.readers import read_bodies


def code_indicator_ids() -> dict[str, str]:
    """Indicator ids the code relies on, with where: each must be an entry of the taxonomy."""
    return {ident: "pipeline.compare.laws.VERB_TO_INDICATOR" for ident in VERB_TO_INDICATOR.values()}


def check_reference() -> None:
    """Read and check every reference table; raise DataCheckError at the first defect."""
    taxonomy = {indicator.id for indicator in load_taxonomy()}
    for ident, where in sorted(code_indicator_ids().items()):
        if ident not in taxonomy:
            raise DataCheckError(
                f"{paths.REFERENCE / 'indicators.yaml'}: no entry with id {ident!r}, which {where} maps to; "
                "restore the entry or change the mapping"
            )
    read_bodies()
    read_published()
