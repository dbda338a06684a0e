"""The export record (DESIGN.md §4, schema version 1) and everything that emits it.

- ``obligation_to_record`` turns one ``Obligation`` row and its ``Document`` into the record:
  a pure function, the only place the record's shape is written down in code.
- ``select_obligations`` / ``fetch_records`` / ``iter_records`` apply the filters shared by
  the CLI, the API and the flow: status (``approved`` = approved + corrected, or ``all``),
  ``since`` (``updated_at > since``), document, in the order (updated_at, obligation_id).
- ``write_jsonl`` / ``write_csv`` / ``write_ocds`` write records.
- ``export_increment`` is the registry's increment protocol (README, "Increments").

Tombstones: with ``status="approved"`` a full export holds the approved and corrected
obligations only, but an increment (``since`` given) also carries every obligation that has
since been rejected, and every one sent back to ``extracted`` after an approval, so that a
registry which imported it before can delete it. A registry keeps records whose status is
``approved`` or ``corrected`` and deletes the ``obligation_id`` of any other record.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TextIO

from sqlalchemy import and_, exists, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.models import Document, ExportState, Obligation, ReviewEvent, utcnow

SCHEMA_VERSION = "1"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "obligation-record.v1.json"

StatusFilter = Literal["approved", "all"]
REVIEWED = ("approved", "corrected")  # what a registry keeps
FIELDS: tuple[str, ...] = (
    "schema_version", "obligation_id",
    "document_sha256", "source_file", "contract_title", "contract_type", "counterparty",
    "clause_ref", "clause_heading", "categories", "modality", "obligor", "beneficiary",
    "action", "trigger", "deadline", "text", "page", "bboxes",
    "status", "origin", "reviewed_by", "reviewed_at", "updated_at",
    "confidence", "rules", "extractor_version",
)  # the record's keys, in the order of the CSV columns

# Review events after which an obligation may have reached a registry: one of these back in
# ``extracted`` (reopened) goes out as a tombstone in increments.
_ONCE_EXPORTABLE = ("approve", "correct", "create", "reopen")
REGISTRY = "registry"  # the ExportState row of the export-registry flow
DEFAULT_SAFETY_LAG = timedelta(seconds=60)


class ExportError(Exception):
    """The export could not be written."""


class InvalidRecord(ExportError):
    """A record does not match the export schema (a bug, or a bad value stored by hand)."""


class ConcurrentExport(ExportError):
    """Another run of the same export moved the high-water mark first; nothing was written."""


# --- the record ---------------------------------------------------------------------------------


def format_timestamp(value: datetime | None) -> str | None:
    """UTC, RFC 3339, always with microseconds, so that a record's ``updated_at`` handed back as
    ``since`` means exactly that instant and sorts as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_since(text: str) -> datetime:
    """An ISO-8601 date or date-time as an aware UTC datetime; naive values are taken as UTC.

    Raises ``ValueError`` with a message naming the bad value.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 date or date-time (e.g. 2026-11-25T10:15:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _deadline(ob: Obligation) -> dict | None:
    if not (ob.deadline_text or ob.deadline_duration or ob.deadline_date):
        return None
    return {
        "text": ob.deadline_text or "",
        "duration": ob.deadline_duration or None,
        "business_days": bool(ob.deadline_business_days),
        "anchor": ob.deadline_anchor or None,
        "relation": ob.deadline_relation or None,
        "date": ob.deadline_date or None,
    }


def obligation_to_record(ob: Obligation, doc: Document) -> dict[str, Any]:
    """The export record of one obligation (schema version 1). Pure: reads the two rows only."""
    overrides = doc.overrides or {}
    return {
        "schema_version": SCHEMA_VERSION,
        "obligation_id": ob.id,
        "document_sha256": doc.sha256,
        "source_file": doc.source_file,
        "contract_title": doc.title,
        "contract_type": overrides.get("contract_type") or doc.contract_type,
        "counterparty": overrides.get("counterparty") or doc.counterparty,
        "clause_ref": ob.clause_ref,
        "clause_heading": ob.clause_heading,
        "categories": list(ob.categories or []),
        "modality": ob.modality,
        "obligor": ob.obligor,
        "beneficiary": ob.beneficiary,
        "action": ob.action or "",
        "trigger": ob.trigger,
        "deadline": _deadline(ob),
        "text": ob.text or "",
        "page": ob.page,
        "bboxes": [
            {"page": int(b["page"]), "bbox": [float(x) for x in b["bbox"]]}
            for b in (ob.bboxes or [])
        ],
        "status": ob.status,
        "origin": ob.origin,
        "reviewed_by": ob.reviewed_by,
        "reviewed_at": format_timestamp(ob.reviewed_at),
        "updated_at": format_timestamp(ob.updated_at),
        "confidence": float(ob.confidence),
        "rules": {str(k): [str(r) for r in v] for k, v in (ob.rules or {}).items()},
        "extractor_version": ob.extractor_version,
    }


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(load_schema(), format_checker=FormatChecker())


def record_errors(record: dict) -> list[str]:
    """What is wrong with ``record`` against the schema (empty when it is valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}"
        for e in _validator().iter_errors(record)
    ]


