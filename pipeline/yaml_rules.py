"""Loading the YAML rule files that the legal team edits (``pipeline/rules/checklist.yaml``,
``timeline.yaml``, ``handover.yaml``): each is validated by a pydantic model, and any mistake
(an unknown key, a wrong type, a duplicate id or key, a regular expression that does not
compile) stops the load with the file, the key and the reason, never a silent default.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

RULES_DIR = Path(__file__).resolve().parent / "rules"

M = TypeVar("M", bound=BaseModel)


class RuleFileError(ValueError):
    """A rule file is not valid."""

    code = "invalid_rule_file"

    def __init__(self, path: Path | str, key: str, reason: str):
        self.path, self.key, self.reason = str(path), key, reason
        super().__init__(f"{Path(path).name}: {key}: {reason}")


class Strict(BaseModel):
    """Every rule model refuses keys it does not know and never coerces types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a rule file must not have any."""


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep=False):
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise RuleFileError(
                loader.name, str(key), f"duplicate key (line {key_node.start_mark.line + 1})"
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def load_rule_file(path: Path, model: type[M]) -> M:
    """``path`` parsed and validated as ``model``; ``RuleFileError`` says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(path, "(file)", f"cannot be read: {exc.strerror}") from None
    try:
        loader = _UniqueKeyLoader(text)
        loader.name = str(path)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or exc
        raise RuleFileError(path, where, f"not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise RuleFileError(path, "(file)", "must be a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = _key_path(error["loc"], data)
        raise RuleFileError(path, key or "(top level)", _reason(dict(error))) from None


def _key_path(loc: tuple, data) -> str:
    """``items[3] (exit_plan).rules[0].all`` from pydantic's location, naming list entries by id
    where they have one, so the legal team finds the line."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label += f" ({node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)


def _reason(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] != "missing" and "input" in error:
        shown = repr(error["input"])
        message += f" (got {shown[:80]})"
    return message


def unique_ids(values: list, what: str) -> list:
    """A validator body: ``values`` (models with an ``id``) must not repeat an id."""
    seen: set[str] = set()
    for value in values:
        if value.id in seen:
            raise ValueError(f"duplicate {what} id {value.id!r}")
        seen.add(value.id)
    return values


def compiled(pattern: str) -> str:
    """A validator body: the pattern must compile as a Python regular expression."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


def file_fingerprint(*paths: Path) -> str:
    """A short hash of rule files, shown with what they produced."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]
