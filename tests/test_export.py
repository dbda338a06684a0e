"""models.export: the record, the filters, the writers, the OCDS mapping and the increment
protocol of the registry export."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from test_export_support import (
    SYNTHETIC_SHA,
    add_synthetic,
    approve,
    correct,
    open_engine,
    reject,
    reopen,
)

from models import ExportState, Obligation, session_scope
from models.export import (
    FIELDS,
    ConcurrentExport,
    export_increment,
    format_timestamp,
    iter_records,
    milestone_code,
    obligation_to_record,
    parse_since,
    record_errors,
    records_to_ocds,
    write_csv,
)
from models.models import Document

T0 = datetime(2026, 11, 25, 10, 15, 0, 123456, tzinfo=UTC)


def _rows(**changes):
    doc = Document(id=1, source_file="c.pdf", path="/c.pdf", sha256="b" * 64, title="C",
                   contract_type="jv", counterparty="JV Co")
    values = dict(
        id="c" * 32, document_id=1, clause_ref="23.4", modality="obligation",
        categories=["exit"], action="deliver the Exit Plan", text="The Company shall deliver "
        "the Exit Plan.", page=2, bboxes=[{"page": 2, "bbox": [1, 2, 3, 4]}], confidence=0.7,
        rules={"modality": ["m.1"]}, status="approved", updated_at=T0, created_at=T0,
    )
    values.update(changes)
    return Obligation(**values), doc


# --- the record -------------------------------------------------------------------------------


def test_export_record_has_every_field_in_order() -> None:
    record = obligation_to_record(*_rows())
    assert tuple(record) == FIELDS
    assert record_errors(record) == []
    assert record["updated_at"] == "2026-11-25T10:15:00.123456Z"
    assert record["bboxes"] == [{"page": 2, "bbox": [1.0, 2.0, 3.0, 4.0]}]


def test_export_record_deadline_null_without_one() -> None:
    assert obligation_to_record(*_rows())["deadline"] is None


def test_export_record_deadline_object() -> None:
    ob, doc = _rows(deadline_text="within 10 Working Days", deadline_duration="P10D",
                    deadline_business_days=True, deadline_relation="within")
    assert obligation_to_record(ob, doc)["deadline"] == {
        "text": "within 10 Working Days", "duration": "P10D", "business_days": True,
        "anchor": None, "relation": "within", "date": None,
    }


def test_export_record_document_overrides_win() -> None:
    ob, doc = _rows()
    doc.overrides = {"contract_type": "supplier", "counterparty": "Acme Ltd"}
    record = obligation_to_record(ob, doc)
    assert (record["contract_type"], record["counterparty"]) == ("supplier", "Acme Ltd")


def test_export_timestamps_are_utc_with_microseconds() -> None:
    plus_one = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=1))
    )
    assert format_timestamp(plus_one) == "2026-01-02T03:04:05.000000Z"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
        ("2026-11-25T10:15:00Z", datetime(2026, 11, 25, 10, 15, tzinfo=UTC)),
        ("2026-11-25T11:15:00+01:00", datetime(2026, 11, 25, 10, 15, tzinfo=UTC)),
        ("2026-11-25T10:15:00.123456Z", T0),
        ("2026-11-25T10:15:00", datetime(2026, 11, 25, 10, 15, tzinfo=UTC)),
    ],
)
def test_export_parse_since(text, expected) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "25/11/2026", "2026-13-01", ""])
def test_export_parse_since_names_the_bad_value(text) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_since(text)


def test_export_csv_has_the_record_columns_nested_as_json() -> None:
    ob, doc = _rows(deadline_text="by 31 March 2027", deadline_date="2027-03-31",
                    deadline_relation="by")
    out = io.StringIO()
    write_csv([obligation_to_record(ob, doc)], out)
    header, row = out.getvalue().splitlines()
    assert header.split(",") == list(FIELDS)
    assert '"[""exit""]"' in row  # categories, JSON inside CSV quoting
    assert json.loads(next(iter(__import__("csv").DictReader(io.StringIO(out.getvalue()))))[
        "deadline"])["date"] == "2027-03-31"


# --- OCDS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, categories, code, kind",
    [
        ("deliver a draft Exit Plan to the Council", ["exit"], "exitPlan", "delivery"),
        ("return all Council Data in CSV format", ["data_return"], "dataReturn", "delivery"),
        ("provide a certificate confirming the deletion of the Council Data", ["data_return"],
         "deletionCertificate", "reporting"),
        ("securely delete all copies of the Personal Data", ["data_return"], "dataDeletion",
         "delivery"),
        ("terminate this Contract by giving written notice", ["termination"],
         "terminationNotice", "reporting"),
        ("co-operate with the Replacement Supplier", ["exit"], "exitAssistance", "delivery"),
        ("pay the Termination Payment", ["termination"], "terminationObligation", "delivery"),
    ],
)
def test_export_ocds_milestone_code(action, categories, code, kind) -> None:
    record = {"action": action, "text": action, "categories": categories}
    assert milestone_code(record) == (code, kind)


def _record(**changes) -> dict:
    ob, doc = _rows()
    return {**obligation_to_record(ob, doc), **changes}


def test_export_ocds_release_package_shape() -> None:
    dated = _record(obligation_id="d" * 32, deadline={
        "text": "by 31 March 2027", "duration": None, "business_days": False, "anchor": None,
        "relation": "by", "date": "2027-03-31"})
    rejected = _record(obligation_id="e" * 32, status="rejected")
    other_doc = _record(obligation_id="f" * 32, document_sha256="9" * 64, counterparty=None)
    package = records_to_ocds([_record(), dated, rejected, other_doc], ocid_prefix="ocds-abc123")
    assert package["version"] == "1.1"
    assert {"uri", "publishedDate", "publisher", "releases"} <= set(package)
    assert package["publishedDate"] == "2026-11-25T10:15:00.123456Z"  # the last change
    first, second = package["releases"]
    for release in package["releases"]:
        assert {"ocid", "id", "date", "tag", "initiationType"} <= set(release)
        assert release["ocid"].startswith("ocds-abc123-")
        assert release["tag"] == ["contract"]
        (contract,) = release["contracts"]
        assert {"id", "awardID", "milestones"} <= set(contract)
        for milestone in contract["milestones"]:
            assert milestone["type"] in ("delivery", "reporting")
            assert milestone["status"] == "scheduled"
            assert set(milestone) <= {"id", "title", "type", "code", "description", "dueDate",
                                      "status", "dateModified"}
    milestones = {m["id"]: m for m in first["contracts"][0]["milestones"]}
    assert set(milestones) == {"c" * 32, "d" * 32}  # the rejected one is not published
    assert milestones["d" * 32]["dueDate"] == "2027-03-31T00:00:00Z"
    assert "dueDate" not in milestones["c" * 32]
    assert first["parties"][0]["roles"] == ["supplier"] and "parties" not in second
    assert len({r["ocid"] for r in package["releases"]}) == 2


# --- filters over a database ------------------------------------------------------------------


@pytest.fixture
def engine(db_url):
    engine = open_engine(db_url)
    add_synthetic(engine)
    return engine


@pytest.fixture
def out(tmp_path):
    """The increments' folder (the database lives in tmp_path itself)."""
    return tmp_path / "increments"


