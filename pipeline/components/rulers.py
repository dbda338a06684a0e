"""The patterns of our ``span_ruler`` components, built from the rule files: one pattern per
phrase or token pattern, the rule id as the span's ``id``, a label saying what the words are
(a modality, a deadline word's kind, a slot of a "near" rule …)."""

from __future__ import annotations

from typing import Any

from pipeline.rules import load_rules
from pipeline.rules.schema import CategoryNear, PartyAlias

Pattern = dict[str, Any]


def _both(rule: Any, label: str) -> list[Pattern]:
    out: list[Pattern] = [{"label": label, "pattern": p, "id": rule.id} for p in rule.phrases]
    for pattern in rule.patterns:
        phrases = as_phrases(pattern)
        if phrases is None:
            out.append({"label": label, "pattern": pattern, "id": rule.id})
        else:
            out += [{"label": label, "pattern": p, "id": rule.id} for p in phrases]
    return out


_MAX_PHRASES = 256


def as_phrases(pattern: list[dict[str, Any]]) -> list[str] | None:
    """The phrases a token pattern stands for, when it is only words compared in lower case
    (``LOWER``, with ``IN`` and ``"OP": "?"``), else None. spaCy's PhraseMatcher finds
    phrases in compiled code; its Matcher tries every token pattern at every token, so a
    pattern that can be phrases is handed to the PhraseMatcher."""
    variants: list[list[str]] = [[]]
    for token in pattern:
        keys = set(token) - {"OP"}
        if keys != {"LOWER"} or token.get("OP") not in (None, "?"):
            return None
        spec = token["LOWER"]
        values = spec["IN"] if isinstance(spec, dict) and set(spec) == {"IN"} else spec
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            return None
        options: list[list[str]] = [[v] for v in values] + ([[]] if token.get("OP") else [])
        variants = [v + o for v in variants for o in options]
        if len(variants) > _MAX_PHRASES:
            return None
    return [" ".join(v) for v in variants if v]


def cue_patterns() -> list[Pattern]:
    """categories.jsonl: label ``phrases`` for phrase and exclude rules, ``a`` / ``b`` /
    ``requires`` for the word lists of a near rule."""
    out: list[Pattern] = []
    for rule in load_rules("categories"):
        if isinstance(rule, CategoryNear):
            for slot in ("a", "b", "requires"):
                out += [{"label": slot, "pattern": p, "id": rule.id} for p in getattr(rule, slot)]
        elif hasattr(rule, "phrases"):
            out += _both(rule, "phrases")
    return out


def modal_patterns() -> list[Pattern]:
    """modality.jsonl: label = the modality the words signal."""
    return [p for rule in load_rules("modality") for p in _both(rule, rule.modality)]


def deadline_patterns() -> list[Pattern]:
    """deadlines.jsonl: label = the kind of word (unit, lead, tail, notice, …)."""
    return [p for rule in load_rules("deadlines") for p in _both(rule, rule.kind)]


def trigger_patterns() -> list[Pattern]:
    return [
        p
        for rule in load_rules("triggers")
        for p in _both(rule, "lead_only" if rule.lead_only else "trigger")
    ]


def party_patterns() -> list[Pattern]:
    """parties.jsonl: aliases, labelled with the role they stand for. (Names and role words
    are matched with their capitals by ``contract_parties``.)"""
    return [
        p
        for rule in load_rules("parties")
        if isinstance(rule, PartyAlias)
        for p in _both(rule, rule.role)
    ]


def negative_patterns() -> list[Pattern]:
    return [p for rule in load_rules("negative") for p in _both(rule, rule.kind)]


def xref_patterns() -> list[Pattern]:
    return [
        {"label": rule.kind, "pattern": phrase, "id": rule.id}
        for rule in load_rules("crossrefs")
        for phrase in rule.phrases
    ]


def implied_patterns() -> list[Pattern]:
    return [p for rule in load_rules("implied") for p in _both(rule, rule.kind)]
