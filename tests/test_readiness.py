"""Exit readiness from the database (models.readiness) and the command line (cli.report,
cli.handover): the checklist of stored (and reviewed) documents, handover marks, the timeline
and the exit-readiness export, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select
from test_export_support import cached_samples, ingest, open_engine
from typer.testing import CliRunner

from cli.main import app
from models import ReviewEvent, readiness, session_scope
from models.models import HandoverMark
from models.review import reject
from pipeline.checklist import contract_checklist
from pipeline.exit_data import contract_from_extraction

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A SQLite file holding the nine samples, made once; tests work on copies."""
    path = tmp_path_factory.mktemp("readiness") / "template.db"
    engine = open_engine(f"sqlite:///{path}")
    ingest(engine)
    engine.dispose()  # the last connection closed checkpoints the WAL into the file copied
    return path


@pytest.fixture
def db(template, tmp_path) -> str:
    path = tmp_path / "obligations.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _doc(session, name):
    return readiness.find_document(session=session, ref=name)


def test_readiness_checklist_from_the_database_equals_the_fresh_extraction(db):
    engine = open_engine(db)
    with Session(engine) as session:
        for path, _, extraction in cached_samples():
            stored = readiness.document_checklist(session=session, document=_doc(session, path.name))
            fresh = contract_checklist(contract_from_extraction(path.name, extraction))
            assert [(i.item, i.state, i.refs) for i in stored.items] == [
                (i.item, i.state, i.refs) for i in fresh.items
            ], path.name
            # Stored findings link to clauses and obligations in the database.
            found = [f for i in stored.items for f in i.findings]
            assert all(f.clause_id for f in found)
            assert any(f.obligations for f in found)


def test_readiness_a_rejected_obligation_no_longer_makes_an_item_present(db):
    engine = open_engine(db)
    with Session(engine) as session:
        doc = _doc(session, "calloff_order_form.pdf")
        before = readiness.document_checklist(session=session, document=doc)
        finding = before.item("data_deletion").findings[0]
        assert before.item("data_deletion").state == "present" and finding.obligations
    with session_scope(engine) as session:
        for oid in finding.obligations:
            reject(session=session, obligation_id=oid, user="alice", comment="not a duty")
    with Session(engine) as session:
        after = readiness.document_checklist(session=session, document=_doc(session, doc.source_file))
    # The sentence is still in the contract, but no reviewed duty names who deletes by when:
    # the passage's own words ("The Supplier shall securely delete … within thirty (30) days")
    # still state both, so the state holds; the obligation is no longer cited.
    assert after.item("data_deletion").state == "present"
    assert not any(set(finding.obligations) & set(f.obligations)
                   for f in after.item("data_deletion").findings)


@pytest.mark.parametrize("ref", ["jv_services_agreement.pdf", "41854c22c479"])
def test_readiness_find_document_by_name_or_sha256_prefix(db, ref):
    with Session(open_engine(db)) as session:
        assert _doc(session, ref).source_file == "jv_services_agreement.pdf"


@pytest.mark.parametrize(("ref", "error"), [("nothing.pdf", readiness.DocumentNotFound),
                                            ("999", readiness.DocumentNotFound)])
def test_readiness_find_document_errors(db, ref, error):
    with Session(open_engine(db)) as session, pytest.raises(error) as err:
        _doc(session, ref)
    assert err.value.code == "document_not_found"


def test_readiness_handover_marks_keep_who_and_replace_each_other(db):
    engine = open_engine(db)
    with session_scope(engine) as session:
        jv = _doc(session, "jv_services_agreement.pdf")
        readiness.mark_handover(session=session, document=jv, role="incoming", user="bob")
        readiness.mark_handover(session=session, document=jv, role="outgoing", user="alice")
        with pytest.raises(readiness.BadHandoverRole):
            readiness.mark_handover(session=session, document=jv, role="sideways", user="x")
    with Session(engine) as session:
        marks = session.exec(select(HandoverMark)).all()
        assert [(m.role, m.marked_by) for m in marks] == [("outgoing", "alice")]
        assert readiness.handover_gaps(session=session) == []  # no incoming one yet
    with session_scope(engine) as session:
        new = _doc(session, "managed_it_services_contract.pdf")
        readiness.mark_handover(session=session, document=new, role="incoming", user="alice")
    with Session(engine) as session:
        [comparison] = readiness.handover_gaps(session=session)
        assert comparison.outgoing == ("jv_services_agreement.pdf",)
        assert {t.topic for t in comparison.gaps} >= {"contracts", "assets"}
        # Marking is not a review: the audit trail of obligations is untouched.
        assert session.exec(select(ReviewEvent)).all() == []
    with session_scope(engine) as session:
        assert readiness.clear_handover(session=session, document=_doc(session, "jv_services_agreement.pdf"))
        assert not readiness.clear_handover(session=session, document=_doc(session, "jv_services_agreement.pdf"))


