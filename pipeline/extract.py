"""The whole pipeline in one call: PDF bytes → ``Extraction`` (``pipeline/README.md``)."""

from __future__ import annotations

from pipeline.analyse import clauses_to_obligations
from pipeline.parties import find_parties
from pipeline.pdf import pdf_to_layout
from pipeline.rules import decisions
from pipeline.structure import layout_to_clauses
from pipeline.types import Extraction, Layout
from pipeline.version import current_extractor_version

EXTRACTOR_VERSION = current_extractor_version()


def extract(
    data: bytes, *, contract_type: str | None = None, counterparty: str | None = None
) -> Extraction:
    """Read one contract PDF. Raises a ``pipeline.errors.PipelineError`` for bad input.

    ``contract_type`` (``jv`` | ``supplier``) and ``counterparty`` override what the document
    itself suggests.
    """
    return layout_to_extraction(
        pdf_to_layout(data), contract_type=contract_type, counterparty=counterparty
    )


def layout_to_extraction(
    layout: Layout, *, contract_type: str | None = None, counterparty: str | None = None
) -> Extraction:
    """The rules over an already parsed layout (no PDF needed: what re-extraction from a
    cached layout runs)."""
    clauses = layout_to_clauses(layout)
    parties = find_parties(layout, clauses)
    if contract_type or counterparty:
        from dataclasses import replace

        parties = replace(
            parties,
            contract_type="jv" if (contract_type or parties.contract_type) == "jv" else "supplier",
            counterparty=counterparty or parties.counterparty,
            evidence=parties.evidence + (decisions()["CONTRACT_TYPE_OVERRIDE"].id,),
        )
    classifications, obligations = clauses_to_obligations(layout, clauses, parties)
    return Extraction(
        layout=layout,
        clauses=clauses,
        parties=parties,
        classifications=classifications,
        obligations=obligations,
        extractor_version=EXTRACTOR_VERSION,
    )
