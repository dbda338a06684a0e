"""The plain data that the exit checklist, the exit timeline and the handover comparison read.

It is what the database holds for one contract (``models.Document``, ``Clause`` and
``Obligation`` rows), nothing from inside the extraction pipeline: so the same functions run on
a fresh extraction (``contract_from_extraction``) and on a reviewed document
(``models.readiness``), and a reviewer's corrections change what they report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.types import Extraction


@dataclass(frozen=True, slots=True)
class ClauseRow:
    """One node of the clause tree, as stored (``models.Clause``)."""

    position: int  # order in the document; the key others point at
    ref: str
    heading: str | None
    text: str  # the node's own text, without its children's
    unit: bool
    parent: int | None  # the parent's position
    categories: tuple[str, ...] = ()
    kind: str = "clause"
    page: int = 1
    id: int | None = None  # database id, for links; None for a fresh extraction


@dataclass(frozen=True, slots=True)
class Deadline:
    text: str | None
    duration: str | None  # ISO-8601: P30D, P3M, P1Y, P2W
    business_days: bool
    relation: str | None
    anchor: str | None
    date: str | None = None  # YYYY-MM-DD where the contract gives a calendar date


@dataclass(frozen=True, slots=True)
class ObligationRow:
    """One obligation, as stored (``models.Obligation``); rejected ones are left out."""

    id: str | None
    ref: str  # the finest ref holding it: "23.4(b)"
    clause: int | None  # position of the clause node holding its text
    categories: tuple[str, ...]
    modality: str
    obligor: str | None
    beneficiary: str | None
    action: str
    trigger: str | None
    deadline: Deadline | None
    text: str
    page: int | None = None
    status: str = "extracted"


@dataclass(frozen=True, slots=True)
class ContractData:
    name: str  # the source file
    title: str | None
    contract_type: str | None
    counterparty: str | None
    parties: tuple[tuple[str, str], ...]  # (name, role)
    clauses: tuple[ClauseRow, ...]
    obligations: tuple[ObligationRow, ...]
    definitions: tuple[tuple[str, str], ...] = ()  # (term, text)
    document_id: int | None = None
    sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(role for _, role in self.parties if role))

    @property
    def customer_role(self) -> str | None:
        """The council's (or customer's) role: the party that is not the counterparty."""
        others = [role for name, role in self.parties if not _same_name(name, self.counterparty)]
        return others[0] if others else None

    @property
    def supplier_role(self) -> str | None:
        """The counterparty's role: the JV company or the supplier."""
        for name, role in self.parties:
            if _same_name(name, self.counterparty):
                return role
        customer = self.customer_role
        others = [role for role in self.roles if role != customer]
        return others[0] if others else None


def _same_name(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def deadline_from_dict(value: dict | None) -> Deadline | None:
    if not value or not (value.get("relation") or value.get("duration") or value.get("date")):
        return None
    return Deadline(
        text=value.get("text"),
        duration=value.get("duration"),
        business_days=bool(value.get("business_days")),
        relation=value.get("relation"),
        anchor=value.get("anchor"),
        date=value.get("date"),
    )


def contract_from_extraction(name: str, extraction: Extraction) -> ContractData:
    """What ``models.store`` would store for ``extraction``, as ``ContractData``."""
    layout = extraction.layout
    categories = {c.clause: tuple(c.categories) for c in extraction.classifications}
    clauses = tuple(
        ClauseRow(
            position=c.index,
            ref=c.ref,
            heading=c.heading,
            text=c.own_text(layout.text),
            unit=c.unit,
            parent=c.parent,
            categories=categories.get(c.index, ()),
            kind=c.kind,
            page=c.page_start,
        )
        for c in extraction.clauses
    )
    obligations = tuple(
        ObligationRow(
            id=None,
            ref=o.ref,
            clause=o.clause,
            categories=tuple(o.categories),
            modality=o.modality,
            obligor=o.obligor,
            beneficiary=o.beneficiary,
            action=o.action,
            trigger=o.trigger,
            deadline=deadline_from_dict(o.deadline.as_dict()) if o.deadline else None,
            text=o.text,
            page=o.page,
        )
        for o in extraction.obligations
    )
    parties = extraction.parties
    return ContractData(
        name=name,
        title=layout.title,
        contract_type=parties.contract_type,
        counterparty=parties.counterparty,
        parties=tuple((p.name, p.role) for p in parties.parties),
        clauses=clauses,
        obligations=obligations,
        definitions=tuple((d.term, d.text) for d in parties.definitions),
    )


# --- plain JSON, for caches and test fixtures ------------------------------------------------


def contract_to_json(contract: ContractData) -> dict:
    from dataclasses import asdict

    return asdict(contract)


def contract_from_json(data: dict) -> ContractData:
    clauses = tuple(
        ClauseRow(**{**c, "categories": tuple(c.get("categories") or ())}) for c in data["clauses"]
    )
    obligations = tuple(
        ObligationRow(
            **{
                **o,
                "categories": tuple(o.get("categories") or ()),
                "deadline": deadline_from_dict(o.get("deadline")),
            }
        )
        for o in data["obligations"]
    )
    return ContractData(
        **{
            **data,
            "parties": tuple(tuple(p) for p in data.get("parties") or ()),
            "definitions": tuple(tuple(d) for d in data.get("definitions") or ()),
            "clauses": clauses,
            "obligations": obligations,
        }
    )
