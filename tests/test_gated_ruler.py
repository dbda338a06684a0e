"""``contract_span_ruler`` finds what spaCy's ``span_ruler`` finds with the same patterns; it
only skips the token ``Matcher`` on texts holding none of the words its patterns need."""

from __future__ import annotations

import pytest
import spacy

from pipeline.components.gated_ruler import needed_word
from pipeline.nlp import EXTRACT_RULERS, get_nlp

TEXTS = [
    "The Council may cancel this Agreement on 1 January 2027 by notice.",
    "The Supplier shall return all Council Data by 31/12/2027 in CSV format.",
    "In the event that the Supplier suffers an Insolvency Event the Council may terminate.",
    "At the written request of the Customer, the Supplier shall delete the data.",
    "A Party may withdraw from the Joint Venture on twelve months' notice.",
    "The licence and right granted survive; notice once given and served is final.",
    "Fees are payable monthly in arrears.",  # none of the needed words
    "",
]


@pytest.fixture(scope="module")
def nlp():
    return get_nlp()


def _plain_twin(nlp, name: str):
    """spaCy's own span_ruler with the same patterns and settings."""
    ours = nlp.get_pipe(name)
    twin_nlp = spacy.blank("en")
    twin = twin_nlp.add_pipe(
        "span_ruler",
        config={"spans_key": ours.key, "phrase_matcher_attr": "LOWER", "overwrite": True},
    )
    twin.add_patterns(ours.patterns)
    return ours, twin


@pytest.mark.parametrize("name", ["cue_ruler", *(r[0] for r in EXTRACT_RULERS)])
def test_the_same_spans_as_spacys_span_ruler(nlp, name):
    ours, twin = _plain_twin(nlp, name)
    for text in TEXTS:
        doc = nlp.make_doc(text)
        doc = nlp.get_pipe("lemmatizer")(doc)
        expected = sorted((s.start, s.end, s.label_, s.id_) for s in twin.match(doc))
        found = sorted((s.start, s.end, s.label_, s.id_) for s in ours.match(doc))
        assert found == expected, (name, text)


def test_the_matcher_is_skipped_only_without_a_needed_word(nlp):
    cues = nlp.get_pipe("cue_ruler")  # token patterns need the lemma cancel or withdraw
    quiet = nlp.get_pipe("lemmatizer")(nlp.make_doc("Fees are payable monthly in arrears."))
    assert not cues.may_match_tokens(quiet)
    loud = nlp.get_pipe("lemmatizer")(nlp.make_doc("The Council cancelled this contract."))
    assert cues.may_match_tokens(loud)
    assert any(s.id_ == "cat.term.withdraw_cancel" for s in cues.match(loud))


def test_needed_word_reads_only_tokens_every_match_has(nlp):
    strings = nlp.vocab.strings
    lower = spacy.attrs.LOWER
    assert needed_word([{"LOWER": "in"}, {"LOWER": "the"}], strings) == (
        lower, frozenset({strings["in"]}))
    optional_first = [{"LOWER": "the", "OP": "?"}, {"LOWER": {"IN": ["a", "b"]}}]
    assert needed_word(optional_first, strings) == (lower, frozenset({strings["a"], strings["b"]}))
    assert needed_word([{"IS_DIGIT": True}, {"LOWER": "x", "OP": "*"}], strings) is None
    assert needed_word([{"LOWER": "x", "OP": "!"}], strings) is None
    assert needed_word([{"LOWER": "x", "OP": "{2,3}"}], strings) is not None
    assert needed_word([{"LOWER": "x", "OP": "{0,3}"}], strings) is None


def test_a_ruler_with_a_pattern_it_cannot_gate_always_matches(nlp):
    local = spacy.blank("en")
    ruler = local.add_pipe("contract_span_ruler")
    ruler.add_patterns([{"label": "n", "pattern": [{"IS_DIGIT": True}]}])
    doc = local("clause 12 applies")
    assert ruler.may_match_tokens(doc)
    assert [s.text for s in ruler.match(doc)] == ["12"]
    ruler.add_patterns([{"label": "w", "pattern": [{"LOWER": "applies"}]}])
    assert [s.text for s in ruler.match(doc)] == ["12", "applies"]