def _ids(engine, **filters) -> list[str]:
    with Session(engine) as session:
        return [r["obligation_id"] for r in iter_records(session=session, **filters)]


def _status(engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(
            session.exec(
                select(Obligation.id, Obligation.status).order_by(Obligation.position)
            ).all()
        )


@pytest.mark.integration
def test_export_filters_status_since_document(engine) -> None:
    ids = list(_status(engine))
    assert _ids(engine) == []  # nothing reviewed yet
    assert sorted(_ids(engine, status="all")) == sorted(ids)
    approve(engine, ids[:3])
    mark = parse_since(format_timestamp(datetime.now(UTC)))
    correct(engine, ids[0], action="deliver the final Exit Plan")
    reject(engine, ids[1])
    assert set(_ids(engine)) == {ids[0], ids[2]}  # approved + corrected
    # an increment: what changed after the mark, the rejection as a tombstone
    assert set(_ids(engine, since=mark)) == {ids[0], ids[1]}
    assert set(_ids(engine, status="all", since=mark)) == {ids[0], ids[1]}
    assert _ids(engine, document=SYNTHETIC_SHA) == _ids(engine)
    assert _ids(engine, document="0" * 64, status="all") == []


@pytest.mark.integration
def test_export_reopened_obligation_is_a_tombstone_in_increments(engine) -> None:
    ids = list(_status(engine))
    approve(engine, ids[:2])
    mark = datetime.now(UTC)
    reopen(engine, ids[0])
    with Session(engine) as session:
        (record,) = iter_records(session=session, since=mark)
    assert (record["obligation_id"], record["status"]) == (ids[0], "extracted")
    # never-reviewed extracted ones stay out of approved increments
    assert set(_ids(engine, since=mark - timedelta(days=1))) == {ids[0], ids[1]}


@pytest.mark.integration
@pytest.mark.parametrize("action, tombstone", [
    ("approve", True), ("correct", True), ("create", True), ("reopen", True),
    ("conflict", False), ("comment", False),
])
def test_export_extracted_is_a_tombstone_only_after_a_review(engine, action, tombstone):
    from models import ReviewEvent

    ob_id = next(iter(_status(engine)))
    with session_scope(engine) as session:
        session.add(ReviewEvent(obligation_id=ob_id, user="alice", action=action))
    assert (_ids(engine, since=T0) == [ob_id]) is tombstone


@pytest.mark.integration
def test_export_cli_fails_clearly_on_a_record_the_schema_refuses(engine, db_url) -> None:
    """Never emit an invalid record: the export stops and names the obligation."""
    from typer.testing import CliRunner

    from cli.main import app

    ob_id = next(iter(_status(engine)))
    _stamp(engine, ob_id, T0)
    with session_scope(engine) as session:
        session.get(Obligation, ob_id).deadline_date = "31/03/2027"  # not ISO: stored by hand
    result = CliRunner().invoke(app, ["export", "--db", db_url])
    assert result.exit_code == 1
    assert ob_id in result.output and "deadline/date" in result.output
    assert "Traceback" not in result.output


@pytest.mark.integration
def test_export_order_is_updated_at_then_id_and_batches_lose_nothing(engine) -> None:
    with session_scope(engine) as session:
        for ob in session.exec(select(Obligation)):
            ob.updated_at = T0  # all equal: the id breaks the tie
            session.add(ob)
    with Session(engine) as session:
        one = [r["obligation_id"] for r in iter_records(session=session, status="all", batch=2)]
        big = [r["obligation_id"] for r in iter_records(session=session, status="all")]
    assert one == big == sorted(big)


# --- increments -------------------------------------------------------------------------------


def _stamp(engine, ob_id: str, at: datetime, status: str = "approved") -> None:
    with session_scope(engine) as session:
        ob = session.get(Obligation, ob_id)
        ob.status, ob.updated_at, ob.reviewed_at, ob.reviewed_by = status, at, at, "alice"
        session.add(ob)


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.integration
def test_export_increment_equal_timestamps_are_never_split(engine, out) -> None:
    a, b, c, *_ = _status(engine)
    for ob_id in (a, b, c):
        _stamp(engine, ob_id, T0)
    first = export_increment(engine=engine, out_dir=out, now=T0 + timedelta(minutes=5))
    assert first.count == 3 and first.mark == T0
    assert {r["obligation_id"] for r in _lines(first.path)} == {a, b, c}
    again = export_increment(engine=engine, out_dir=out, now=T0 + timedelta(minutes=6))
    assert again.path is None and again.count == 0 and again.mark == T0  # nothing repeated


@pytest.mark.integration
def test_export_increment_waits_out_the_safety_lag(engine, out) -> None:
    """A change stamped inside the lag window (its transaction may still be committing, and
    an earlier stamp may commit after it) is left for the next run, then exported once."""
    a, b, *_ = _status(engine)
    _stamp(engine, a, T0)
    _stamp(engine, b, T0 + timedelta(seconds=50))
    now = T0 + timedelta(seconds=70)  # lag 60 s: b is too fresh
    first = export_increment(engine=engine, out_dir=out, now=now)
    assert [r["obligation_id"] for r in _lines(first.path)] == [a]
    assert first.until == now - timedelta(seconds=60) and first.mark == T0
    # a transaction that stamped its row before b's but committed only now
    late = list(_status(engine))[2]
    _stamp(engine, late, T0 + timedelta(seconds=30))
    second = export_increment(engine=engine, out_dir=out, now=now + timedelta(minutes=1))
    assert [r["obligation_id"] for r in _lines(second.path)] == [late, b]
    assert second.since == T0 and second.mark == T0 + timedelta(seconds=50)
    state = Session(engine).get(ExportState, "registry")
    assert state.high_water_mark == second.mark and state.last_file == second.path.name


@pytest.mark.integration
def test_export_increment_empty_writes_no_file_unless_asked(engine, out) -> None:
    nothing = export_increment(engine=engine, out_dir=out, now=T0)
    assert nothing.path is None and list(out.iterdir()) == []
    empty = export_increment(engine=engine, out_dir=out, now=T0, write_empty=True)
    assert empty.path.name == "obligations-20261125T101500Z.jsonl"
    assert empty.path.read_text() == ""


@pytest.mark.integration
@pytest.mark.parametrize("first_run", [True, False], ids=["first-run", "later-run"])
def test_export_increment_concurrent_run_writes_nothing(engine, out, monkeypatch, first_run):
    """Two runs read the same mark; the second to move it fails and leaves no file."""
    import models.export as export

    a, *_ = _status(engine)
    _stamp(engine, a, T0)
    if not first_run:
        with session_scope(engine) as session:
            session.add(ExportState(name="registry", high_water_mark=T0 - timedelta(days=1)))
    real = export.iter_records

    def racing(**kwargs):
        records = list(real(**kwargs))
        with session_scope(engine) as other:  # the other run commits its mark meanwhile
            state = other.get(ExportState, "registry") or ExportState(name="registry")
            state.high_water_mark, state.last_file = T0, "theirs"
            other.add(state)
        return iter(records)

    monkeypatch.setattr(export, "iter_records", racing)
    with pytest.raises(ConcurrentExport):
        export_increment(engine=engine, out_dir=out, now=T0 + timedelta(hours=1))
    assert list(out.iterdir()) == []
    assert Session(engine).get(ExportState, "registry").last_file == "theirs"


@pytest.mark.integration
def test_export_increment_never_overwrites_a_file(engine, out) -> None:
    a, b, *_ = _status(engine)
    _stamp(engine, a, T0)
    out.mkdir()
    (out / "obligations-20261125T111500Z.jsonl").write_text("theirs\n")
    first = export_increment(engine=engine, out_dir=out, now=T0 + timedelta(hours=1))
    _stamp(engine, b, T0 + timedelta(minutes=1))
    second = export_increment(engine=engine, out_dir=out, now=T0 + timedelta(hours=1))
    assert (out / "obligations-20261125T111500Z.jsonl").read_text() == "theirs\n"
    assert (first.path.name, second.path.name) == (
        "obligations-20261125T111501Z.jsonl", "obligations-20261125T111502Z.jsonl")
    assert [r["obligation_id"] for r in _lines(first.path) + _lines(second.path)] == [a, b]
    assert sorted(p.name for p in out.iterdir()) == [
        "obligations-20261125T111500Z.jsonl", first.path.name, second.path.name]


@pytest.mark.integration
def test_export_increment_failing_commit_leaves_no_file_and_no_mark(engine, out, monkeypatch):
    a, *_ = _status(engine)
    _stamp(engine, a, T0)

    def broken_commit(self):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(Session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        export_increment(engine=engine, out_dir=out, now=T0 + timedelta(hours=1))
    monkeypatch.undo()
    assert list(out.iterdir()) == []
    assert Session(engine).get(ExportState, "registry") is None
