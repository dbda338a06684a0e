"""Obligations out of a unit's sentences (``contract_obligations``): ``doc.spans["obligation"]``,
each span's ``span._.candidate`` a ``Candidate`` with every field and the rule ids behind it
(sample_docs/gold/GUIDELINES.md §4).

- each modal clause that binds a party (``doc.spans["duty"]``) is one obligation;
- a stem followed by limbs (``The Supplier shall: (a) …; (b) …``) gives one obligation per
  limb, each inheriting the stem's obligor, modality, trigger and (unless it states its
  own) deadline; lettered limbs inside a sentence work the same way; a numbered sub-clause
  completing its parent's stem (``31.1 … if:`` / ``31.1.1 an Insolvency Event …``) is
  treated like a limb;
- conditions listed as limbs with the consequence after them (``If the Supplier: (a) …;
  (b) …, the Council may terminate …``): one obligation per limb with the consequence's
  party, modal verb and time (``consequence.py``);
- rights stated without a party as the subject (``implied.py``) where nothing else was found.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.candidates import Candidate
from pipeline.components.consequence import Consequence, Sentence, consequence_after_limbs
from pipeline.components.consequence import grouped as _grouped
from pipeline.components.consequence import whole as _whole
from pipeline.components.crossrefs import xrefs_in
from pipeline.components.deadline import find_deadline
from pipeline.components.implied import implied_right
from pipeline.components.modality import modals_in
from pipeline.components.pieces import UnitPieces
from pipeline.components.stems import (
    NO_STEM,
    Stem,
    beneficiary_in,
    categories_in,
    clean_action,
    confidence_of,
    stem_of,
    topic_factor,
)
from pipeline.components.trigger import find_trigger
from pipeline.rules import decisions
from pipeline.units import Piece, UnitNode

_MIN_CHARS = 8
_LEAD_WORDS = 6  # a limb whose own modal verb comes within this many words has its own subject
_INLINE_OWN_MODAL = 12  # characters: "(b) not process …", "(c) may keep …"


@Language.factory("contract_obligations", assigns=["doc.spans"])
def make_assembler(nlp: Language, name: str) -> ObligationAssembler:
    return ObligationAssembler()


class ObligationAssembler:
    def __call__(self, doc: Doc) -> Doc:
        walk = _Walk(doc)
        if doc._.unit is None or doc._.categories:
            walk.unit()
        doc.spans["obligation"] = walk.out
        return doc


class _Walk(UnitPieces):
    """One pass over a unit's node tree, in document order."""

    def __init__(self, doc: Doc):
        super().__init__(doc)
        self.out: list[Span] = []
        self.inherited: tuple[str, ...] = ()  # the categories of the stem above, if any

    # -- the tree ------------------------------------------------------------------------

    def unit(self) -> None:
        ctx = self.unit_ctx
        if ctx is None:
            self.node_sentences(_grouped(self.by_piece.get(0, [])), "", 0)
            return
        root = ctx.nodes[ctx.index]
        stem = self.completed_stem()
        if stem is not None and not root.limbs:
            self.limb(root, stem)
        else:
            self.node(root, stem or NO_STEM, inherited=stem is not None)

    def completed_stem(self) -> Stem | None:
        stem_pieces = [k for k, p in enumerate(self.unit_ctx.pieces) if p.kind == "stem"]
        sentences = [s for k in stem_pieces for s in self.by_piece.get(k, [])]
        if not sentences:
            return None
        stem = stem_of(_whole(_grouped(sentences)[-1]))
        return stem if stem.modality is not None else None

    def node(self, node: UnitNode, stem: Stem, inherited: bool) -> None:
        if not node.limbs:
            sentences = self.sentences_of(node)
            for k, sentence in enumerate(sentences):
                if node.completed_by_children and k == len(sentences) - 1:
                    continue  # "31.1 … if:": its sub-clauses carry the obligations
                if self.introduces_table(sentence):
                    continue
                self.sentence(sentence, node)
            return
        closing: Consequence | None = None
        first_limb = self._first_piece(node.limbs[0])
        before = [s for s in self.sentences_of(node) if self._piece_index(s[0]) < first_limb]
        after = [s for s in self.sentences_of(node) if self._piece_index(s[0]) > first_limb]
        for sentence in before[:-1]:
            self.sentence(sentence, node)
        own = stem_of(_whole(before[-1])) if before else None
        child_stem: Stem | None
        if own is not None and own.modality is not None:
            child_stem = own
        elif inherited and stem.modality is not None:
            child_stem = stem
        else:
            child_stem = None
            limbs = [self.unit_ctx.nodes[i] for i in node.limbs]
            spans = [None if limb.limbs else self.own_span(limb) for limb in limbs]
            closing = consequence_after_limbs(before[-1] if before else None, spans, after)
            if closing is not None:  # "If X: (a) …; (b) …, the Council may terminate"
                self.grounds(node, closing)
                after = after[closing.after_used :]
            elif before:  # a stem without a modal: its sentence may still carry one
                self.sentence(before[-1], node)
        if closing is None:
            for limb in node.limbs:
                self.limb(self.unit_ctx.nodes[limb], child_stem)
        for sentence in after:
            self.sentence(sentence, node)

    @contextmanager
    def _under(self, stem: Stem | None) -> Iterator[None]:
        """Limbs are about what their stem is about, and about what their own words are."""
        saved = self.inherited
        if stem is not None:
            self.inherited = tuple(dict.fromkeys(saved + stem.categories))
        try:
            yield
        finally:
            self.inherited = saved

    def limb(self, limb: UnitNode, stem: Stem | None) -> None:
        with self._under(stem):
            self._limb(limb, stem)

    def _limb(self, limb: UnitNode, stem: Stem | None) -> None:
        if limb.limbs:
            self.node(limb, stem or NO_STEM, inherited=stem is not None)
            return
        own = self.own_span(limb)
        if own is None:
            return
        own_stem = stem_of(own)
        modals = modals_in(own)
        leads = bool(modals) and _words(self.doc[own.start : modals[0].start]) <= _LEAD_WORDS
        if (own_stem.modality and own_stem.obligor and leads) or stem is None or not stem.modality:
            # A limb with its own party and modal verb, or under a stem that binds no one:
            # its sentences are read like any others.
            for sentence in self.sentences_of(limb):
                self.sentence(sentence, limb)
            return
        self.inherit(limb, own, stem)

    def grounds(self, node: UnitNode, closing: Consequence) -> None:
        """Each limb a ground of the consequence stated after the limbs."""
        with self._under(closing.stem):
            for index in node.limbs:
                limb = self.unit_ctx.nodes[index]
                own = self.own_span(limb)
                if own is not None and index == node.limbs[-1] and closing.last_limb_end:
                    own = self.doc[own.start : closing.last_limb_end]
                if own is not None and own.text.strip():
                    self.inherit(limb, own, closing.stem, "CONSEQUENCE_AFTER_LIMBS")

    def inherit(self, limb: UnitNode, own: Span, stem: Stem, how: str = "LIMB_INHERIT") -> None:
        # Under a right ("may terminate … if:"), a period in a limb is a condition of the
        # right (a cure period), not its deadline.
        deadline = (
            stem.deadline
            if stem.modality == "permission"
            else (find_deadline(own) or stem.deadline)
        )
        trigger, _ = find_trigger(own)
        inherit = decisions()[how].id
        self.emit(
            own,
            limb.ref,
            limb.index,
            "limb",
            modality=stem.modality or "obligation",
            obligor=stem.obligor,
            action_span=own,
            trigger=trigger or stem.trigger,
            deadline=deadline,
            rules={
                "modality": (stem.modality_rule or "", inherit),
                "obligor": (stem.obligor_rule or decisions()["UNRESOLVED"].id, inherit),
                "deadline": (deadline.rule,) if deadline else (),
                "trigger": (stem.trigger_rule,) if stem.trigger_rule else (),
            },
            flags=stem.flags + ("inherited_from_stem",),
            confidence=confidence_of(stem.obligor, inherit if stem.obligor else None),
        )

    # -- sentences -----------------------------------------------------------------------

    def sentence(self, sentence: Sentence, node: UnitNode | None) -> None:
        ref = node.ref if node else ""
        index = node.index if node else 0
        self.node_sentences([sentence], ref, index)

    def node_sentences(self, sentences: list[Sentence], ref: str, index: int) -> None:
        for sentence in sentences:
            emitted = len(self.out)
            if len(sentence) > 1 and sentence[0]._.inline_stem:
                self.inline_limbs(sentence, ref, index)
            else:
                self.duties(sentence[0], ref, index)
            if len(self.out) == emitted and "termination" in self.doc._.categories:
                found = implied_right(_whole(sentence))
                if found is not None:
                    span, fields = found
                    self.emit(span, ref, index, "implied", **fields)

    def duties(self, sentence: Span, ref: str, index: int) -> None:
        doc = self.doc
        duties = [
            d
            for d in doc.spans.get("duty", [])
            if d._.duty.sentence == (sentence.start, sentence.end)
        ]
        for span in duties:
            duty = span._.duty
            if not duty.bound:
                continue
            action = doc[duty.modal[0] if duty.passive else duty.modal[1] : span.end]
            shown = span if len(duties) > 1 else sentence
            self.emit(
                shown,
                ref,
                index,
                "sentence",
                modality=duty.modality,
                obligor=duty.obligor,
                action_span=action,
                trigger=duty.trigger,
                deadline=duty.deadline,
                rules={
                    "modality": (duty.modality_rule,),
                    "obligor": (duty.obligor_rule,) if duty.obligor_rule else (),
                    "deadline": (duty.deadline.rule,) if duty.deadline else (),
                    "trigger": (duty.trigger_rule,) if duty.trigger_rule else (),
                },
                flags=tuple(duty.flags) + (("passive",) if duty.passive else ()),
                confidence=confidence_of(duty.obligor, duty.obligor_rule),
            )

    def inline_limbs(self, sentence: Sentence, ref: str, index: int) -> None:
        stem = stem_of(sentence[0])
        if stem.modality is None:
            return
        inline = decisions()["INLINE_LIMB"].id
        for limb in sentence[1:]:
            body = self.doc[limb.start + 3 : limb.end]
            modality, modality_rule = stem.modality, stem.modality_rule
            own = modals_in(body)
            if own and own[0].start_char - body.start_char < _INLINE_OWN_MODAL:
                modality, modality_rule = own[0].label_, own[0].id_
            elif body.text.lstrip().lower().startswith("not "):
                modality, modality_rule = "prohibition", decisions()["INLINE_NOT"].id
            deadline = find_deadline(body) or stem.deadline
            self.emit(
                limb,
                f"{ref}({limb._.limb_label})",
                index,
                "inline_limb",
                modality=modality,
                obligor=stem.obligor,
                action_span=body,
                trigger=stem.trigger,
                deadline=deadline,
                rules={
                    "modality": (modality_rule or "", inline),
                    "obligor": (stem.obligor_rule or decisions()["UNRESOLVED"].id, inline),
                    "deadline": (deadline.rule,) if deadline else (),
                    "trigger": (stem.trigger_rule,) if stem.trigger_rule else (),
                },
                flags=stem.flags + ("inline_limb",),
                confidence=confidence_of(stem.obligor, inline if stem.obligor else None),
            )

    def emit(
        self,
        span: Span,
        ref: str,
        index: int,
        source,
        *,
        modality,
        obligor,
        action_span: Span | None = None,
        action: str | None = None,
        trigger,
        deadline,
        rules,
        flags,
        confidence,
    ) -> None:
        text = " ".join(span.text.split())
        if len(text) < _MIN_CHARS:
            return
        found = set(categories_in(span)) | set(self.inherited)
        categories = tuple(c for c in ("exit", "data_return", "termination") if c in found)
        if self.unit_ctx is not None and not categories:
            return  # a duty about none of our categories is not shown
        factor, topic = topic_factor(self.doc._.category_scores or {}, categories)
        if topic is not None:
            confidence *= factor
            rules = {**rules, "confidence": [topic]}
        start, end = span.start_char, span.end_char
        if self.unit_ctx is not None:
            start, end = self.unit_ctx.source_offset(start), self.unit_ctx.source_offset(end)
            if start is None or end is None:
                return  # a heading is read, not quoted
        action_text = action if action is not None else clean_action((action_span or span).text)
        out = self.doc[span.start : span.end]
        out._.candidate = Candidate(
            ref=ref,
            node=index,
            start=start,
            end=end,
            text=text,
            modality=modality,
            obligor=obligor,
            beneficiary=beneficiary_in(action_span or span, obligor),
            action=action_text,
            trigger=trigger,
            deadline=deadline,
            rules={k: tuple(v) for k, v in rules.items() if v},
            flags=tuple(dict.fromkeys(flags)),
            confidence=round(confidence, 2),
            source=source,
            xrefs=xrefs_in(out),
            categories=categories,
        )
        self.out.append(out)


def _words(span: Span) -> int:
    return sum(1 for t in span if not (t.is_punct or t.is_space))


__all__ = ["ObligationAssembler", "Piece"]
