"""Issue 11: a value is changed only when it differs after normalisation, deadline parts are
read from new wording only into the fields the reviewer left alone, contradictions are found,
and reopening an unreviewed obligation is refused instead of logging a no-op."""

from __future__ import annotations

import unicodedata

import pytest
from sqlmodel import select
from test_web_support import (
    fast_password_hashing,
    first_obligation,
    ingest_sample,
    sample_extraction,
)

from models import Obligation, ObligationUpdate, get_engine, init_db, review, session_scope
from models import fields as reviewable

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
def ob(engine) -> Obligation:
    """An obligation stored as the extractor stores them: line breaks as LF, NFC text."""
    doc = ingest_sample(engine, extraction=sample_extraction())
    ob = first_obligation(engine, doc)
    with session_scope(engine) as session:
        stored = session.get(Obligation, ob.id)
        stored.trigger = "after the\nTermination Date"
        stored.action = "return the Council’s data\nto the Council"
        stored.obligor = "Supplier"
        stored.deadline_duration = "P3M"
        stored.deadline_business_days = False
        stored.deadline_date = "2027-03-31"
        stored.categories = ["exit", "data_return"]
    return first_obligation(engine, doc)


def _events(engine, obligation_id):
    with session_scope(engine) as session:
        return review.history(session=session, obligation_id=obligation_id)


# One case per kind of field: what a browser or a shell sends back for an untouched value.
RESTATED = [
    pytest.param("trigger", "after the\r\nTermination Date", id="textarea-crlf"),
    pytest.param("trigger", "  after the\rTermination Date \n", id="textarea-cr-and-spaces"),
    pytest.param("action", "return the Council’s data\r\nto the Council", id="long-text-crlf"),
    pytest.param("obligor", " Supplier ", id="text-spaces"),
    pytest.param("deadline_duration", "p3m", id="duration-case"),
    pytest.param("deadline_business_days", False, id="boolean"),
    pytest.param("deadline_date", " 2027-03-31 ", id="date-spaces"),
    pytest.param("categories", ["data_return", "exit", "exit"], id="categories-order"),
    pytest.param("modality", None, id="enum"),  # filled from the stored value below
]


@pytest.mark.parametrize("name, sent", RESTATED)
def test_review_restated_value_is_no_correction(engine, ob, name, sent):
    sent = ob.modality if name == "modality" else sent
    with session_scope(engine) as session:
        after = review.correct(session=session, obligation_id=ob.id, user="alice",
                               expected_version=ob.version,
                               update=ObligationUpdate(**{name: sent}))
        assert (after.status, after.version) == ("extracted", ob.version)
    assert _events(engine, ob.id) == []


def test_review_unicode_forms_are_one_value(engine, ob):
    """The same words in decomposed form (as some systems paste them) are not a change."""
    with session_scope(engine) as session:
        stored = session.get(Obligation, ob.id)
        stored.obligor = "Société"  # NFC, as the pipeline writes text
    decomposed = unicodedata.normalize("NFD", "Société")
    assert decomposed != "Société"
    with session_scope(engine) as session:
        review.correct(session=session, obligation_id=ob.id, user="alice",
                       update=ObligationUpdate(obligor=decomposed))
    assert _events(engine, ob.id) == []


def test_review_approving_the_whole_form_untouched_records_only_the_approval(engine, ob):
    """The web form posts every field back (CRLF in textareas): approving is one event."""
    form = {name: getattr(ob, name) for name in reviewable.EDITABLE_FIELDS}
    form = {k: v.replace("\n", "\r\n") if isinstance(v, str) else v for k, v in form.items()}
    with session_scope(engine) as session:
        review.correct(session=session, obligation_id=ob.id, user="alice",
                       expected_version=ob.version, update=ObligationUpdate(**form))
        review.approve(session=session, obligation_id=ob.id, user="alice")
    assert [(e.action, e.field) for e in _events(engine, ob.id)] == [("approve", "status")]
    assert first_obligation(engine, ob.document_id).version == ob.version + 1


