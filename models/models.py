"""All tables of the product (DESIGN.md §2), in one module.

Conventions: datetimes are timezone-aware UTC (stored as naive UTC, see ``UTCDateTime``);
JSON columns are reassigned, never mutated in place; the obligation's primary key is its
stable ``obligation_id`` (derived from content, see ``pipeline.ids.obligation_key``), so
that every re-run and every database computes the same identity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that always comes back timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(default=list, **kw) -> Any:
    return Field(default_factory=default, sa_column=Column(JSONType, nullable=False, **kw))


def _when(nullable: bool = True, index: bool = False, **kw) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index), **kw)


# --- batches and documents --------------------------------------------------------------------


class Run(SQLModel, table=True):
    """One batch: an ``ingest-contracts`` or ``export-registry`` flow run."""

    id: int | None = Field(default=None, primary_key=True)
    flow: str = "ingest-contracts"
    flow_run_id: str | None = None
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    finished_at: datetime | None = _when()
    status: str = "running"  # queued | running | completed | failed | abandoned
    parameters: dict = _json(dict)
    counts: dict = _json(dict)
    failures: list = _json(list)
    # Who runs it, and when it last said it was alive: a run whose process died is told
    # apart from one still working by these (models.runs.mark_abandoned).
    host: str | None = None
    pid: int | None = None
    heartbeat_at: datetime | None = _when()
    # Team runs (issue 13): ``origin`` is cli | web | prefect (a deployment run started from
    # the Prefect UI, API or a schedule) | drop-folder | chunk (a part of a larger batch,
    # ``parent_run_id``); ``worker`` the Prefect worker that ran it; ``progress`` the
    # documents done so far, written as they finish (models.team_runs).
    origin: str | None = None
    started_by: str | None = None
    parent_run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    worker: str | None = None
    progress: dict = _json(dict)


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source_file: str
    path: str
    sha256: str = Field(sa_column=Column(String(64), unique=True, nullable=False, index=True))
    title: str | None = None
    contract_type: str | None = None  # jv | supplier
    counterparty: str | None = None
    parties: list = _json(list)  # [{"name", "role"}]
    definitions: list = _json(list)  # [{"term", "text", "page"}]
    overrides: dict = _json(dict)  # user-given contract_type / counterparty
    pages: int | None = None
    status: str = Field(default="pending", index=True)  # pending | processed | failed
    error_code: str | None = None
    error_message: str | None = None
    extractor_version: str | None = Field(default=None, index=True)
    parser_version: str | None = None  # pipeline.pdf.PARSER_VERSION of its layout
    ocr: bool = False  # its text (or some pages' text) comes from OCR
    # Warnings about the result as a whole: "low_structure", "ocr" (models.store).
    flags: list = _json(list)
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    ingested_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    processed_at: datetime | None = _when()


class Clause(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    position: int  # order in the document
    ref: str
    label: str
    kind: str
    depth: int = 0
    parent_position: int | None = None
    heading: str | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    unit: bool = False
    categories: list = _json(list)
    evidence: dict = _json(dict)  # category -> rule ids
    page_start: int = 1
    page_end: int = 1
    bboxes: list = _json(list)  # [{"page", "bbox": [x0, top, x1, bottom]}]
    extractor_version: str | None = None


# --- obligations and their review -------------------------------------------------------------


class ObligationBase(SQLModel):
    categories: list = _json(list)
    modality: str  # obligation | prohibition | permission
    obligor: str | None = None
    beneficiary: str | None = None
    action: str = Field(default="", sa_column=Column(Text, nullable=False))
    trigger: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    deadline_text: str | None = None
    deadline_duration: str | None = None
    deadline_business_days: bool | None = None
    deadline_relation: str | None = None
    deadline_anchor: str | None = None
    deadline_date: str | None = None


# A real Column object: version_id_col must name it (fastapi/sqlmodel#632).
_VERSION = Column("version", Integer, nullable=False)


class Obligation(ObligationBase, table=True):
    id: str = Field(primary_key=True, max_length=40)  # the stable obligation_id
    document_id: int = Field(foreign_key="document.id", index=True)
    clause_id: int | None = Field(default=None, foreign_key="clause.id", index=True)
    clause_ref: str
    clause_heading: str | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    page: int | None = None
    bboxes: list = _json(list)
    confidence: float = 0.0
    rules: dict = _json(dict)  # field -> rule ids
    flags: list = _json(list)
    cross_refs: list = _json(list)
    terms: list = _json(list)
    position: int = 0  # order in the document
    status: str = Field(default="extracted", index=True)  # extracted|approved|corrected|rejected
    origin: str = "extracted"  # extracted | reviewer
    # What the latest extraction proposed where it disagrees with a reviewed obligation.
    conflict: dict | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    stale: bool = False  # no longer produced by the current extractor
    version: int = Field(default=1, sa_column=_VERSION)
    reviewed_by: str | None = None
    reviewed_at: datetime | None = _when()
    extractor_version: str | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    __mapper_args__ = {"version_id_col": _VERSION}  # optimistic locking (NOTES.md)
    # Export and the API page through obligations in (updated_at, id) order.
    __table_args__ = (Index("ix_obligation_updated_at_id", "updated_at", "id"),)


class ObligationUpdate(SQLModel):
    """The fields a reviewer may correct; applied with ``model_dump(exclude_unset=True)``."""

    categories: list[str] | None = None
    modality: str | None = None
    obligor: str | None = None
    beneficiary: str | None = None
    action: str | None = None
    trigger: str | None = None
    deadline_text: str | None = None
    deadline_duration: str | None = None
    deadline_business_days: bool | None = None
    deadline_relation: str | None = None
    deadline_anchor: str | None = None
    deadline_date: str | None = None


class ReviewEvent(SQLModel, table=True):
    """Append-only audit trail: one row per change (and one per approve / reject)."""

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: str = Field(foreign_key="obligation.id", index=True)
    user: str
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    action: str  # create | correct | approve | reject | reopen | merge | conflict
    field: str | None = None
    old: Any = Field(default=None, sa_column=Column(JSONType, nullable=True))
    new: Any = Field(default=None, sa_column=Column(JSONType, nullable=True))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# --- access ------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), unique=True, nullable=False, index=True))
    password_hash: str
    role: str = "reviewer"  # reviewer | admin
    active: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ApiToken(SQLModel, table=True):
    """A bearer token for machine clients; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    prefix: str  # first characters, to tell tokens apart in listings
    created_by: str | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_used_at: datetime | None = _when()
    revoked_at: datetime | None = _when()


