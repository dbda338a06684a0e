"""Helpers shared by the export tests: ingest the sample documents, add a few hand-made
obligations, review them. No tests here.

The sample documents give whatever the pipeline finds today (never counted on); the
hand-made obligations make sure every shape of record (a dated deadline, a business-day
period, a reviewer's addition without a page, each category) is always exported.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Document, Obligation, get_engine, init_db, session_scope
from models.models import ObligationUpdate
from models.store import store_extraction
from pipeline.extract import EXTRACTOR_VERSION, extract
from pipeline.ids import obligation_key

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "sample_docs"
SAMPLE_PDFS = sorted(SAMPLE_DOCS.glob("*.pdf"))


def open_engine(url: str) -> Engine:
    engine = get_engine(url)
    init_db(engine)
    return engine


def extract_samples() -> list[tuple[Path, str, object]]:
    """(path, sha256, extraction) of every sample PDF, extracted now."""
    out = []
    for path in SAMPLE_PDFS:
        data = path.read_bytes()
        out.append((path, hashlib.sha256(data).hexdigest(), extract(data)))
    return out


@lru_cache(maxsize=1)
def cached_samples() -> tuple[tuple[Path, str, object], ...]:
    return tuple(extract_samples())


def ingest(engine: Engine, extractions=None) -> None:
    """Store the extractions (default: the cached sample ones), one transaction each."""
    for path, sha, extraction in extractions or cached_samples():
        with session_scope(engine) as session:
            store_extraction(
                session=session, extraction=extraction, sha256=sha,
                source_file=path.name, path=str(path),
            )


SYNTHETIC_SHA = hashlib.sha256(b"synthetic contract for the export tests").hexdigest()
_SYNTHETIC = [
    dict(clause_ref="24.1", clause_heading="Exit Plan", categories=["exit"],
         obligor="Supplier", beneficiary="Council",
         action="deliver a draft Exit Plan to the Council",
         text="The Supplier shall deliver a draft Exit Plan to the Council within 3 months "
              "after the Effective Date.",
         deadline_text="within 3 months after the Effective Date", deadline_duration="P3M",
         deadline_business_days=False, deadline_relation="within",
         deadline_anchor="Effective Date"),
    dict(clause_ref="Schedule 8 para 4.2", clause_heading="Data Return",
         categories=["data_return", "exit"], obligor="Supplier", beneficiary="Council",
         action="return all Council Data in CSV format",
         text="The Supplier shall return all Council Data in CSV format by 31 March 2027.",
         deadline_text="by 31 March 2027", deadline_relation="by", deadline_date="2027-03-31"),
    dict(clause_ref="Schedule 8 para 4.5", clause_heading="Deletion",
         categories=["data_return"], obligor="Supplier", beneficiary="Council",
         action="provide a certificate confirming the deletion of all Council Data",
         text="The Supplier shall provide a certificate confirming the deletion of all "
              "Council Data within 10 Working Days.",
         deadline_text="within 10 Working Days", deadline_duration="P10D",
         deadline_business_days=True, deadline_relation="within"),
    dict(clause_ref="31.2", clause_heading="Termination for Convenience",
         categories=["termination"], modality="permission", obligor="Council",
         action="terminate this Contract by giving notice",
         text="The Council may terminate this Contract by giving not less than 6 months' "
              "notice to the Supplier.",
         deadline_text="not less than 6 months' notice", deadline_duration="P6M",
         deadline_relation="at_least"),
    dict(clause_ref="31.5(a)", clause_heading=None, categories=["termination"],
         modality="prohibition", obligor="Supplier",
         action="suspend the Services during any notice period",
         text="The Supplier shall not suspend the Services during any notice period."),
]


def add_synthetic(engine: Engine) -> list[str]:
    """A hand-made contract with one obligation of each shape; their ids, in order."""
    ids = []
    with session_scope(engine) as session:
        doc = Document(
            source_file="synthetic.pdf", path="/nowhere/synthetic.pdf", sha256=SYNTHETIC_SHA,
            title="Synthetic Services Contract", contract_type="supplier",
            counterparty="Example Services Ltd", status="processed",
            extractor_version=EXTRACTOR_VERSION, pages=40,
        )
        session.add(doc)
        session.flush()
        for position, values in enumerate(_SYNTHETIC):
            values = dict(values)
            values.setdefault("modality", "obligation")
            ob_id = obligation_key(SYNTHETIC_SHA, values["clause_ref"], values["text"])
            session.add(
                Obligation(
                    id=ob_id, document_id=doc.id, position=position, page=10 + position,
                    bboxes=[{"page": 10 + position, "bbox": [72.0, 100.5, 520.25, 112.0]}],
                    confidence=0.9, rules={"modality": ["mod.obligation.shall"]},
                    extractor_version=EXTRACTOR_VERSION, **values,
                )
            )
            ids.append(ob_id)
    return ids


def all_ids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Obligation.id).order_by(Obligation.id)))


# --- reviewing, through the review module -----------------------------------------------------


def approve(engine: Engine, ids, user: str = "alice") -> None:
    from models import review

    with session_scope(engine) as session:
        for ob_id in ids:
            review.approve(session=session, obligation_id=ob_id, user=user)


def reject(engine: Engine, ob_id: str, user: str = "alice") -> None:
    from models import review

    with session_scope(engine) as session:
        review.reject(session=session, obligation_id=ob_id, user=user)


def reopen(engine: Engine, ob_id: str, user: str = "alice") -> None:
    from models import review

    with session_scope(engine) as session:
        review.reopen(session=session, obligation_id=ob_id, user=user)


def correct(engine: Engine, ob_id: str, user: str = "bob", **changes) -> None:
    from models import review

    with session_scope(engine) as session:
        review.correct(
            session=session, obligation_id=ob_id, update=ObligationUpdate(**changes), user=user
        )
