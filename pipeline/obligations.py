"""Classified clauses → obligations: one per sentence or list limb that puts a duty, a
prohibition or a right on a party (sample_docs/gold/GUIDELINES.md §4).

For each unit with a category:
- its own text is split into sentences; each modal phrase (``rules/modality.jsonl``) with its
  subject is a candidate, and a sentence with two independent modal clauses gives two;
- a stem followed by limbs (``The Supplier shall: (a) …; (b) …``) gives one obligation per
  limb, each inheriting the stem's obligor, modality, trigger and (unless it states its own)
  deadline; lettered limbs inside a sentence work the same way;
- a table whose header names an activity and a responsible party or a deadline gives one
  obligation per row;
- the subject is resolved to a party role (``Supplier``, ``Each Party``, ``Both Parties``,
  a pronoun to the party last named); a passive takes its agent (``by the Supplier``) or no
  obligor, flagged for the reviewer; a sentence whose subject is not a party and that is not
  passive (``This Agreement shall continue …``) is not an obligation.
Every field records the rule ids that produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from spacy.matcher import PhraseMatcher

from pipeline.deadlines import find_deadline
from pipeline.nlp import get_nlp
from pipeline.parties import terms_used
from pipeline.rules import load_rules
from pipeline.types import (
    Classification,
    Clause,
    CrossRef,
    Deadline,
    Layout,
    Obligation,
    Parties,
)

# --- sentences -----------------------------------------------------------------------------

_ABBREVIATIONS = re.compile(
    r"\b(?:e\.g|i\.e|etc|No|Nos|Ltd|Inc|plc|Co|Corp|cl|para|paras|art|U\.K|U\.S|St|Mr|Mrs|Ms|"
    r"Dr|vs|viz|approx|Pty|L\.L\.C|N\.A|S\.A)\.$"
)
_SENTENCE_END = re.compile(r"[.!?](?=[”\"’)]?\s+[“\"‘(]?[A-Z0-9])")
_INLINE_LIMB = re.compile(r"(?:(?<=\s)|^)\(([a-z]|[ivx]{1,4})\)\s+")
_WORD = re.compile(r"[\w’'-]+")

_SUBORDINATORS = {
    "if",
    "where",
    "when",
    "whenever",
    "unless",
    "following",
    "on",
    "upon",
    "within",
    "at",
    "in",
    "subject",
    "without",
    "save",
    "except",
    "notwithstanding",
    "during",
    "after",
    "before",
    "by",
    "for",
    "until",
    "once",
    "provided",
    "as",
    "to",
    "from",
    "prior",
    "with",
    "including",
    "which",
    "who",
    "whether",
    "so",
    "under",
    "pursuant",
    "having",
    "throughout",
}
_JOINERS = {"and", "or", "but", "then", "thereafter", "also", "in", "addition", "whereupon"}
_PRONOUNS = {"it", "they", "he", "she"}
_EACH = re.compile(
    r"\b(?:each|either|any)\s+(?:of\s+the\s+)?part(?:y|ies)\b|\beach\s+of\s+the\s+parties\b", re.I
)
_NEITHER = re.compile(r"\bneither\s+(?:of\s+the\s+)?part(?:y|ies)\b", re.I)
_BOTH = re.compile(r"\b(?:the|both)\s+parties\b|\bthe\s+parties\s+(?:hereto|to\s+this)", re.I)
_AGREEMENT_SUBJECT = re.compile(
    r"\b(?:this|the)\s+(?:agreement|contract|deed|call-off\s+contract|order|dpa|amendment|"
    r"master\s+services\s+agreement|statement\s+of\s+work)\b",
    re.I,
)
_IRREGULAR_PARTICIPLES = {
    "given",
    "made",
    "sent",
    "paid",
    "held",
    "kept",
    "put",
    "sold",
    "done",
    "borne",
    "taken",
    "shown",
    "known",
    "written",
    "drawn",
    "set",
    "built",
    "brought",
    "bought",
    "dealt",
    "met",
    "read",
    "run",
    "sought",
    "spent",
    "told",
    "thought",
    "understood",
    "withheld",
    "won",
    "beyond",
    "in",
}
_CROSS_REF = re.compile(
    r"\b(?P<word>Clauses?|clauses?|Sections?|sections?|Schedules?|schedules?|[Pp]aragraphs?|"
    r"Articles?|Annex(?:es)?|Appendix|Appendices|Exhibits?|Parts?)\s+"
    r"(?P<num>\d+(?:\.\d+)*(?:\([a-z0-9]+\))*|[IVXLC]+\b|[A-Z]\b)"
    r"(?:\s+of\s+(?P<of>Schedule|Annex|Appendix|Exhibit)\s+(?P<ofnum>\d+|[A-Z]\b))?"
)


@dataclass(frozen=True)
class _Modal:
    start: int  # character offsets within the sentence
    end: int
    modality: str
    rule: str


@dataclass
class _Stem:
    """What a limb inherits from the sentence that introduces it."""

    modality: str | None = None
    obligor: str | None = None
    obligor_rule: str | None = None
    modality_rule: str | None = None
    deadline: Deadline | None = None
    trigger: str | None = None
    trigger_rule: str | None = None
    passive: bool = False
    flags: tuple[str, ...] = ()


@dataclass
class _Context:
    layout: Layout
    clauses: tuple[Clause, ...]
    parties: Parties
    roles: list[tuple[re.Pattern, str]]
    refs: dict[str, int]
    out: list[Obligation] = field(default_factory=list)


# --- rules ---------------------------------------------------------------------------------


@cache
def _modal_matcher() -> tuple[PhraseMatcher, dict[str, dict]]:
    nlp = get_nlp()
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    rules = {}
    for rule in load_rules("modality"):
        rules[rule["id"]] = rule
        matcher.add(rule["id"], [nlp.make_doc(p) for p in rule["phrases"]])
    return matcher, rules


@cache
def _triggers() -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((r["id"], re.compile(r["pattern"], re.I)) for r in load_rules("triggers"))


def find_modals(sentence: str) -> list[_Modal]:
    """Modal phrases in a sentence, longest first at each position, left to right."""
    nlp = get_nlp()
    matcher, rules = _modal_matcher()
    doc = nlp.make_doc(_flat(sentence))
    found = []
    for match_id, start, end in matcher(doc):
        span = doc[start:end]
        first = doc[start]
        if first.text == "May" and (  # the month
            (start + 1 < len(doc) and doc[start + 1].like_num)
            or (start > 0 and doc[start - 1].like_num)
        ):
            continue
        if first.lower_ == "will" and start > 0 and doc[start - 1].lower_ in ("at", "goodwill"):
            continue
        rule = rules[nlp.vocab.strings[match_id]]
        found.append((span.start_char, span.end_char, rule))
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    out: list[_Modal] = []
    for start, end, rule in found:
        if out and start < out[-1].end:
            continue
        out.append(_Modal(start, end, rule["modality"], rule["id"]))
    return out


# --- entry point ---------------------------------------------------------------------------


def clauses_to_obligations(
    layout: Layout,
    clauses: tuple[Clause, ...],
    parties: Parties,
    classifications: tuple[Classification, ...],
) -> tuple[Obligation, ...]:
    ctx = _Context(
        layout=layout,
        clauses=clauses,
        parties=parties,
        roles=_role_patterns(parties),
        refs={_norm_ref(c.ref): c.index for c in clauses},
    )
    for cls in classifications:
        if cls.categories:
            _unit(ctx, clauses[cls.clause], cls)
    return tuple(ctx.out)


def _unit(ctx: _Context, unit: Clause, cls: Classification) -> None:
    table_ranges = _table_ranges(ctx.layout, unit)
    stem = _numbered_stem(ctx, unit)
    if stem is not None and not _children(ctx, unit):
        # "31.1 The Council may terminate … if:" / "31.1.1 an Insolvency Event occurs …":
        # a numbered sub-clause completing its parent's stem is treated like a limb.
        _limb(ctx, unit, unit, cls, stem, table_ranges)
    else:
        _node(ctx, unit, unit, cls, stem or _Stem(), table_ranges, inherited=stem is not None)
    _table_rows(ctx, unit, cls, table_ranges)


def _numbered_stem(ctx: _Context, unit: Clause) -> _Stem | None:
    if unit.parent is None:
        return None
    parent = ctx.clauses[unit.parent]
    if parent.kind not in ("clause", "paragraph") or not parent.segments:
        return None
    own = unit.own_text(ctx.layout.text).lstrip()
    parent_text = ctx.layout.text[parent.segments[0][0] : parent.segments[0][1]].rstrip()
    if not parent_text.endswith(":") or not own[:1].islower():
        return None
    sentences = _sentences(ctx.layout.text, *parent.segments[0])
    if not sentences:
        return None
    stem = _stem_of(ctx, ctx.layout.text[slice(*sentences[-1])])
    return stem if stem.modality is not None else None


def _children(ctx: _Context, node: Clause) -> list[Clause]:
    return [
        c
        for c in ctx.clauses[node.index + 1 :]
        if c.start < node.span_end and c.parent == node.index and c.is_limb
    ]


def _node(
    ctx: _Context,
    unit: Clause,
    node: Clause,
    cls: Classification,
    stem: _Stem,
    table_ranges: list[tuple[int, int]],
    inherited: bool,
) -> None:
    text = ctx.layout.text
    limbs = _children(ctx, node)
    first_limb = limbs[0].start if limbs else None
    sentences = [
        (a, b)
        for seg_a, seg_b in node.segments
        for a, b in _sentences(text, seg_a, seg_b)
        if not _in_tables(a, b, table_ranges)
    ]
    before = [s for s in sentences if first_limb is None or s[1] <= first_limb]
    after = [s for s in sentences if first_limb is not None and s[1] > first_limb]

    if limbs:
        stem_span = before[-1] if before else None
        head = before[:-1] if before else []
        for a, b in head:
            _sentence(ctx, unit, node, cls, a, b)
        own = _stem_of(ctx, text[stem_span[0] : stem_span[1]]) if stem_span else None
        if own is not None and own.modality is not None:
            child_stem = own
        elif inherited and stem.modality is not None:
            child_stem = stem
        else:
            child_stem = None
            if stem_span:  # a stem without a modal: its sentence may still carry one
                _sentence(ctx, unit, node, cls, *stem_span)
        for limb in limbs:
            _limb(ctx, unit, limb, cls, child_stem, table_ranges)
        for a, b in after:
            _sentence(ctx, unit, node, cls, a, b)
    else:
        completed = _completed_by_children(ctx, node)
        for k, (a, b) in enumerate(sentences):
            if completed and k == len(sentences) - 1:
                continue  # "31.1 … if:": its sub-clauses carry the obligations
            if table_ranges and re.search(
                r"\b(?:table|schedule)\s+below\b|\bfollowing\s+table\b", text[a:b], re.I
            ):
                continue  # the sentence introducing a table of duties
            _sentence(ctx, unit, node, cls, a, b)


def _completed_by_children(ctx: _Context, node: Clause) -> bool:
    own = ctx.layout.text[slice(*node.segments[-1])].rstrip() if node.segments else ""
    if not own.endswith(":"):
        return False
    return any(
        c.parent == node.index and not c.is_limb
        for c in ctx.clauses[node.index + 1 : node.index + 4]
    )


def _limb(
    ctx: _Context,
    unit: Clause,
    limb: Clause,
    cls: Classification,
    stem: _Stem | None,
    table_ranges: list[tuple[int, int]],
) -> None:
    text = ctx.layout.text
    own_text = limb.own_text(text).strip()
    if _children(ctx, limb):
        _node(ctx, unit, limb, cls, stem or _Stem(), table_ranges, inherited=stem is not None)
        return
    if not own_text or not limb.segments:
        return
    start, end = limb.segments[0][0], limb.segments[-1][1]
    own = _stem_of(ctx, own_text)
    modals = find_modals(own_text)
    leads = bool(modals) and len(_WORD.findall(own_text[: modals[0].start])) <= 6
    if (own.modality is not None and own.obligor is not None and leads) or (
        stem is None or stem.modality is None
    ):
        # A limb with its own party and modal, or a limb under a stem that binds no one:
        # read its sentences like any others.
        for seg_a, seg_b in limb.segments:
            for a, b in _sentences(text, seg_a, seg_b):
                if not _in_tables(a, b, table_ranges):
                    _sentence(ctx, unit, limb, cls, a, b)
        return
    # Under a right ("may terminate … if:"), a period in a limb is a condition of the
    # right (a cure period), not its deadline.
    deadline = (
        stem.deadline
        if stem.modality == "permission"
        else (find_deadline(own_text) or stem.deadline)
    )
    _emit(
        ctx,
        unit,
        limb,
        cls,
        start,
        end,
        own_text,
        modality=stem.modality,
        obligor=stem.obligor,
        action=_clean(own_text),
        trigger=_trigger(own_text)[0] or stem.trigger,
        deadline=deadline,
        rules={
            "modality": (stem.modality_rule or "", "obl.limb.inherit"),
            "obligor": (stem.obligor_rule or "obl.unresolved", "obl.limb.inherit"),
            "deadline": (deadline.rule,) if deadline else (),
            "trigger": (stem.trigger_rule,) if stem.trigger_rule else (),
        },
        flags=stem.flags + ("inherited_from_stem",),
        confidence=0.8 if stem.obligor else 0.55,
    )


def _stem_of(ctx: _Context, sentence: str) -> _Stem:
    """The modality, obligor, deadline and trigger of a stem sentence (first modal)."""
    modals = find_modals(sentence)
    if not modals:
        return _Stem()
    modal = modals[0]
    subject = _subject(sentence[: modal.start])
    obligor, obligor_rule, modality, modality_rule = _resolve(
        ctx, subject, sentence[: modal.start], modal
    )
    passive = _is_passive(sentence[modal.end :])
    flags: tuple[str, ...] = ()
    if obligor is None:
        if not passive:
            return _Stem()  # "The Termination Payment shall be the sum of:" states, not binds
        agent = _agent(ctx, sentence[modal.end :])
        if agent:
            obligor, obligor_rule = agent, "obl.passive.agent"
        else:
            flags = ("obligor_unresolved",)
    trigger, trigger_rule = _trigger(sentence)
    return _Stem(
        modality=modality,
        obligor=obligor,
        obligor_rule=obligor_rule,
        modality_rule=modality_rule,
        deadline=find_deadline(sentence),
        trigger=trigger,
        trigger_rule=trigger_rule,
        passive=passive,
        flags=flags,
    )


# --- one sentence --------------------------------------------------------------------------


def _sentence(
    ctx: _Context, unit: Clause, node: Clause, cls: Classification, start: int, end: int
) -> None:
    text = ctx.layout.text
    sentence = text[start:end]
    emitted = len(ctx.out)
    _modal_sentence(ctx, unit, node, cls, start, end, sentence)
    if len(ctx.out) == emitted:
        _notice_condition(ctx, unit, node, cls, start, end, sentence)


# "the licenses granted to Aimmune … shall continue in full force": a right of that party
# that outlives the contract, though the sentence's subject is the licence.
_CONTINUING_GRANT = re.compile(
    r"\b(?:rights?|licen[cs]es?|sub-?licen[cs]es?)\s+(?:and\s+\w+\s+)?granted\s+to\s+"
    r"(?P<who>(?:the\s+)?[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2})[^.;]{0,120}?\bshall\s+"
    r"(?:continue|survive|remain)\b"
)


# "This Agreement will renew for successive one-year terms unless either party gives at
# least 90 days' notice …": a right not to renew (or to end), with its notice period, even
# though the sentence's verb belongs to the Agreement.
_NOTICE_CONDITION = re.compile(
    r"\b(?i:unless|until|if|provided\s+that)\s+(?P<who>(?i:(?:either|any|each|a|one|the)\s+part(?:y|ies))|"
    r"(?:the\s+)?[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2})\s+(?:shall\s+have\s+)?"
    r"(?:gives?|given|provides?|serves?|delivers?|notif(?:y|ies)|sends?|elects?)\b",
)


# "unless a notice of non-renewal is given by either Party", "cancellable at any time by any
# of the parties upon three months' notice"
_NOTICE_BY = re.compile(
    r"\b(?i:(?:notice[^.;]{0,60}?\b(?:is|be|are)\s+(?:given|served|delivered|sent)|"
    r"(?:cancell?able|terminable)[^.;]{0,40}?))\s+by\s+"
    r"(?P<who>(?i:(?:either|any|each|one)\s+(?:of\s+the\s+)?part(?:y|ies))|"
    r"(?:the\s+)?[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2})"
)


def _notice_condition(
    ctx: _Context,
    unit: Clause,
    node: Clause,
    cls: Classification,
    start: int,
    end: int,
    sentence: str,
) -> None:
    if "termination" not in cls.categories:
        return
    flat = _flat(sentence)
    grant = _CONTINUING_GRANT.search(flat)
    if grant and (roles := _roles_in(ctx, grant.group("who"))):
        _emit(
            ctx,
            unit,
            node,
            cls,
            start,
            end,
            sentence,
            modality="permission",
            obligor=roles[0],
            action=_clean(flat[grant.start() :]),
            trigger=_trigger(flat)[0],
            deadline=find_deadline(sentence),
            rules={
                "modality": ("mod.permission.continuing_grant",),
                "obligor": ("obl.grant_holder",),
            },
            flags=("implied_right",),
            confidence=0.6,
        )
        return
    m = _NOTICE_CONDITION.search(flat)
    if m and not re.search(r"notice|notif|in writing", flat[m.start() : m.end() + 160], re.I):
        m = None
    m = m or _NOTICE_BY.search(flat)
    if not m:
        return
    who = m.group("who")
    if re.match(r"(?:either|any|each|a|one)\s", who, re.I):  # noqa: SIM114
        obligor, rule = "Each Party", "obl.notice_condition.each"
    elif re.match(r"the\s+parties", who, re.I):
        obligor, rule = "Both Parties", "obl.notice_condition.both"
    else:
        roles = _roles_in(ctx, who)
        if not roles:
            return
        obligor, rule = roles[0], "obl.notice_condition.role"
    deadline = find_deadline(sentence[m.start() :])
    _emit(
        ctx,
        unit,
        node,
        cls,
        start,
        end,
        sentence,
        modality="permission",
        obligor=obligor,
        action=_clean(sentence[m.end() - len(m.group(0).split()[-1]) :]),
        trigger=None,
        deadline=deadline,
        rules={
            "modality": ("mod.permission.notice_condition",),
            "obligor": (rule,),
            "deadline": (deadline.rule,) if deadline else (),
        },
        flags=("implied_right",),
        confidence=0.6,
    )


def _modal_sentence(
    ctx: _Context,
    unit: Clause,
    node: Clause,
    cls: Classification,
    start: int,
    end: int,
    sentence: str,
) -> None:
    modals = find_modals(sentence)
    if not modals:
        return

    inline = list(_INLINE_LIMB.finditer(sentence))
    if (
        len(inline) >= 2
        and 0 < inline[0].start() - modals[0].end < 150  # "shall (a) notify …, (b) keep …"
        and inline[0].group(1) in ("a", "i")
    ):
        _inline_limbs(ctx, unit, node, cls, start, sentence, inline)
        return

    groups = _group_modals(sentence, modals)
    last_obligor: str | None = None
    for k, (modal, chunk_start, chunk_end) in enumerate(groups):
        subject = _subject(sentence[chunk_start : modal.start])
        obligor, obligor_rule, modality, modality_rule = _resolve(
            ctx, subject, sentence[: modal.start], modal, previous=last_obligor
        )
        rest = sentence[modal.end : chunk_end]
        passive = _is_passive(rest)
        flags: list[str] = []
        confidence = 0.9
        if obligor is None:
            if not passive:
                continue  # "This Agreement shall continue …": not a party's duty
            if _AGREEMENT_SUBJECT.search(subject or "") and not _agent(ctx, rest):
                continue  # "This Agreement may be terminated in accordance with …"
            agent = _agent(ctx, rest)
            if agent:
                obligor, obligor_rule = agent, "obl.passive.agent"
                confidence = 0.8
            else:
                obligor_rule = "obl.passive.no_agent"
                flags.append("obligor_unresolved")
                confidence = 0.55
        last_obligor = obligor or last_obligor
        piece = sentence[chunk_start:chunk_end]
        # The time of the duty follows its verb more often than not ("… which cannot be
        # deleted immediately shall be put beyond use without undue delay").
        deadline = find_deadline(sentence[modal.start : chunk_end]) or find_deadline(piece)
        trigger, trigger_rule = _trigger(sentence[: modal.start]) if k == 0 else (None, None)
        if trigger is None:
            trigger, trigger_rule = _trigger(piece)
        _emit(
            ctx,
            unit,
            node,
            cls,
            start + chunk_start,
            start + chunk_end,
            piece if len(groups) > 1 else sentence,
            modality=modality,
            obligor=obligor,
            action=_clean(rest if not passive else sentence[modal.start : chunk_end]),
            trigger=trigger,
            deadline=deadline,
            rules={
                "modality": (modality_rule,),
                "obligor": (obligor_rule,) if obligor_rule else (),
                "deadline": (deadline.rule,) if deadline else (),
                "trigger": (trigger_rule,) if trigger_rule else (),
            },
            flags=tuple(flags) + (("passive",) if passive else ()),
            confidence=confidence,
        )


def _inline_limbs(
    ctx: _Context,
    unit: Clause,
    node: Clause,
    cls: Classification,
    start: int,
    sentence: str,
    inline: list[re.Match],
) -> None:
    stem_text = sentence[: inline[0].start()]
    stem = _stem_of(ctx, stem_text)
    if stem.modality is None:
        return
    for i, m in enumerate(inline):
        a = m.start()
        b = inline[i + 1].start() if i + 1 < len(inline) else len(sentence)
        piece = sentence[a:b]
        body = sentence[m.end() : b]
        own = find_modals(body)
        modality, modality_rule = stem.modality, stem.modality_rule
        if own and own[0].start < 12:  # "(b) not process …" under "shall": a prohibition
            modality, modality_rule = own[0].modality, own[0].rule
        elif body.lstrip().lower().startswith("not "):
            modality, modality_rule = "prohibition", "mod.prohibition.inline_not"
        deadline = find_deadline(body) or stem.deadline
        ref = f"{node.ref}({m.group(1)})"
        _emit(
            ctx,
            unit,
            node,
            cls,
            start + a,
            start + b,
            piece,
            modality=modality,
            obligor=stem.obligor,
            action=_clean(body),
            trigger=stem.trigger,
            deadline=deadline,
            ref=ref,
            rules={
                "modality": (modality_rule or "", "obl.inline_limb"),
                "obligor": (stem.obligor_rule or "obl.unresolved", "obl.inline_limb"),
                "deadline": (deadline.rule,) if deadline else (),
                "trigger": (stem.trigger_rule,) if stem.trigger_rule else (),
            },
            flags=stem.flags + ("inline_limb",),
            confidence=0.8 if stem.obligor else 0.55,
        )


def _group_modals(sentence: str, modals: list[_Modal]) -> list[tuple[_Modal, int, int]]:
    """Split a sentence into independent modal clauses: a later modal opens a new one when a
    new subject stands between it and the previous clause (``…, and the Council shall …``)."""
    groups: list[list] = []
    for modal in modals:
        if groups:
            between = sentence[groups[-1][0].end : modal.start]
            if not _new_subject(between):
                continue
            cut = _clause_cut(between) + groups[-1][0].end
            groups[-1][2] = cut
            groups.append([modal, cut, len(sentence)])
        else:
            groups.append([modal, 0, len(sentence)])
    return [(m, a, b) for m, a, b in groups]


_NEW_CLAUSE = re.compile(
    r"(?:,|;|\band\b|\bbut\b|\bor\b|\bwhereupon\b|\bunless\b)\s+"
    r"(?:(?:if|where|unless|when)\b[^,]*,\s*)?"
    r"(?P<subj>(?:the|each|either|neither|both|any|all|such|it|they|[A-Z])[^,;]{0,60})$"
)


def _new_subject(between: str) -> bool:
    m = _NEW_CLAUSE.search(between)
    if not m:
        return False
    subj = m.group("subj").strip()
    words = _WORD.findall(subj)
    if not words or words[0].lower() in _SUBORDINATORS:
        return False
    # "…, and shall" (no subject) continues the same clause; a pronoun or a noun phrase opens one
    return len(words) <= 8


def _clause_cut(between: str) -> int:
    m = _NEW_CLAUSE.search(between)
    return m.start() if m else len(between)


def _subject(before: str) -> str:
    """The subject of a modal: the last comma-separated piece before it that is not an
    introductory phrase (``If the Supplier fails…, the Council may``)."""
    pieces = [p.strip() for p in re.split(r"[,;:]", before)]
    for piece in reversed(pieces):
        words = _WORD.findall(piece)
        if not words:
            continue
        while words and words[0].lower() in _JOINERS and len(words) > 1:
            piece = piece.split(None, 1)[1] if " " in piece else piece
            words = words[1:]
        if words[0].lower() in _SUBORDINATORS:
            continue
        return piece
    return ""


def _resolve(
    ctx: _Context, subject: str, before: str, modal: _Modal, previous: str | None = None
) -> tuple[str | None, str | None, str, str]:
    """(obligor, obligor rule, modality, modality rule) for a subject and its modal."""
    modality, modality_rule = modal.modality, modal.rule
    if _NEITHER.search(subject):
        modality = "prohibition"  # "Neither Party shall (be entitled to) …"
        return (
            "Each Party",
            "obl.neither_party",
            modality,
            ("mod.prohibition.neither" if modality == "prohibition" else modality_rule),
        )
    if _EACH.search(subject):
        return "Each Party", "obl.each_party", modality, modality_rule
    if _BOTH.search(subject):
        return "Both Parties", "obl.both_parties", modality, modality_rule
    roles = _head_roles(ctx, subject)
    if len(set(roles)) >= 2 and re.search(r"\band\b", subject):
        return "Both Parties", "obl.joint_subject", modality, modality_rule
    if _JOINT_NAMES.fullmatch(subject.strip()) and _roles_in(ctx, subject):
        # "BE and Operator agree to …": two names, at least one of them a known party
        return "Both Parties", "obl.joint_subject", modality, modality_rule
    if roles:
        return roles[0], "obl.subject.role", modality, modality_rule
    if not subject.strip():
        # "On termination the Supplier shall …": no comma after the introductory phrase;
        # the party standing right before the modal is the subject.
        tail = _roles_at(ctx, before[-40:])
        if tail:
            pos, role = tail[-1]
            rest = before[-40:][pos:]
            if len(_WORD.findall(rest)) <= len(_WORD.findall(role)) + 1:
                return role, "obl.subject.after_intro", modality, modality_rule
    words = [w.lower() for w in _WORD.findall(subject)]
    if words and words[0] in _PRONOUNS and len(words) <= 2:
        earlier = _roles_in(ctx, before[: max(0, len(before) - len(subject))])
        if earlier:
            return earlier[-1], "obl.pronoun", modality, modality_rule
        if previous:
            return previous, "obl.pronoun", modality, modality_rule
        return None, "obl.pronoun.unresolved", modality, modality_rule
    return None, None, modality, modality_rule


def _head_roles(ctx: _Context, subject: str) -> list[str]:
    """Parties at the head of a subject: "The Supplier and its Sub-contractors", "Bank of
    America" → parties; "all rights granted to the Customer" → none. A party counts when it
    starts within the subject's first two words (after an article), or is joined to one that
    does by "and"."""
    found = _roles_at(ctx, subject)
    if not found:
        return []
    lead = re.match(r"\s*(?:(?:the|each|either|both|and)\s+)*(?:\S+\s+){0,1}", subject, re.I)
    limit = lead.end() if lead else 0
    heads = [(pos, role) for pos, role in found if pos <= limit]
    if not heads:
        return []
    first = heads[0][0]
    joined = (
        [
            role
            for pos, role in found
            if pos >= first
            and re.fullmatch(r"[\s\w’']*?\s(?:and|or)\s+(?:the\s+)?", subject[first:pos] + " ")
        ]
        if len(found) > 1
        else []
    )
    return [heads[0][1]] + [r for r in joined if r != heads[0][1]]


def _is_passive(rest: str) -> bool:
    words = _WORD.findall(rest[:80])
    if not words or words[0].lower() not in ("be", "been", "not", "only", "promptly", "also"):
        return False
    words = [w.lower() for w in words]
    try:
        i = words.index("be")
    except ValueError:
        return False
    for w in words[i + 1 : i + 4]:
        if w.endswith("ed") or w in _IRREGULAR_PARTICIPLES:
            return w not in (
                "entitled",
                "required",
                "obliged",
                "permitted",
                "responsible",
                "liable",
                "deemed",
            )
    return False


def _agent(ctx: _Context, rest: str) -> str | None:
    for m in re.finditer(r"\bby\s+(?:the\s+|each\s+|either\s+)?", rest):
        tail = rest[m.start() : m.start() + 60]
        if _EACH.search(tail[:30]):
            return "Each Party"
        roles = _roles_in(ctx, tail[:40])
        if roles:
            return roles[0]
    return None


def _trigger(text: str) -> tuple[str | None, str | None]:
    best = None
    for rule_id, pattern in _triggers():
        m = pattern.search(text)
        if m and (best is None or m.start() < best[1].start()):
            best = (rule_id, m)
    if best is None:
        return None, None
    rule_id, m = best
    tail = text[m.start() :]
    cut = re.search(r"[,;:]|\s(?:shall|must|may|will)\s", tail)
    trigger = tail[: cut.start()] if cut else tail[:150]
    trigger = trigger.strip().rstrip(".")
    if len(trigger) > 160:
        trigger = trigger[:157].rsplit(" ", 1)[0] + "…"
    return (trigger or None), rule_id


# --- tables --------------------------------------------------------------------------------

_ACTIVITY = re.compile(
    r"activit|milestone|task|deliverable|obligation|action|description|step", re.I
)
_PARTY_COL = re.compile(r"responsib|party|owner|by whom|lead|who", re.I)
_DEADLINE_COL = re.compile(r"deadline|timing|date|due|timescale|when|by when|time", re.I)


def _table_ranges(layout: Layout, unit: Clause) -> list[tuple[int, int]]:
    return [
        (ln.start, ln.end)
        for ln in layout.lines_between(unit.start, unit.span_end)
        if ln.table is not None
    ]


def _in_tables(a: int, b: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for s, e in ranges)


def _table_rows(
    ctx: _Context, unit: Clause, cls: Classification, table_ranges: list[tuple[int, int]]
) -> None:
    if not table_ranges:
        return
    layout, text = ctx.layout, ctx.layout.text
    # Rows belong to this unit only when no limb or child clause holds them.
    for line in layout.lines_between(unit.start, unit.span_end):
        if line.table is None or not line.cells:
            continue
        owner = _deepest_holder(ctx, unit, line.start)
        if owner is not None and not owner.is_limb and owner.index != unit.index:
            continue
        header = layout.tables[line.table].header
        cols = _columns(header)
        if cols is None:
            # Not a table of duties, but a cell may still hold a sentence with a modal
            # (an order form's "Exit" row): read each cell as text.
            if line.row:
                for a, b in line.cells:
                    for sa, sb in _sentences(text, a, b):
                        _sentence(ctx, unit, unit, cls, sa, sb)
            continue
        cells = [text[a:b].strip() for a, b in line.cells]
        if tuple(cells) == tuple(h.strip() for h in header) or len(cells) <= cols[0]:
            continue
        activity = cells[cols[0]]
        if not activity or len(activity.split()) < 2:
            continue
        party_cell = cells[cols[1]] if cols[1] is not None and cols[1] < len(cells) else ""
        deadline_cell = cells[cols[2]] if cols[2] is not None and cols[2] < len(cells) else ""
        obligor, obligor_rule = _table_party(ctx, party_cell)
        deadline = find_deadline(deadline_cell) if deadline_cell else None
        a, b = line.cells[cols[0]]
        _emit(
            ctx,
            unit,
            unit,
            cls,
            a,
            b,
            activity,
            modality="obligation",
            obligor=obligor,
            action=_clean(activity),
            trigger=None,
            deadline=deadline,
            rules={
                "modality": ("obl.table_row",),
                "obligor": (obligor_rule,),
                "deadline": (deadline.rule, "obl.table_row") if deadline else (),
                "trigger": (),
            },
            flags=("table_row",) + (("obligor_unresolved",) if obligor is None else ()),
            confidence=0.8 if obligor else 0.5,
            boxes_range=(line.start, line.end),
        )


def _columns(header: tuple[str, ...]) -> tuple[int, int | None, int | None] | None:
    activity = party = deadline = None
    for i, h in enumerate(header):
        h = h or ""
        if party is None and _PARTY_COL.search(h):
            party = i
        elif deadline is None and _DEADLINE_COL.search(h):
            deadline = i
        elif activity is None and _ACTIVITY.search(h):
            activity = i
    if activity is None or party is None:
        return None  # a table of service levels or prices, not of duties
    return activity, party, deadline


def _table_party(ctx: _Context, cell: str) -> tuple[str | None, str]:
    if _EACH.search(cell) or _BOTH.search(cell):
        return ("Each Party" if _EACH.search(cell) else "Both Parties"), "obl.table.party"
    roles = _roles_in(ctx, cell, loose=True)
    if len(set(roles)) >= 2:
        return "Both Parties", "obl.table.joint"
    if roles:
        return roles[0], "obl.table.party"
    return None, "obl.table.unresolved"


def _deepest_holder(ctx: _Context, unit: Clause, offset: int) -> Clause | None:
    best = None
    for c in ctx.clauses[unit.index :]:
        if c.start > offset:
            break
        if c.start <= offset < c.span_end:
            best = c
    return best


# --- parties -------------------------------------------------------------------------------


def _role_patterns(parties: Parties) -> list[tuple[re.Pattern, str]]:
    """Patterns for each party's role and name. A role word followed by another capitalised
    word (``Council Data``, ``Supplier Personnel``) or preceded by one (``Replacement
    Supplier``) names something else."""
    out = []
    for party in parties.parties:
        for name in {party.role, party.name, party.role.upper()}:
            if not name:
                continue
            escaped = re.escape(name).replace(r"\ ", r"\s+")
            pattern = re.compile(
                rf"(?<![-\w]){escaped}(?![-\w])(?!\s+[A-Z][a-z])",
            )
            out.append((pattern, party.role))
    return out


def _roles_in(ctx: _Context, text: str, loose: bool = False) -> list[str]:
    return [role for _, role in _roles_at(ctx, text, loose)]


_NAME = r"(?:the\s+)?[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*)*"
_JOINT_NAMES = re.compile(rf"{_NAME}\s+and\s+{_NAME}")
_DETERMINERS = frozenset(
    ("The", "Each", "Either", "Both", "Neither", "If", "Where", "When", "Any", "Such", "That", "No")
)


def _roles_at(ctx: _Context, text: str, loose: bool = False) -> list[tuple[int, str]]:
    found = []
    for pattern, role in ctx.roles:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 20) : m.start()]
            prev_word = (_WORD.findall(before) or [""])[-1]
            # "Replacement Supplier", "Key Sub-contractor": another capitalised word in
            # front names something else (unless a loose match is asked for).
            if not loose and prev_word[:1].isupper() and prev_word not in _DETERMINERS:
                continue
            found.append((m.start(), role))
    if loose and not found:
        for role in ctx.parties.roles:
            if role.lower() in text.lower():
                found.append((text.lower().index(role.lower()), role))
    return sorted(found)


# --- output --------------------------------------------------------------------------------


def _emit(
    ctx: _Context,
    unit: Clause,
    node: Clause,
    cls: Classification,
    start: int,
    end: int,
    text: str,
    *,
    modality: str,
    obligor: str | None,
    action: str,
    trigger: str | None,
    deadline: Deadline | None,
    rules: dict,
    flags: tuple[str, ...],
    confidence: float,
    ref: str | None = None,
    boxes_range: tuple[int, int] | None = None,
) -> None:
    text = " ".join(text.split())
    if len(text) < 8:
        return
    beneficiary = None
    for role in _roles_in(ctx, action):
        if role != obligor:
            beneficiary = role
            break
    layout = ctx.layout
    box_a, box_b = boxes_range or (start, end)
    rules = {k: tuple(v) for k, v in rules.items() if v}
    rules["categories"] = tuple(sorted({r for ids in cls.evidence.values() for r in ids}))
    ctx.out.append(
        Obligation(
            ref=ref or node.ref,
            unit=unit.index,
            clause=node.index,
            categories=cls.categories,
            modality=modality,  # type: ignore[arg-type]
            obligor=obligor,
            beneficiary=beneficiary,
            action=action,
            trigger=trigger,
            deadline=deadline,
            text=text,
            start=start,
            end=end,
            page=layout.page_at(start),
            boxes=layout.boxes(box_a, box_b),
            confidence=round(confidence, 2),
            rules=rules,
            flags=tuple(dict.fromkeys(flags)),
            cross_refs=_cross_refs(ctx, text, unit),
            terms=terms_used(text, ctx.parties.definitions),
        )
    )


def _flat(text: str) -> str:
    """Line breaks as spaces (same length, so offsets hold): a phrase may wrap a line."""
    return text.replace("\n", " ").replace("\t", " ")


def _clean(text: str) -> str:
    text = " ".join(text.split())
    # "shall, within 20 Working Days after the Termination Date, return …": the action
    # starts after the inserted phrase (which the deadline and trigger fields carry).
    if text.startswith(",") and (m := re.match(r",[^,]{3,120},\s*(?=[a-z])", text)):
        text = text[m.end() :]
    text = text.strip(" ;,:")
    text = re.sub(r"(?:;|,)?\s*(?:and|or)$", "", text).strip(" ;,")
    if len(text) > 400:
        text = text[:397].rsplit(" ", 1)[0] + "…"
    return text


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence ranges within ``text[start:end]`` (offsets in the document)."""
    out = []
    a = start
    chunk = text[start:end]
    for m in _SENTENCE_END.finditer(chunk):
        cut = start + m.end()
        head = text[a:cut]
        if _ABBREVIATIONS.search(head) or re.search(r"\b[A-Z]\.$", head):
            continue
        if head.strip():
            out.append(_strip(text, a, cut))
        a = cut
    if text[a:end].strip():
        out.append(_strip(text, a, end))
    return out


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _norm_ref(ref: str) -> str:
    return " ".join(ref.lower().split())


def _cross_refs(ctx: _Context, text: str, unit: Clause) -> tuple[CrossRef, ...]:
    out = []
    for m in _CROSS_REF.finditer(text):
        word = m.group("word").rstrip("s").capitalize()
        if word == "Appendice":
            word = "Appendix"
        num = m.group("num")
        candidates = []
        if m.group("of"):
            candidates.append(f"{m.group('of').capitalize()} {m.group('ofnum')}, paragraph {num}")
        elif word == "Paragraph":
            if unit.container:
                candidates.append(f"{unit.container}, paragraph {num}")
        elif word in ("Clause",):
            candidates += [num, f"Clause {num}"]
        elif word == "Section":
            candidates += [f"Section {num}", num]
        else:
            candidates.append(f"{word} {num}")
        target = next((c for c in candidates if _norm_ref(c) in ctx.refs), None)
        out.append(
            CrossRef(
                text=m.group(0),
                target=target or (candidates[0] if candidates else num),
                resolved=target is not None,
            )
        )
    return tuple(dict.fromkeys(out))
