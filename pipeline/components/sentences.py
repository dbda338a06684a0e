"""A sentence segmenter made for contracts (``contract_sentences``).

A sentence starts:
- at every piece of the unit (its heading, a completed stem, its own text, each limb) — so a
  numbered or lettered limb, the end of a ``; and`` / ``; or`` list item and a stem ending in
  ``:`` all end a sentence;
- after ``.``, ``!`` or ``?`` (and a closing quote or bracket) followed by white space and a
  capital, a digit or an opening quote or bracket — unless the word before the full stop is
  an abbreviation (``sentences.jsonl``: ``cl.``, ``Sch.``, ``No.``, ``e.g.``, ``U.S.`` …) or
  a single capital (an initial); a full stop inside a quoted defined term never ends one;
- at lettered limbs inside a sentence (``The Supplier shall (a) notify …; (b) keep …``) that
  follow a modal verb, when there are at least two and the first is ``(a)`` or ``(i)``: the
  words before them become the stem (``span._.inline_stem``), each limb a sentence of its own
  (``span._.limb_label``).

Writes ``token.is_sent_start`` and ``doc.spans["sentence"]`` (``span._.sentence_kind`` is the
kind of piece it comes from).
"""

from __future__ import annotations

import bisect
import re

import numpy
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.rules import load_rules
from pipeline.units import Piece

_ENDS = {".", "!", "?"}
_CLOSERS = {"”", '"', "’", ")", "'"}
_OPENERS = {"“", '"', "‘", "(", "'"}
_INLINE_LABEL = re.compile(r"[a-z]|[ivx]{1,4}")
_INLINE_REACH = 150  # characters from the modal verb to the first inline limb
_ORTH = "contract_sentences.orth"  # doc.user_data key: the doc's words as an array


@Language.factory(
    "contract_sentences", assigns=["token.is_sent_start"], default_config={"abbreviations": None}
)
def make_segmenter(nlp: Language, name: str, abbreviations: list[str] | None) -> ContractSentences:
    return ContractSentences(abbreviations)


class ContractSentences:
    def __init__(self, abbreviations: list[str] | None = None):
        if abbreviations is None:
            abbreviations = [w for r in load_rules("sentences") for w in r.phrases]
        self.abbreviations = frozenset(a.rstrip(".") for a in abbreviations)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        unit = doc._.unit
        pieces = unit.pieces if unit else (Piece(0, doc[-1].idx + len(doc[-1]), 0, 0, "text"),)
        spans: list[Span] = []
        for piece in pieces:
            span = doc.char_span(piece.start, piece.end, alignment_mode="expand")
            if span is None or not len(span):
                continue
            for sent in self.split(span):
                sent._.sentence_kind = piece.kind
                spans.append(sent)
        # 1 starts a sentence, -1 (as spaCy stores it, in uint64) does not
        starts = numpy.full((len(doc), 1), numpy.iinfo("uint64").max, dtype="uint64")
        starts[0] = 1
        for sentence in spans:
            starts[sentence.start] = 1
        doc.from_array([SENT_START], starts)  # type: ignore[arg-type]  # one call: per-token setters cost O(n) each
        doc.spans["sentence"] = spans
        return doc

    def split(self, span: Span) -> list[Span]:
        """The sentences of one piece, inline limbs split off."""
        doc = span.doc
        out: list[Span] = []
        start = span.start
        for i in _positions_after(doc, _ENDS | _CLOSERS, span):
            if i > start and self._ends_before(doc, i):
                out += self._inline(doc[start:i])
                start = i
        out += self._inline(doc[start : span.end])
        return [s for s in out if any(not t.is_space and t.text.strip() for t in s)]

    def _ends_before(self, doc: Doc, i: int) -> bool:
        """Whether token ``i`` starts a sentence after a sentence-final punctuation mark."""
        end = doc[i - 1]
        if not end.whitespace_:
            return False
        if (
            end.text in _CLOSERS
            and i > 1
            and doc[i - 2].text in _ENDS
            and not doc[i - 2].whitespace_
        ):
            end = doc[i - 2]
        if end.text not in _ENDS:
            return False
        first = doc[i].text
        if first in _OPENERS and i + 1 < len(doc):
            first = doc[i + 1].text
        if not (first[:1].isupper() or first[:1].isdigit()):
            return False
        j = end.i
        if end.text == "." and j > 0 and not doc[j - 1].whitespace_:
            word = doc[j - 1].text
            if word in self.abbreviations or (len(word) == 1 and word.isupper()):
                return False
        return True

    def _inline(self, sent: Span) -> list[Span]:
        """``sent``, or its stem and its inline limbs when it has them."""
        markers = _inline_markers(sent)
        if len(markers) < 2 or sent.doc[markers[0] + 1].text not in ("a", "i"):
            return [sent]
        modals = [m for m in sent.doc.spans.get("modal", []) if sent.start <= m.start < sent.end]
        if not modals:
            return [sent]
        doc = sent.doc
        gap = doc[markers[0]].idx - modals[0].end_char
        if not 0 < gap < _INLINE_REACH:
            return [sent]
        stem = doc[sent.start : markers[0]]
        stem._.inline_stem = True
        out = [stem]
        bounds = markers + [sent.end]
        for k, marker in enumerate(markers):
            limb = doc[marker : bounds[k + 1]]
            limb._.limb_label = doc[marker + 1].text
            out.append(limb)
        return out


def _inline_markers(sent: Span) -> list[int]:
    """Token indices of ``(x)`` limb markers inside ``sent``: a bracketed letter or roman
    numeral standing alone between spaces."""
    doc = sent.doc
    out = []
    for i in _positions_after(doc, {"("}, sent, offset=0):
        if i + 2 >= sent.end or doc[i + 2].text != ")":
            continue
        if not _INLINE_LABEL.fullmatch(doc[i + 1].text) or not doc[i + 2].whitespace_:
            continue
        if i > sent.start and not doc[i - 1].whitespace_:
            continue
        out.append(i)
    return out


def _positions_after(doc: Doc, texts: set[str], span: Span, offset: int = 1) -> list[int]:
    """Token indices (plus ``offset``) inside ``span`` of the tokens whose text is one of
    ``texts``; the doc's words are read once, as an array, not token by token."""
    key = f"{_ORTH}:{''.join(sorted(texts))}:{offset}"
    positions = doc.user_data.get(key)
    if positions is None:
        wanted = {doc.vocab.strings.add(t) for t in texts}
        orth = doc.to_array([ORTH]).ravel().tolist()
        positions = doc.user_data[key] = [i + offset for i, h in enumerate(orth) if h in wanted]
    low = bisect.bisect_left(positions, span.start + offset)
    high = bisect.bisect_left(positions, span.end)
    return positions[low:high]
