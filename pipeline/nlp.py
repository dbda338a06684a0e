"""The one spaCy ``Language`` of the pipeline, assembled here and nowhere else.

``spacy.blank("en")`` with brackets split off clause numbers (``23.4(b)`` → ``23.4 ( b )``),
spaCy's lookup lemmatizer, one span ruler per rule file (``contract_span_ruler``: spaCy's
``span_ruler``, gated), then our components, one job each (``pipeline/README.md`` has the
diagram)::

    doc = get_nlp()("The Supplier shall return all Customer Data within 30 days.")
    doc._.categories, doc.spans["obligation"][0]._.candidate

No statistical model: nothing is downloaded at run time. ``get_nlp().to_disk(path)`` writes
the whole pipeline with its patterns; ``spacy.load(path)`` reads it back (our factories are
registered through entry points).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import compile_infix_regex

import pipeline.components  # noqa: F401  (registers the factories)
from pipeline.components import rulers

Ruler = tuple[str, str, Callable[[], list], bool]
# (name, spans key, pattern builder, keep only the longest match at each place)
CLASSIFY_RULERS: tuple[Ruler, ...] = (
    ("cue_ruler", "cues", rulers.cue_patterns, False),
    ("xref_ruler", "xref_words", rulers.xref_patterns, False),
    ("modal_ruler", "modal", rulers.modal_patterns, True),
)
EXTRACT_RULERS: tuple[Ruler, ...] = (
    ("deadline_ruler", "deadline_words", rulers.deadline_patterns, False),
    ("trigger_ruler", "trigger_words", rulers.trigger_patterns, False),
    ("party_ruler", "party_alias", rulers.party_patterns, False),
    ("negative_ruler", "negative", rulers.negative_patterns, False),
    ("implied_ruler", "implied", rulers.implied_patterns, False),
)
EXTRACT_COMPONENTS = (
    "contract_parties",
    "contract_modality",
    "contract_obligor",
    "contract_deadline",
    "contract_trigger",
    "contract_crossrefs",
    "contract_obligations",
)
# What every unit needs to be classified; the rest runs only on units in a category
# (``analyse.clauses_to_obligations``): most of a contract is about other things.
EXTRACT_PIPES = tuple(name for name, *_ in EXTRACT_RULERS) + EXTRACT_COMPONENTS


def build_nlp() -> Language:
    """A new pipeline from the rule files as they are on disk now."""
    nlp = spacy.blank("en")
    nlp.max_length = 5_000_000
    infixes = list(nlp.Defaults.infixes or ()) + [r"[()]"]
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    lemmatizer: Any = nlp.add_pipe("contract_lemmatizer", name="lemmatizer")
    lemmatizer.initialize()
    for name, key, patterns, longest in CLASSIFY_RULERS:
        _add_ruler(nlp, name, key, patterns, longest)
    nlp.add_pipe("contract_sentences")
    nlp.add_pipe("contract_category")
    for name, key, patterns, longest in EXTRACT_RULERS:
        _add_ruler(nlp, name, key, patterns, longest)
    for factory in EXTRACT_COMPONENTS:
        nlp.add_pipe(factory)
    return nlp


def _add_ruler(
    nlp: Language, name: str, key: str, patterns: Callable[[], list], longest: bool
) -> None:
    config = {
        "spans_key": key,
        "phrase_matcher_attr": "LOWER",
        "validate": True,
        "overwrite": True,
    }
    if longest:
        config["spans_filter"] = {"@misc": "spacy.first_longest_spans_filter.v1"}
    ruler: Any = nlp.add_pipe("contract_span_ruler", name=name, config=config)
    # Phrases match on LOWER: their docs need no other component.
    with nlp.select_pipes(enable=[name]):
        ruler.add_patterns(patterns())


@cache
def get_nlp() -> Language:
    """The pipeline, built once per process."""
    return build_nlp()
