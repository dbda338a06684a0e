"""Golden outputs: the complete result of ``pipeline.extract`` for every sample contract and
for ten real CUAD contracts, as stably ordered, pretty-printed JSON under ``tests/golden/``.

Every change to extraction shows as a diff of these files in the commit that makes it
(``make golden`` rewrites them; ``tests/test_golden.py`` compares). The ten CUAD contracts are
development contracts only: none of them is in the blind test split of the real-contract gold
(``sample_docs/gold/real/SPLIT.md``), whose extraction we look at only as figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.types import Extraction

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SAMPLE_DOCS = ROOT / "sample_docs"
CUAD_PDF = ROOT.parent / "shared" / "cuad" / "pdf"

# Development contracts of several kinds (outsourcing, hosting, services, maintenance,
# development, joint venture); file-name prefixes, so a long SEC file name stays readable.
CUAD_GOLDEN = (
    "ASPIRITYHOLDINGSLLC",
    "BICYCLETHERAPEUTICSPLC",
    "BLUEFLYINC",
    "IMPCOTECHNOLOGIESINC",
    "KUBIENT,INC",
    "MANUFACTURERSSERVICESLTD",
    "MJBIOTECH,INC",
    "SMITHELECTRICVEHICLESCORP",
    "TELKOMSALTD",
    "WPPPLC",
)


def golden_sources() -> dict[str, Path]:
    """Golden name → PDF. CUAD ones only where ``../shared/cuad`` is present."""
    out = {p.stem: p for p in sorted(SAMPLE_DOCS.glob("*.pdf"))}
    if CUAD_PDF.is_dir():
        for prefix in CUAD_GOLDEN:
            matches = sorted(p for p in CUAD_PDF.iterdir() if p.name.startswith(prefix + "_"))
            if len(matches) != 1:
                raise LookupError(f"CUAD golden {prefix!r}: {len(matches)} PDFs match")
            out[f"cuad-{prefix.split(',')[0].lower()}"] = matches[0]
    return out


def _rules(rules: dict[str, tuple[str, ...]] | dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: list(v) for k, v in sorted(rules.items())}


def extraction_to_golden(extraction: Extraction) -> dict[str, Any]:
    """Everything a reviewer sees of one extraction, in document order, as plain JSON."""
    text = extraction.layout.text
    cls = {c.clause: c for c in extraction.classifications}
    clauses = []
    for clause in extraction.clauses:
        entry: dict[str, Any] = {
            "ref": clause.ref,
            "kind": clause.kind,
            "heading": clause.heading,
            "pages": [clause.page_start, clause.page_end],
            "unit": clause.unit,
        }
        c = cls.get(clause.index)
        if c is not None and c.categories:
            entry["categories"] = list(c.categories)
            entry["evidence"] = _rules(c.evidence)
        if clause.unit:
            entry["text"] = clause.own_text(text)[:200]
        clauses.append(entry)
    obligations = []
    for o in extraction.obligations:
        obligations.append(
            {
                "ref": o.ref,
                "categories": list(o.categories),
                "modality": o.modality,
                "obligor": o.obligor,
                "beneficiary": o.beneficiary,
                "action": o.action,
                "trigger": o.trigger,
                "deadline": o.deadline.as_dict() if o.deadline else None,
                "text": o.text,
                "page": o.page,
                "confidence": o.confidence,
                "rules": _rules(o.rules),
                "flags": list(o.flags),
                "cross_refs": [[x.text, x.target, x.resolved] for x in o.cross_refs],
                "terms": list(o.terms),
            }
        )
    parties = extraction.parties
    return {
        "parties": {
            "contract_type": parties.contract_type,
            "counterparty": parties.counterparty,
            "customer_role": parties.customer_role,
            "parties": [[p.name, p.role] for p in parties.parties],
            "definitions": sorted({d.term for d in parties.definitions}),
        },
        "pages": len(extraction.layout.pages),
        "clauses": clauses,
        "obligations": obligations,
    }


def dumps(data: Any, indent: str = "") -> str:
    """JSON with one key per line, but a list of scalars (or of short lists of scalars) on
    one line, so that a diff shows a changed rule id or page as one changed line."""
    return _dump(data, indent) + "\n"


def _flat(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) or _flat(v) for v in value)
    return not isinstance(value, dict)


def _dump(value: Any, indent: str) -> str:
    if _flat(value):
        return json.dumps(value, ensure_ascii=False)
    inner = indent + "  "
    if isinstance(value, list):
        items = [inner + _dump(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    items = [
        f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}" for k, v in value.items()
    ]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"


def write_all() -> list[Path]:
    from pipeline.extract import extract

    GOLDEN.mkdir(parents=True, exist_ok=True)
    written = []
    for name, pdf in golden_sources().items():
        path = GOLDEN / f"{name}.json"
        path.write_text(dumps(extraction_to_golden(extract(pdf.read_bytes()))), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p.relative_to(ROOT))
