"""How ``obligations report`` writes what ``models.readiness`` computed: Markdown, CSV, a
standalone HTML page and iCalendar. Presentation only; the states and dates come in ready."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from jinja2 import Environment

from pipeline.checklist import Checklist
from pipeline.handover import HandoverComparison
from pipeline.timeline_files import timeline_csv, timeline_ics  # noqa: F401  (re-exported)

MARK = {"present": "✔ present", "weak": "◐ weak", "missing": "✘ missing"}

# --- the checklist -------------------------------------------------------------------------------


def matrix_rows(checklists: Sequence[Checklist]) -> tuple[list[str], list[list[str]]]:
    """Header (item ids) and one row of states per contract."""
    items = [i.item for i in checklists[0].items] if checklists else []
    return items, [[c.item(i).state for i in items] for c in checklists]


def estate_markdown(checklists: Sequence[Checklist]) -> str:
    items, rows = matrix_rows(checklists)
    labels = {i.item: i.label for i in checklists[0].items} if checklists else {}
    out = ["# Exit readiness: the estate", "", "| contract | " + " | ".join(
        labels[i] for i in items) + " |", "|---|" + "---|" * len(items)]
    for c, row in zip(checklists, rows, strict=True):
        out.append(f"| {_md(c.document)} | " + " | ".join(MARK[s] for s in row) + " |")
    return "\n".join(out) + "\n"


def checklist_markdown(checklist: Checklist) -> str:
    counts = checklist.counts()
    out = [
        f"# Exit readiness: {_md(checklist.document)}",
        "",
        f"{counts['present']} present, {counts['weak']} weak, {counts['missing']} missing "
        f"(checklist rules {checklist.rules_version}).",
        "",
        "| item | state | clauses | why |",
        "|---|---|---|---|",
    ]
    for item in checklist.items:
        why = _why(item)
        out.append(
            f"| {_md(item.label)} | {MARK[item.state]} | {_md(', '.join(item.refs)) or '—'} "
            f"| {_md(why)} |"
        )
    return "\n".join(out) + "\n"


def _why(item) -> str:
    if item.state == "missing":
        return "no provision found"
    best = item.findings[0]
    unstated = f" — no {', no '.join(best.unstated)}" if best.unstated else ""
    return f"{best.unit_ref}: {best.text[:160]}{unstated}"


def checklist_csv(checklists: Sequence[Checklist]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["document", "item", "label", "state", "refs", "unstated", "rule", "evidence"])
    for c in checklists:
        for item in c.items:
            best = item.findings[0] if item.findings else None
            writer.writerow(
                [
                    c.document,
                    item.item,
                    item.label,
                    item.state,
                    "; ".join(item.refs),
                    "; ".join(best.unstated) if best else "",
                    best.rule if best else "",
                    best.text if best else "",
                ]
            )
    return buffer.getvalue()


_HTML = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Exit readiness</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2733}
table{border-collapse:collapse}th,td{border:1px solid #cfd6de;padding:4px 8px;vertical-align:top}
th.item{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:600;white-space:nowrap}
td.present{background:#d9f2df}td.weak{background:#fdf0c4}td.missing{background:#f8d7d5}
.muted{color:#66717d}
</style></head><body>
<h1>Exit readiness</h1>
<p class="muted">Generated {{ now }}; checklist rules {{ version }}. Green: present; amber: weak
(a deadline, format or responsible party is not stated); red: missing.</p>
<table><thead><tr><th>contract</th>
{% for label in labels %}<th class="item">{{ label }}</th>{% endfor %}</tr></thead><tbody>
{% for c in checklists %}<tr><th>{{ c.document }}</th>
{% for item in c.items %}<td class="{{ item.state }}" title="{{ item.label }}: {{ item.state }}
{{ item.refs | join(', ') }}">{{ item.refs | join(', ') if item.refs else '—' }}</td>{% endfor %}
</tr>{% endfor %}</tbody></table>
{% for c in checklists %}<h2>{{ c.document }}</h2><table>
<tr><th>item</th><th>state</th><th>clauses</th><th>evidence</th></tr>
{% for item in c.items %}<tr><td>{{ item.label }}</td>
<td class="{{ item.state }}">{{ item.state }}</td><td>{{ item.refs | join(', ') }}</td>
<td>{% for f in item.findings[:3] %}<div><b>{{ f.unit_ref }}</b> {{ f.text | truncate(300) }}
{% if f.unstated %} <i>(no {{ f.unstated | join(', no ') }})</i>{% endif %}
</div>{% endfor %}</td></tr>{% endfor %}</table>{% endfor %}
</body></html>
"""
)


def checklist_html(checklists: Sequence[Checklist], now: datetime) -> str:
    labels = [i.label for i in checklists[0].items] if checklists else []
    version = checklists[0].rules_version if checklists else ""
    return _HTML.render(
        checklists=checklists, labels=labels, version=version, now=f"{now:%d %B %Y %H:%M} UTC"
    )


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- handover ------------------------------------------------------------------------------


def handover_markdown(comparisons: Sequence[HandoverComparison]) -> str:
    out = ["# Handover gaps", ""]
    for c in comparisons:
        out += [f"## {', '.join(map(_md, c.outgoing))} → {_md(c.incoming)}", ""]
        out += [
            "| topic | outgoing must hand over | incoming must take on | gap |",
            "|---|---|---|---|",
        ]
        for t in c.topics:
            gap = {"no_taker": "nobody takes it on", "no_giver": "nobody hands it over"}
            out.append(
                f"| {_md(t.label)} | {_duties(t.outgoing)} | {_duties(t.incoming)} "
                f"| {gap.get(t.gap, '—')} |"
            )
        out.append("")
    return "\n".join(out)


def _duties(duties) -> str:
    if not duties:
        return "—"
    parts = []
    for d in duties[:4]:
        extra = "; ".join(x for x in (", ".join(d.formats), d.deadline or "") if x)
        parts.append(f"{_md(d.unit_ref)}" + (f" ({_md(extra)})" if extra else ""))
    more = f" +{len(duties) - 4} more" if len(duties) > 4 else ""
    return ", ".join(parts) + more


def handover_csv(comparisons: Sequence[HandoverComparison]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["incoming", "topic", "gap", "side", "document", "party", "clause_ref", "formats",
         "deadline", "text"]
    )
    for c in comparisons:
        for t in c.topics:
            for d in (*t.outgoing, *t.incoming) or (None,):
                writer.writerow(
                    [c.incoming, t.topic, t.gap or ""]
                    + (
                        [d.side, d.document, d.party, d.unit_ref, "; ".join(d.formats),
                         d.deadline or "", d.text]
                        if d
                        else [""] * 7
                    )
                )
    return buffer.getvalue()
