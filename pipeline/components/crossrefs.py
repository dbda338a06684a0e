"""References to other provisions (``contract_crossrefs``): ``doc.spans["xref"]``, each with
``span._.xref`` = the refs it may cite, best first (``Clause 23.4(b)`` → ``23.4(b)``,
``Clause 23.4(b)``). Whether a target exists in the document is decided where the whole
clause tree is known (``pipeline.obligations``).

Also ``reference_titles``: the title after a reference (``Schedule 8 (Exit Management)``)
says what the referred provision is about, not the one that refers to it.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.rules import load_rules

_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_ROMAN = re.compile(r"[IVXLC]+")
_LETTER = re.compile(r"[A-Z]")
_LIMB = re.compile(r"[a-z0-9]+")
_TITLE_CHARS = 80


@Language.factory("contract_crossrefs", assigns=["doc.spans"])
def make_crossrefs(nlp: Language, name: str) -> CrossRefs:
    return CrossRefs()


class CrossRefs:
    def __init__(self) -> None:
        self.cite_as = {r.id: r.cite_as for r in load_rules("crossrefs")}

    def __call__(self, doc: Doc) -> Doc:
        unit = doc._.unit
        container = unit.container if unit is not None else None
        spans: list[Span] = []
        for word in doc.spans.get("xref_words", []):
            if spans and word.start < spans[-1].end:
                continue  # "Schedule" in "Part B of Schedule 5" belongs to that reference
            found = _reference(doc, word)
            if found is None:
                continue
            end, number, of = found
            span = Span(doc, word.start, end, label=word.label_, span_id=word.id_)
            span._.xref = self._targets(word, number, of, container) or ("", number)
            spans.append(span)
        doc.spans["xref"] = spans
        return doc

    def _targets(
        self, word: Span, number: str, of: tuple[str, str] | None, container: str | None
    ) -> tuple[str, ...]:
        if of is not None:
            return (f"{of[0].capitalize()} {of[1]}, paragraph {number}",)
        kind, cite = word.label_, self.cite_as.get(word.id_)
        if kind == "paragraph":
            # Without a schedule around it, a paragraph cannot be told from a clause: the
            # reference is kept, unresolved.
            return (f"{container}, paragraph {number}",) if container else ()
        if kind == "clause":
            return (number, f"{cite} {number}")
        if kind == "section":
            return (f"{cite} {number}", number)
        return (f"{cite or word.text.capitalize()} {number}",)


def _reference(doc: Doc, word: Span) -> tuple[int, str, tuple[str, str] | None] | None:
    """(end token, number as printed, (container word, number) of "… of Schedule 2")."""
    i = word.end
    if i >= len(doc) or not word[-1].whitespace_:
        return None
    token = doc[i].text
    if _NUMBER.fullmatch(token):
        end = _limbs(doc, i + 1)
    elif _ROMAN.fullmatch(token) or _LETTER.fullmatch(token):
        end = i + 1
    else:
        return None
    number = doc[i:end].text
    of = None
    if (
        end + 2 < len(doc)
        and doc[end].lower_ == "of"
        and doc[end + 1].lower_ in ("schedule", "annex", "appendix", "exhibit")
        and (_NUMBER.fullmatch(doc[end + 2].text) or _LETTER.fullmatch(doc[end + 2].text))
    ):
        of = (doc[end + 1].text, doc[end + 2].text)
        end += 3
    return end, number, of


def _limbs(doc: Doc, i: int) -> int:
    """The end of ``(b)(ii)`` groups written right after a number."""
    while (
        i + 2 < len(doc)
        and doc[i].text == "("
        and not doc[i - 1].whitespace_
        and _LIMB.fullmatch(doc[i + 1].text)
        and doc[i + 2].text == ")"
    ):
        i += 3
    return i


def xrefs_in(span: Span) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(words, the refs they may cite) of every reference inside ``span``."""
    return tuple(
        (x.text, x._.xref)
        for x in span.doc.spans.get("xref", [])
        if span.start <= x.start and x.end <= span.end and x._.xref is not None
    )


def reference_titles(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of titles in brackets right after a reference: ``(Exit Management)`` in
    ``Schedule 8 (Exit Management)``."""
    out = []
    for word in doc.spans.get("xref_words", []):
        found = _reference(doc, word)
        if found is None or found[0] >= len(doc) or doc[found[0]].text != "(":
            continue
        start = found[0]
        for j in range(start + 1, min(len(doc), start + 40)):
            if doc[j].text == "(":
                break
            if doc[j].text == ")":
                if doc[j].idx - doc[start].idx <= _TITLE_CHARS + 1:
                    out.append((start, j + 1))
                break
    return out
