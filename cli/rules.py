"""``obligations rules``: check the rule files, and try a clause to see what the rules make of
it (categories, obligations and every field, with the rule ids that decided each)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import EXIT_FAILED, console, fail

rules_app = typer.Typer(
    help="Check the rule files; try a clause and see what the rules make of it.",
    no_args_is_help=True,
)


@rules_app.command("check")
def rules_check() -> None:
    """Load and validate every rule file (schema, unique ids, patterns that can match) and
    build the pipeline from them; fails naming the file, line, key and reason."""
    from pipeline.nlp import build_nlp
    from pipeline.rules import RULES_DIR, RuleError, load_all_rules, rules_fingerprint

    try:
        everything = load_all_rules()
        nlp = build_nlp()
    except (RuleError, ValueError) as exc:
        fail(f"rule files are not valid: {exc}", EXIT_FAILED)
    table = Table(title=f"Rules in {RULES_DIR}", title_justify="left")
    table.add_column("file")
    table.add_column("rules", justify="right")
    for name, rules in everything.items():
        table.add_row(f"{name}.jsonl", str(len(rules)))
    console.print(table)
    console.print(f"pipeline: {' → '.join(nlp.pipe_names)}")
    console.print(f"rules fingerprint {rules_fingerprint()}")


@rules_app.command("try")
def rules_try(
    text: Annotated[str, typer.Argument(help="A clause as it would appear in a contract.")],
    heading: Annotated[str, typer.Option(help="The clause's own heading.")] = "",
    context: Annotated[
        str,
        typer.Option(help="Headings above it (clause, schedule), nearest first, ';'-separated."),
    ] = "",
    parties: Annotated[
        str, typer.Option(help="Party roles, comma-separated.")
    ] = "Council,Supplier",
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Also write the clause drawn with displaCy (rule id on each span).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show the categories and obligations the rules give one clause, with rule ids."""
    from pipeline.analyse import analyse_clause
    from pipeline.explain import render_why
    from pipeline.types import Parties, Party

    roles = [r.strip() for r in parties.split(",") if r.strip()]
    party_data = Parties(
        parties=tuple(Party(name=r, role=r) for r in roles),
        definitions=(),
        contract_type="supplier",
        counterparty=None,
        customer_role=roles[0] if roles else None,
    )
    headings = tuple(h.strip() for h in context.split(";") if h.strip())
    doc = analyse_clause(text, heading or None, headings, party_data)
    categories = list(doc._.categories)
    console.print(f"[bold]categories[/] {categories or 'none'}   scores {doc._.category_scores}")
    for category, ids in (doc._.category_evidence or {}).items():
        console.print(f"  {category}: {', '.join(ids)}")
    if not categories:
        console.print(
            "[yellow]in none of our categories: in a contract, no obligation would "
            "be extracted from it[/]"
        )
    _print_obligations(doc)
    if html is not None:
        html.write_text(render_why(doc, page=True), encoding="utf-8")
        console.print(f"wrote {html}")


def _print_obligations(doc) -> None:
    found = [s._.candidate for s in doc.spans.get("obligation", [])]
    for o in found:
        console.print(
            f"\n[bold]{o.modality}[/] obligor={o.obligor!r} beneficiary={o.beneficiary!r}"
        )
        console.print(f"  action: {o.action}", markup=False)
        console.print(f"  trigger: {o.trigger}", markup=False)
        console.print(f"  deadline: {o.deadline.as_dict() if o.deadline else None}", markup=False)
        console.print(f"  flags: {list(o.flags)}  confidence {o.confidence}")
        for field_name, ids in o.rules.items():
            console.print(f"  rules[{field_name}]: {', '.join(ids)}", markup=False)
    if not found:
        console.print("no obligations")


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
