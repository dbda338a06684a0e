"""Clause tree → categories and obligations: every classification unit through the one spaCy
pipeline (``nlp.pipe``, each unit's text tokenised once), then each candidate the components
proposed written as an ``ExtractedObligation`` with its pages, boxes, cross-references and
defined terms."""

from __future__ import annotations

from spacy.tokens import Doc

from pipeline.candidates import Candidate
from pipeline.nlp import EXTRACT_PIPES, get_nlp
from pipeline.parties import terms_used
from pipeline.tables import table_candidates
from pipeline.types import (
    Classification,
    ClauseNode,
    CrossRef,
    ExtractedObligation,
    Layout,
    Parties,
)
from pipeline.units import Piece, UnitContext, flat, unit_texts

# Units classified together: spaCy's default (1,000 docs) would hold a long contract's docs
# at once; a small batch costs nothing to rule-based components.
UNIT_BATCH = 32


def clauses_to_obligations(
    layout: Layout, clauses: tuple[ClauseNode, ...], parties: Parties
) -> tuple[tuple[Classification, ...], tuple[ExtractedObligation, ...]]:
    """The categories of every unit, and the obligations of the units that have one.

    Streamed: each unit's ``Doc`` is classified, and extracted from if it is in one of our
    categories, then let go, so a 600-page contract never holds all its units' docs at once."""
    nlp = get_nlp()
    classify_only = [name for name in nlp.pipe_names if name in EXTRACT_PIPES]
    extract = [(name, pipe) for name, pipe in nlp.pipeline if name in EXTRACT_PIPES]
    refs = {_norm(c.ref) for c in clauses}
    classifications: list[Classification] = []
    obligations: list[ExtractedObligation] = []
    units = _unit_docs(nlp, layout, clauses, parties)
    for doc in nlp.pipe(units, disable=classify_only, batch_size=UNIT_BATCH):
        context = doc._.unit
        classification = Classification(
            clause=context.index,
            categories=tuple(doc._.categories),
            evidence=dict(doc._.category_evidence or {}),
            scores=dict(doc._.category_scores or {}),
        )
        classifications.append(classification)
        if not doc._.categories:
            continue
        for _name, pipe in extract:
            doc = pipe(doc)
        unit = clauses[context.index]
        candidates = [s._.candidate for s in doc.spans.get("obligation", [])]
        candidates += table_candidates(layout, clauses, unit, context)
        for candidate in candidates:
            obligations.append(
                write_obligation(candidate, layout, unit, classification, parties, refs)
            )
    return tuple(classifications), tuple(obligations)


def _unit_docs(nlp, layout: Layout, clauses: tuple[ClauseNode, ...], parties: Parties):
    for text, context in unit_texts(layout, clauses, parties):
        doc = nlp.make_doc(text)
        doc._.unit = context
        yield doc


def write_obligation(
    candidate: Candidate,
    layout: Layout,
    unit: ClauseNode,
    classification: Classification,
    parties: Parties,
    refs: set[str],
) -> ExtractedObligation:
    """The one place a candidate becomes an obligation."""
    box_a, box_b = candidate.boxes_range or (candidate.start, candidate.end)
    rules = dict(candidate.rules)
    rules["categories"] = tuple(
        sorted({r for ids in classification.evidence.values() for r in ids})
    )
    return ExtractedObligation(
        ref=candidate.ref,
        unit=unit.index,
        clause=candidate.node,
        categories=candidate.categories or classification.categories,
        modality=candidate.modality,  # type: ignore[arg-type]
        obligor=candidate.obligor,
        beneficiary=candidate.beneficiary,
        action=candidate.action,
        trigger=candidate.trigger,
        deadline=candidate.deadline,
        text=candidate.text,
        start=candidate.start,
        end=candidate.end,
        page=layout.page_at(candidate.start),
        boxes=layout.boxes(box_a, box_b),
        confidence=candidate.confidence,
        rules=rules,
        flags=candidate.flags,
        cross_refs=_resolve(candidate.xrefs, refs),
        terms=terms_used(candidate.text, parties.definitions),
    )


def _resolve(
    xrefs: tuple[tuple[str, tuple[str, ...]], ...], refs: set[str]
) -> tuple[CrossRef, ...]:
    out = []
    for text, targets in xrefs:
        if targets[:1] == ("",):  # nothing to resolve against: kept as written, unresolved
            out.append(CrossRef(text=text, target=targets[1], resolved=False))
            continue
        target = next((t for t in targets if _norm(t) in refs), None)
        out.append(CrossRef(text=text, target=target or targets[0], resolved=target is not None))
    return tuple(dict.fromkeys(out))


def _norm(ref: str) -> str:
    return " ".join(ref.lower().split())


def analyse_text(text: str, parties: Parties | None = None, container: str | None = None) -> Doc:
    """A short text (a table cell, a reviewer's wording) through the pipeline, with the
    contract's parties (and the schedule it stands in) known."""
    nlp = get_nlp()
    doc = nlp.make_doc(flat(text))
    doc._.unit = UnitContext(
        index=0,
        ref="",
        heading=None,
        context=(),
        parent_heading=None,
        pieces=(Piece(0, len(doc.text), 0, 0, "text"),),
        nodes={},
        parties=parties,
        container=container,
    )
    for name, component in nlp.pipeline:
        if name not in _NOT_FOR_TEXT:
            doc = component(doc)
    return doc


# A lone text has no unit to classify and no limbs to walk: its words are all we need.
_NOT_FOR_TEXT = {
    "contract_category",
    "contract_modality",
    "contract_obligor",
    "contract_deadline",
    "contract_trigger",
    "contract_obligations",
}


def analyse_clause(
    text: str,
    heading: str | None = None,
    context: tuple[str, ...] = (),
    parties: Parties | None = None,
    ref: str = "1.1",
) -> Doc:
    """One clause through the whole pipeline, as if it stood in a contract under
    ``context`` (the headings above it, nearest first): what ``obligations rules try``
    shows, and what a notebook user gets from ``doc.spans["obligation"]``."""
    from pipeline.units import UnitNode

    nlp = get_nlp()
    pieces: list[Piece] = []
    parts: list[str] = []
    if heading:
        pieces.append(Piece(0, len(heading), None, 0, "heading"))
        parts.append(heading)
    start = sum(len(p) + 1 for p in parts)
    pieces.append(Piece(start, start + len(text), 0, 0, "text"))
    parts.append(text)
    doc = nlp.make_doc(flat(" ".join(parts)))
    doc._.unit = UnitContext(
        index=0,
        ref=ref,
        heading=heading,
        context=tuple(context),
        parent_heading=context[0] if context else None,
        pieces=tuple(pieces),
        nodes={0: UnitNode(index=0, ref=ref, parent=None, pieces=(len(pieces) - 1,), limbs=())},
        parties=parties,
    )
    return nlp(doc)


def quotable_parts(text: str) -> list[str]:
    """The sentences of a clause's text, and the lettered limbs inside a sentence ("shall
    (a) notify …; (b) keep …"), as the segmenter reads them: what a reviewer may quote as an
    obligation's source."""
    doc = analyse_text(text)
    out: list[str] = []
    group: list[str] = []
    for sentence in doc.spans.get("sentence", []):
        if sentence._.inline_stem:
            group = [sentence.text]
            out.append(sentence.text)
        elif sentence._.limb_label is not None and group:
            group.append(sentence.text)
            out[-1] = " ".join(group)  # the whole sentence, stem and limbs
            out.append(sentence.text.strip())
        else:
            group = []
            out.append(sentence.text.strip())
    return [" ".join(part.split()) for part in out if part.strip()]