def check_record(record: dict) -> dict:
    if errors := record_errors(record):
        raise InvalidRecord(
            f"obligation {record.get('obligation_id')!r} does not match export schema "
            f"v{SCHEMA_VERSION}: " + "; ".join(errors)
        )
    return record


# --- selecting obligations ----------------------------------------------------------------------


def select_obligations(
    *,
    status: StatusFilter = "approved",
    since: datetime | None = None,
    until: datetime | None = None,
    document: str | None = None,
    after: tuple[datetime, str] | None = None,
):
    """The (Obligation, Document) rows to export, ordered by (updated_at, obligation_id).

    ``since`` / ``until``: ``since < updated_at <= until``. ``after``: keyset cursor, rows
    strictly after that (updated_at, id) pair.
    """
    query = select(Obligation, Document).join(Document, Obligation.document_id == Document.id)
    if status == "approved":
        keep = Obligation.status.in_(REVIEWED)
        if since is not None:  # an increment: tombstones too
            was_reviewed = exists().where(
                ReviewEvent.obligation_id == Obligation.id,
                ReviewEvent.action.in_(_ONCE_EXPORTABLE),
            )
            keep = or_(
                keep,
                Obligation.status == "rejected",
                and_(Obligation.status == "extracted", was_reviewed),
            )
        query = query.where(keep)
    elif status != "all":
        raise ValueError(f"status must be 'approved' or 'all', not {status!r}")
    if since is not None:
        query = query.where(Obligation.updated_at > since)
    if until is not None:
        query = query.where(Obligation.updated_at <= until)
    if document:
        query = query.where(Document.sha256 == document.lower())
    if after is not None:
        at, ob_id = after
        query = query.where(
            or_(
                Obligation.updated_at > at,
                and_(Obligation.updated_at == at, Obligation.id > ob_id),
            )
        )
    return query.order_by(Obligation.updated_at, Obligation.id)


def fetch_records(
    *, session: Session, limit: int, validate: bool = True, **filters: Any
) -> list[dict]:
    """One page of records (see ``select_obligations`` for the filters)."""
    rows = session.exec(select_obligations(**filters).limit(limit)).all()
    records = [obligation_to_record(ob, doc) for ob, doc in rows]
    return [check_record(r) for r in records] if validate else records


def iter_records(
    *, session: Session, batch: int = 500, validate: bool = True, **filters: Any
) -> Iterator[dict]:
    """Every record matching the filters, fetched ``batch`` rows at a time."""
    after = filters.pop("after", None)
    while True:
        page = fetch_records(
            session=session, limit=batch, validate=validate, after=after, **filters
        )
        yield from page
        if len(page) < batch:
            return
        after = (parse_since(page[-1]["updated_at"]), page[-1]["obligation_id"])


# --- writers --------------------------------------------------------------------------------------


def write_jsonl(records: Iterable[dict], out: TextIO) -> int:
    n = 0
    for n, record in enumerate(records, 1):  # noqa: B007
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return n