class ExportState(SQLModel, table=True):
    """The high-water mark of a named export (e.g. the ``export-registry`` flow)."""

    name: str = Field(primary_key=True)
    high_water_mark: datetime | None = _when()
    last_file: str | None = None
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class UserSession(SQLModel, table=True):
    """A login to the web app. The cookie carries a random token; only its SHA-256 is stored.
    Every request looks its session up here, so ending the row (logout, a password change,
    deactivation, re-activation) ends the session whatever copy of the cookie anyone kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime | None = _when()
    ended_at: datetime | None = _when()
    ended_reason: str | None = None  # logout | password | deactivated | activated | expired
    client: str | None = None  # the address it was opened from, for the admin's eyes


class AdminEvent(SQLModel, table=True):
    """Append-only audit trail of user and API token administration (who did what, when)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    actor: str  # the user who did it (web), or the system account at the shell (cli)
    via: str  # web | cli
    action: str  # user.add | user.role | user.password | user.deactivate | user.activate | …
    target: str  # a user name, or "token <id> <name>"
    detail: dict = _json(dict)  # e.g. {"old": "reviewer", "new": "admin"}


# --- exit readiness (issue 14) ------------------------------------------------------------------


class HandoverMark(SQLModel, table=True):
    """A document marked for the handover comparison: the ``outgoing`` provider's contract (the
    JV) or an ``incoming`` supplier's. Who marked it and when is kept on the row."""

    document_id: int = Field(
        sa_column=Column(Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str  # outgoing | incoming
    marked_by: str
    marked_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


# --- ingest machinery ---------------------------------------------------------------------------


class LayoutCache(SQLModel, table=True):
    """A document's parsed layout (``pipeline.layout_codec``), so that a rule change re-runs
    the rules, not the parser. Keyed by the PDF's SHA-256, the parser version and where the
    text came from (``text``: the PDF's own text layer; ``ocr``: OCR of the pages without
    one; ``ocr-all``: OCR of every page). In the database so that every machine sharing it
    shares the cache."""

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    parser_version: str = Field(sa_column=Column(String(40), primary_key=True))
    source: str = Field(sa_column=Column(String(16), primary_key=True))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    pages: int
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class OcrPdf(SQLModel, table=True):
    """The OCR'd copy of a scanned PDF (the original's pages with an invisible text layer):
    kept so that a new parser version re-reads it instead of running OCR again, and so that
    the text a reviewer is shown can be checked against the page it was read from."""

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))  # the original's
    source: str = Field(sa_column=Column(String(16), primary_key=True))  # ocr | ocr-all
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ocr_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    pages: list = _json(list)  # the pages that were OCR'd (1-based)
    engine: str  # "ocrmypdf 14.0.1, tesseract 5.3.0 (eng)"
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class DocumentClaim(SQLModel, table=True):
    """A document being parsed by a run: concurrent ingests skip what another live run has
    claimed, so each file is parsed once. Deleted when the document is stored; a claim of a
    run that died is taken over (models.runs)."""

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    run_id: int = Field(foreign_key="run.id", index=True)
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
