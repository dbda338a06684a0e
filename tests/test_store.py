"""models.store: storing extractions and the re-extraction rule (DESIGN.md §2, issue 4).

Most cases use a hand-made ``Extraction`` (one clause per obligation) so that each rule of
the reconciliation can be set up exactly; one test stores a real extraction of a sample PDF
and compares the database with what ``extract()`` returned, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from models import (
    Clause,
    Document,
    Obligation,
    ReviewEvent,
    get_engine,
    init_db,
    session_scope,
)
from models.counts import list_documents, row_counts, summary_counts
from models.runs import create_run, finish_run
from models.store import (
    processed_sha256s,
    reconcile_extraction,
    record_failure,
    store_extraction,
)
from pipeline.ids import obligation_key
from pipeline.types import (
    Box,
    Classification,
    Deadline,
    Definition,
    Extraction,
    Layout,
    Line,
    PageInfo,
    Parties,
    Party,
    Word,
)
from pipeline.types import ClauseNode as PClause
from pipeline.types import ExtractedObligation as PObligation

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "sample_docs"
SHA = "a" * 64


# --- a tiny document, built by hand ----------------------------------------------------------


def _deadline(duration: str | None) -> Deadline | None:
    if duration is None:
        return None
    return Deadline(text=f"within {duration}", duration=duration, business_days=False,
                    relation="within", anchor="the Exit Date", rule="dl.test")


def make_extraction(
    obligations: list[dict], *, version: str = "v1", refs: tuple[str, ...] = ("1.1", "1.2", "1.3")
) -> Extraction:
    """One heading clause "1 Exit" with one numbered unit per ref, one line each; each
    obligation dict names its ``ref`` and ``text`` and may set ``duration``/``obligor``."""
    texts = {ob["ref"]: ob["text"] for ob in obligations}
    lines, words, clauses, text = [], [], [], ""

    def add_line(content: str, page: int, y: float) -> tuple[int, int]:
        nonlocal text
        start = len(text)
        ws, x, pos = [], 72.0, start
        for token in content.split(" "):
            w = Word(token, pos, pos + len(token), page, (x, y, x + 5 * len(token), y + 10))
            ws.append(w)
            pos += len(token) + 1
            x += 5 * len(token) + 3
        text += content + "\n"
        lines.append(Line(content, start, start + len(content), page, (72.0, y, x, y + 10),
                          tuple(ws)))
        words.extend(ws)
        return start, start + len(content)

    start, end = add_line("1 Exit", 1, 72)
    clauses.append(PClause(0, "1", "1", "clause", 0, None, "Exit", start, ((end, end),),
                           end, 1, 1))
    for i, ref in enumerate(refs, 1):
        body = texts.get(ref, f"Clause {ref} says nothing of note.")
        start, end = add_line(f"{ref} {body}", 1 + i // 3, 100.0 + 20 * i)
        clauses.append(PClause(i, ref, ref, "clause", 1, 0, None, start,
                               ((start + len(ref) + 1, end),), end, 1 + i // 3, 1 + i // 3,
                               unit=True))
    clauses[0] = replace(clauses[0], span_end=len(text))
    index = {c.ref: c.index for c in clauses}
    obs = tuple(
        PObligation(
            ref=ob["ref"], unit=index[ob["ref"]], clause=index[ob["ref"]],
            categories=tuple(ob.get("categories", ("exit",))),
            modality=ob.get("modality", "obligation"), obligor=ob.get("obligor", "Supplier"),
            beneficiary="Council", action=ob.get("action", "return the data"), trigger=None,
            deadline=_deadline(ob.get("duration", "P30D")), text=ob["text"],
            start=clauses[index[ob["ref"]]].body_start, end=clauses[index[ob["ref"]]].span_end,
            page=clauses[index[ob["ref"]]].page_start,
            boxes=(Box(clauses[index[ob["ref"]]].page_start, (72.0, 100.0, 300.0, 110.0)),),
            confidence=0.9, rules={"modality": ("mod.shall",)},
            flags=tuple(ob.get("flags", ())), terms=("Exit Date",),
        )
        for ob in obligations
    )
    layout = Layout(text=text, lines=tuple(lines),
                    pages=(PageInfo(1, 595, 842, 100, 0), PageInfo(2, 595, 842, 100, 0)),
                    title="Test Services Agreement")
    parties = Parties(
        parties=(Party("Acme Ltd", "Supplier"), Party("Birchester City Council", "Council")),
        definitions=(Definition("Exit Date", "the date the contract ends", 0, 5, 1),),
        contract_type="supplier", counterparty="Acme Ltd", customer_role="Council",
    )
    classifications = tuple(
        Classification(index[ref], ("exit",), {"exit": ("cat.exit.heading",)})
        for ref in dict.fromkeys(ob["ref"] for ob in obligations)
    )
    return Extraction(layout, tuple(clauses), parties, classifications, obs, version)


RETURN = {"ref": "1.1", "text": "The Supplier shall return all Council Data within 30 days."}
PLAN = {"ref": "1.2", "text": "The Supplier shall deliver an Exit Plan within 3 months.",
        "duration": "P3M", "action": "deliver an Exit Plan"}
DELETE = {"ref": "1.3", "text": "The Supplier shall delete all copies of the data.",
          "duration": None, "categories": ("data_return",), "action": "delete the data"}


def oid(ob: dict, occurrence: int = 0) -> str:
    return obligation_key(SHA, ob["ref"], ob["text"], occurrence)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    init_db(engine)
    yield engine
    engine.dispose()


def store(engine, extraction: Extraction, sha256: str = SHA):
    with session_scope(engine) as session:
        return reconcile_extraction(
            session=session, extraction=extraction, sha256=sha256, source_file="test.pdf",
            path="/tmp/test.pdf",
        ).changes


def obligations(engine) -> dict[str, Obligation]:
    with session_scope(engine) as session:
        return {o.id: o for o in session.exec(select(Obligation))}


def events(engine, action: str | None = None) -> list[ReviewEvent]:
    with session_scope(engine) as session:
        stmt = select(ReviewEvent).order_by(ReviewEvent.id)
        if action:
            stmt = stmt.where(ReviewEvent.action == action)
        return list(session.exec(stmt))


def review(engine, obligation_id: str, status: str, **fields) -> None:
    """What a reviewer does: change fields (audited), set the status."""
    with session_scope(engine) as session:
        ob = session.get(Obligation, obligation_id)
        for name, value in fields.items():
            session.add(ReviewEvent(obligation_id=ob.id, user="alice", action="correct",
                                    field=name, old=getattr(ob, name), new=value))
            setattr(ob, name, value)
        session.add(ReviewEvent(obligation_id=ob.id, user="alice",
                                action={"rejected": "reject"}.get(status, "approve")))
        ob.status = status
        ob.reviewed_by = "alice"
        session.add(ob)


# --- storing ---------------------------------------------------------------------------------


def test_store_writes_document_clauses_and_obligations(engine):
    extraction = make_extraction([RETURN, PLAN, DELETE])
    store(engine, extraction)
    with session_scope(engine) as session:
        doc = session.exec(select(Document)).one()
        clauses = {c.position: c for c in session.exec(select(Clause))}
        obs = {o.id: o for o in session.exec(select(Obligation))}
    assert doc.status == "processed" and doc.extractor_version == "v1"
    assert doc.title == "Test Services Agreement" and doc.pages == 2
    assert doc.contract_type == "supplier" and doc.counterparty == "Acme Ltd"
    assert {"name": "Acme Ltd", "role": "Supplier"} in doc.parties
    assert doc.definitions == [{"term": "Exit Date", "text": "the date the contract ends",
                                "page": 1}]
    assert doc.processed_at is not None and doc.processed_at.tzinfo is not None

    assert sorted(clauses) == [c.index for c in extraction.clauses]
    assert clauses[1].text == RETURN["text"] and clauses[1].categories == ["exit"]
    assert clauses[1].evidence == {"exit": ["cat.exit.heading"]}
    assert clauses[0].bboxes and all({"page", "bbox"} == set(b) for b in clauses[0].bboxes)
    assert len(clauses[0].bboxes) == len(extraction.layout.lines)  # the whole clause span

    ob = obs[oid(RETURN)]
    assert ob.clause_id == clauses[1].id and ob.clause_ref == "1.1"
    assert ob.clause_heading == "Exit"  # the unit has none: its parent's
    assert (ob.deadline_duration, ob.deadline_relation, ob.deadline_anchor) == (
        "P30D", "within", "the Exit Date")
    assert ob.bboxes == [{"page": 1, "bbox": [72.0, 100.0, 300.0, 110.0]}]
    assert ob.rules == {"modality": ["mod.shall"]} and ob.terms == ["Exit Date"]
    assert ob.status == "extracted" and ob.origin == "extracted" and ob.version == 1
    assert obs[oid(DELETE)].deadline_duration is None
    assert [o.position for o in sorted(obs.values(), key=lambda o: o.position)] == [0, 1, 2]


def test_store_repeated_sentence_gets_its_own_id(engine):
    twice = {"ref": "1.1", "text": RETURN["text"]}
    store(engine, make_extraction([RETURN, twice]))
    assert set(obligations(engine)) == {oid(RETURN, 0), oid(RETURN, 1)}


def test_store_same_version_twice_adds_nothing(engine):
    extraction = make_extraction([RETURN, PLAN])
    store(engine, extraction)
    with session_scope(engine) as session:
        before = row_counts(session=session)
    changes = store(engine, extraction)
    with session_scope(engine) as session:
        assert row_counts(session=session) == before
        assert processed_sha256s(session=session, extractor_version="v1") == {SHA}
        assert processed_sha256s(session=session, extractor_version="v2") == set()
    assert changes.skipped


# --- the re-extraction rule --------------------------------------------------------------------


def test_store_new_version_follows_extractor_for_unreviewed(engine):
    store(engine, make_extraction([RETURN, PLAN]))
    changes = store(engine, make_extraction([{**RETURN, "duration": "P10D"}, DELETE],
                                            version="v2"))
    obs = obligations(engine)
    assert set(obs) == {oid(RETURN), oid(DELETE)}  # PLAN no longer produced: gone
    assert obs[oid(RETURN)].deadline_duration == "P10D"
    assert obs[oid(RETURN)].extractor_version == "v2"
    assert (changes.updated, changes.inserted, changes.deleted) == (1, 1, 1)
    with session_scope(engine) as session:
        clause_ids = set(session.exec(select(Clause.id)))
        assert len(clause_ids) == 4  # replaced, not added to
        assert obs[oid(RETURN)].clause_id in clause_ids


def test_store_keeps_approved_and_flags_conflict(engine):
    store(engine, make_extraction([RETURN, PLAN]))
    review(engine, oid(RETURN), "approved")

    changes = store(engine, make_extraction([{**RETURN, "duration": "P10D",
                                              "obligor": "Council"}, PLAN], version="v2"))
    after = obligations(engine)[oid(RETURN)]
    assert (after.status, after.deadline_duration, after.obligor) == (
        "approved", "P30D", "Supplier")  # never overwritten
    assert after.conflict == {"deadline_duration": "P10D", "deadline_text": "within P10D",
                              "obligor": "Council"}
    with session_scope(engine) as session:
        clause_ids = set(session.exec(select(Clause.id)))
    assert after.clause_id in clause_ids  # points to a clause of the current extraction
    flagged = events(engine, "conflict")
    assert {e.field for e in flagged} == {"deadline_duration", "deadline_text", "obligor"}
    assert {e.user for e in flagged} == {"extractor"}
    assert changes.merged == 1 and changes.conflicts == 3

    # The same proposal from a later version is already flagged: no second event.
    store(engine, make_extraction([{**RETURN, "duration": "P10D", "obligor": "Council"}, PLAN],
                                  version="v3"))
    assert len(events(engine, "conflict")) == 3


def test_store_does_not_reflag_a_conflict_the_reviewer_settled(engine):
    store(engine, make_extraction([RETURN]))
    review(engine, oid(RETURN), "approved")
    store(engine, make_extraction([{**RETURN, "duration": "P10D"}], version="v2"))
    assert obligations(engine)[oid(RETURN)].conflict
    with session_scope(engine) as session:  # the reviewer looks and approves as it is
        ob = session.get(Obligation, oid(RETURN))
        ob.conflict = None
        session.add(ReviewEvent(obligation_id=ob.id, user="alice", action="approve"))
    n_events = len(events(engine, "conflict"))
    store(engine, make_extraction([{**RETURN, "duration": "P10D"}], version="v3"))
    assert obligations(engine)[oid(RETURN)].conflict is None
    assert len(events(engine, "conflict")) == n_events
    # A different proposal is news again.
    store(engine, make_extraction([{**RETURN, "duration": "P5D"}], version="v4"))
    assert obligations(engine)[oid(RETURN)].conflict["deadline_duration"] == "P5D"


def test_store_agreeing_candidate_is_merged_without_conflict(engine):
    store(engine, make_extraction([RETURN]))
    review(engine, oid(RETURN), "approved")
    changes = store(engine, make_extraction([RETURN], version="v2"))
    ob = obligations(engine)[oid(RETURN)]
    assert ob.status == "approved" and ob.conflict is None and not ob.stale
    assert changes.merged == 1 and events(engine, "conflict") == []


def test_store_does_not_reflag_a_value_the_reviewer_corrected(engine):
    store(engine, make_extraction([RETURN]))
    review(engine, oid(RETURN), "corrected", deadline_duration="P1M")
    store(engine, make_extraction([RETURN], version="v2"))  # proposes P30D again
    ob = obligations(engine)[oid(RETURN)]
    assert ob.deadline_duration == "P1M" and ob.conflict is None


def test_store_never_resurrects_rejected(engine):
    store(engine, make_extraction([RETURN, PLAN]))
    review(engine, oid(PLAN), "rejected")
    changes = store(engine, make_extraction([RETURN, {**PLAN, "duration": "P6M"}],
                                            version="v2"))
    ob = obligations(engine)[oid(PLAN)]
    assert ob.status == "rejected" and ob.deadline_duration == "P3M" and ob.conflict is None
    assert len(obligations(engine)) == 2
    assert changes.dropped_rejected == 1
    with session_scope(engine) as session:
        counts = summary_counts(session=session)
    assert sum(c.n_obligations for c in counts.values()) == 1  # rejected ones not counted


def test_store_merges_near_identical_text_into_reviewed(engine):
    store(engine, make_extraction([RETURN]))
    review(engine, oid(RETURN), "approved")
    reworded = {**RETURN, "text": RETURN["text"].replace("all Council", "all the Council")}
    store(engine, make_extraction([reworded], version="v2"))
    obs = obligations(engine)
    assert list(obs) == [oid(RETURN)]  # merged, not a second obligation
    assert not obs[oid(RETURN)].stale


def test_store_marks_reviewed_stale_when_no_longer_produced(engine):
    store(engine, make_extraction([RETURN, PLAN]))
    review(engine, oid(PLAN), "approved")
    changes = store(engine, make_extraction([RETURN], version="v2"))
    ob = obligations(engine)[oid(PLAN)]
    assert ob.stale and ob.status == "approved"
    assert ob.clause_id is not None  # clause 1.2 still exists in v2
    assert changes.stale == 1


def test_store_reviewed_obligation_loses_clause_that_disappears(engine):
    store(engine, make_extraction([RETURN, PLAN]))
    review(engine, oid(PLAN), "approved")
    store(engine, make_extraction([RETURN], version="v2", refs=("1.1",)))
    ob = obligations(engine)[oid(PLAN)]
    assert ob.stale and ob.clause_id is None and ob.clause_ref == "1.2"


def test_store_keeps_unreviewed_with_events_as_stale(engine):
    store(engine, make_extraction([RETURN, PLAN]))
    with session_scope(engine) as session:
        session.add(ReviewEvent(obligation_id=oid(PLAN), user="bob", action="comment",
                                comment="check with legal"))
    store(engine, make_extraction([RETURN], version="v2"))
    ob = obligations(engine)[oid(PLAN)]
    assert ob.stale and ob.status == "extracted"


def test_store_keeps_reviewer_added_obligation(engine):
    store(engine, make_extraction([RETURN]))
    with session_scope(engine) as session:
        doc = session.exec(select(Document)).one()
        session.add(Obligation(id="manual-1", document_id=doc.id, clause_ref="1.3",
                               modality="obligation", action="hand over the keys",
                               text="Hand over the keys.", origin="reviewer",
                               status="approved"))
    store(engine, make_extraction([RETURN], version="v2"))
    ob = obligations(engine)["manual-1"]
    assert ob.origin == "reviewer" and not ob.stale and ob.clause_id is not None


def test_store_one_transaction_per_document(engine):
    store(engine, make_extraction([RETURN]))
    review(engine, oid(RETURN), "approved")
    with session_scope(engine) as session:
        before = row_counts(session=session)
    broken = make_extraction([RETURN, PLAN], version="v2")
    broken = replace(broken, obligations=broken.obligations + (
        replace(broken.obligations[1], modality=None),))  # NOT NULL: fails at insert
    with pytest.raises(Exception), session_scope(engine) as session:  # noqa: B017
        store_extraction(session=session, extraction=broken, sha256=SHA,
                         source_file="test.pdf", path="/tmp/test.pdf")
    with session_scope(engine) as session:
        assert row_counts(session=session) == before
        assert session.exec(select(Document)).one().extractor_version == "v1"


def test_store_failure_then_success(engine):
    with session_scope(engine) as session:
        run = create_run(session=session, parameters={"paths": ["x"]})
        record_failure(session=session, sha256=SHA, source_file="test.pdf", path="/x/test.pdf",
                       error_code="corrupt_pdf", error_message="it ends too early",
                       run_id=run.id)
        finish_run(session=session, run_id=run.id, counts={"failed": 1},
                   failures=[{"file": "test.pdf", "code": "corrupt_pdf"}])
    with session_scope(engine) as session:
        (doc,) = list_documents(session=session)
        assert (doc.status, doc.error_code, doc.error_message) == (
            "failed", "corrupt_pdf", "it ends too early")
        assert processed_sha256s(session=session, extractor_version="v1") == set()
    store(engine, make_extraction([RETURN]))
    with session_scope(engine) as session:
        (doc,) = list_documents(session=session)
        assert (doc.status, doc.error_code, doc.error_message) == ("processed", None, None)


# --- a real document, SQLite and PostgreSQL ----------------------------------------------------


@pytest.fixture(scope="module")
def real_extraction():
    import hashlib

    from pipeline.extract import extract

    data = (SAMPLE_DOCS / "data_processing_agreement.pdf").read_bytes()
    return hashlib.sha256(data).hexdigest(), extract(data)


@pytest.mark.integration
@pytest.mark.parametrize(
    "url_fixture", ["db_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_store_real_extraction_matches_extract(request, url_fixture, real_extraction):
    sha256, extraction = real_extraction
    engine = get_engine(request.getfixturevalue(url_fixture))
    init_db(engine)
    try:
        for _ in range(2):  # the second time is a no-op
            with session_scope(engine) as session:
                store_extraction(session=session, extraction=extraction, sha256=sha256,
                                 source_file="dpa.pdf", path="sample_docs/dpa.pdf")
        with session_scope(engine) as session:
            clauses = list(session.exec(select(Clause)))
            obs = list(session.exec(select(Obligation)))
            counts = summary_counts(session=session)
        assert len(clauses) == len(extraction.clauses)
        assert len(obs) == len(extraction.obligations)
        assert len({o.id for o in obs}) == len(obs)
        (c,) = counts.values()
        for cat in ("exit", "data_return", "termination"):
            assert c.obligations[cat] == sum(cat in o.categories for o in extraction.obligations)
            assert c.clauses[cat] == sum(cat in k.categories
                                         for k in extraction.classifications)
        by_position = {k.position: k for k in clauses}
        for stored, ob in zip(sorted(obs, key=lambda o: o.position), extraction.obligations,
                              strict=True):
            assert (stored.clause_ref, stored.text, stored.modality) == (ob.ref, ob.text,
                                                                         ob.modality)
            assert stored.clause_id == by_position[ob.clause].id
    finally:
        engine.dispose()


# --- schema migrations -------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    "url_fixture", ["db_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_store_migrations_build_the_models_schema(request, url_fixture):
    """`alembic upgrade head` on an empty database gives exactly the tables of models.py:
    a change to the models without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlmodel import SQLModel

    from models.db import SCHEMA_REVISION, alembic_config, upgrade_db

    url = request.getfixturevalue(url_fixture)
    assert ScriptDirectory.from_config(alembic_config(url)).get_current_head() == SCHEMA_REVISION
    upgrade_db(url)
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
            assert context.get_current_revision() == SCHEMA_REVISION
    finally:
        engine.dispose()