def _cell(value: Any) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def write_csv(records: Iterable[dict], out: TextIO) -> int:
    """The same columns as the record; lists and objects JSON-encoded, null as an empty cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    n = 0
    for n, record in enumerate(records, 1):  # noqa: B007
        writer.writerow([_cell(record[f]) for f in FIELDS])
    return n


# OCDS: each obligation becomes a milestone of its contract. ``code`` is an open field; the
# first rule whose pattern matches the action and sentence decides it, else the category does.
_MILESTONE_RULES: tuple[tuple[str, str, re.Pattern], ...] = tuple(
    (code, kind, re.compile(pattern, re.I))
    for code, kind, pattern in (
        ("deletionCertificate", "reporting",
         r"certif\w*\b.{0,120}\b(delet|destr|eras|purg)|(delet|destr|eras|purg)\w*\b.{0,120}\bcertif"),
        ("exitPlan", "delivery", r"\bexit (management )?plan\b"),
        ("terminationNotice", "reporting",
         r"\bnotice\b.{0,80}\bterminat|\bterminat\w*\b.{0,80}\bnotice\b"),
        ("dataDeletion", "delivery", r"\b(delete|deletion|destroy|destruction|erase|purge)\b"),
        ("dataReturn", "delivery",
         r"\b(return|migrat\w*|transfer|deliver|hand over)\b.{0,80}\bdata\b"),
        ("knowledgeTransfer", "delivery", r"\bknowledge transfer\b|\bhandover\b|\bhand over\b"),
        ("report", "reporting", r"\b(report|notify|inform)\w*\b"),
    )
)
_CATEGORY_CODES = {"data_return": "dataReturn", "exit": "exitAssistance",
                   "termination": "terminationObligation"}
OCDS_VERSION = "1.1"


def milestone_code(record: dict) -> tuple[str, str]:
    """(code, OCDS milestone type) of an obligation record."""
    haystack = f"{record['action']} {record['text']}"
    for code, kind, pattern in _MILESTONE_RULES:
        if pattern.search(haystack):
            return code, kind
    for category in ("data_return", "exit", "termination"):
        if category in record["categories"]:
            return _CATEGORY_CODES[category], "delivery"
    return "obligation", "delivery"


def record_to_milestone(record: dict) -> dict:
    code, kind = milestone_code(record)
    title = f"{record['clause_ref']}: {record['action'] or record['text']}"
    milestone = {
        "id": record["obligation_id"],
        "title": title if len(title) <= 200 else title[:199] + "…",
        "type": kind,
        "code": code,
        "description": record["text"],
        "status": "scheduled",
        "dateModified": record["updated_at"],
    }
    due = (record["deadline"] or {}).get("date")
    if due:
        milestone["dueDate"] = f"{date.fromisoformat(due).isoformat()}T00:00:00Z"
    return milestone


def records_to_ocds(
    records: Iterable[dict],
    *,
    ocid_prefix: str = "ocds-obligs",
    publisher: str = "obligations",
    published: str | None = None,
) -> dict:
    """An OCDS 1.1 release package: one release per contract (document), its obligations as
    ``contracts[0].milestones``. Rejected obligations are left out (OCDS has no deletion;
    a registry that must delete reads the JSONL export). Pure."""
    by_document: dict[str, list[dict]] = {}
    for record in records:
        by_document.setdefault(record["document_sha256"], []).append(record)
    releases = []
    for sha, recs in by_document.items():
        kept = [r for r in recs if r["status"] != "rejected"]
        if not kept:
            continue
        first, last_change = kept[0], max(r["updated_at"] for r in kept)
        contract: dict[str, Any] = {
            "id": sha,
            "awardID": sha,
            "title": first["contract_title"] or first["source_file"],
            # in the order of the contract's pages, as a reader of the contract meets them
            "milestones": [
                record_to_milestone(r) for r in sorted(kept, key=lambda r: r["page"] or 0)
            ],
        }
        release: dict[str, Any] = {
            "ocid": f"{ocid_prefix}-{sha}",
            "id": f"{sha[:16]}-{re.sub(r'[^0-9]', '', last_change)}",
            "date": last_change,
            "tag": ["contract"],
            "initiationType": "tender",
            "contracts": [contract],
        }
        if first["counterparty"]:
            party = {"id": "counterparty", "name": first["counterparty"], "roles": ["supplier"]}
            release["parties"] = [party]
        releases.append(release)
    if published is None:
        published = max((r["date"] for r in releases), default=format_timestamp(utcnow()))
    return {
        "uri": f"urn:obligations:ocds:{re.sub(r'[^0-9]', '', published)}",
        "version": OCDS_VERSION,
        "publishedDate": published,
        "publisher": {"name": publisher},
        "releases": releases,
    }


def write_ocds(records: Iterable[dict], out: TextIO, **options: Any) -> int:
    package = records_to_ocds(records, **options)
    json.dump(package, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return sum(len(r["contracts"][0]["milestones"]) for r in package["releases"])


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "ocds": write_ocds}


# --- the registry's increments -------------------------------------------------------------------


@dataclass(frozen=True)
class Increment:
    path: Path | None  # None when nothing changed (no file is written)
    count: int
    since: datetime | None  # the high-water mark before this run
    mark: datetime | None  # the high-water mark after it
    until: datetime  # rows changed after this instant wait for the next run


def increment_name(at: datetime) -> str:
    return f"obligations-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}.jsonl"


def export_increment(
    *,
    engine: Engine,
    out_dir: Path,
    name: str = REGISTRY,
    safety_lag: timedelta = DEFAULT_SAFETY_LAG,
    now: datetime | None = None,
    write_empty: bool = False,
) -> Increment:
    """Write the records changed since the high-water mark of ``name`` to a dated JSONL file in
    ``out_dir`` and move the mark to the newest ``updated_at`` written.

    Protocol (README, "Increments"): rows with ``mark < updated_at <= now - safety_lag``, in
    (updated_at, id) order. The lag leaves time for transactions that stamped ``updated_at``
    before committing; rows in the lag window, and any that committed later than the lag but
    with a stamp above the new mark, are taken by the next run. The file appears (atomic link)
    before the mark is committed: a crash in between repeats the increment, never skips it; the
    mark moves by compare-and-set, so two concurrent runs cannot both write the same changes.
    Nothing changed: no file, mark unchanged (unless ``write_empty``).
    """
    now = now or utcnow()
    until = now - safety_lag
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Session(engine, expire_on_commit=False) as session:
        state = session.get(ExportState, name)
        since = state.high_water_mark if state else None
        records = list(iter_records(session=session, status="approved", since=since, until=until))
        if not records and not write_empty:
            return Increment(None, 0, since, since, until)
        mark = parse_since(records[-1]["updated_at"]) if records else since
        tmp = out_dir / f".{increment_name(now)}.{os.getpid()}.tmp"
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            write_jsonl(records, fh)
            fh.flush()
            os.fsync(fh.fileno())
        final, linked = _unused_name(out_dir, now), False
        try:
            # Compare-and-set first: a concurrent run fails here, before any file appears.
            _move_mark(session, name, since, mark, final.name, exists=state is not None)
            os.link(tmp, final)  # atomic, and never over an existing file
            linked = True
            session.commit()
        except BaseException:
            session.rollback()
            if linked:
                final.unlink(missing_ok=True)
            raise
        finally:
            tmp.unlink(missing_ok=True)
    return Increment(final, len(records), since, mark, until)


def _unused_name(out_dir: Path, now: datetime) -> Path:
    """The increment's file name: the run's time, or the next free second after it, so that
    names stay unique and sort in the order the increments were written."""
    for step in range(3600):
        path = out_dir / increment_name(now + timedelta(seconds=step))
        if not path.exists():
            return path
    raise ExportError(f"no free increment file name in {out_dir} for an hour after {now}")


def _move_mark(
    session: Session,
    name: str,
    old: datetime | None,
    new: datetime | None,
    file: str,
    *,
    exists: bool,
) -> None:
    now = utcnow()
    if not exists:
        session.add(ExportState(name=name, high_water_mark=new, last_file=file, updated_at=now))
        try:
            session.flush()
        except IntegrityError:
            raise ConcurrentExport(ConcurrentExport.__doc__) from None
        return
    column = ExportState.high_water_mark
    same = column.is_(None) if old is None else column == old
    result = session.execute(
        update(ExportState)
        .where(ExportState.name == name, same)
        .values(high_water_mark=new, last_file=file, updated_at=now)
    )
    if result.rowcount != 1:
        raise ConcurrentExport(ConcurrentExport.__doc__)
