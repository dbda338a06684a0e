"""Commands of this group (being written)."""

import typer


def register(app: typer.Typer) -> None:
    pass
