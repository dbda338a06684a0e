"""Docs that cannot drift: every command of the CLI is documented in README.md.

The command names come from the Typer app itself, so a new command fails this test until
someone documents it (as in simonw/sqlite-utils' tests/test_docs.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer.main

from cli.main import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def command_names(group: click.Group, prefix: str = "") -> list[str]:
    """``ingest``, ``review list``, … for every leaf command, groups included by path."""
    names = []
    for name, command in sorted(group.commands.items()):
        if getattr(command, "hidden", False):
            continue
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names.extend(command_names(command, f"{full} "))
        else:
            names.append(full)
    return names


COMMANDS = command_names(typer.main.get_command(app))


def test_docs_found_the_commands():
    assert {"ingest", "status"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_docs_command_in_readme(command):
    pattern = r"obligations\s+" + r"\s+".join(map(re.escape, command.split())) + r"\b"
    assert re.search(pattern, README), f"`obligations {command}` is not documented in README.md"


def flow_names() -> list[str]:
    """The names of every Prefect flow defined under ``flows/``."""
    import importlib
    import pkgutil

    from prefect import Flow

    import flows

    names = set()
    for info in pkgutil.iter_modules(flows.__path__, "flows."):
        module = importlib.import_module(info.name)
        names.update(v.name for v in vars(module).values() if isinstance(v, Flow))
    return sorted(names)


@pytest.mark.parametrize("name", flow_names())
def test_docs_flow_in_readme(name):
    assert f"`{name}`" in README, f"the flow `{name}` is not documented in README.md"
