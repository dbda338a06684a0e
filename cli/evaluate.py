"""``obligations evaluate``: the rules against the gold sets and CUAD.

Three gold sets (``pipeline.gold``): our own ``samples``, and real contracts nobody on the
team wrote, annotated blind and split once into ``dev`` (rules are tuned on them) and
``test`` (looked at only as figures: ``--details`` never lists a test contract's mistakes).
Each PDF is read once; the same extraction gives the clause and obligation figures and the
exit checklist's.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from cli.common import EXIT_USAGE, DbOption, console, fail

CATEGORIES = ("exit", "data_return", "termination")


def evaluate(
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="A gold set: samples, dev or test (repeat for several). Default: every set "
            "whose PDFs are here.",
            show_default=False,
        ),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold", help="Any folder of gold YAML files, scored as one set.", show_default=False
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    details: Annotated[
        bool,
        typer.Option(
            "--details",
            help="List every miss and false alarm per contract (never for the test set).",
        ),
    ] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1)] = None,
) -> None:
    """Per gold set: precision, recall and F1 per category at clause and obligation level; the
    accuracy of obligor, modality and deadline on matched obligations; what a reviewer faces
    (obligations per contract, the share right, the share of gold found); precision by
    confidence band; the exit checklist's item accuracy (GUIDELINES.md §5, CHECKLIST.md)."""
    from cli.evaluate_print import print_cuad, print_set
    from pipeline.gold import SETS, GoldError, available_sets, gold_files

    chosen: list[tuple[str, Path | None]] = [(s, None) for s in sets or []]
    if gold is not None:
        if not gold.is_dir():
            fail(f"--gold {gold}: not a folder", EXIT_USAGE)
        chosen.append((gold.name, gold))
    if not chosen and cuad is None:
        chosen = [(s, None) for s in available_sets()]
        if not chosen:
            fail("no gold set has its PDFs here", EXIT_USAGE)
    out: dict = {}
    for name, folder in chosen:
        if folder is None and name not in SETS:
            fail(f"--set {name}: one of {', '.join(SETS)}", EXIT_USAGE)
        try:
            files = gold_files(name, folder)
        except GoldError as exc:
            fail(str(exc), EXIT_USAGE)
        out[name] = score_set(files, db, from_db, workers)
    if cuad is not None:
        if not (cuad / "labels.jsonl").is_file():
            fail(f"--cuad {cuad}: no labels.jsonl there", EXIT_USAGE)
        out["cuad"] = evaluate_cuad(cuad, workers)
    if as_json:
        console.print_json(json.dumps(_shown(out, details)))
        return
    for name, figures in out.items():
        if name == "cuad":
            print_cuad(figures, details)
        else:
            print_set(name, figures, details and not figures["figures_only"])


def _shown(out: dict, details: bool) -> dict:
    shown = {}
    for name, figures in out.items():
        keep = details and not figures.get("figures_only")
        shown[name] = {k: v for k, v in figures.items() if keep or k not in ("documents", "missed")}
        if "checklist" in shown[name] and not keep:
            shown[name]["checklist"] = {
                k: v
                for k, v in shown[name]["checklist"].items()
                if k not in ("mistakes", "ref_misses")
            }
    return shown


# --- a gold set ----------------------------------------------------------------------------


def score_set(files: list, db: str | None, from_db: bool, workers: int | None) -> dict:
    """Clause, obligation and checklist figures for the gold files ``files``."""
    from dataclasses import replace

    from pipeline.checklist_rules import load_checklist_rules
    from pipeline.evaluate import load_gold, score
    from pipeline.evaluate_checklist import load_checklist_gold, score_checklists

    gold = load_gold([f.path for f in files])
    if from_db:
        from cli.evaluate_db import checklists_from_db, labels_from_db

        labels = labels_from_db(db, [g.document for g in gold])
        checklists = checklists_from_db(db, files)
    else:
        analysed = run_pipeline([f.pdf for f in files], analyse_pdf, workers)
        labels = [labels for labels, _ in analysed]
        checklists = [checklist for _, checklist in analysed]
    figures = score(gold, labels)
    items = [i.id for i in load_checklist_rules().items]
    checklist_gold, _ = load_checklist_gold([f.path for f in files], items)
    named = [replace(g, document=Path(g.document).name) for g in checklist_gold]
    if named:
        figures["checklist"] = score_checklists(named, checklists)
    figures["figures_only"] = any(f.set == "test" for f in files)
    return figures


def analyse_pdf(path: Path):
    """One PDF, read once: its labels for scoring and its exit checklist."""
    from pipeline.checklist import contract_checklist
    from pipeline.evaluate import labels_from_extraction
    from pipeline.exit_data import contract_from_extraction
    from pipeline.extract import extract

    extraction = extract(path.read_bytes())
    return (
        labels_from_extraction(path.name, extraction),
        contract_checklist(contract_from_extraction(path.name, extraction)),
    )


def run_pipeline(paths: list[Path], fn, workers: int | None) -> list:
    workers = workers or os.cpu_count() or 1
    with console.status(f"Running the pipeline on {len(paths)} PDFs…"):
        if workers == 1 or len(paths) == 1:
            return [fn(p) for p in paths]
        with ProcessPoolExecutor(max_workers=min(workers, len(paths))) as pool:
            return list(pool.map(fn, paths))


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


def evaluate_cuad(folder: Path, workers: int | None) -> dict:
    from pipeline.evaluate import load_cuad, score_cuad

    labels = load_cuad(folder)
    pdfs = sorted(p for p in (folder / "pdf").iterdir() if p.suffix.lower() == ".pdf")
    results = dict(run_pipeline(pdfs, _obligations_of_pdf, workers))
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


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
