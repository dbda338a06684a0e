"""``obligations report`` (exit readiness: the checklist, the exit timeline, handover gaps,
the exit-readiness export, the rule files) and ``obligations handover`` (mark documents
outgoing / incoming). Everything is computed by ``models.readiness``; this module parses
options and writes what it returns."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import EXIT_FAILED, EXIT_USAGE, DbOption, console, err_console, fail, open_db

report_app = typer.Typer(
    help="Exit readiness: the exit checklist per contract and for the estate, the exit "
    "timeline, handover gaps and the exit-readiness export.",
    no_args_is_help=True,
)
handover_app = typer.Typer(
    help="Mark documents as the outgoing (JV) or an incoming (new supplier) contract for "
    "the handover comparison.",
    no_args_is_help=True,
)
USER_ENV = "OBLIGATIONS_USER"
STATE_STYLE = {"present": "green", "weak": "yellow", "missing": "red"}
SYMBOL = {"present": "✔", "weak": "◐", "missing": "✘"}


class ExitFormat(StrEnum):
    table = "table"
    md = "md"
    html = "html"
    csv = "csv"


class TimelineFormat(StrEnum):
    table = "table"
    csv = "csv"
    ics = "ics"


class HandoverFormat(StrEnum):
    table = "table"
    md = "md"
    csv = "csv"


DocumentsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--document", "-d",
        help="A document: its id, SHA-256 (or a prefix of 6+ characters) or file name. "
        "Repeat for several; default: every processed document.",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write here instead of stdout.", show_default=False),
]
DateOption = Annotated[str | None, typer.Option(show_default=False, metavar="YYYY-MM-DD")]


def _documents(session, refs: list[str] | None) -> list:
    from models import readiness

    try:
        if refs:
            docs = [readiness.find_document(session=session, ref=r) for r in refs]
            for d in docs:
                if d.status != "processed":
                    raise readiness.NotProcessed(f"{d.source_file} is {d.status}: not checked")
            return docs
        docs = readiness.processed_documents(session=session)
    except readiness.ReadinessError as exc:
        fail(f"{exc.code}: {exc}", EXIT_USAGE)
    if not docs:
        fail("no processed documents in the database: run obligations ingest first")
    return docs


def _write(text: str | bytes, out: Path | None) -> None:
    """stdout, or ``out`` written beside it and moved into place (never half a file)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, out)
    err_console.print(f"wrote {out}")


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)


def _events(notice: str | None, termination: str | None, exit_: str | None) -> dict[str, date]:
    given = {
        "notice_served": _date("--notice-served", notice),
        "termination_date": _date("--termination-date", termination),
        "exit_date": _date("--exit-date", exit_),
    }
    return {k: v for k, v in given.items() if v is not None}


# --- obligations report exit ---------------------------------------------------------------------


