"""The shape of every rule file, as pydantic models: unknown keys, wrong types and missing
fields are refused with the file, line, key and reason (``rules.load_rules``).

Every rule has a stable ``id`` (``family.name[.name…]``, lower case) and an optional
``note`` for the humans who edit the files. Phrases are matched on whole tokens,
case-insensitively; token ``patterns`` are spaCy ``Matcher`` patterns (attributes ``LOWER``,
``LEMMA``, ``IS_DIGIT``, ``LIKE_NUM``, ``IS_TITLE``, ``IS_UPPER``, ``ORTH``, ``TEXT``, with
``IN`` and ``OP``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z_]*(?:\.[a-z0-9_]+)+$")]
Phrases = Annotated[list[Annotated[str, Field(min_length=1)]], Field(default_factory=list)]
TokenPattern = Annotated[list[dict[str, Any]], Field(min_length=1)]
Patterns = Annotated[list[TokenPattern], Field(default_factory=list)]
Category = Literal["exit", "data_return", "termination"]
Relation = Literal[
    "within", "before", "after", "at_least", "by", "every", "immediately", "promptly"
]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    note: str | None = None


class _Matchable(_Rule):
    """A rule that finds words: phrases, token patterns, or both (at least one)."""

    phrases: Phrases
    patterns: Patterns


# --- categories.jsonl ----------------------------------------------------------------------

Scope = Literal["text", "heading", "context"]


class CategoryThreshold(_Rule):
    kind: Literal["threshold"]
    value: float = Field(gt=0)


class CategoryPhrase(_Matchable):
    kind: Literal["phrase"]
    category: Category
    weight: float
    scope: Scope = "text"
    weak: bool = False


class CategoryNear(_Rule):
    kind: Literal["near"]
    category: Category
    weight: float
    window: int = Field(ge=1, le=60)
    a: Annotated[list[str], Field(min_length=1)]
    b: Annotated[list[str], Field(min_length=1)]
    requires: Phrases


class CategoryExclude(_Matchable):
    """Without ``mask`` the clause is about none of the categories (a definitions clause);
    with it only the cues inside the matched words are ignored."""

    kind: Literal["exclude"]
    scope: Scope = "text"
    mask: bool = False


class CategoryDampen(_Rule):
    kind: Literal["dampen"]
    category: Category
    factor: float = Field(ge=0)
    if_any: Annotated[list[RuleId], Field(min_length=1)]
    unless_any: list[RuleId] = Field(default_factory=list)


CategoryRule = Annotated[
    CategoryThreshold | CategoryPhrase | CategoryNear | CategoryExclude | CategoryDampen,
    Field(discriminator="kind"),
]


# --- modality.jsonl ------------------------------------------------------------------------


class ModalRule(_Matchable):
    modality: Literal["obligation", "prohibition", "permission"]


# --- deadlines.jsonl -----------------------------------------------------------------------


class DeadlineUnit(_Matchable):
    kind: Literal["unit"]
    unit: Literal["D", "W", "M", "Y"]
    multiplier: int = Field(default=1, ge=1)
    business_days: bool = False


class DeadlineWords(_Matchable):
    """Words around a period or an event: ``lead`` (within, not less than) stands before
    the number, ``tail`` (before, after) after it, ``notice`` after a possessive period
    (``30 days' notice``), ``exclude`` before a period that is a length, not a time limit
    (``for a period of``), ``by`` before a date or an event; ``anchor_stop`` ends an
    anchor ("within 30 days of termination **and shall** …"); ``event_head`` is a word
    that makes an anchor an event with a time ("by the **Exit Date**", not "by the
    Supplier"); ``event_start`` may open such an event in lower case ("on **expiry**");
    ``effect_now`` makes a termination immediate whatever cure period follows; ``date``
    is a calendar date's shape."""

    kind: Literal[
        "lead",
        "tail",
        "notice",
        "exclude",
        "by",
        "anchor_stop",
        "event_head",
        "event_start",
        "effect_now",
        "date",
    ]
    relation: Relation | None = None


class DeadlineImmediacy(_Matchable):
    kind: Literal["immediacy"]
    relation: Literal["immediately", "promptly"]


class DeadlineRecurrence(_Matchable):
    kind: Literal["recurrence"]
    duration: str = Field(pattern=r"^P\d+[DWMY]$")


DeadlineRule = Annotated[
    DeadlineUnit | DeadlineWords | DeadlineImmediacy | DeadlineRecurrence,
    Field(discriminator="kind"),
]


# --- triggers.jsonl ------------------------------------------------------------------------


class TriggerRule(_Matchable):
    """A phrase that opens the event or condition starting a duty; the trigger text runs
    from it to the next comma, colon or semicolon, or to the modal verb."""

    lead_only: bool = False  # only at the start of the sentence ("Where …, the Supplier")


# --- parties.jsonl -------------------------------------------------------------------------


class PartyWords(_Rule):
    kind: Literal["role_words", "customer_roles", "jv_cues"]
    phrases: Annotated[list[str], Field(min_length=1)]


class PartyAlias(_Matchable):
    """Words that name a party without its role: ``either Party`` → ``Each Party``,
    ``the Parties`` → ``Both Parties``, ``the non-defaulting Party`` → the party other than
    the one in breach."""

    kind: Literal["alias"]
    role: Literal["Each Party", "Both Parties", "Other Party"]
    modality: Literal["prohibition"] | None = None  # "Neither Party shall" forbids


PartyRule = Annotated[PartyWords | PartyAlias, Field(discriminator="kind")]


# --- implied.jsonl -------------------------------------------------------------------------


class ImpliedRightWords(_Matchable):
    """The words of rights stated without a party as the subject (see the file's header)."""

    kind: Literal["grant", "grant_verb", "condition", "condition_verb", "notice_words", "by"]


# --- negative.jsonl ------------------------------------------------------------------------


class NegativeCue(_Matchable):
    """A cue that a sentence binds no party: ``subject`` cues are subjects that are not
    parties (``This Agreement shall continue``), ``sentence`` cues mark a sentence that is
    not a duty wherever they stand (a definition's ``means``, a recital's ``WHEREAS``),
    ``table_intro`` cues a sentence that introduces a table of duties (the rows are the
    obligations, not the sentence)."""

    kind: Literal["subject", "sentence", "table_intro"]


# --- sentences.jsonl -----------------------------------------------------------------------


class SentenceWords(_Rule):
    """``abbreviation``: a word whose final full stop does not end a sentence."""

    kind: Literal["abbreviation"]
    phrases: Annotated[list[str], Field(min_length=1)]


# --- grammar.jsonl -------------------------------------------------------------------------


class GrammarWords(_Rule):
    """Closed word classes the subject and passive finders need: ``subordinator`` (a piece
    before the modal verb that opens with one is not its subject: "If …,"), ``joiner``
    ("and", "then"), ``pronoun``, ``determiner`` (may stand before a party's role),
    ``participle`` (irregular past participles: "shall be paid"), ``not_passive`` ("shall
    be entitled to" is not a passive)."""

    kind: Literal["subordinator", "joiner", "pronoun", "determiner", "participle", "not_passive"]
    phrases: Annotated[list[str], Field(min_length=1)]


# --- decisions.jsonl -----------------------------------------------------------------------


class Decision(_Rule):
    """A decision taken by code, not by matching words (a limb inherits its stem's party):
    its id is recorded like any rule's, and its confidence is data."""

    key: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    description: str
    confidence: float | None = Field(default=None, ge=0, le=1)
    # a topic decision: applies when the unit's category score for the obligation is below this
    below: float | None = Field(default=None, gt=0)


# --- crossrefs.jsonl -----------------------------------------------------------------------


class CrossRefWords(_Rule):
    """Words that introduce a reference to another provision (``Clause``, ``Schedule``),
    and how such a reference is cited in this document's refs."""

    kind: Literal["clause", "section", "paragraph", "container", "article"]
    phrases: Annotated[list[str], Field(min_length=1)]
    cite_as: str | None = None


FILES: dict[str, Any] = {
    "categories": TypeAdapter(CategoryRule),
    "modality": TypeAdapter(ModalRule),
    "deadlines": TypeAdapter(DeadlineRule),
    "triggers": TypeAdapter(TriggerRule),
    "parties": TypeAdapter(PartyRule),
    "negative": TypeAdapter(NegativeCue),
    "implied": TypeAdapter(ImpliedRightWords),
    "sentences": TypeAdapter(SentenceWords),
    "grammar": TypeAdapter(GrammarWords),
    "decisions": TypeAdapter(Decision),
    "crossrefs": TypeAdapter(CrossRefWords),
}
