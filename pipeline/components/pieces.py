"""Where a unit's sentences stand among its pieces (heading, stem, own text, limbs, table
cells: ``pipeline.units``), for the obligation assembler: the sentences of a node, a node's
own words, the sentence that introduces a table."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from pipeline.components.consequence import Sentence, grouped, whole
from pipeline.units import UnitNode


class UnitPieces:
    def __init__(self, doc: Doc):
        self.doc = doc
        self.unit_ctx = doc._.unit
        sentences = [s for s in doc.spans.get("sentence", []) if not self._in_table(s)]
        self.by_piece: dict[int, list[Span]] = {}
        for s in sentences:
            self.by_piece.setdefault(self._piece_index(s), []).append(s)

    def introduces_table(self, sentence: Sentence) -> bool:
        """The sentence before a table ("… set out in the table below", "… as follows:"
        right above its rows) is a stem: the rows carry what it introduces."""
        ctx = self.unit_ctx
        if ctx.tables and _introduces_table(sentence):
            return True
        k = self._piece_index(sentence[-1])
        last_of_piece = sentence[-1].end_char >= ctx.pieces[k].end - 1 if k >= 0 else False
        following = ctx.pieces[k + 1].kind if 0 <= k < len(ctx.pieces) - 1 else None
        return last_of_piece and following == "cell" and sentence[-1].text.rstrip().endswith(":")

    def sentences_of(self, node: UnitNode) -> list[Sentence]:
        return grouped([s for k in node.pieces for s in self.by_piece.get(k, [])])

    def own_span(self, node: UnitNode) -> Span | None:
        pieces = [self.unit_ctx.pieces[k] for k in node.pieces]
        if not pieces:
            return None
        span = self.doc.char_span(pieces[0].start, pieces[-1].end, alignment_mode="expand")
        return span if span is not None and span.text.strip() else None

    def _first_piece(self, node_index: int) -> int:
        node = self.unit_ctx.nodes[node_index]
        own = list(node.pieces) + [self._first_piece(limb) for limb in node.limbs]
        return min(own) if own else len(self.unit_ctx.pieces)

    def _piece_index(self, sentence: Span) -> int:
        if self.unit_ctx is None:
            return 0
        for k, piece in enumerate(self.unit_ctx.pieces):
            if piece.start <= sentence.start_char < piece.end:
                return k
        return -1

    def _in_table(self, sentence: Span) -> bool:
        ctx = self.unit_ctx
        if ctx is None or not ctx.tables:
            return False
        a = ctx.source_offset(sentence.start_char)
        b = ctx.source_offset(sentence.end_char)
        if a is None or b is None:
            return False
        return any(a < e and s < b for s, e in ctx.tables)


def _introduces_table(sentence: Sentence) -> bool:
    span = whole(sentence)
    return any(
        n.label_ == "table_intro" and span.start <= n.start < span.end
        for n in span.doc.spans.get("negative", [])
    )