@report_app.command("exit")
def report_exit(
    document: DocumentsOption = None,
    format: Annotated[
        ExitFormat, typer.Option("--format", "-f", help="table, md, html or csv.")
    ] = ExitFormat.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The exit checklist: for each contract and item, present / weak / missing and the
    clauses behind it (one contract: its detail; several: the estate matrix)."""
    from sqlmodel import Session

    from cli import report_render as render
    from models import readiness, utcnow

    with Session(open_db(db)) as session:
        docs = _documents(session, document)
        checklists = [readiness.document_checklist(session=session, document=d) for d in docs]
    if format is ExitFormat.csv:
        _write(render.checklist_csv(checklists), out)
    elif format is ExitFormat.html:
        _write(render.checklist_html(checklists, utcnow()), out)
    elif format is ExitFormat.md:
        one = len(checklists) == 1
        _write(render.checklist_markdown(checklists[0]) if one
               else render.estate_markdown(checklists), out)
    elif len(checklists) == 1:
        _print_checklist(checklists[0])
    else:
        _print_estate(checklists)


def _print_estate(checklists) -> None:
    table = Table(title="Exit readiness: the estate", title_justify="left")
    table.add_column("contract", no_wrap=True)
    for n, _ in enumerate(checklists[0].items, 1):
        table.add_column(str(n), justify="center", no_wrap=True)
    table.add_column("✔/◐/✘", justify="right", no_wrap=True, min_width=8)
    for c in checklists:
        cells = [f"[{STATE_STYLE[i.state]}]{SYMBOL[i.state]}[/]" for i in c.items]
        n = c.counts()
        table.add_row(escape(c.document), *cells, f"{n['present']}/{n['weak']}/{n['missing']}")
    console.print(table)
    console.print("✔ present  ◐ weak (no deadline, format or party)  ✘ missing")
    console.print("  ".join(f"{n} {i.label}" for n, i in enumerate(checklists[0].items, 1)))


def _print_checklist(checklist) -> None:
    table = Table(title=f"Exit readiness: {escape(checklist.document)}", title_justify="left")
    for col in ("item", "state", "clauses", "evidence"):
        table.add_column(col)
    for item in checklist.items:
        best = item.findings[0] if item.findings else None
        evidence = ""
        if best:
            evidence = best.text[:140] + (f" [no {', no '.join(best.unstated)}]"
                                          if best.unstated else "")
        table.add_row(
            item.label,
            f"[{STATE_STYLE[item.state]}]{item.state}[/]",
            escape(", ".join(item.refs)),
            escape(evidence),
        )
    console.print(table)
    n = checklist.counts()
    console.print(f"{n['present']} present, {n['weak']} weak, {n['missing']} missing.")


# --- obligations report timeline ----------------------------------------------------------------


@report_app.command("timeline")
def report_timeline(
    document: DocumentsOption = None,
    notice_served: DateOption = None,
    termination_date: DateOption = None,
    exit_date: DateOption = None,
    format: Annotated[
        TimelineFormat, typer.Option("--format", "-f", help="table, csv or ics (iCalendar).")
    ] = TimelineFormat.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The exit timeline: the due date of every obligation counted from the events given
    (working days on the England and Wales calendar), in date order with who must act."""
    from sqlmodel import Session

    from cli import report_render as render
    from models import readiness, utcnow

    events = _events(notice_served, termination_date, exit_date)
    if not events:
        fail("give at least one of --notice-served, --termination-date, --exit-date", EXIT_USAGE)
    with Session(open_db(db)) as session:
        docs = _documents(session, document)
        timeline = readiness.documents_timeline(session=session, documents=docs, events=events)
    if format is TimelineFormat.csv:
        _write(render.timeline_csv(timeline), out)
    elif format is TimelineFormat.ics:
        _write(render.timeline_ics(timeline, utcnow()), out)
    else:
        _print_timeline(timeline, several=len(docs) > 1)


def _print_timeline(timeline, several: bool) -> None:
    table = Table(title="Exit timeline", title_justify="left")
    columns = ("due", "", *(["contract"] if several else []), "clause", "party", "deadline", "note")
    for col in columns:
        table.add_column(col)
    for e in timeline.scheduled:
        row = [e.due.isoformat(), f"{e.due:%a}"] + ([escape(e.document)] if several else [])
        table.add_row(*row, escape(e.ref), escape(e.party or "—"),
                      escape(e.deadline_text or ""), escape(e.note))
    console.print(table)
    if timeline.vague:
        vague = Table(title="Vague deadlines (cannot be dated)", title_justify="left")
        for col in ("clause", "party", "deadline", "action"):
            vague.add_column(col)
        for e in timeline.vague:
            vague.add_row(escape(e.ref), escape(e.party or "—"), escape(e.deadline_text or ""),
                          escape(e.action[:80]))
        console.print(vague)
    console.print(
        f"{len(timeline.scheduled)} dated, {len(timeline.vague)} vague, "
        f"{len(timeline.undated)} counted from an event with no date given."
    )


# --- obligations report handover / export / rules ------------------------------------------------


@report_app.command("handover")
def report_handover(
    outgoing: Annotated[list[str] | None, typer.Option(
        help="The outgoing contract(s) (default: those marked outgoing).", show_default=False
    )] = None,
    incoming: Annotated[list[str] | None, typer.Option(
        help="An incoming contract (default: those marked incoming).", show_default=False
    )] = None,
    format: Annotated[HandoverFormat, typer.Option("--format", "-f")] = HandoverFormat.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Handover gaps: what the outgoing provider must hand over against what each incoming
    supplier must take on, topic by topic, and what has no counterpart."""
    from sqlmodel import Session

    from cli import report_render as render
    from models import readiness

    with Session(open_db(db)) as session:
        out_docs = [_one(session, r) for r in outgoing] if outgoing else None
        in_docs = [_one(session, r) for r in incoming] if incoming else None
        comparisons = readiness.handover_gaps(
            session=session, outgoing=out_docs, incoming=in_docs
        )
    if not comparisons:
        fail("nothing to compare: mark an outgoing and an incoming contract "
             "(obligations handover mark DOC --as outgoing|incoming) or give both options")
    if format is HandoverFormat.csv:
        _write(render.handover_csv(comparisons), out)
    elif format is HandoverFormat.md:
        _write(render.handover_markdown(comparisons), out)
    else:
        for c in comparisons:
            _print_comparison(c)


def _one(session, ref: str):
    from models import readiness

    try:
        return readiness.find_document(session=session, ref=ref)
    except readiness.ReadinessError as exc:
        fail(f"{exc.code}: {exc}", EXIT_USAGE)


def _print_comparison(c) -> None:
    table = Table(title=f"Handover: {escape(', '.join(c.outgoing))} → {escape(c.incoming)}",
                  title_justify="left")
    for col in ("topic", "outgoing must hand over", "incoming must take on", "gap"):
        table.add_column(col)
    gap = {"no_taker": "[red]nobody takes it on[/]", "no_giver": "[red]nobody hands it over[/]"}
    for t in c.topics:
        table.add_row(t.label, escape(", ".join(dict.fromkeys(d.unit_ref for d in t.outgoing))),
                      escape(", ".join(dict.fromkeys(d.unit_ref for d in t.incoming))),
                      gap.get(t.gap, "—"))
    console.print(table)


@report_app.command("export")
def report_export(
    document: DocumentsOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="A folder: one <sha256>.exit-readiness.json per contract. "
        "Default: one contract's record to stdout.", show_default=False)] = None,
    notice_served: DateOption = None,
    termination_date: DateOption = None,
    exit_date: DateOption = None,
    db: DbOption = None,
) -> None:
    """The exit-readiness record of each contract (schemas/exit-readiness.v1.json), checked
    against its schema: checklist, timeline and handover gaps, for the registry."""
    from sqlmodel import Session

    from models import readiness, utcnow

    events = _events(notice_served, termination_date, exit_date)
    now = utcnow()
    with Session(open_db(db)) as session:
        docs = _documents(session, document)
        if out is None and len(docs) > 1:
            fail("several documents: give --out FOLDER (or one --document)", EXIT_USAGE)
        try:
            records = [readiness.exit_readiness(session=session, document=d, events=events,
                                                now=now) for d in docs]
        except readiness.InvalidReadinessRecord as exc:
            fail(str(exc), EXIT_FAILED)
    if out is None:
        _write(json.dumps(records[0], indent=2, ensure_ascii=False) + "\n", None)
        return
    for record in records:
        name = f"{record['document']['sha256']}.exit-readiness.json"
        _write(json.dumps(record, indent=2, ensure_ascii=False) + "\n", out / name)
    err_console.print(f"{len(records)} exit-readiness records in {out}")


@report_app.command("rules")
def report_rules() -> None:
    """Check the checklist, timeline and handover rule files (fails on a bad file)."""
    from pipeline.checklist_rules import CHECKLIST_FILE, checklist_version, load_checklist_rules
    from pipeline.handover import HANDOVER_FILE, load_handover_rules
    from pipeline.timeline import TIMELINE_FILE, load_timeline_rules
    from pipeline.yaml_rules import RuleFileError

    try:
        checklist = load_checklist_rules(CHECKLIST_FILE)
        timeline = load_timeline_rules(TIMELINE_FILE)
        handover = load_handover_rules(HANDOVER_FILE)
    except RuleFileError as exc:
        fail(f"rule file not valid: {exc}", EXIT_FAILED)
    console.print(f"{CHECKLIST_FILE.name}: {len(checklist.items)} items, "
                  f"{sum(len(i.rules) for i in checklist.items)} rules "
                  f"(version {checklist_version()})")
    console.print(f"{TIMELINE_FILE.name}: {len(timeline.events)} events")
    console.print(f"{HANDOVER_FILE.name}: {len(handover.topics)} topics")
