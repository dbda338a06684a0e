"""The exit checklist of one contract: for each item of ``rules/checklist.yaml``, whether the
contract has a provision that does what the item asks, with every essential stated
(``present``), with one missing (``weak``), or none at all (``missing``) — CHECKLIST.md.

Pure: ``contract_checklist(contract)`` reads ``ContractData`` (the clauses and obligations the
database holds) and returns plain data. Each finding keeps the passage, the rule id that
matched it and the obligations behind it, so a lawyer sees why an item got its state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.checklist_rules import (
    ChecklistRules,
    Group,
    Item,
    Rule,
    State,
    checklist_version,
    load_checklist_rules,
)
from pipeline.exit_data import ContractData
from pipeline.passages import Passage, contract_to_passages
from pipeline.survival import survival_scope

_RANK = {"present": 2, "weak": 1, "missing": 0}


@dataclass(frozen=True, slots=True)
class Finding:
    """A passage that does what an item asks."""

    item: str
    state: State  # present | weak
    unit_ref: str
    ref: str
    clause_id: int | None
    unit_id: int | None
    text: str  # the passage as printed
    rule: str  # the rule id that matched it
    unstated: tuple[str, ...]  # essentials not stated (empty when present)
    obligations: tuple[str, ...]  # ids of the stored obligations in the passage


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: str
    label: str
    question: str
    state: State
    refs: tuple[str, ...]  # units behind the state, in document order
    findings: tuple[Finding, ...]  # best first


@dataclass(frozen=True, slots=True)
class Checklist:
    document: str
    items: tuple[ItemResult, ...]
    rules_version: str

    def item(self, item_id: str) -> ItemResult:
        return next(i for i in self.items if i.item == item_id)

    def counts(self) -> dict[str, int]:
        out = {"present": 0, "weak": 0, "missing": 0}
        for item in self.items:
            out[item.state] += 1
        return out


def contract_checklist(
    contract: ContractData, rules: ChecklistRules | None = None, version: str | None = None
) -> Checklist:
    rules = rules or load_checklist_rules()
    passages = contract_to_passages(contract)
    matcher = _Matcher(rules, contract)
    # Survival is judged last: what survives counts when the other items found exit in it.
    last = [i for i in rules.items if "names_exit_clause" in i.essentials]
    results = {i.id: _evaluate(i, passages, matcher) for i in rules.items if i not in last}
    matcher.exit_units = frozenset(
        f.unit_ref
        for item in rules.items
        if item.exit_provision and item.id in results
        for f in results[item.id].findings
    )
    results |= {i.id: _evaluate(i, passages, matcher) for i in last}
    ordered = tuple(results[i.id] for i in rules.items)
    return Checklist(contract.name, ordered, version or checklist_version())


def _evaluate(item: Item, passages: list[Passage], matcher: _Matcher) -> ItemResult:
    findings: list[Finding] = []
    for passage in passages:
        if matcher.is_definition(passage):
            continue
        rule = next((r for r in item.rules if matcher.rule_matches(r, passage)), None)
        if rule is None:
            continue
        if "names_exit_clause" in item.essentials and matcher.survival(passage) == "specific":
            continue  # names only provisions that are not exit ones: not even weak
        if "decider" in item.essentials and matcher.decider(passage) == "supplier":
            continue  # the supplier chooses, over its own information: not the customer's choice
        unstated = tuple(e for e in item.essentials if not matcher.essential(e, passage))
        findings.append(
            Finding(
                item=item.id,
                state="weak" if unstated else "present",
                unit_ref=passage.unit_ref,
                ref=passage.ref,
                clause_id=passage.clause_id,
                unit_id=passage.unit_id,
                text=passage.raw,
                rule=rule.id,
                unstated=unstated,
                obligations=tuple(o.id for o in passage.obligations if o.id),
            )
        )
    state: State = max((f.state for f in findings), key=lambda s: _RANK[s], default="missing")
    best = [f for f in findings if f.state == state]
    findings.sort(key=lambda f: -_RANK[f.state])  # stable: document order within a state
    return ItemResult(
        item=item.id,
        label=item.label,
        question=item.question,
        state=state,
        refs=tuple(dict.fromkeys(f.unit_ref for f in best)),
        findings=tuple(findings),
    )


class _Matcher:
    """The item rules and the essentials, compiled once for one contract."""

    def __init__(self, rules: ChecklistRules, contract: ContractData):
        self.rules = rules
        self.contract = contract
        vocab = rules.vocabulary
        self.time = _any(vocab.time)
        self.format = _any(vocab.format)
        self.definition = _any(vocab.definition)
        self.exit_clause = _any(vocab.exit_clause)
        self.survival_generic = _any(vocab.survival_generic)
        self.exit_units: frozenset[str] = frozenset()
        words = sorted({*(w.lower() for w in vocab.party_words), *_role_words(contract)}, key=len)
        role = "(?:" + "|".join(re.escape(w) for w in reversed(words)) + ")"
        not_after = "|".join(vocab.not_a_party_after)
        modal = "|".join(vocab.modal)
        self.party = re.compile(
            rf"\b{role}\b(?!\s+(?:{not_after})\b)[^.;:|]{{0,80}}?\b(?:{modal})"
            rf"|\bby (?:the |each |either )?{role}\b(?!\s+(?:{not_after})\b)"
            rf"|\b{role}'s (?:own |sole )?(?:cost|expense|option|election|choice|direction|"
            rf"request|instruction|discretion)"
            rf"|\|\s*(?:the )?{role}\s*(?:\||$)"  # a table's "responsible party" cell
        )
        self.not_parties = {p.lower() for p in vocab.not_parties}
        self.deciders = [re.compile(p, re.IGNORECASE) for p in vocab.decider]
        self.requesters = [re.compile(p, re.IGNORECASE) for p in vocab.requester]
        # Only a role that says "supplier" in so many words: a contract's detected
        # counterparty is not reliable enough to decide whose information it is.
        self.supplier = re.compile(rf"\b(?:{'|'.join(map(re.escape, vocab.supplier_words))})\b")

    def is_definition(self, passage: Passage) -> bool:
        return bool(self.definition.search(passage.text))

    def rule_matches(self, rule: Rule, passage: Passage) -> bool:
        return all(self._group(g, passage) for g in rule.all) and not any(
            self._group(g, passage) for g in rule.none
        )

    def _group(self, group: Group, passage: Passage) -> bool:
        if group.categories and passage.categories & set(group.categories):
            return True
        if not (group.any or group.terms):
            return False
        pattern = _group_pattern(
            tuple(group.any), tuple(p for t in group.terms for p in self.rules.terms[t])
        )
        if group.scope in ("text", "any") and pattern.search(passage.text):
            return True
        return group.scope in ("context", "any") and bool(pattern.search(passage.context))

    def essential(self, name: str, passage: Passage) -> bool:
        if name == "party":
            return self._party(passage)
        if name == "time":
            return any(_has_time(o.deadline) for o in passage.obligations) or bool(
                self.time.search(passage.text)
            )
        if name == "format":
            return bool(self.format.search(passage.text))
        if name == "names_exit_clause":
            return self.survival(passage) == "exit"
        if name == "decider":
            return self.decider(passage) == "customer"
        raise KeyError(name)

    def decider(self, passage: Passage) -> str | None:
        """Whose choice return or deletion is: ``customer`` (named as choosing: anyone but
        the supplier), ``supplier`` (the supplier chooses or asks, over its own information),
        ``request`` (done on someone's request: whose choice is not stated) or None."""
        for patterns, found in ((self.deciders, "customer"), (self.requesters, "request")):
            for pattern in patterns:
                for match in pattern.finditer(passage.text):
                    who = (match.group(1) or "").strip() if pattern.groups else ""
                    return "supplier" if self.supplier.search(who) else found
        return None

    def survival(self, passage: Passage) -> str:
        return survival_scope(
            passage.text,
            passage.unit_ref,
            self.contract,
            self.exit_clause,
            self.survival_generic,
            self.exit_units,
        )

    def _party(self, passage: Passage) -> bool:
        for ob in passage.obligations:
            if ob.obligor and ob.obligor.lower() not in self.not_parties:
                return True
        return bool(self.party.search(passage.text))


def _role_words(contract: ContractData) -> set[str]:
    return {r.lower() for r in contract.roles if r and r.lower() not in ("party", "parties")}


def _has_time(deadline) -> bool:
    return deadline is not None and bool(deadline.duration or deadline.date)


def _any(patterns: list[str]) -> re.Pattern:
    return _group_pattern(tuple(patterns), ())


@lru_cache(maxsize=4096)
def _group_pattern(patterns: tuple[str, ...], more: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in (*patterns, *more)) or "(?!)", re.IGNORECASE)
