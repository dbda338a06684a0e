"""Rules are data: one JSONL file per kind in this folder, one rule per line, each with a
stable ``id`` recorded on every extraction it produced. See ``README.md`` here.

Loading checks every rule against its schema (``schema.py``) and refuses, naming the file,
line, key and reason: unknown keys, wrong types, duplicate ids (across all files), a
phrase or token pattern that can never match, a reference to a rule that does not exist.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.rules.schema import FILES, CategoryDampen, Decision

RULES_DIR = Path(__file__).parent

# Token attributes whose values are compared with one token's lower-cased text or lemma.
_LOWER_ATTRS = ("LOWER", "LEMMA", "NORM")


class RuleError(ValueError):
    """A rule file is malformed: the message names the file, the line, the key and why."""

    def __init__(self, file: str, line: int | None, key: str | None, reason: str):
        self.file, self.line, self.key, self.reason = file, line, key, reason
        where = file + (f" line {line}" if line else "") + (f", key {key!r}" if key else "")
        super().__init__(f"{where}: {reason}")


def rule_files() -> tuple[str, ...]:
    """The names of the rule files, without ``.jsonl``."""
    return tuple(FILES)


@cache
def load_rules(name: str) -> tuple[Any, ...]:
    """The rules of ``rules/<name>.jsonl``, validated (raises ``RuleError``)."""
    if name not in FILES:
        raise RuleError(f"{name}.jsonl", None, None, "not a known rule file")
    path = RULES_DIR / f"{name}.jsonl"
    rules = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        rule = _parse(path.name, number, line, FILES[name])
        for reason in _never_matches(rule):
            raise RuleError(path.name, number, reason[0], reason[1])
        rules.append((number, rule))
    _check_ids(path.name, rules)
    return tuple(rule for _, rule in rules)


def load_all_rules() -> dict[str, tuple[Any, ...]]:
    """Every rule file, validated together: ids are unique across files, and every rule a
    rule refers to exists. Raises ``RuleError``."""
    everything = {name: load_rules(name) for name in FILES}
    seen: dict[str, str] = {}
    for name, rules in everything.items():
        for rule in rules:
            if rule.id in seen:
                raise RuleError(
                    f"{name}.jsonl",
                    None,
                    "id",
                    f"{rule.id!r} is also defined in {seen[rule.id]}.jsonl",
                )
            seen[rule.id] = name
    for rule in everything["categories"]:
        if isinstance(rule, CategoryDampen):
            for ref in (*rule.if_any, *rule.unless_any):
                if ref not in seen:
                    raise RuleError(
                        "categories.jsonl",
                        None,
                        "if_any",
                        f"{rule.id} refers to {ref!r}, which no rule file defines",
                    )
    return everything


def rule_index() -> dict[str, Any]:
    """Every rule by id."""
    return {rule.id: rule for rules in load_all_rules().values() for rule in rules}


@cache
def decisions() -> dict[str, Decision]:
    """The decisions taken by code, by key (``LIMB_INHERIT``)."""
    return {d.key: d for d in load_rules("decisions")}


def rules_fingerprint() -> str:
    """A short hash of what the rules say (not of how the files are written: a comment or a
    blank line changes nothing). Part of the extractor version."""
    canonical = {
        name: [rule.model_dump(mode="json", exclude={"note"}) for rule in rules]
        for name, rules in load_all_rules().items()
    }
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()[:8]


# --- checks ----------------------------------------------------------------------------------


def _parse(file: str, number: int, line: str, adapter: Any) -> BaseModel:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RuleError(file, number, None, f"not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise RuleError(file, number, None, "a rule is a JSON object")
    try:
        rule: BaseModel = adapter.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        if loc and loc[0] == str(raw.get("kind")):  # the kind that chose the schema
            loc = loc[1:]
        if error["type"] == "extra_forbidden":
            reason = "unknown key"
        elif error["type"] == "missing":
            reason = "missing"
        else:
            reason = error["msg"]
        key = ".".join(loc) or None
        rule_id = raw.get("id")
        suffix = f" (rule {rule_id})" if rule_id else ""
        raise RuleError(file, number, key, reason + suffix) from None
    if (
        hasattr(rule, "phrases")
        and hasattr(rule, "patterns")
        and not (rule.phrases or rule.patterns)
    ):
        rule_id = getattr(rule, "id", "?")
        raise RuleError(file, number, "phrases", f"rule {rule_id} has no phrases and no patterns")
    return rule


def _check_ids(file: str, rules: list[tuple[int, Any]]) -> None:
    seen: dict[str, int] = {}
    for number, rule in rules:
        if rule.id in seen:
            raise RuleError(
                file, number, "id", f"duplicate rule id {rule.id!r} (first on line {seen[rule.id]})"
            )
        seen[rule.id] = number


@cache
def _tokenizer() -> Any:
    import spacy

    return spacy.blank("en").tokenizer


def _never_matches(rule: Any) -> list[tuple[str, str]]:
    """(key, reason) for each phrase or token pattern of ``rule`` that can never match."""
    from spacy.schemas import validate_token_pattern

    problems = []
    for phrase in getattr(rule, "phrases", ()):
        if not phrase.strip():
            problems.append(("phrases", f"an empty phrase (rule {rule.id})"))
    for k, pattern in enumerate(getattr(rule, "patterns", ())):
        errors = validate_token_pattern(pattern)
        if errors:
            problems.append((f"patterns.{k}", f"{errors[0]} (rule {rule.id})"))
            continue
        if all(token.get("OP") in ("?", "*", "!") for token in pattern):
            problems.append(
                (f"patterns.{k}", f"every token is optional: matches nothing (rule {rule.id})")
            )
        for token in pattern:
            for attr in _LOWER_ATTRS:
                for value in _values(token.get(attr)):
                    reason = _single_lower_token(value)
                    if reason:
                        problems.append(
                            (f"patterns.{k}", f"{attr} {value!r} {reason} (rule {rule.id})")
                        )
    return problems


def _values(spec: Any) -> list[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        return [v for v in spec.get("IN", ()) if isinstance(v, str)]
    return []


def _single_lower_token(value: str) -> str | None:
    if value != value.lower():
        return "has capitals, but is compared with lower-case text: it can never match"
    if len(_tokenizer()(value)) != 1:
        return "is several tokens, but is compared with one token: it can never match"
    return None
