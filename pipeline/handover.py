"""Handover gaps: the outgoing provider's exit duties (what it must hand over, in what
format, by when) lined up against an incoming supplier's duties (what it must take on),
topic by topic (``rules/handover.yaml``), and what has no counterpart on the other side.

Pure: ``compare_handover(outgoing, incoming)`` reads ``ContractData``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from pipeline.checklist_rules import load_checklist_rules
from pipeline.exit_data import ContractData
from pipeline.passages import Passage, contract_to_passages
from pipeline.yaml_rules import RULES_DIR, Strict, compiled, load_rule_file, unique_ids

HANDOVER_FILE = RULES_DIR / "handover.yaml"
Pattern = Annotated[str, AfterValidator(compiled)]
Side = Literal["outgoing", "incoming"]


class Topic(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: str
    outgoing: Annotated[list[Pattern], Field(min_length=1)]
    incoming: Annotated[list[Pattern], Field(min_length=1)]


class HandoverRules(Strict):
    version: Literal[1]
    outgoing_context: list[Pattern]
    incoming_context: list[Pattern]
    topics: Annotated[list[Topic], Field(min_length=1)]

    @field_validator("topics")
    @classmethod
    def _unique(cls, topics: list[Topic]) -> list[Topic]:
        return unique_ids(topics, "topic")


def load_handover_rules(path: Path | None = None) -> HandoverRules:
    return load_rule_file(Path(path), HandoverRules) if path else _shipped()


@cache
def _shipped() -> HandoverRules:
    return load_rule_file(HANDOVER_FILE, HandoverRules)


@dataclass(frozen=True, slots=True)
class Duty:
    document: str
    document_id: int | None
    side: Side
    topic: str
    party: str
    unit_ref: str
    ref: str
    clause_id: int | None
    unit_id: int | None
    text: str
    formats: tuple[str, ...]  # "CSV", "in the formats set out in Annex 3"
    deadline: str | None  # as written
    obligations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicResult:
    topic: str
    label: str
    outgoing: tuple[Duty, ...]
    incoming: tuple[Duty, ...]

    @property
    def gap(self) -> str | None:
        """``no_taker``: handed over, nobody takes it on; ``no_giver``: to be taken on, nobody
        hands it over; None when both sides (or neither) have duties."""
        if self.outgoing and not self.incoming:
            return "no_taker"
        if self.incoming and not self.outgoing:
            return "no_giver"
        return None


@dataclass(frozen=True, slots=True)
class HandoverComparison:
    outgoing: tuple[str, ...]  # documents
    incoming: str
    topics: tuple[TopicResult, ...]

    @property
    def gaps(self) -> tuple[TopicResult, ...]:
        return tuple(t for t in self.topics if t.gap)


def compare_handover(
    outgoing: list[ContractData], incoming: ContractData, rules: HandoverRules | None = None
) -> HandoverComparison:
    rules = rules or load_handover_rules()
    out_duties = [d for c in outgoing for d in contract_duties(c, "outgoing", rules)]
    in_duties = contract_duties(incoming, "incoming", rules)
    topics = tuple(
        TopicResult(
            topic=t.id,
            label=t.label,
            outgoing=tuple(d for d in out_duties if d.topic == t.id),
            incoming=tuple(d for d in in_duties if d.topic == t.id),
        )
        for t in rules.topics
    )
    return HandoverComparison(tuple(c.name for c in outgoing), incoming.name, topics)


def contract_duties(contract: ContractData, side: Side, rules: HandoverRules) -> list[Duty]:
    """The duties of ``contract``'s provider on ``side`` of a handover, one per passage and
    topic (a passage about data and registers counts under both)."""
    role = contract.supplier_role
    if not role:
        return []
    vocab = load_checklist_rules().vocabulary
    actor = _actor_pattern(role, vocab.modal, vocab.not_a_party_after)
    context = _any(rules.outgoing_context if side == "outgoing" else rules.incoming_context)
    formats = _any(vocab.format)
    time = _deadline_pattern(tuple(vocab.time))
    definition = _any(vocab.definition)
    duties = []
    for passage in contract_to_passages(contract):
        if definition.search(passage.text) or not _acts(passage, role, actor):
            continue
        if not _in_context(passage, side, context):
            continue
        for topic in rules.topics:
            patterns = topic.outgoing if side == "outgoing" else topic.incoming
            if _any(patterns).search(passage.text):
                duties.append(_duty(contract, side, topic.id, role, passage, formats, time))
    return duties


def _in_context(passage: Passage, side: Side, context: re.Pattern) -> bool:
    if context.search(passage.text) or context.search(passage.context):
        return True
    # The incoming side must name the predecessor: its own exit schedule is not a take-over.
    return side == "outgoing" and bool(passage.categories & {"exit", "data_return"})


def _acts(passage: Passage, role: str, actor: re.Pattern) -> bool:
    if any(o.obligor and o.obligor.lower() == role.lower() for o in passage.obligations):
        return True
    return bool(actor.search(passage.text))


def _actor_pattern(role: str, modal: list[str], not_after: list[str]) -> re.Pattern:
    name = re.escape(role.lower())
    return re.compile(
        rf"\b{name}\b(?!\s+(?:{'|'.join(not_after)})\b)[^.;:|]{{0,80}}?\b(?:{'|'.join(modal)})"
        rf"|\|\s*(?:the )?{name}\s*(?:\||$)"
    )


def _duty(contract, side, topic, role, passage: Passage, formats, time) -> Duty:
    deadline = next((o.deadline.text for o in passage.obligations if o.deadline), None)
    if deadline is None:
        match = time.search(passage.raw)
        deadline = match.group(0) if match else None
    return Duty(
        document=contract.name,
        document_id=contract.document_id,
        side=side,
        topic=topic,
        party=role,
        unit_ref=passage.unit_ref,
        ref=passage.ref,
        clause_id=passage.clause_id,
        unit_id=passage.unit_id,
        text=passage.raw,
        formats=tuple(dict.fromkeys(m.group(0) for m in formats.finditer(passage.raw))),
        deadline=deadline,
        obligations=tuple(o.id for o in passage.obligations if o.id),
    )


@cache
def _deadline_pattern(time: tuple[str, ...]) -> re.Pattern:
    """A time expression with the words around it that make it a deadline: "within 20
    Working Days after the Termination Date", not just "20 Working Days"."""
    core = "|".join(f"(?:{p})" for p in time)
    return re.compile(
        rf"(?:\b(?:within|no later than|not later than|on or before|at least|by|before|after)\s+)?"
        rf"(?:{core})"
        rf"(?:\s+(?:after|of|before|following|from|prior to)\s+(?:the\s+)?"
        rf"[\w' -]{{0,40}}\b(?:date|termination|expiry|period|notice|request)\b)?",
        re.IGNORECASE,
    )


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.IGNORECASE)


def _any(patterns: list[str]) -> re.Pattern:
    return _compiled(tuple(patterns))
