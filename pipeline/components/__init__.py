"""Our spaCy components, registered with ``@Language.factory`` when this package is imported
(``pipeline.nlp`` does; so does ``spacy.load`` through the ``spacy_factories`` entry points)."""

from pipeline.components import (  # noqa: F401
    assemble,
    category,
    crossrefs,
    deadline,
    gated_ruler,
    lemmatizer,
    modality,
    obligor,
    parties,
    sentences,
    trigger,
)
