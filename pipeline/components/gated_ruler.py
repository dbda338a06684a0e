"""``contract_span_ruler``: spaCy's ``span_ruler``, whose token patterns are tried only on texts
that hold a word they need.

spaCy's ``Matcher`` walks every token of every text for its token patterns, however few they
are; on a contract most clause units hold none of the words a pattern needs ("cancel",
a month's name, a date shaped ``d/d/dddd``), so most of that walk finds nothing. Each token
pattern needs at least one token with a given ``LOWER`` / ``LEMMA`` / ``SHAPE`` / ``ORTH``
value (its first token that is not optional and is so constrained); the ruler looks those
values up in the text's token arrays (one numpy read) and runs the ``Matcher`` only when some
pattern's needed word is there. A pattern with no such token (only ``IS_…`` flags, or every
token optional) keeps the ``Matcher`` running on every text. The phrase patterns run on every
text as before. Same matches, same config, same ``to_disk`` / ``from_disk`` as ``span_ruler``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from spacy.attrs import LEMMA, LOWER, ORTH, SHAPE
from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span

_ATTRS = {"LOWER": LOWER, "LEMMA": LEMMA, "SHAPE": SHAPE, "ORTH": ORTH, "TEXT": ORTH}
Need = tuple[int, frozenset[int]]  # (attribute id, the hashes of its values)


def needed_word(pattern: list[dict[str, Any]], strings: Any) -> Need | None:
    """(attribute, values) that one token of every match of ``pattern`` must have, or None
    when the pattern does not say."""
    for token in pattern:
        if not _required(token.get("OP")):
            continue  # a match may go without this token
        for key, attr in _ATTRS.items():
            spec = token.get(key)
            if isinstance(spec, str):
                values = [spec]
            elif isinstance(spec, dict) and set(spec) == {"IN"}:
                values = list(spec["IN"])
            else:
                continue
            return attr, frozenset(strings.add(v) for v in values)
    return None


def _required(op: str | None) -> bool:
    """Whether a token with this ``OP`` is in every match (``!`` is a token that must *not*
    have the values)."""
    if op is None or op == "+":
        return True
    match = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", op)
    return bool(match and match.group(1) and int(match.group(1)) >= 1)


class GatedSpanRuler(SpanRuler):
    # attribute -> every value some token pattern needs there (None: run the Matcher always)
    _needs: dict[int, frozenset[int]] | None = None
    _needs_known = False

    def add_patterns(self, patterns: list[dict[str, Any]]) -> None:
        self._needs_known = False
        super().add_patterns(patterns)

    def remove(self, label: str) -> None:
        self._needs_known = False
        super().remove(label)

    def remove_by_id(self, pattern_id: str) -> None:
        self._needs_known = False
        super().remove_by_id(pattern_id)

    def clear(self) -> None:
        self._needs_known = False
        super().clear()

    def _gate(self) -> dict[int, frozenset[int]] | None:
        """The needed words of the token patterns, by attribute (None: always run the
        Matcher)."""
        if not self._needs_known:
            self._needs, self._needs_known = self._needed(), True
        return self._needs

    def _needed(self) -> dict[int, frozenset[int]] | None:
        needs: dict[int, frozenset[int]] = {}
        for entry in self.patterns:
            if not isinstance(entry["pattern"], list):
                continue
            need = needed_word(entry["pattern"], self.nlp.vocab.strings)
            if need is None:
                return None
            attr, values = need
            needs[attr] = needs.get(attr, frozenset()) | values
        return needs

    def may_match_tokens(self, doc: Doc) -> bool:
        """Whether a token pattern could match ``doc``."""
        if not len(self.matcher) or not len(doc):
            return False
        needs = self._gate()
        if needs is None:
            return True
        return any(
            not values.isdisjoint(int(h) for h in doc.to_array([attr]).ravel().tolist())
            for attr, values in needs.items()
        )

    def match(self, doc: Doc) -> list[Span]:
        self._require_patterns()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="\\[W036")
            matches = list(self.phrase_matcher(doc))
            if self.may_match_tokens(doc):
                matches += list(self.matcher(doc))
        found = {
            Span(
                doc,
                start,
                end,
                label=self._match_label_id_map[m_id]["label"],
                span_id=self._match_label_id_map[m_id]["id"],
            )
            for m_id, start, end in matches
            if start != end
        }
        return sorted(found)


@Language.factory(
    "contract_span_ruler",
    assigns=["doc.spans"],
    default_config={
        "spans_key": "ruler",
        "spans_filter": None,
        "annotate_ents": False,
        "ents_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
        "phrase_matcher_attr": None,
        "matcher_fuzzy_compare": {"@misc": "spacy.levenshtein_compare.v1"},
        "validate": False,
        "overwrite": True,
        "scorer": None,
    },
)
def make_gated_ruler(
    nlp: Language,
    name: str,
    spans_key: str | None,
    spans_filter: Callable | None,
    annotate_ents: bool,
    ents_filter: Callable,
    phrase_matcher_attr: int | str | None,
    matcher_fuzzy_compare: Callable,
    validate: bool,
    overwrite: bool,
    scorer: Callable | None,
) -> GatedSpanRuler:
    return GatedSpanRuler(
        nlp,
        name,
        spans_key=spans_key,
        spans_filter=spans_filter,
        annotate_ents=annotate_ents,
        ents_filter=ents_filter,
        phrase_matcher_attr=phrase_matcher_attr,
        matcher_fuzzy_compare=matcher_fuzzy_compare,
        validate=validate,
        overwrite=overwrite,
        scorer=scorer,
    )
