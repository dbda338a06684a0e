"""The custom attributes our components write on ``Doc`` and ``Span`` (``doc._.…``,
``span._.…``). Registered once, on import; every component module imports this."""

from __future__ import annotations

from spacy.tokens import Doc, Span

_DOC: dict[str, object] = {
    "unit": None,  # pipeline.units.UnitContext: where the text stands in its contract
    "categories": (),  # the unit's categories
    "category_evidence": None,  # category -> rule ids
    "category_scores": None,  # category -> score
}
_SPAN: dict[str, object] = {
    "sentence_kind": None,  # "heading" | "stem" | "text" (the piece it comes from)
    "limb_label": None,  # "a" for "(a) …" inside a sentence
    "inline_stem": False,  # the sentence introduces inline limbs
    "categories": (),  # a sentence's categories
    "duty": None,  # pipeline.candidates.Duty
    "candidate": None,  # pipeline.candidates.Candidate
    "xref": None,  # pipeline.types.CrossRef
}

for _name, _default in _DOC.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)
for _name, _default in _SPAN.items():
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
