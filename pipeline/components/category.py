"""The categories of a clause unit (``contract_category``): ``doc._.categories`` with the rule
ids behind each (``doc._.category_evidence``) and the scores (``doc._.category_scores``);
each sentence's categories in ``span._.categories``.

Rules are ``categories.jsonl``, found by the ``cue_ruler`` (``doc.spans["cues"]``). A rule
counts in its scope: ``text`` (the unit's heading, own text and limbs), ``heading`` (its own
heading) or ``context`` (the headings of the clause, part and schedule above it). Each
matched rule adds its weight once; a ``near`` rule counts when a word of its list ``a``
stands within ``window`` tokens of a word of ``b`` (and one of ``requires`` is in the unit or
the headings above); a ``weak`` rule counts only on words no stronger rule of its category
matched; ``dampen`` rules scale a score; ``exclude`` rules, a definitions clause (three
"means" or more) or a definitions heading above make the unit uncategorised. A unit gets
each category whose score reaches the threshold.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.tokens import Doc, Span

import pipeline.extensions  # noqa: F401
from pipeline.components.crossrefs import reference_titles
from pipeline.rules import load_rules
from pipeline.rules.schema import (
    CategoryDampen,
    CategoryExclude,
    CategoryNear,
    CategoryPhrase,
    CategoryThreshold,
)
from pipeline.types import CATEGORIES
from pipeline.units import flat

Hits = dict[str, dict[str, list[tuple[int, int]]]]  # rule id -> slot -> token ranges
# A unit that opens (after its number) with a term in quotes and "means": a definition.
_DEFINITION = re.compile(
    r"^\s*(?:[\d.]+\s*|\([a-z0-9]{1,4}\)\s*)*[\"“][^\"”]{1,80}[\"”]\s*"
    r"(?:means|shall mean|shall have the meaning|has the meaning)\b",
    re.IGNORECASE,
)
_CONTEXTS_KEPT = 2048  # headings-above docs kept for re-use (a contract has a few hundred)


@Language.factory("contract_category", assigns=["doc._.categories"])
def make_category(nlp: Language, name: str) -> UnitCategories:
    return UnitCategories(nlp)


class UnitCategories:
    def __init__(self, nlp: Language):
        self.nlp = nlp
        rules = load_rules("categories")
        self.rules = {r.id: r for r in rules if not isinstance(r, CategoryThreshold)}
        self.threshold = next((r.value for r in rules if isinstance(r, CategoryThreshold)), 2.0)
        self.dampen = [r for r in rules if isinstance(r, CategoryDampen)]
        self.exclude_words = frozenset(
            p.lower()
            for r in rules
            if isinstance(r, CategoryExclude) and not r.mask
            for p in r.phrases
        )
        self.scope = {rule_id: getattr(r, "scope", "text") for rule_id, r in self.rules.items()}
        self._contexts: dict[str, Doc] = {}

    def __call__(self, doc: Doc) -> Doc:
        hits = self.hits(doc)
        categories, evidence, scores = self.decide(doc, hits)
        doc._.categories = categories
        doc._.category_evidence = evidence
        doc._.category_scores = scores
        framed = self.framed(doc, hits, categories)
        for sentence in doc.spans.get("sentence", []):
            if sentence._.sentence_kind != "heading":
                sentence._.categories = self.of_sentence(sentence, hits, categories, framed)
        return doc

    def framed(self, doc: Doc, hits: Hits, categories: tuple[str, ...]) -> set[str]:
        """The unit's categories that its heading or the headings above it carry: every
        sentence of the unit is read in them ("everything in an exit schedule is exit")."""
        unit = doc._.unit
        heading = next((p for p in unit.pieces if p.kind == "heading"), None) if unit else None
        out = set()
        for rule_id, slots in hits.items():
            rule = self.rules[rule_id]
            category = getattr(rule, "category", None)
            if category not in categories or getattr(rule, "weight", 0) <= 0:
                continue
            in_heading = heading is not None and any(
                doc[a].idx < heading.end
                for slot, positions in slots.items()
                if slot != "requires"  # found in the headings above, not in this doc
                for a, _ in positions
            )
            if in_heading or self.scope[rule_id] in ("heading", "context"):
                out.add(category)
        return out

    def of_sentence(
        self, sentence: Span, hits: Hits, categories: tuple[str, ...], framed: set[str]
    ) -> tuple[str, ...]:
        """A sentence's categories: the unit's categories that its heading carries, and those
        whose words the sentence itself has (a duty in a termination clause about invoicing
        during the term is in none: it is not shown)."""
        own = set(framed)
        for rule_id, slots in hits.items():
            rule = self.rules[rule_id]
            category = getattr(rule, "category", None)
            if category not in categories or category in own or self.scope[rule_id] != "text":
                continue
            if getattr(rule, "weight", 0) <= 0:
                continue
            inside = {
                slot: [(a, b) for a, b in positions if sentence.start <= a < sentence.end]
                for slot, positions in slots.items()
                if slot != "requires"
            }
            if isinstance(rule, CategoryNear):
                # both words of a "near" rule in this sentence: "return … Council Data"
                found = _near(rule, {**inside, "requires": slots.get("requires", [])})
            else:
                found = any(inside.values())
            if found:
                own.add(category)
        return tuple(c for c in CATEGORIES if c in own)

    def hits(self, doc: Doc) -> Hits:
        """Every rule that matched, in its scope, with the token ranges it matched."""
        hits: Hits = {}
        cues = list(doc.spans.get("cues", []))  # a SpanGroup makes its spans anew on each read
        titles = reference_titles(doc) + self._masked(cues)
        unit = doc._.unit
        heading = next((p for p in unit.pieces if p.kind == "heading"), None) if unit else None
        for span in cues:
            rule = self.rules.get(span.id_)
            if rule is None or any(a <= span.start and span.end <= b for a, b in titles):
                continue
            scope = self.scope[span.id_]
            in_heading = heading is not None and heading.start <= span.start_char < heading.end
            if scope == "text" or (scope == "heading" and in_heading):
                _add(hits, span)
        for span in self._context(doc).spans.get("cues", []):
            rule = self.rules.get(span.id_)
            if rule is None:
                continue
            if self.scope[span.id_] == "context" or span.label_ == "requires":
                _add(hits, span)
        return hits

    def decide(self, doc: Doc, hits: Hits) -> tuple[tuple[str, ...], dict, dict]:
        if self._excluded(doc, hits):
            return (), {}, {}
        scores, evidence = self._scores(hits)
        for rule in self.dampen:
            matched = {r for ids in evidence.values() for r in ids}
            if set(rule.if_any) & matched and not set(rule.unless_any) & set(
                evidence[rule.category]
            ):
                scores[rule.category] *= rule.factor
                evidence[rule.category].append(rule.id)
        categories = tuple(c for c in CATEGORIES if scores.get(c, 0.0) >= self.threshold)
        return (
            categories,
            {c: tuple(sorted(evidence[c])) for c in categories},
            {c: round(s, 2) for c, s in scores.items()},
        )

    def _scores(self, hits: Hits) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        strong: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for rule_id, slots in hits.items():
            rule = self.rules[rule_id]
            if isinstance(rule, CategoryPhrase) and not rule.weak and rule.scope == "text":
                strong[rule.category] += slots.get("phrases", [])
        for rule_id, slots in hits.items():
            rule = self.rules[rule_id]
            if isinstance(rule, CategoryExclude):
                continue
            if isinstance(rule, CategoryNear) and not _near(rule, slots):
                continue
            if (
                isinstance(rule, CategoryPhrase)
                and rule.weak
                and all(
                    any(a <= s and e <= b for a, b in strong[rule.category])
                    for s, e in slots.get("phrases", [])
                )
            ):
                continue  # only words a stronger rule already counted
            scores[rule.category] += rule.weight
            evidence[rule.category].append(rule_id)
        return scores, evidence

    def _masked(self, cues: list[Span]) -> list[tuple[int, int]]:
        """Token ranges of ``mask`` exclusions (SHORT TERM INCENTIVE PLAN): no cue inside them
        counts, and the rest of the clause is scored as usual."""
        return [
            (span.start, span.end)
            for span in cues
            if getattr(self.rules.get(span.id_), "mask", False)
        ]

    def _excluded(self, doc: Doc, hits: Hits) -> bool:
        unit = doc._.unit
        heading = _words(unit.heading) if unit is not None else ""
        for rule_id in hits:
            rule = self.rules[rule_id]
            if not isinstance(rule, CategoryExclude) or rule.mask:
                continue
            # a heading excludes when it is all it says: DEFINITIONS, not INTRODUCTION AND
            # DEFINITIONS above an exit schedule's purpose clause
            if rule.scope != "heading" or heading in self.exclude_words:
                return True
        if doc.count_by(LOWER).get(doc.vocab.strings["means"], 0) >= 3:
            return True  # a run of '"X" means …' is a definitions clause, whatever its heading
        if _DEFINITION.match(doc.text[:200]):
            return True  # '2.3.6 "DOCUMENTATION" means …': one definition, numbered on its own
        parent = (unit.parent_heading or "") if unit is not None else ""
        return _words(parent) in self.exclude_words

    def _context(self, doc: Doc) -> Doc:
        unit = doc._.unit
        text = " ; ".join(h for h in unit.context if h) if unit is not None else ""
        text = " ".join(flat(text).split())
        if text not in self._contexts:
            context = self.nlp.make_doc(text)
            for name in ("lemmatizer", "xref_ruler", "cue_ruler"):
                context = self.nlp.get_pipe(name)(context)
            cues = list(context.spans.get("cues", []))
            titles = reference_titles(context) + self._masked(cues)
            context.spans["cues"] = [
                s for s in cues if not any(a <= s.start and s.end <= b for a, b in titles)
            ]
            if len(self._contexts) >= _CONTEXTS_KEPT:  # a worker reads contract after contract
                self._contexts.clear()
            self._contexts[text] = context
        return self._contexts[text]


def _words(heading: str | None) -> str:
    """A heading as the exclusion phrases are written: lower case, single spaces, no trailing
    full stop or colon."""
    return " ".join((heading or "").split()).lower().rstrip(".:")


def _add(hits: Hits, span: Span) -> None:
    hits.setdefault(span.id_, defaultdict(list))[span.label_].append((span.start, span.end))


def _near(rule: Any, slots: dict[str, list[tuple[int, int]]]) -> bool:
    if rule.requires and not slots.get("requires"):
        return False
    return any(
        abs(a - b) <= rule.window for a, _ in slots.get("a", ()) for b, _ in slots.get("b", ())
    )
