"""How ``obligations evaluate`` prints its figures: one block per gold set, then CUAD."""

from __future__ import annotations

from rich.table import Table

from cli.common import console, err_console

CATEGORIES = ("exit", "data_return", "termination")


def print_set(name: str, result: dict, details: bool) -> None:
    console.rule(f"[bold]{name}[/]: {result['burden']['contracts']} contracts")
    _print_gold(result, details)
    burden = result["burden"]
    console.print(
        f"A reviewer faces {burden['obligations_per_contract']} obligations per contract "
        f"(gold: {burden['gold_per_contract']}); {burden['precision']:.0%} of them are right "
        f"(precision), and they hold {burden['recall']:.0%} of the gold (recall)."
    )
    bands = Table(title="Precision by confidence", title_justify="left")
    for col in ("confidence", "obligations", "precision"):
        bands.add_column(col, justify="left" if col == "confidence" else "right")
    for band, f in result["confidence_bands"].items():
        shown = "-" if f["precision"] is None else f"{f['precision']:.3f}"
        bands.add_row(band, str(f["obligations"]), shown)
    console.print(bands)
    if "checklist" in result:
        print_figures(result["checklist"], details)
    if result.get("figures_only"):
        console.print("Test set: figures only, never contract by contract (real/SPLIT.md).")


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


def print_cuad(result: dict, details: bool) -> None:
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


def print_figures(result: dict, details: bool) -> None:
    if not result.get("contracts"):
        if result.get("without_checklist"):
            console.print("Exit checklist: no gold file has a checklist yet.")
        return
    table = Table(
        title=f"Exit checklist, item accuracy ({result['contracts']} contracts)",
        title_justify="left",
    )
    for col in ("item", "accuracy", "right", "of"):
        table.add_column(col, justify="left" if col == "item" else "right")
    for item, f in result["items"].items():
        table.add_row(item, f"{f['accuracy']:.3f}", str(f["correct"]), str(f["total"]))
    table.add_row(
        "[bold]all items[/]",
        f"[bold]{result['accuracy']:.3f}[/]",
        str(result["correct"]),
        str(result["total"]),
    )
    console.print(table)
    console.print(
        "gold state → predicted: "
        + "; ".join(
            f"{g} → " + ", ".join(f"{p} {n}" for p, n in sorted(row.items()))
            for g, row in result["confusion"].items()
            if row
        )
    )
    if details:
        for line in (*result["mistakes"], *(f"ref miss: {r}" for r in result["ref_misses"])):
            console.print(line, markup=False, highlight=False)