def test_store_init_db_records_the_schema_revision(db_url):
    from sqlalchemy import text

    from models.db import SCHEMA_REVISION

    engine = get_engine(db_url)
    init_db(engine)
    init_db(engine)  # idempotent
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert rows == [(SCHEMA_REVISION,)]
    engine.dispose()


def test_store_document_change_moves_its_obligations_into_the_next_increment(engine):
    # every export record repeats the counterparty: when a re-extraction changes it, the
    # obligations must count as changed, or the registry never hears of it
    store(engine, make_extraction([RETURN, PLAN], version="v1"))
    before = {i: o.updated_at for i, o in obligations(engine).items()}
    renamed = make_extraction([RETURN, PLAN], version="v2")
    renamed = replace(renamed, parties=replace(renamed.parties, counterparty="Acme Group Ltd"))
    store(engine, renamed)
    after = obligations(engine)
    assert all(after[i].updated_at > before[i] for i in before)


def test_store_unchanged_obligations_keep_updated_at_and_version_issue_12(engine):
    """Before: any rule-file change bumped updated_at and version of every unreviewed
    obligation, so the registry's next increment re-sent everything."""
    store(engine, make_extraction([RETURN, PLAN, DELETE]))
    review(engine, oid(PLAN), "approved")
    before = obligations(engine)
    changes = store(engine, make_extraction([RETURN, PLAN, DELETE], version="v2"))
    after = obligations(engine)
    assert changes.unchanged == 2 and changes.updated == 0 and changes.merged == 1
    with session_scope(engine) as session:
        clause_ids = set(session.exec(select(Clause.id)))
    for key, ob in after.items():
        assert (ob.updated_at, ob.version) == (before[key].updated_at, before[key].version)
        assert ob.clause_id == before[key].clause_id  # the same clause tree: rows kept
    assert clause_ids == {ob.clause_id for ob in before.values()} | {1}
    assert after[oid(RETURN)].extractor_version == "v1"  # the version that produced it

    # A candidate that does change is written, stamped and versioned as before.
    store(engine, make_extraction([{**RETURN, "duration": "P10D"}, PLAN, DELETE],
                                  version="v3"))
    changed = obligations(engine)[oid(RETURN)]
    assert changed.updated_at > before[oid(RETURN)].updated_at
    assert changed.version == before[oid(RETURN)].version + 1
    assert changed.extractor_version == "v3"
    assert obligations(engine)[oid(DELETE)].version == before[oid(DELETE)].version


def test_store_an_earlier_obligation_moving_others_down_is_no_change(engine):
    store(engine, make_extraction([PLAN, DELETE]))
    before = obligations(engine)
    store(engine, make_extraction([RETURN, PLAN, DELETE], version="v2"))
    after = obligations(engine)
    assert after[oid(PLAN)].position == 1 and before[oid(PLAN)].position == 0
    assert after[oid(PLAN)].clause_id != before[oid(PLAN)].clause_id  # clause 1.1 changed
    assert (after[oid(PLAN)].updated_at, after[oid(PLAN)].version) == (
        before[oid(PLAN)].updated_at, before[oid(PLAN)].version)
