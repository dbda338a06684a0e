"""spaCy's lookup lemmatizer (tables from ``spacy-lookups-data``, installed with the package,
nothing downloaded), looking words up in lower case: contracts capitalise defined terms, and
"Terminated" or "Days" must lemmatise like "terminated" and "days"."""

from __future__ import annotations

from typing import Any

import numpy
from spacy.attrs import LEMMA, LOWER
from spacy.language import Language
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc, Token


class LowerCaseLookupLemmatizer(Lemmatizer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lemma_of: dict[int, int] = {}  # lower-case word hash -> lemma hash

    def lookup_lemmatize(self, token: Token) -> list[str]:
        table = self.lookups.get_table("lemma_lookup", {})
        return [table.get(token.lower_, token.lower_)]

    def __call__(self, doc: Doc) -> Doc:
        """The same lemmas as ``lookup_lemmatize``, set for the whole doc in one array
        (a Python call per token would cost more than everything else the rules do)."""
        if not len(doc):
            return doc
        strings = doc.vocab.strings
        table = self.lookups.get_table("lemma_lookup", {})
        lowers = doc.to_array([LOWER])
        lemmas = numpy.empty((len(doc), 1), dtype="uint64")
        for k, lower in enumerate(lowers.tolist()):
            lemma = self._lemma_of.get(lower)
            if lemma is None:
                word = strings[lower]
                lemma = self._lemma_of[lower] = strings.add(table.get(word, word))
            lemmas[k, 0] = lemma
        doc.from_array([LEMMA], lemmas)  # type: ignore[arg-type]
        return doc


@Language.factory(
    "contract_lemmatizer",
    assigns=["token.lemma"],
    default_config={"model": None, "mode": "lookup", "overwrite": False},
)
def make_lemmatizer(
    nlp: Language, model: Any, name: str, mode: str, overwrite: bool
) -> LowerCaseLookupLemmatizer:
    return LowerCaseLookupLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite)
