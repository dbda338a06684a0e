"""``obligations evaluate``: the rules against the gold annotations and CUAD."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import EXIT_USAGE, DbOption, console, err_console, fail

CATEGORIES = ("exit", "data_return", "termination")


def evaluate(
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            help="Folder of gold YAML files (sample_docs/gold); the PDFs "
            "are looked up in its parent folder.",
            show_default=False,
        ),
    ] = None,
    cuad: Annotated[
        Path | None,
        typer.Option(
            "--cuad",
            help="A CUAD subset folder (labels.jsonl and pdf/): recall per "
            "CUAD category by its README's rule.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    from_db: Annotated[
        bool,
        typer.Option(
            "--from-db",
            help="Score what the database holds (after ingest and "
            "review) instead of running the pipeline on the PDFs.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
    details: Annotated[
        bool, typer.Option("--details", help="List every miss and false alarm per document.")
    ] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1)] = None,
) -> None:
    """Precision, recall and F1 per category at clause and obligation level, and the accuracy
    of obligor, modality and deadline on matched obligations (GUIDELINES.md §5).

    Runs the pipeline on the PDFs (no database needed) unless --from-db is given.
    """
    if gold is None and cuad is None:
        fail("give --gold DIR and/or --cuad DIR", EXIT_USAGE)
    out: dict = {}
    if gold is not None:
        if not gold.is_dir():
            fail(f"--gold {gold}: not a folder", EXIT_USAGE)
        from cli import evaluate_checklist  # the exit checklist's item accuracy (issue 14)

        out["checklist"] = evaluate_checklist.evaluate(gold, db, from_db, workers)
        if evaluate_checklist.pdfs_beside(gold):  # real-contract gold names PDFs by source
            out |= _evaluate_gold(gold, db, from_db, workers)
    if cuad is not None:
        if not (cuad / "labels.jsonl").is_file():
            fail(f"--cuad {cuad}: no labels.jsonl there", EXIT_USAGE)
        out["cuad"] = _evaluate_cuad(cuad, workers)
    if as_json:
        shown = {k: v for k, v in out.items() if k != "documents" or details}
        if "cuad" in shown and not details:
            shown["cuad"] = {k: v for k, v in shown["cuad"].items() if k != "missed"}
        console.print_json(json.dumps(shown))
        return
    if gold is not None:
        if "clauses" in out:
            _print_gold(out, details)
        evaluate_checklist.print_figures(out["checklist"], details)
    if cuad is not None:
        _print_cuad(out["cuad"], details)


# --- gold ----------------------------------------------------------------------------------


def _evaluate_gold(gold: Path, db: str | None, from_db: bool, workers: int | None) -> dict:
    from pipeline.evaluate import load_gold, score

    gold_docs = load_gold(gold)
    if not gold_docs:
        fail(f"no gold files (*.yaml) in {gold}", EXIT_USAGE)
    if from_db:
        predicted = _labels_from_db(db, [g.document for g in gold_docs])
    else:
        pdfs = [gold.parent / g.document for g in gold_docs]
        missing = [str(p) for p in pdfs if not p.is_file()]
        if missing:
            fail(f"gold names PDFs that are not there: {', '.join(missing)}", EXIT_USAGE)
        predicted = _run_pipeline(pdfs, _labels_of_pdf, workers)
    return score(gold_docs, predicted)


def _labels_of_pdf(path: Path):
    from pipeline.evaluate import labels_from_extraction
    from pipeline.extract import extract

    return labels_from_extraction(path.name, extract(path.read_bytes()))


def _run_pipeline(paths: list[Path], fn, workers: int | None) -> list:
    workers = workers or os.cpu_count() or 1
    with console.status(f"Running the pipeline on {len(paths)} PDFs…"):
        if workers == 1 or len(paths) == 1:
            return [fn(p) for p in paths]
        with ProcessPoolExecutor(max_workers=min(workers, len(paths))) as pool:
            return list(pool.map(fn, paths))


def _labels_from_db(db: str | None, documents: list[str]) -> list:
    from sqlmodel import Session, select

    from cli.common import open_db
    from models import Clause, Document, Obligation
    from pipeline.evaluate import DocLabels, norm_ref

    engine = open_db(db)
    out = []
    with Session(engine) as session:
        for name in documents:
            doc = session.exec(select(Document).where(Document.source_file == name)).first()
            if doc is None:
                err_console.print(f"[yellow]not in the database:[/] {name}")
                continue
            clauses = session.exec(select(Clause).where(Clause.document_id == doc.id)).all()
            units = {norm_ref(c.ref): frozenset(c.categories) for c in clauses if c.categories}
            obligations = session.exec(
                select(Obligation).where(
                    Obligation.document_id == doc.id, Obligation.status != "rejected"
                )
            ).all()
            out.append(
                DocLabels(
                    name,
                    units,
                    tuple(
                        {
                            "ref": norm_ref(o.clause_ref),
                            "text": o.text,
                            "categories": frozenset(o.categories),
                            "modality": o.modality,
                            "obligor": o.obligor,
                            "deadline": None
                            if not o.deadline_relation
                            else {
                                "duration": o.deadline_duration,
                                "business_days": o.deadline_business_days,
                                "relation": o.deadline_relation,
                                "anchor": o.deadline_anchor,
                                "date": o.deadline_date,
                            },
                        }
                        for o in obligations
                    ),
                )
            )
    return out


def _print_gold(result: dict, details: bool) -> None:
    for level in ("clauses", "obligations"):
        table = Table(title=f"{level.capitalize()} per category", title_justify="left")
        for col in ("category", "precision", "recall", "F1", "TP", "FP", "FN"):
            table.add_column(col, justify="left" if col == "category" else "right")
        for cat, f in result[level].items():
            table.add_row(
                cat,
                f"{f['precision']:.3f}",
                f"{f['recall']:.3f}",
                f"{f['f1']:.3f}",
                str(f["tp"]),
                str(f["fp"]),
                str(f["fn"]),
            )
        console.print(table)
    fields = Table(title="Fields on matched obligations", title_justify="left")
    fields.add_column("field")
    fields.add_column("accuracy", justify="right")
    for name, acc in result["fields"].items():
        fields.add_row(name, f"{acc:.3f}")
    console.print(fields)
    if details:
        for document, mistakes in result["documents"].items():
            lines = [
                x
                for k in ("clauses", "obligations_missed", "obligations_extra", "fields")
                for x in (f"{k}: {m}" for m in mistakes[k])
            ]
            if lines:
                console.rule(document)
                for line in lines:
                    console.print(line, markup=False, highlight=False)


# --- CUAD ----------------------------------------------------------------------------------


def _obligations_of_pdf(path: Path) -> tuple[str, list[dict] | str]:
    from pipeline.errors import PipelineError
    from pipeline.extract import extract

    try:
        extraction = extract(path.read_bytes())
    except PipelineError as exc:
        return path.name, f"{exc.code}: {exc}"
    return path.name, [
        {"text": o.text, "categories": list(o.categories)} for o in extraction.obligations
    ]


def _evaluate_cuad(folder: Path, workers: int | None) -> dict:
    from pipeline.evaluate import load_cuad, score_cuad

    labels = load_cuad(folder)
    pdfs = sorted(p for p in (folder / "pdf").iterdir() if p.suffix.lower() == ".pdf")
    results = dict(_run_pipeline(pdfs, _obligations_of_pdf, workers))
    failed = {name: r for name, r in results.items() if isinstance(r, str)}
    obligations = {name: r for name, r in results.items() if not isinstance(r, str)}
    scored = score_cuad(labels, obligations)
    per_contract = {
        name: {c: sum(c in o["categories"] for o in obs) for c in CATEGORIES}
        for name, obs in obligations.items()
    }
    n = max(len(per_contract), 1)
    scored["contracts"] = len(pdfs)
    scored["failed"] = failed
    scored["obligations_per_contract"] = per_contract
    scored["mean_obligations_per_contract"] = {
        c: round(sum(v[c] for v in per_contract.values()) / n, 1) for c in CATEGORIES
    }
    return scored


def _print_cuad(result: dict, details: bool) -> None:
    table = Table(title=f"CUAD recall ({result['contracts']} contracts)", title_justify="left")
    for col in ("CUAD category", "spans found", "recall"):
        table.add_column(col, justify="left" if col == "CUAD category" else "right")
    for cat, recall in result["recall"].items():
        spans = result["spans"][cat]
        table.add_row(cat, f"{spans['found']}/{spans['total']}", f"{recall:.3f}")
    console.print(table)
    mean = result["mean_obligations_per_contract"]
    console.print(
        "Obligations extracted per contract (mean): "
        + ", ".join(f"{c} {mean[c]}" for c in CATEGORIES)
    )
    if result["failed"]:
        for name, reason in result["failed"].items():
            err_console.print(f"[red]failed[/] {name}: {reason}")
    if details:
        per = Table(title="Obligations per contract", title_justify="left")
        per.add_column("contract")
        for c in CATEGORIES:
            per.add_column(c, justify="right")
        for name, counts in sorted(result["obligations_per_contract"].items()):
            per.add_row(name[:60], *(str(counts[c]) for c in CATEGORIES))
        console.print(per)
        for miss in result["missed"]:
            console.print(
                f"missed {miss['category']} {miss['file']}: {miss['span']}",
                markup=False,
                highlight=False,
            )


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
