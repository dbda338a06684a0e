"""The one spaCy ``Language`` of the pipeline: ``spacy.blank("en")``, cached per process.

No statistical model is loaded (nothing is downloaded at run time); everything the rules
need is the tokenizer and the matchers built on its vocabulary.
"""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language


@cache
def get_nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.max_length = 5_000_000
    return nlp
