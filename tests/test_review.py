"""models.review, models.users and the ``review`` / ``users`` commands."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlmodel import select
from test_web_support import (
    fast_password_hashing,
    first_obligation,
    ingest_sample,
    sample_extraction,
)
from typer.testing import CliRunner

from models import (
    Clause,
    Document,
    Obligation,
    ObligationUpdate,
    ReviewEvent,
    get_engine,
    init_db,
    review,
    session_scope,
    users,
)
from models.audit import Actor

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    init_db(engine)
    return engine


@pytest.fixture
def doc(engine) -> int:
    return ingest_sample(engine, extraction=sample_extraction())


def _events(engine, obligation_id):
    with session_scope(engine) as session:
        return review.history(session=session, obligation_id=obligation_id)


def test_review_correct_writes_one_event_per_changed_field(engine, doc):
    ob = first_obligation(engine, doc)
    with session_scope(engine) as session:
        update = ObligationUpdate(
            deadline_text="within 30 days of the Exit Date",
            deadline_duration="p30d",
            obligor=ob.obligor,  # unchanged: no event
        )
        fixed = review.correct(session=session, obligation_id=ob.id, update=update,
                               user="alice", expected_version=ob.version, comment="per 23.4")
        assert fixed.status == "corrected"
        assert fixed.deadline_duration == "P30D"
        assert fixed.reviewed_by == "alice" and fixed.reviewed_at is not None
        assert fixed.updated_at >= ob.updated_at
        assert fixed.version == ob.version + 1
    events = _events(engine, ob.id)
    changed = {e.field: e for e in events if e.action == "correct"}
    assert set(changed) == {"deadline_text", "deadline_duration"}
    assert changed["deadline_text"].old == ob.deadline_text
    assert changed["deadline_text"].new == "within 30 days of the Exit Date"
    assert changed["deadline_text"].comment == "per 23.4"
    assert [e.new for e in events if e.field == "status"] == ["corrected"]


@pytest.mark.parametrize(
    "update, message",
    [
        (ObligationUpdate(modality="must"), "modality"),
        (ObligationUpdate(categories=["exit", "renewal"]), "category"),
        (ObligationUpdate(deadline_duration="30 days"), "ISO-8601"),
        (ObligationUpdate(deadline_relation="sometime"), "relation"),
        (ObligationUpdate(action="  "), "action"),
    ],
)
def test_review_correct_refuses_invalid_values(engine, doc, update, message):
    ob = first_obligation(engine, doc)
    with pytest.raises(review.InvalidUpdate, match=message), session_scope(engine) as session:
        review.correct(session=session, obligation_id=ob.id, update=update, user="alice")
    assert first_obligation(engine, doc).status == "extracted"


def test_review_second_writer_gets_a_conflict_with_the_first_ones_changes(engine, doc):
    ob = first_obligation(engine, doc)
    seen = ob.version  # both reviewers loaded this version
    with session_scope(engine) as session:
        review.correct(session=session, obligation_id=ob.id, user="alice", expected_version=seen,
                       update=ObligationUpdate(deadline_text="within 10 Business Days"))
    with pytest.raises(review.Conflict) as caught, session_scope(engine) as session:
        review.approve(session=session, obligation_id=ob.id, user="bob", expected_version=seen)
    conflict = caught.value
    assert conflict.current_version == seen + 1
    assert {(c["user"], c["field"], c["new"]) for c in conflict.changes} >= {
        ("alice", "deadline_text", "within 10 Business Days")
    }
    assert "alice" in str(conflict)
    after = first_obligation(engine, doc)
    assert after.status == "corrected"  # bob's approval did not go through
    assert not [e for e in _events(engine, ob.id) if e.user == "bob"]


def test_review_stale_write_at_flush_is_a_conflict(engine, doc):
    """Two sessions hold the same row; the later flush loses (SQLAlchemy's version check)."""
    ob = first_obligation(engine, doc)
    from sqlmodel import Session

    first, second = Session(engine), Session(engine)
    try:
        bobs = second.get(Obligation, ob.id)  # bob has it open (held: the map is weak)
        review.correct(session=first, obligation_id=ob.id, user="alice",
                       update=ObligationUpdate(trigger="on termination"))
        first.commit()
        with pytest.raises(review.Conflict) as caught:
            review.correct(session=second, obligation_id=ob.id, user="bob",
                           update=ObligationUpdate(trigger="on expiry"))
        assert any(c["user"] == "alice" for c in caught.value.changes)
        assert bobs.trigger == "on termination"  # bob's session now holds alice's version
    finally:
        first.close()
        second.close()
    assert first_obligation(engine, doc).trigger == "on termination"


def test_review_approve_reject_reopen(engine, doc):
    ob = first_obligation(engine, doc)
    with session_scope(engine) as session:
        assert review.approve(session=session, obligation_id=ob.id, user="a").status == "approved"
    with session_scope(engine) as session:
        assert review.reject(session=session, obligation_id=ob.id, user="b",
                             comment="not an exit duty").status == "rejected"
    with session_scope(engine) as session:
        assert review.reopen(session=session, obligation_id=ob.id, user="c").status == "extracted"
    actions = [(e.action, e.old, e.new) for e in _events(engine, ob.id)]
    assert actions == [
        ("approve", "extracted", "approved"),
        ("reject", "approved", "rejected"),
        ("reopen", "rejected", "extracted"),
    ]


def test_review_queue_filters_and_order(engine, doc):
    with session_scope(engine) as session:
        everything = review.list_queue(session=session, filters=review.QueueFilter(status=None))
        assert everything, "the sample has obligations"
        keys = [(o.page or 0, o.position) for o in everything]
        assert keys == sorted(keys)
        one = everything[0]
        review.approve(session=session, obligation_id=one.id, user="a")
        open_ = review.list_queue(session=session)
        assert one.id not in {o.id for o in open_}
        approved = review.list_queue(session=session, filters=review.QueueFilter(status="approved"))
        assert [o.id for o in approved] == [one.id]
        category = everything[0].categories[0] if everything[0].categories else "exit"
        by_category = review.list_queue(
            session=session, filters=review.QueueFilter(status=None, category=category))
        assert all(category in o.categories for o in by_category)
        if one.obligor:
            by_obligor = review.list_queue(
                session=session, filters=review.QueueFilter(status=None, obligor=one.obligor))
            assert by_obligor and all(o.obligor == one.obligor for o in by_obligor)
        previous_id, next_id = review.neighbours(session=session, obligation=one)
        assert previous_id is None
        assert next_id == (open_[0].id if open_ else None)


def test_review_add_obligation_from_a_clause(engine, doc):
    from pipeline.ids import obligation_key

    with session_scope(engine) as session:
        clause = session.exec(
            select(Clause).where(Clause.document_id == doc, Clause.text.contains("shall"))
        ).first()
        units = [" ".join(u.split()) for u in review.quotable_units(clause.text)]
        taken = {o.id for o in session.exec(select(Obligation))}
        sentence = units[0]
        ob = review.add_obligation(
            session=session, clause_id=clause.id, text=sentence, user="alice",
            fields=ObligationUpdate(action="do the thing", obligor="Company",
                                    deadline_text="within 5 days"),
        )
        assert ob.origin == "reviewer" and ob.status == "corrected"
        document = session.get(Document, doc)
        assert ob.id == next(key for n in range(5) if (key := obligation_key(
            document.sha256, clause.ref, sentence, n)) not in taken)
        assert ob.bboxes == clause.bboxes
        again = review.add_obligation(
            session=session, clause_id=clause.id, text=sentence, user="alice",
            fields=ObligationUpdate(action="a second duty in the same sentence"),
        )
        assert again.id != ob.id
        with pytest.raises(review.InvalidUpdate, match="not part of clause"):
            review.add_obligation(session=session, clause_id=clause.id, user="alice",
                                  text="Words that are nowhere in it.",
                                  fields=ObligationUpdate(action="x"))
    assert [e.action for e in _events(engine, ob.id)] == ["create"]


def test_review_reextraction_keeps_review_work(engine, doc):
    """A newer extractor never overwrites approved / corrected / rejected obligations, never
    resurrects a rejected one, and flags real disagreements as conflicts in the queue."""
    extraction = sample_extraction()
    with session_scope(engine) as session:
        obs = list(session.exec(
            select(Obligation).where(Obligation.document_id == doc)
            .order_by(Obligation.page, Obligation.position)))
    assert len(obs) >= 3, "the sample needs three obligations"
    approved, corrected, rejected = obs[0], obs[1], obs[2]
    with session_scope(engine) as session:
        review.approve(session=session, obligation_id=approved.id, user="alice")
        review.correct(session=session, obligation_id=corrected.id, user="alice",
                       update=ObligationUpdate(deadline_text="within 7 days"))
        review.reject(session=session, obligation_id=rejected.id, user="alice")

    # The new extractor proposes a different action for the approved one.
    candidates = list(extraction.obligations)
    by_text = {c.text: i for i, c in enumerate(candidates)}
    i = by_text[approved.text]
    candidates[i] = replace(candidates[i], action="a different reading of the action")
    newer = replace(extraction, obligations=tuple(candidates), extractor_version="test+newer")
    ingest_sample(engine, extraction=newer)

    with session_scope(engine) as session:
        a = session.get(Obligation, approved.id)
        c = session.get(Obligation, corrected.id)
        r = session.get(Obligation, rejected.id)
        assert (a.status, a.action) == ("approved", approved.action)
        assert a.conflict == {"action": "a different reading of the action"}
        assert (c.status, c.deadline_text) == ("corrected", "within 7 days")
        assert r.status == "rejected"
        flagged = review.list_queue(session=session, filters=review.QueueFilter(status="flagged"))
        assert a.id in {o.id for o in flagged}
        assert r.id not in {o.id for o in review.list_queue(session=session)}
        conflict_events = session.exec(
            select(ReviewEvent).where(ReviewEvent.obligation_id == a.id,
                                      ReviewEvent.action == "conflict")).all()
        assert conflict_events
        # Approving it again settles the flag.
        review.approve(session=session, obligation_id=a.id, user="alice")
        assert session.get(Obligation, a.id).conflict is None


# --- users ----------------------------------------------------------------------------------


def test_users_add_authenticate_deactivate(engine):
    by = Actor("root", "cli")
    with session_scope(engine) as session:
        user = users.add_user(session=session, name="alice", password="s3cret-enough",
                              role="admin", by=by)
        assert user.password_hash.startswith("$argon2id$")
        assert "s3cret" not in user.password_hash
        with pytest.raises(users.UserExists):
            users.add_user(session=session, name="alice", password="another-one", by=by)
        with pytest.raises(users.InvalidUser, match="role"):
            users.add_user(session=session, name="carol", password="long-enough", role="root",
                           by=by)
        with pytest.raises(users.InvalidUser, match="at least"):
            users.add_user(session=session, name="dave", password="short", by=by)
        with pytest.raises(users.InvalidUser, match="colon"):  # system:NAME is for scripts
            users.add_user(session=session, name="system:bulk", password="long-enough", by=by)
    with session_scope(engine) as session:
        assert users.authenticate(session=session, name="alice", password="s3cret-enough")
        assert users.authenticate(session=session, name="alice", password="wrong") is None
        assert users.authenticate(session=session, name="nobody", password="x") is None
        users.deactivate_user(session=session, name="alice", by=by)
    with session_scope(engine) as session:
        assert users.authenticate(session=session, name="alice", password="s3cret-enough") is None
        users.set_active(session=session, name="alice", active=True, by=by)
        users.set_password(session=session, name="alice", password="a-new-password", by=by)
        assert users.authenticate(session=session, name="alice", password="a-new-password")


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(db_url):
    from cli.main import app

    runner = CliRunner()

    def run(*args, input=None):
        result = runner.invoke(app, [*args, "--db", db_url], input=input)
        return result

    return run


def test_cli_users_add_list_deactivate(cli):
    assert cli("users", "add", "alice", "--role", "admin", "--password-stdin",
               input="correct horse battery\n").exit_code == 0
    duplicate = cli("users", "add", "alice", "--password-stdin", input="correct horse battery\n")
    assert duplicate.exit_code == 1
    prompted = cli("users", "add", "bob", input="correct horse battery\ncorrect horse battery\n")
    assert prompted.exit_code == 0, prompted.output
    listing = cli("users", "list")
    assert "alice" in listing.output and "admin" in listing.output and "bob" in listing.output
    assert cli("users", "deactivate", "bob").exit_code == 0
    assert cli("users", "deactivate", "nobody").exit_code == 1


def test_cli_review_bulk_approve_correct_show(cli, engine, doc):
    for name in ("alice", "bob"):
        assert cli("users", "add", name, "--password-stdin", input="correct horse battery\n").exit_code == 0
    ids = cli("review", "list", "--ids").output.split()
    assert len(ids) >= 3
    first, second, third = ids[:3]
    result = cli("review", "correct", first[:10], "--deadline-text", "within 30 days",
                 "--deadline-duration", "P30D", "--user", "alice", "--comment", "clause 6.1")
    assert result.exit_code == 0, result.output
    result = cli("review", "approve", first, second, "--user", "alice")
    assert result.exit_code == 0, result.output
    rejected = cli("review", "reject", "-", "--user", "bob", "-m", "duplicate", input=third + "\n")
    assert rejected.exit_code == 0, rejected.output
    assert cli("review", "approve", "doesnotexist", "--user", "alice").exit_code == 1
    stale = cli("review", "correct", first, "--trigger", "x", "--version", "1", "--user", "bob")
    assert stale.exit_code == 1 and "changed by" in stale.output.replace("\n", " ")
    shown = cli("review", "show", first)
    assert shown.exit_code == 0
    for expected in ("approved", "within 30 days", "alice", "clause 6.1", "rules"):
        assert expected in shown.output
    approved = cli("review", "list", "--status", "approved", "--json").output.splitlines()
    assert {json.loads(line)["id"] for line in approved} == {first, second}
    events = [json.loads(line) for line in cli("review", "events").output.splitlines()]
    assert {e["action"] for e in events} >= {"correct", "approve", "reject"}
    assert any(e["user"] == "bob" and e["comment"] == "duplicate" for e in events)


def test_review_restating_stored_values_is_no_correction(engine, doc):
    ob = first_obligation(engine, doc)
    with session_scope(engine) as session:
        stored = session.get(Obligation, ob.id)
        stored.categories = ["termination", "exit"]  # not in canonical order
        stored.action = stored.action + "  "
    with session_scope(engine) as session:
        current = session.get(Obligation, ob.id)
        review.correct(
            session=session, obligation_id=ob.id, user="alice",
            update=ObligationUpdate(categories=["exit", "termination"],
                                    action=current.action.strip(),
                                    trigger=current.trigger or ""),
        )
    assert first_obligation(engine, doc).status == "extracted"
    assert _events(engine, ob.id) == []


def test_review_correction_refuses_a_deadline_date_that_is_not_a_date():
    # a bad date would stop every later export (the schema refuses it): refuse it here
    from models.fields import InvalidValue, validate

    assert validate({"deadline_date": "2027-03-31"}) == {"deadline_date": "2027-03-31"}
    with pytest.raises(InvalidValue, match="YYYY-MM-DD"):
        validate({"deadline_date": "31/03/2027"})


def test_review_new_deadline_words_bring_their_structured_fields(engine, doc):
    # the reviewer rewrites the deadline as text only (as the browser journey does): the
    # duration, relation and anchor the registry imports must not contradict it
    ob = first_obligation(engine, doc)
    with session_scope(engine) as session:
        fixed = review.correct(
            session=session, obligation_id=ob.id, user="alice", expected_version=ob.version,
            update=ObligationUpdate(
                deadline_text="within 15 Business Days of the Termination Date",
                deadline_duration=ob.deadline_duration,  # the form sends them back unchanged
                deadline_relation=ob.deadline_relation,
            ),
        )
        assert (fixed.deadline_duration, fixed.deadline_business_days) == ("P15D", True)
        assert (fixed.deadline_relation, fixed.deadline_anchor) == ("within", "Termination Date")
    # the words are the reviewer's; the parts they left alone are read from them, and the
    # history says so instead of passing them off as typed
    events = _events(engine, ob.id)
    assert {e.field for e in events if e.action == "correct"} == {"deadline_text"}
    derived = {e.field for e in events if e.action == "derive"}
    assert "deadline_duration" in derived
    assert all(e.comment == review.DERIVED_NOTE for e in events if e.action == "derive")
