"""The ``exit-readiness`` record of one contract (schemas/exit-readiness.v1.json): its
checklist, its exit timeline and, where it is marked for a handover, the gaps. Pure: it turns
the results of ``pipeline.checklist``, ``pipeline.timeline`` and ``pipeline.handover`` into the
JSON the registry reads; the only place the record's shape is written down in code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pipeline.checklist import Checklist, ItemResult
from pipeline.handover import Duty, HandoverComparison
from pipeline.timeline import Entry, Timeline

SCHEMA_VERSION = "1"


def readiness_record(
    *,
    document: dict,
    checklist: Checklist,
    timeline: Timeline,
    comparisons: list[HandoverComparison],
    sha256_of: dict[str, str],
    now: datetime,
) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "document": document,
        "checklist": {
            "rules_version": checklist.rules_version,
            "summary": checklist.counts(),
            "items": [_item(i) for i in checklist.items],
        },
        "timeline": {
            "events": {k: v.isoformat() for k, v in sorted(timeline.events.items())},
            "scheduled": [_entry(e) for e in timeline.scheduled],
            "undated": [_entry(e) for e in timeline.undated],
            "vague": [_entry(e) for e in timeline.vague],
        },
        "handover": [_comparison(c, sha256_of) for c in comparisons],
    }


def _item(item: ItemResult) -> dict:
    return {
        "item": item.item,
        "label": item.label,
        "state": item.state,
        "refs": list(item.refs),
        "findings": [
            {
                "state": f.state,
                "clause_ref": f.unit_ref,
                "ref": f.ref,
                "rule": f.rule,
                "unstated": list(f.unstated),
                "text": f.text,
                "obligation_ids": list(f.obligations),
            }
            for f in item.findings
        ],
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _entry(e: Entry) -> dict:
    return {
        "obligation_id": e.obligation_id,
        "clause_ref": e.ref,
        "party": e.party,
        "action": e.action,
        "categories": list(e.categories),
        "deadline": {
            "text": e.deadline_text,
            "relation": e.relation,
            "duration": e.duration,
            "business_days": e.business_days,
        },
        "event": e.event,
        "due": _day(e.due),
        "occurrences": [_day(d) for d in e.occurrences],
        "note": e.note,
    }


def _comparison(c: HandoverComparison, sha256_of: dict[str, str]) -> dict:
    return {
        "outgoing": [sha256_of.get(name, name) for name in c.outgoing],
        "incoming": sha256_of.get(c.incoming, c.incoming),
        "topics": [
            {
                "topic": t.topic,
                "label": t.label,
                "gap": t.gap,
                "outgoing": [_duty(d, sha256_of) for d in t.outgoing],
                "incoming": [_duty(d, sha256_of) for d in t.incoming],
            }
            for t in c.topics
        ],
    }


def _duty(d: Duty, sha256_of: dict[str, str]) -> dict:
    return {
        "document_sha256": sha256_of.get(d.document, d.document),
        "party": d.party,
        "clause_ref": d.unit_ref,
        "ref": d.ref,
        "text": d.text,
        "formats": list(d.formats),
        "deadline": d.deadline,
        "obligation_ids": list(d.obligations),
    }