def test_readiness_export_record_matches_its_schema(db):
    engine = open_engine(db)
    with session_scope(engine) as session:
        readiness.mark_handover(session=session, document=_doc(session, "jv_services_agreement.pdf"),
                                role="outgoing", user="alice")
        readiness.mark_handover(session=session, document=_doc(session, "managed_it_services_contract.pdf"),
                                role="incoming", user="alice")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with Session(engine) as session:
        record = readiness.exit_readiness(
            session=session, document=_doc(session, "jv_services_agreement.pdf"),
            events={"termination_date": date(2027, 6, 30)}, now=now,
        )
    assert record["generated_at"] == "2026-11-30T09:00:00.000000Z"
    assert record["document"]["handover_role"] == "outgoing"
    assert record["checklist"]["summary"] == {"present": 17, "weak": 0, "missing": 0}
    assert record["timeline"]["events"] == {"termination_date": "2027-06-30"}
    dated = record["timeline"]["scheduled"]
    assert dated and all(e["due"] for e in dated)
    assert [e["due"] for e in dated] == sorted(e["due"] for e in dated)
    assert record["timeline"]["undated"]  # counted from the exit date, not given
    [comparison] = record["handover"]
    assert len(comparison["incoming"]) == 64  # a SHA-256
    readiness.validate_record(record)  # what exit_readiness did already, shown
    broken = {**record, "schema_version": "2"}
    with pytest.raises(readiness.InvalidReadinessRecord, match="schema_version"):
        readiness.validate_record(broken)


def test_readiness_on_postgresql(pg_url):
    engine = open_engine(pg_url)
    ingest(engine, [s for s in cached_samples() if s[0].name.startswith("jv_")])
    with session_scope(engine) as session:
        jv = _doc(session, "jv_services_agreement.pdf")
        assert readiness.document_checklist(session=session, document=jv).counts()["present"] == 17
        readiness.mark_handover(session=session, document=jv, role="outgoing", user="alice")
    with Session(engine) as session:
        assert [m.role for m, _ in readiness.handover_marks(session=session)] == ["outgoing"]


def test_readiness_migration_0004_creates_and_drops_the_marks_table(tmp_path):
    from sqlalchemy import inspect

    from models.db import get_engine, upgrade_db

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade_db(url, "0001")
    assert not inspect(get_engine(url)).has_table("handovermark")
    upgrade_db(url, "0004")
    get_engine(url).dispose()
    assert inspect(get_engine(url)).has_table("handovermark")


# --- the command line --------------------------------------------------------------------------------


def _run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_cli_report_exit_formats(db, tmp_path):
    table = _run("report", "exit", "--db", db)
    assert table.exit_code == 0 and "jv_services_agreement.pdf" in table.stdout
    one = _run("report", "exit", "-d", "jv_exit_amendment.pdf", "-f", "md", "--db", db)
    assert one.exit_code == 0
    assert "| Exit plan | ✔ present | 3.1" in one.stdout
    rows = list(csv.DictReader(io.StringIO(_run("report", "exit", "-f", "csv", "--db", db).stdout)))
    assert len(rows) == 9 * 17 and {r["state"] for r in rows} <= {"present", "weak", "missing"}
    out = tmp_path / "estate.html"
    assert _run("report", "exit", "-f", "html", "-o", str(out), "--db", db).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert '<td class="present"' in html and "calloff_order_form.pdf" in html