def test_review_a_real_change_is_stored_normalised(engine, ob):
    with session_scope(engine) as session:
        review.correct(session=session, obligation_id=ob.id, user="alice",
                       update=ObligationUpdate(trigger="on expiry\r\nof the Term  "))
    (event, status) = _events(engine, ob.id)
    assert (event.field, event.old, event.new) == ("trigger", ob.trigger, "on expiry\nof the Term")
    assert status.new == "corrected"


# --- deadlines ------------------------------------------------------------------------------


def test_review_new_wording_fills_only_the_parts_left_alone(engine, ob):
    """Wording and duration changed together: the duration is the reviewer's, relation and
    anchor are read from the words (not left saying "Termination Date"), and the history
    tells the two apart."""
    with session_scope(engine) as session:
        current = session.get(Obligation, ob.id)
        current.deadline_relation, current.deadline_anchor = "every", "Termination Date"
        current.deadline_date = None
    with session_scope(engine) as session:
        fixed = review.correct(
            session=session, obligation_id=ob.id, user="alice",
            update=ObligationUpdate(deadline_text="within 45 days after the Exit Date",
                                    deadline_duration="P60D", deadline_relation="every",
                                    deadline_anchor="Termination Date"),
        )
        assert fixed.deadline_duration == "P60D"
        assert (fixed.deadline_relation, fixed.deadline_anchor) == ("within", "Exit Date")
        mismatches = reviewable.deadline_mismatches(review.snapshot(fixed))
    events = _events(engine, ob.id)
    assert {e.field for e in events if e.action == "correct"} == {"deadline_text",
                                                                  "deadline_duration"}
    assert {e.field for e in events if e.action == "derive"} >= {"deadline_relation",
                                                                 "deadline_anchor"}
    # what the reviewer typed against what the words say: flagged, not hidden
    assert [(m.field, m.stored, m.read) for m in mismatches] == [
        ("deadline_duration", "P60D", "P45D")]


@pytest.mark.parametrize("values, fields", [
    ({"deadline_text": "within 45 days after the Exit Date", "deadline_duration": "P60D"},
     ["deadline_duration"]),
    ({"deadline_text": "within 45 days after the Exit Date", "deadline_anchor": "Termination Date",
      "deadline_relation": "within", "deadline_duration": "P45D"}, ["deadline_anchor"]),
    ({"deadline_text": "within 10 Business Days", "deadline_duration": "P10D",
      "deadline_business_days": False}, ["deadline_business_days"]),
    ({"deadline_text": "within 45 days after the exit date", "deadline_anchor": "the Exit Date",
      "deadline_duration": "p45d"}, []),
    ({"deadline_text": "as the parties agree", "deadline_duration": "P60D"}, []),
    ({"deadline_text": None, "deadline_duration": "P60D"}, []),
])
def test_review_deadline_mismatches(values, fields):
    assert [m.field for m in reviewable.deadline_mismatches(values)] == fields


# --- reopen -------------------------------------------------------------------------------


def test_review_reopening_an_unreviewed_obligation_is_refused(engine, ob):
    with pytest.raises(review.NothingToReopen), session_scope(engine) as session:
        review.reopen(session=session, obligation_id=ob.id, user="alice")
    assert _events(engine, ob.id) == []
    with session_scope(engine) as session:
        review.approve(session=session, obligation_id=ob.id, user="alice")
        assert review.reopen(session=session, obligation_id=ob.id, user="alice").status == \
            "extracted"


def test_review_values_that_cannot_be_stored_are_refused(engine, ob):
    with pytest.raises(review.InvalidUpdate, match="too long"), session_scope(engine) as s:
        review.correct(session=s, obligation_id=ob.id, user="alice",
                       update=ObligationUpdate(trigger="x" * 20_001))
    with session_scope(engine) as session:
        assert session.exec(select(Obligation).where(Obligation.id == ob.id)).one().trigger \
            == ob.trigger
