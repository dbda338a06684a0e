"""Clause tree → the categories of each classification unit (multi-label), with evidence.

Rules are data (``rules/categories.jsonl``): phrase lists matched with a spaCy
``PhraseMatcher`` over lower-cased tokens, in one of three scopes — the unit's text (its own
text, heading and limbs), its own heading, or the headings above it (context) — and
"near" rules (a word of one list within a few tokens of a word of another, optionally only
when a third list appears in the unit). Each matched rule adds its weight once; a unit gets
a category when the weights reach the threshold. The ids of the matched rules are the
category's evidence, shown to reviewers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from pipeline.nlp import get_nlp
from pipeline.rules import RuleError, load_rules
from pipeline.types import CATEGORIES, Classification, Clause, Layout, Parties

_SCOPES = ("text", "heading", "context")


@dataclass(frozen=True)
class _Rules:
    threshold: float
    rules: dict[str, dict]
    matchers: dict[str, PhraseMatcher]  # scope -> matcher (match ids "rule|slot")
    exclude: tuple[str, ...]
    exclude_exact: frozenset[str]
    dampen: tuple[dict, ...]


@cache
def _compiled() -> _Rules:
    nlp = get_nlp()
    rules: dict[str, dict] = {}
    matchers = {scope: PhraseMatcher(nlp.vocab, attr="LOWER") for scope in _SCOPES}
    threshold = 2.0
    exclude: list[str] = []
    exclude_exact: set[str] = set()
    dampen: list[dict] = []
    for rule in load_rules("categories"):
        kind = rule.get("kind", "phrase")
        if kind == "threshold":
            threshold = float(rule["value"])
            continue
        if kind == "dampen":
            dampen.append(rule)
            continue
        scope = rule.get("scope", "text")
        if scope not in _SCOPES:
            raise RuleError(f"categories.jsonl {rule['id']}: unknown scope {scope!r}")
        if kind == "exclude":
            exclude.append(rule["id"])
            exclude_exact.update(p.lower() for p in rule["phrases"])
            slots = {"phrases": rule["phrases"]}
        elif kind == "phrase":
            slots = {"phrases": rule["phrases"]}
        elif kind == "near":
            slots = {"a": rule["a"], "b": rule["b"], "requires": rule.get("requires", [])}
        else:
            raise RuleError(f"categories.jsonl {rule['id']}: unknown kind {kind!r}")
        if kind != "exclude" and rule.get("category") not in CATEGORIES:
            raise RuleError(f"categories.jsonl {rule['id']}: unknown category")
        rules[rule["id"]] = rule
        for slot, phrases in slots.items():
            if phrases:
                patterns = [nlp.make_doc(p) for p in phrases]
                matchers[scope].add(f"{rule['id']}|{slot}", patterns)
                if slot == "requires":  # the cue may stand in a heading above the unit
                    matchers["context"].add(f"{rule['id']}|{slot}", patterns)
    return _Rules(
        threshold, rules, matchers, tuple(exclude), frozenset(exclude_exact), tuple(dampen)
    )


def clauses_to_categories(
    layout: Layout, clauses: tuple[Clause, ...], parties: Parties
) -> tuple[Classification, ...]:
    """One ``Classification`` per classification unit (possibly with no categories)."""
    compiled = _compiled()
    nlp = get_nlp()
    out = []
    for clause in clauses:
        if not clause.unit:
            continue
        text = unit_text(layout.text, clauses, clause)
        stem = _completed_stem(layout.text, clauses, clause)
        if stem:  # "6.2 … in the following formats:" / "6.2.2 in their native format …"
            text = f"{stem} {text}"
        heading = clause.heading or ""
        context = " ; ".join(h for h in _context_headings(clauses, clause) if h)
        docs = {
            "text": nlp.make_doc(_flat(text)),
            "heading": nlp.make_doc(_flat(heading)),
            "context": nlp.make_doc(_flat(context)),
        }
        parent = clauses[clause.parent] if clause.parent is not None else None
        # The clause the unit sits in ("1. DEFINITIONS AND INTERPRETATION" above 1.3).
        docs["parent_heading"] = nlp.make_doc((parent.heading or "") if parent else "")
        out.append(classify_unit(clause.index, docs, compiled))
    return tuple(out)


def classify_unit(
    index: int, docs: dict[str, Doc], compiled: _Rules | None = None
) -> Classification:
    compiled = compiled or _compiled()
    hits: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for scope, doc in docs.items():
        if scope not in compiled.matchers:
            continue
        for match_id, start, end in compiled.matchers[scope](doc):
            rule_id, slot = doc.vocab.strings[match_id].split("|")
            hits.setdefault(rule_id, defaultdict(list))[slot].append((start, end))

    parent_heading = docs.get("parent_heading")
    if (
        any(rule_id in hits for rule_id in compiled.exclude)
        or _is_definitions(docs["text"])
        or (
            parent_heading is not None
            and parent_heading.text.strip().lower() in compiled.exclude_exact
        )
    ):
        return Classification(clause=index, categories=(), evidence={}, scores={})

    scores: dict[str, float] = defaultdict(float)
    evidence: dict[str, list[str]] = defaultdict(list)
    strong_spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for rule_id, slots in hits.items():
        rule = compiled.rules[rule_id]
        if not rule.get("weak") and rule.get("scope", "text") == "text" and "category" in rule:
            strong_spans[rule["category"]] += slots.get("phrases", [])
    for rule_id, slots in hits.items():
        rule = compiled.rules[rule_id]
        if rule.get("kind", "phrase") == "near" and not _near(rule, slots):
            continue
        if rule.get("weak") and all(
            any(a <= s and e <= b for a, b in strong_spans[rule["category"]])
            for s, e in slots.get("phrases", [])
        ):
            continue  # only words a stronger rule already counted
        scores[rule["category"]] += float(rule.get("weight", 1.0))
        evidence[rule["category"]].append(rule_id)
    for rule in compiled.dampen:
        category = rule["category"]
        if set(rule["if_any"]) & set(evidence_all(evidence)) and not set(rule["unless_any"]) & set(
            evidence[category]
        ):
            scores[category] *= float(rule.get("factor", 0.0))
            evidence[category].append(rule["id"])
    categories = tuple(c for c in CATEGORIES if scores.get(c, 0.0) >= compiled.threshold)
    return Classification(
        clause=index,
        categories=categories,
        evidence={c: tuple(sorted(evidence[c])) for c in categories},
        scores={c: round(s, 2) for c, s in scores.items()},
    )


def _flat(text: str) -> str:
    return _without_reference_titles(" ".join(text.split()))


# "Schedule 8 (Exit Management)", "Clause 33 (Consequences of Termination)": the title of a
# clause referred to says what that clause is about, not this one.
_REFERENCE_TITLE = re.compile(
    r"\b((?:Clauses?|Schedules?|Parts?|paragraphs?|Sections?|Articles?|Annex|Appendix|Exhibit)"
    r"\s+[\dA-Z][\w.]*(?:\([a-z0-9]+\))*\s*)\(([^()]{1,80})\)"
)


def _without_reference_titles(text: str) -> str:
    return _REFERENCE_TITLE.sub(lambda m: m.group(1) + " " * (len(m.group(2)) + 2), text)


def evidence_all(evidence: dict[str, list[str]]) -> set[str]:
    return {r for ids in evidence.values() for r in ids}


def _near(rule: dict, slots: dict[str, list[tuple[int, int]]]) -> bool:
    if rule.get("requires") and not slots.get("requires"):
        return False
    window = int(rule.get("window", 10))
    return any(
        abs(a_start - b_start) <= window
        for a_start, _ in slots.get("a", ())
        for b_start, _ in slots.get("b", ())
    )


def _is_definitions(doc: Doc) -> bool:
    """A run of ``"X" means …`` is a definitions clause, whatever its heading."""
    return sum(1 for t in doc if t.lower_ == "means") >= 3


def unit_text(text: str, clauses: tuple[Clause, ...], unit: Clause) -> str:
    """The unit's heading, own text and the text of its limbs (not its numbered children)."""
    parts = [unit.heading or "", unit.own_text(text)]
    for c in clauses[unit.index + 1 :]:
        if c.start >= unit.span_end:
            break
        if c.is_limb and _limb_of(clauses, c, unit.index):
            parts.append(c.own_text(text))
    return " ".join(p for p in parts if p)


def _completed_stem(text: str, clauses: tuple[Clause, ...], unit: Clause) -> str | None:
    """The parent's stem when ``unit`` is a numbered sub-clause that completes it."""
    if unit.parent is None:
        return None
    parent = clauses[unit.parent]
    if parent.kind not in ("clause", "paragraph") or not parent.segments:
        return None
    stem = text[slice(*parent.segments[0])].rstrip()
    if stem.endswith(":") and unit.own_text(text).lstrip()[:1].islower():
        return stem
    return None


def _limb_of(clauses: tuple[Clause, ...], limb: Clause, unit: int) -> bool:
    """Whether ``limb`` hangs below ``unit`` through limbs only."""
    node = limb
    while node.parent is not None:
        if node.parent == unit:
            return True
        node = clauses[node.parent]
        if not node.is_limb:
            return False
    return False


def _context_headings(clauses: tuple[Clause, ...], unit: Clause) -> list[str]:
    out = []
    node = unit
    while node.parent is not None:
        node = clauses[node.parent]
        out.append(node.heading or "")
    return out
