"""The schema of ``pipeline/rules/checklist.yaml``: the exit checklist as data.

An item (``exit_plan``, ``data_deletion`` …) is found in a contract by its *rules*: a rule
matches a passage (a sentence, or a list limb read with its stem) when every one of its
``all`` groups matches and none of its ``none`` groups does. A group matches when one of its
patterns (regular expressions, case-insensitive, over text with white space folded and quotes
and dashes made plain) is found in its ``scope`` — the passage's ``text``, the headings above it
(``context``) or either (``any``) — or when the passage's clause carries one of the group's
``categories``. ``terms`` name shared pattern lists (``terms:`` at the top), so a phrase that
several items need is edited once.

The item's ``essentials`` are checked on each passage it matched: stated → ``present``, one
missing → ``weak`` (CHECKLIST.md). What each essential looks for is in ``vocabulary``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from pipeline.yaml_rules import (
    RULES_DIR,
    Strict,
    compiled,
    file_fingerprint,
    load_rule_file,
    unique_ids,
)

CHECKLIST_FILE = RULES_DIR / "checklist.yaml"

Pattern = Annotated[str, AfterValidator(compiled)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]*$")]
Essential = Literal["party", "time", "format", "names_exit_clause", "decider"]
Scope = Literal["text", "context", "any"]
Category = Literal["exit", "data_return", "termination"]
State = Literal["present", "weak", "missing"]
STATES: tuple[State, ...] = ("present", "weak", "missing")

ESSENTIALS: dict[str, str] = {
    "party": "a named party who must (or may) act",
    "time": "a deadline, notice period or period's length",
    "format": "the format the data comes back in",
    "names_exit_clause": "the surviving provisions include an exit, data or "
    "post-termination one by name or number",
    "decider": "the party who chooses between return and deletion is named",
}


class Group(Strict):
    any: list[Pattern] = []
    terms: list[Identifier] = []
    scope: Scope = "text"
    categories: list[Category] = []

    @model_validator(mode="after")
    def _not_empty(self):
        if not (self.any or self.terms or self.categories):
            raise ValueError("a group needs at least one of any, terms or categories")
        return self


class Rule(Strict):
    id: Identifier
    all: Annotated[list[Group], Field(min_length=1)]
    none: list[Group] = []


class Item(Strict):
    id: Identifier
    label: str
    question: str
    essentials: list[Essential]
    # A finding of this item makes its clause an exit provision (for survival).
    exit_provision: bool = True
    rules: Annotated[list[Rule], Field(min_length=1)]

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, rules: list[Rule]) -> list[Rule]:
        return unique_ids(rules, "rule")


class Vocabulary(Strict):
    """What the essentials look for."""

    party_words: list[str]  # role words, besides the roles the contract itself defines
    not_a_party_after: list[Pattern]  # "Council Data": a role word used as an adjective
    modal: list[Pattern]  # what makes a role the one who acts
    not_parties: list[str]  # obligors that name no one ("Both Parties")
    decider: list[Pattern]  # group 1: the party whose option / election / direction it is
    requester: list[Pattern]  # group 1: the party at whose request it is returned or destroyed
    supplier_words: list[str]  # roles that are the supplier's, whoever the contract's parties are
    time: list[Pattern]
    format: list[Pattern]
    exit_clause: list[Pattern]  # headings or words that make a surviving clause an exit one
    survival_generic: list[Pattern]  # "provisions which by their nature survive"
    definition: list[Pattern]  # sentences that only define a term (never a provision)


class ChecklistRules(Strict):
    version: Literal[1]
    vocabulary: Vocabulary
    terms: dict[Identifier, list[Pattern]] = {}
    items: Annotated[list[Item], Field(min_length=1)]

    @field_validator("items")
    @classmethod
    def _unique_items(cls, items: list[Item]) -> list[Item]:
        unique_ids(items, "item")
        unique_ids([rule for item in items for rule in item.rules], "rule")
        return items

    @model_validator(mode="after")
    def _terms_exist(self):
        for i, item in enumerate(self.items):
            for rule in item.rules:
                for group in (*rule.all, *rule.none):
                    for term in group.terms:
                        if term not in self.terms:
                            raise ValueError(
                                f"items[{i}] ({item.id}) rule {rule.id}: "
                                f"unknown term {term!r} (not under terms:)"
                            )
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def load_checklist_rules(path: Path | None = None) -> ChecklistRules:
    """The checklist rules at ``path`` (default: the shipped file), validated."""
    if path is None:
        return _shipped()
    return load_rule_file(Path(path), ChecklistRules)


@cache
def _shipped() -> ChecklistRules:
    return load_rule_file(CHECKLIST_FILE, ChecklistRules)


def checklist_version(path: Path | None = None) -> str:
    return file_fingerprint(Path(path) if path else CHECKLIST_FILE)
