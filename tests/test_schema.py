"""The export record's JSON Schema (DESIGN.md §4, version 1): itself valid, strict, and met by
every record the product emits for the sample documents, in every format."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from jsonschema import Draft202012Validator
from sqlmodel import Session
from test_export_support import (
    add_synthetic,
    all_ids,
    approve,
    cached_samples,
    correct,
    extract_samples,
    ingest,
    open_engine,
    reject,
)

from models.export import (
    FIELDS,
    SCHEMA_PATH,
    iter_records,
    load_schema,
    parse_since,
    record_errors,
    write_csv,
    write_jsonl,
)

GOOD = {
    "schema_version": "1",
    "obligation_id": "0" * 32,
    "document_sha256": "a" * 64,
    "source_file": "contract.pdf",
    "contract_title": "Contract",
    "contract_type": "supplier",
    "counterparty": "Example Ltd",
    "clause_ref": "23.4(b)",
    "clause_heading": "Exit",
    "categories": ["exit", "data_return"],
    "modality": "obligation",
    "obligor": "Supplier",
    "beneficiary": "Council",
    "action": "deliver the Exit Plan",
    "trigger": None,
    "deadline": {"text": "within 30 days", "duration": "P30D", "business_days": False,
                 "anchor": "the Exit Date", "relation": "within", "date": None},
    "text": "The Supplier shall deliver the Exit Plan within 30 days.",
    "page": 3,
    "bboxes": [{"page": 3, "bbox": [72.0, 100.0, 500.0, 112.5]}],
    "status": "approved",
    "origin": "extracted",
    "reviewed_by": "alice",
    "reviewed_at": "2026-11-25T10:15:00.000000Z",
    "updated_at": "2026-11-25T10:15:00.123456Z",
    "confidence": 0.85,
    "rules": {"modality": ["mod.obligation.shall"]},
    "extractor_version": "0.1.0+rules.abc",
}


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_schema_requires_exactly_the_record_fields() -> None:
    schema = load_schema()
    assert list(schema["properties"]) == list(FIELDS)
    assert schema["required"] == list(FIELDS)
    assert schema["additionalProperties"] is False


def test_schema_accepts_the_example() -> None:
    assert record_errors(GOOD) == []


def _with(path: str, value):
    record = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = record
    for p in parents:
        target = target[p]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return record


@pytest.mark.parametrize(
    "path, value",
    [
        ("schema_version", "2"),
        ("schema_version", 1),
        ("obligation_id", "42"),
        ("document_sha256", "A" * 64),
        ("contract_type", "partnership"),
        ("categories", ["exit", "payment"]),
        ("categories", ["exit", "exit"]),
        ("modality", "must"),
        ("status", "pending"),
        ("origin", "import"),
        ("deadline.duration", "30 days"),
        ("deadline.duration", "P"),
        ("deadline.relation", "soon"),
        ("deadline.business_days", None),
        ("deadline.date", "31/03/2027"),
        ("deadline.anchor", KeyError),
        ("page", 0),
        ("bboxes", [{"page": 1, "bbox": [1, 2, 3]}]),
        ("updated_at", "2026-11-25 10:15:00"),
        ("updated_at", "2026-11-25T10:15:00+01:00"),
        ("reviewed_at", ""),
        ("confidence", 1.5),
        ("rules", {"modality": "mod.obligation.shall"}),
        ("clause_ref", ""),
        ("text", KeyError),
        ("extra", "field"),
    ],
)
def test_schema_rejects(path: str, value) -> None:
    assert record_errors(_with(path, value))


def _csv_row_to_record(row: dict) -> dict:
    """Read a CSV row back: nested values are JSON, empty cells null, numbers numbers."""
    nested = {"categories", "deadline", "bboxes", "rules"}
    out = {}
    for key, cell in row.items():
        if key in nested:
            out[key] = json.loads(cell) if cell else None
        elif cell == "":
            out[key] = None if key not in ("action", "text") else ""
        elif key == "page":
            out[key] = int(cell)
        elif key == "confidence":
            out[key] = float(cell)
        else:
            out[key] = cell
    return out


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """Every sample document ingested, the hand-made contract added, some obligations
    approved, one corrected, one rejected."""
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('schema') / 'o.db'}")
    ingest(engine)
    synthetic = add_synthetic(engine)
    ids = all_ids(engine)
    approve(engine, ids[::2])
    correct(engine, synthetic[0], action="deliver the final Exit Plan", deadline_duration="P1M")
    reject(engine, synthetic[1])
    return engine


@pytest.mark.integration
def test_schema_every_emitted_record_validates(sample_db) -> None:
    with Session(sample_db) as session:
        everything = list(iter_records(session=session, status="all", validate=False))
        approved = list(iter_records(session=session, validate=False))
        increment = list(iter_records(session=session, since=_before(everything), validate=False))
    assert everything and approved and increment
    for record in everything + approved + increment:
        assert record_errors(record) == [], record["obligation_id"]
    # JSONL and CSV hold the same records, CSV with nested values JSON-encoded.
    buffer = io.StringIO()
    write_jsonl(everything, buffer)
    assert [json.loads(line) for line in buffer.getvalue().splitlines()] == everything
    buffer = io.StringIO()
    write_csv(everything, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [_csv_row_to_record(r) for r in rows] == everything
    assert {r["status"] for r in everything} >= {"approved", "corrected", "rejected", "extracted"}


def _before(records):
    """An instant before every change: the increment then holds everything, tombstones too."""
    from datetime import timedelta

    return min(parse_since(r["updated_at"]) for r in records) - timedelta(seconds=1)


@pytest.mark.integration
def test_schema_two_fresh_ingests_export_identical_obligation_ids(tmp_path) -> None:
    """Done-means of issue 5: ids are derived from content, never from a database."""
    first = open_engine(f"sqlite:///{tmp_path / 'first.db'}")
    second = open_engine(f"sqlite:///{tmp_path / 'second.db'}")
    ingest(first, cached_samples())
    ingest(second, extract_samples())  # extracted again, from the bytes

    def exported(engine) -> list[dict]:
        with Session(engine) as session:
            return list(iter_records(session=session, status="all"))

    a, b = exported(first), exported(second)
    assert a, "the pipeline found no obligation in the sample documents"
    assert sorted(r["obligation_id"] for r in a) == sorted(r["obligation_id"] for r in b)
    assert len({r["obligation_id"] for r in a}) == len(a)

    def content(records):  # everything but the time the row was written
        return sorted(
            ({**r, "updated_at": None} for r in records), key=lambda r: r["obligation_id"]
        )

    assert content(a) == content(b)
