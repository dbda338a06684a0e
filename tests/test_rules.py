"""Rules are validated data: every file has a schema, a malformed rule is refused with its
file, line, key and reason, and every rule id the code records lives in a rule file."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import pipeline.rules as rules
from pipeline.rules import RuleError, decisions, load_all_rules, rule_index, rules_fingerprint
from tests.conftest import ROOT


@pytest.fixture
def rules_dir(tmp_path, monkeypatch):
    """A copy of the rule files to break, in place of the real ones."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(rules, "RULES_DIR", folder)
    rules.load_rules.cache_clear()
    yield folder
    rules.load_rules.cache_clear()


def _append(folder: Path, name: str, line: str) -> int:
    path = folder / f"{name}.jsonl"
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n" + line + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.splitlines())


def test_rules_every_file_loads_and_ids_are_unique_across_files():
    everything = load_all_rules()
    ids = [r.id for rs in everything.values() for r in rs]
    assert len(ids) == len(set(ids)) and len(ids) > 100


@pytest.mark.parametrize(
    "file, line, key, reason",
    [
        (
            "categories",
            '{"id": "cat.exit.extra", "kind": "phrase", "category": "exit", "weight": 1, "wieght": 3, "phrases": ["step-out"]}',
            "wieght",
            "unknown key",
        ),
        (
            "categories",
            '{"id": "cat.exit.extra", "kind": "phrase", "category": "exit", "weight": "heavy", "phrases": ["step-out"]}',
            "weight",
            "valid number",
        ),
        (
            "categories",
            '{"id": "cat.exit.extra", "kind": "phrase", "category": "exits", "weight": 1, "phrases": ["x"]}',
            "category",
            "exit",
        ),
        (
            "modality",
            '{"id": "mod.extra", "modality": "obligation"}',
            "phrases",
            "no phrases and no patterns",
        ),
        (
            "modality",
            '{"id": "mod.obligation.shall", "modality": "obligation", "phrases": ["shall"]}',
            "id",
            "duplicate rule id",
        ),
        (
            "triggers",
            '{"id": "trg.extra", "patterns": [[{"LOWER": "Termination"}]]}',
            "patterns.0",
            "can never match",
        ),
        (
            "triggers",
            '{"id": "trg.extra", "patterns": [[{"LOWER": "on termination"}]]}',
            "patterns.0",
            "several tokens",
        ),
        ("triggers", '{"id": "trg.extra", "patterns": [[{"LOWR": "on"}]]}', "patterns.0", "LOWR"),
        (
            "triggers",
            '{"id": "trg.extra", "patterns": [[{"LOWER": "on", "OP": "?"}]]}',
            "patterns.0",
            "optional",
        ),
        (
            "deadlines",
            '{"id": "dl.extra", "kind": "recurrence", "duration": "monthly", "phrases": ["monthly"]}',
            "duration",
            "pattern",
        ),
        ("parties", '{"id": "Bad Id", "kind": "jv_cues", "phrases": ["x"]}', "id", "pattern"),
        ("decisions", "{not json", None, "not valid JSON"),
    ],
)
def test_rules_a_malformed_rule_is_refused_with_file_line_key_and_reason(
    rules_dir, file, line, key, reason
):
    number = _append(rules_dir, file, line)
    with pytest.raises(RuleError) as info:
        load_all_rules()
    error = info.value
    assert (error.file, error.line) == (f"{file}.jsonl", number)
    assert error.key == key
    assert reason in error.reason
    assert f"{file}.jsonl line {number}" in str(error)


def test_rules_a_dampen_rule_must_name_rules_that_exist(rules_dir):
    _append(
        rules_dir,
        "categories",
        '{"id": "cat.extra", "kind": "dampen", "category": "exit", "factor": 0, "if_any": ["cat.nothing.here"]}',
    )
    with pytest.raises(RuleError, match="cat.nothing.here"):
        load_all_rules()


def test_rules_fingerprint_ignores_comments_and_blank_lines(rules_dir):
    before = rules_fingerprint()
    _append(rules_dir, "categories", "// a note for the next reader")
    _append(rules_dir, "categories", "")
    rules.load_rules.cache_clear()
    assert rules_fingerprint() == before
    _append(rules_dir, "triggers", '{"id": "trg.extra", "phrases": ["on the occurrence of"]}')
    rules.load_rules.cache_clear()
    assert rules_fingerprint() != before


def _python_strings(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path, node.lineno, node.value


def test_rules_no_rule_id_is_written_in_python():
    """Every rule id lives in a rule file; code names its own decisions by key."""
    ids = set(rule_index())
    families = {i.split(".")[0] for i in ids}
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for top in ("pipeline", "flows", "models", "cli", "web")
        for path, line, value in _python_strings(ROOT / top)
        if value in ids
        or (
            value.split(".")[0] in families
            and value.count(".") >= 1
            and value.replace(".", "").replace("_", "").isalnum()
            and value.islower()
            and " " not in value
            and "/" not in value
            and not value.endswith((".py", ".json", ".jsonl", ".yaml"))
        )
    ]
    assert not found, "rule ids written in Python:\n" + "\n".join(found)


def test_rules_every_decision_the_code_names_exists():
    keys = set(decisions())
    used = set()
    for _, _, value in _python_strings(ROOT / "pipeline"):
        if value.isupper() and value.replace("_", "").isalpha() and len(value) > 3:
            used.add(value)
    named = {
        k for k in used if k in keys or k.startswith(("SUBJECT", "PASSIVE", "TABLE", "NOTICE"))
    }
    assert named <= keys
