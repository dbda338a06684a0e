"""Rules are data: one JSONL file per kind in this folder, one rule per line, each with a
stable ``id`` that is recorded on every extraction it produced. See ``README.md`` here."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).parent


class RuleError(ValueError):
    """A rule file is malformed."""


@cache
def load_rules(name: str) -> tuple[dict, ...]:
    """The rules of ``rules/<name>.jsonl``, checked: valid JSON, an ``id`` each, ids unique."""
    path = RULES_DIR / f"{name}.jsonl"
    rules: list[dict] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            rule = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RuleError(f"{path.name} line {number}: not valid JSON ({exc.msg})") from None
        rule_id = rule.get("id")
        if not rule_id:
            raise RuleError(f"{path.name} line {number}: the rule has no id")
        if rule_id in seen:
            raise RuleError(f"{path.name} line {number}: duplicate rule id {rule_id!r}")
        seen.add(rule_id)
        rules.append(rule)
    return tuple(rules)


def rules_fingerprint() -> str:
    """A short hash of every rule file: part of the extractor version, so that editing a
    phrase makes the next ingest re-extract."""
    digest = hashlib.sha256()
    for path in sorted(RULES_DIR.glob("*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]
