"""The whole pipeline in one call: PDF bytes → ``Extraction``.

``EXTRACTOR_VERSION`` names the code and the rules that produced an extraction; the flow
re-extracts a document when it changes. ``obligation_key`` is the stable identity of an
obligation (DESIGN.md §4): derived from content, so two fresh databases agree on it, and
unchanged by a reviewer's correction (which edits fields, never the source text).
"""

from __future__ import annotations

import hashlib
import re

from pipeline.classify import clauses_to_categories
from pipeline.obligations import clauses_to_obligations
from pipeline.parties import find_parties
from pipeline.pdf import pdf_to_layout
from pipeline.rules import rules_fingerprint
from pipeline.structure import layout_to_clauses
from pipeline.types import Extraction, Layout

CODE_VERSION = "0.1.0"


def current_extractor_version() -> str:
    """The code version plus a hash of the rule files as they are on disk now."""
    return f"{CODE_VERSION}+rules.{rules_fingerprint()}"


EXTRACTOR_VERSION = current_extractor_version()

_NOT_WORD = re.compile(r"[^a-z0-9]+")


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
            contract_type=contract_type or parties.contract_type,
            counterparty=counterparty or parties.counterparty,
            evidence=parties.evidence + ("override",),
        )
    classifications = clauses_to_categories(layout, clauses, parties)
    obligations = clauses_to_obligations(layout, clauses, parties, classifications)
    return Extraction(
        layout=layout,
        clauses=clauses,
        parties=parties,
        classifications=classifications,
        obligations=obligations,
        extractor_version=EXTRACTOR_VERSION,
    )


def normalise_text(text: str) -> str:
    return _NOT_WORD.sub(" ", text.lower()).strip()


def obligation_key(document_sha256: str, ref: str, text: str, occurrence: int = 0) -> str:
    """The stable ``obligation_id``: 32 hex characters of SHA-256 over the document's hash,
    the clause ref, the normalised source text and the occurrence of that text in the
    clause (for the rare sentence that yields two obligations)."""
    payload = "\x1f".join((document_sha256, ref, normalise_text(text), str(occurrence)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
