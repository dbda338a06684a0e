"""Why something was extracted, drawn with displaCy's span visualiser: the categories of each
sentence, and for each obligation its modal verb, obligor, deadline and trigger, every span
labelled with the rule id that decided it. ``obligations rules try … --html`` and the review
app's "Why it was extracted" both show this."""

from __future__ import annotations

import re

from spacy import displacy
from spacy.tokens import Doc, Span

from pipeline.analyse import analyse_clause
from pipeline.types import Parties

WHY = "why"
COLORS = {
    "CATEGORY": "#e8eef7",
    "MODAL": "#fde2b8",
    "OBLIGOR": "#c9f0d2",
    "DEADLINE": "#f7d1e3",
    "TRIGGER": "#e3dcf7",
}
_MAX_IDS = 1


def why_spans(doc: Doc) -> list[Span]:
    """The labelled spans to draw, in ``doc.spans["why"]``."""
    spans: list[Span] = []
    categories = tuple(doc._.categories)
    evidence = doc._.category_evidence or {}
    for sentence in doc.spans.get("sentence", []):
        if sentence._.sentence_kind == "heading" or not categories:
            continue
        ids = sorted({r for c in categories for r in evidence.get(c, ())})
        spans.append(_label(sentence, "CATEGORY " + ", ".join(categories), ids, most=1))
    for obligation in doc.spans.get("obligation", []):
        spans += _fields(obligation)
    doc.spans[WHY] = spans
    return spans


def _fields(obligation: Span) -> list[Span]:
    doc, c = obligation.doc, obligation._.candidate
    out = []
    modal = next(
        (m for m in doc.spans.get("modal", []) if obligation.start <= m.start < obligation.end),
        None,
    )
    if modal is not None:
        out.append(_label(modal, f"MODAL {c.modality}", list(c.rules.get("modality", ()))))
    party = _party_before(obligation, modal)
    if party is not None and c.obligor:
        out.append(_label(party, f"OBLIGOR {c.obligor}", list(c.rules.get("obligor", ()))))
    if c.deadline is not None:
        found = _find(obligation, c.deadline.text)
        if found is not None:
            what = " ".join(x for x in (c.deadline.relation, c.deadline.duration) if x)
            out.append(_label(found, f"DEADLINE {what}", c.deadline.rule.split(",")))
    if c.trigger:
        found = _find(obligation, c.trigger.rstrip("…"))
        if found is not None:
            out.append(_label(found, "TRIGGER", list(c.rules.get("trigger", ()))))
    return out


def _party_before(obligation: Span, modal: Span | None) -> Span | None:
    doc = obligation.doc
    limit = modal.start if modal is not None else obligation.end
    start = obligation.start
    sentence = next((s for s in doc.spans.get("sentence", []) if s.start <= start < s.end), None)
    if sentence is not None:
        start = min(start, sentence.start)
    candidates = [
        p
        for p in list(doc.spans.get("party", [])) + list(doc.spans.get("party_alias", []))
        if start <= p.start and p.end <= limit
    ]
    return max(candidates, key=lambda p: p.start) if candidates else None


def _find(span: Span, text: str) -> Span | None:
    """The tokens of ``text`` inside ``span`` (line breaks and white space folded)."""
    words = text.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), span.text)
    if m is None:
        return None
    return span.doc.char_span(
        span.start_char + m.start(), span.start_char + m.end(), alignment_mode="expand"
    )


def _label(span: Span, what: str, ids: list[str], most: int = _MAX_IDS) -> Span:
    ids = [i for i in ids if i]
    shown = ", ".join(ids[:most]) + (f" +{len(ids) - most}" if len(ids) > most else "")
    label = f"{what} · {shown}" if shown else what
    return Span(span.doc, span.start, span.end, label=label)


def render_why(doc: Doc, page: bool = False) -> str:
    """HTML of the spans ``why_spans`` finds (a fragment, or a whole page)."""
    why_spans(doc)
    colors = {}
    for span in doc.spans[WHY]:
        colors[span.label_] = COLORS.get(span.label_.split(" ")[0], "#eeeeee")
    html = displacy.render(
        doc,
        style="span",
        page=False,
        minify=False,
        options={"spans_key": WHY, "colors": colors, "top_offset_step": 30},
    )
    return _PAGE.format(body=html) if page else html


_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Why it was extracted"
    "</title><style>body{{margin:.5rem;font-family:system-ui,sans-serif;font-size:15px}}"
    "</style></head><body>{body}</body></html>"
)


def explain_clause(
    text: str,
    heading: str | None = None,
    context: tuple[str, ...] = (),
    parties: Parties | None = None,
    page: bool = False,
) -> str:
    """One clause, run through the rules and drawn."""
    return render_why(analyse_clause(text, heading, context, parties), page=page)
