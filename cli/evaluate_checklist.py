"""``obligations evaluate`` for the exit checklist: item accuracy against the gold checklists
(CHECKLIST.md), per item and overall. Called from ``cli/evaluate.py``.

Gold of the samples names its PDF beside the gold folder; real-contract gold names it by
``source`` (relative to the ``shared/`` folder next to the repository, or
``$OBLIGATIONS_SHARED_DIR``) and ``sha256``. Test-set gold is reported as figures only: no
per-contract mistakes, whatever ``--details`` says (real/SPLIT.md).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from rich.table import Table

from cli.common import EXIT_USAGE, console, err_console, fail

ROOT = Path(__file__).resolve().parent.parent
SHARED_ENV = "OBLIGATIONS_SHARED_DIR"


def shared_dir() -> Path:
    return Path(os.environ.get(SHARED_ENV) or ROOT.parent / "shared")


def pdf_of(gold_dir: Path, document: str, source: str | None) -> Path:
    beside = gold_dir.parent / document
    if beside.is_file() or not source:
        return beside
    return shared_dir() / source


def pdfs_beside(gold_dir: Path) -> bool:
    """Whether the obligation-level scoring can run: every gold file's PDF is beside it."""
    import yaml

    for path in sorted(gold_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not (gold_dir.parent / str(data.get("document", ""))).is_file():
            return False
    return True


def evaluate(gold_dir: Path, db: str | None, from_db: bool, workers: int | None) -> dict:
    from pipeline.checklist_rules import load_checklist_rules
    from pipeline.evaluate_checklist import (
        ChecklistGoldError,
        load_checklist_gold,
        score_checklists,
    )

    items = [i.id for i in load_checklist_rules().items]
    try:
        gold, without = load_checklist_gold(gold_dir, items)
    except ChecklistGoldError as exc:
        fail(f"{exc.code}: {exc}", EXIT_USAGE)
    if not gold:
        return {"contracts": 0, "without_checklist": without}
    if from_db:
        predicted = _from_db(db, gold)
    else:
        pdfs = [pdf_of(gold_dir, g.document, g.source) for g in gold]
        missing = [str(p) for p in pdfs if not p.is_file()]
        if missing:
            fail(f"checklist gold names PDFs that are not there: {', '.join(missing)}", EXIT_USAGE)
        from cli.evaluate import _run_pipeline

        predicted = _run_pipeline(pdfs, _checklist_of_pdf, workers)
    # Gold and prediction are matched by the PDF's file name.
    named = [replace(g, document=Path(g.document).name) for g in gold]
    result = score_checklists(named, predicted)
    result["gold_sets"] = sorted({g.gold_set for g in gold})
    result["without_checklist"] = without
    if "test" in result["gold_sets"]:
        result["mistakes"], result["ref_misses"] = [], []  # figures only (real/SPLIT.md)
        result["figures_only"] = True
    return result


def _checklist_of_pdf(path: Path):
    from pipeline.checklist import contract_checklist
    from pipeline.exit_data import contract_from_extraction
    from pipeline.extract import extract

    return contract_checklist(contract_from_extraction(path.name, extract(path.read_bytes())))


def _from_db(db: str | None, gold) -> list:
    from sqlmodel import Session, select

    from cli.common import open_db
    from models import Document, readiness

    out = []
    with Session(open_db(db)) as session:
        for g in gold:
            name = Path(g.document).name
            query = select(Document).where(
                Document.sha256 == g.sha256 if g.sha256 else Document.source_file == name
            )
            doc = session.exec(query).first()
            if doc is None or doc.status != "processed":
                err_console.print(f"[yellow]not in the database:[/] {name}")
                continue
            checklist = readiness.document_checklist(session=session, document=doc)
            out.append(replace(checklist, document=name))
    return out


def print_figures(result: dict, details: bool) -> None:
    if not result.get("contracts"):
        if result.get("without_checklist"):
            console.print("Exit checklist: no gold file has a checklist yet.")
        return
    sets = "/".join(result["gold_sets"])
    table = Table(
        title=f"Exit checklist, item accuracy ({sets}: {result['contracts']} contracts)",
        title_justify="left",
    )
    for col in ("item", "accuracy", "right", "of"):
        table.add_column(col, justify="left" if col == "item" else "right")
    for item, f in result["items"].items():
        table.add_row(item, f"{f['accuracy']:.3f}", str(f["correct"]), str(f["total"]))
    table.add_row("[bold]all items[/]", f"[bold]{result['accuracy']:.3f}[/]",
                  str(result["correct"]), str(result["total"]))
    console.print(table)
    console.print("gold state → predicted: " + "; ".join(
        f"{g} → " + ", ".join(f"{p} {n}" for p, n in sorted(row.items()))
        for g, row in result["confusion"].items() if row))
    if result.get("without_checklist"):
        console.print(f"{len(result['without_checklist'])} gold files have no checklist yet.")
    if result.get("figures_only"):
        console.print("Test-set gold: figures only, never contract by contract (real/SPLIT.md).")
    elif details:
        for line in (*result["mistakes"], *(f"ref miss: {r}" for r in result["ref_misses"])):
            console.print(line, markup=False, highlight=False)
