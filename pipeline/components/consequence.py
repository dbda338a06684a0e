"""Conditions listed as limbs, with the consequence after them.

"If the Executive: (a) fails …; (b) is guilty of any fraud …; … (i) ceases to be eligible to
work in the UK, the Company may by written notice terminate this Agreement with immediate
effect." The stem binds no one; the right comes after the last limb. Every limb is a ground
of that right, so each gives one obligation with the consequence's modality, party and time
(sample_docs/gold/GUIDELINES.md §4: termination grounds listed as limbs give one permission
each). The consequence is found at the end of the last limb (after a comma, a party and a
modal verb) or as the sentence right after the limbs when it goes on in lower case ("then
the Council may terminate …").
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Span

from pipeline.components.modality import modals_in
from pipeline.components.obligor import subject_of
from pipeline.components.stems import Stem, stem_of

Sentence = list[Span]  # a sentence, or a stem with the inline limbs split off it
_JOINS = {",", ";", "then"}


@dataclass(frozen=True)
class Consequence:
    stem: Stem
    last_limb_end: int | None  # token where the last limb's own words end (None: all of it)
    after_used: int  # how many sentences after the limbs the consequence took


def whole(sentence: Sentence) -> Span:
    return sentence[0].doc[sentence[0].start : sentence[-1].end]


def grouped(sentences: list[Span]) -> list[Sentence]:
    """Sentences, with a stem and its inline limbs kept together."""
    out: list[Sentence] = []
    for s in sentences:
        if s._.limb_label is not None and out and (out[-1][0]._.inline_stem):
            out[-1].append(s)
        else:
            out.append([s])
    return out


def consequence_after_limbs(
    stem: Sentence | None, limbs: list[Span | None], after: list[Sentence]
) -> Consequence | None:
    """The consequence of a stem that lists conditions (it ends with ":" and binds no one,
    and no limb binds anyone before the last), stated after its limbs; None when the stem is
    not such a list ("On termination: (a) the Customer shall pay …; (b) …" lists duties)."""
    if stem is None or not limbs or limbs[-1] is None:
        return None
    opening = whole(stem)
    if not opening.text.rstrip().endswith(":") or modals_in(opening):
        return None
    if any(limb is None or stem_of(limb).modality is not None for limb in limbs[:-1]):
        return None
    found = _at_end_of(limbs[-1])
    if found is not None:
        return found
    if after:
        first = whole(after[0])
        text = first.text.lstrip()
        if text[:1].islower() or text.lower().startswith("then "):
            closing = stem_of(first)
            if closing.modality is not None and closing.obligor is not None:
                return Consequence(closing, None, 1)
    return None


def _at_end_of(limb: Span) -> Consequence | None:
    """ "…, the Company may …" at the end of the last limb."""
    doc = limb.doc
    for modal in modals_in(limb):
        subject = subject_of(doc[limb.start : modal.start])
        cut = subject.start - 1
        if cut <= limb.start or doc[cut].lower_ not in _JOINS:
            continue
        while cut > limb.start and doc[cut - 1].lower_ in _JOINS:
            cut -= 1  # ", then the Council may"
        if modals_in(doc[limb.start : cut]):
            return None  # the limb states a duty of its own before the comma
        closing = stem_of(doc[subject.start : limb.end])
        if closing.modality is not None and closing.obligor is not None:
            return Consequence(closing, cut, 0)
    return None
