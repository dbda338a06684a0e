"""``obligations evaluate --from-db``: what the database holds (after ingest and review), in
the form the scorers compare with the gold."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cli.common import err_console, open_db


def labels_from_db(db: str | None, documents: list[str]) -> list:
    from sqlmodel import Session, select

    from models import Clause, Document, Obligation
    from pipeline.evaluate import DocLabels, norm_ref

    out = []
    with Session(open_db(db)) as session:
        for name in documents:
            doc = session.exec(select(Document).where(Document.source_file == name)).first()
            if doc is None:
                err_console.print(f"[yellow]not in the database:[/] {name}")
                continue
            clauses = session.exec(select(Clause).where(Clause.document_id == doc.id)).all()
            units = {norm_ref(c.ref): frozenset(c.categories) for c in clauses if c.categories}
            obligations = session.exec(
                select(Obligation).where(
                    Obligation.document_id == doc.id, Obligation.status != "rejected"
                )
            ).all()
            out.append(DocLabels(name, units, tuple(_labels(o) for o in obligations)))
    return out


def _labels(o) -> dict:
    from pipeline.evaluate import norm_ref

    deadline = None
    if o.deadline_relation:
        deadline = {
            "duration": o.deadline_duration,
            "business_days": o.deadline_business_days,
            "relation": o.deadline_relation,
            "anchor": o.deadline_anchor,
            "date": o.deadline_date,
        }
    return {
        "ref": norm_ref(o.clause_ref),
        "text": o.text,
        "categories": frozenset(o.categories),
        "modality": o.modality,
        "obligor": o.obligor,
        "deadline": deadline,
        "confidence": o.confidence,
    }


def checklists_from_db(db: str | None, files: list) -> list:
    """The exit checklist of each gold file's document, as the database holds it."""
    import yaml
    from sqlmodel import Session, select

    from models import Document, readiness

    out = []
    with Session(open_db(db)) as session:
        for f in files:
            data = yaml.safe_load(f.path.read_text(encoding="utf-8")) or {}
            name = Path(data["document"]).name
            query = select(Document).where(
                Document.sha256 == f.sha256 if f.sha256 else Document.source_file == name
            )
            doc = session.exec(query).first()
            if doc is None or doc.status != "processed":
                err_console.print(f"[yellow]not in the database:[/] {name}")
                continue
            checklist = readiness.document_checklist(session=session, document=doc)
            out.append(replace(checklist, document=name))
    return out