def test_cli_report_timeline_across_a_bank_holiday(db, tmp_path):
    result = _run("report", "timeline", "-d", "jv_services_agreement.pdf",
                  "--termination-date", "2027-03-24", "-f", "csv", "--db", db)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Schedule 8 paragraph 6.1: within twenty (20) Working Days after the Termination Date.
    # Wed 24 March 2027 + 20 working days, Good Friday and Easter Monday not counted: 23 April.
    row = next(r for r in rows if r["clause_ref"] == "Schedule 8, paragraph 6.1")
    assert (row["due"], row["working_days"]) == ("2027-04-23", "yes")
    ics = tmp_path / "exit.ics"
    assert _run("report", "timeline", "--termination-date", "2027-03-24", "-f", "ics",
                "-o", str(ics), "--db", db).exit_code == 0
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("report", "timeline"), 2, "give at least one of"),
        (("report", "timeline", "--exit-date", "31/12/2027"), 2, "is not a date"),
        (("report", "exit", "-d", "nope.pdf"), 2, "document_not_found"),
        (("report", "handover"), 1, "nothing to compare"),
        (("handover", "mark", "nope.pdf", "--as", "outgoing"), 2, "document_not_found"),
    ],
)
def test_cli_report_usage_errors(db, args, code, message):
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == code
    assert message in result.output


def test_cli_report_an_empty_database_is_not_success(tmp_path):
    result = runner.invoke(app, ["report", "exit", "--db", f"sqlite:///{tmp_path / 'e.db'}"])
    assert result.exit_code == 1 and "no processed documents" in result.output


def test_cli_handover_mark_list_report_and_export(db, tmp_path):
    assert _run("handover", "mark", "jv_services_agreement.pdf", "--as", "outgoing",
                "--user", "carol", "--db", db).exit_code == 0
    assert _run("handover", "mark", "managed_it_services_contract.pdf", "--as", "incoming",
                "--user", "carol", "--db", db).exit_code == 0
    listed = _run("handover", "list", "--db", db)
    assert "carol" in listed.stdout and "outgoing" in listed.stdout
    md = _run("report", "handover", "-f", "md", "--db", db).stdout
    assert "| Sub-contracts and licences |" in md and "nobody takes it on" in md
    out = tmp_path / "records"
    assert _run("report", "export", "-o", str(out), "--db", db).exit_code == 0
    files = sorted(out.glob("*.exit-readiness.json"))
    assert len(files) == 9
    record = json.loads(files[0].read_text(encoding="utf-8"))
    readiness.validate_record(record)
    cleared = _run("handover", "clear", "jv_services_agreement.pdf", "--db", db)
    assert "mark removed" in cleared.stdout


def test_cli_report_rules_checks_the_three_files():
    result = _run("report", "rules")
    assert result.exit_code == 0
    assert "checklist.yaml: 17 items" in result.stdout and "handover.yaml" in result.stdout


def test_cli_evaluate_prints_the_checklist_accuracy_of_real_gold_as_figures_only(tmp_path):
    """A real-contract test gold file: figures only, never the contract's mistakes."""
    from pipeline.checklist_rules import load_checklist_rules

    gold = tmp_path / "real" / "test"
    gold.mkdir(parents=True)
    items = [i.id for i in load_checklist_rules().items]
    checklist = "\n".join(f"  {i}: {{status: missing, refs: []}}" for i in items)
    pdf = Path(__file__).resolve().parent.parent / "sample_docs" / "data_processing_agreement.pdf"
    (tmp_path / "shared").mkdir()
    shutil.copy(pdf, tmp_path / "shared" / "dpa.pdf")
    (gold / "dpa.yaml").write_text(
        f"document: dpa.pdf\nsource: dpa.pdf\nset: test\nchecklist:\n{checklist}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["evaluate", "--gold", str(gold), "--json", "--details",
                                 "--workers", "1"],
                           env={"OBLIGATIONS_SHARED_DIR": str(tmp_path / "shared")})
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["test"]
    assert figures["figures_only"] is True and "documents" not in figures
    checklist = figures["checklist"]
    assert checklist["total"] == 17
    assert "mistakes" not in checklist and "ref_misses" not in checklist
    assert 0 < checklist["accuracy"] < 1  # the DPA has data-return items: not all missing
