"""``obligations deploy``: register the team's deployments on the Prefect server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import EXIT_USAGE, console, fail


def deploy(
    pool: Annotated[str, typer.Option("--pool", help="The process work pool (created if "
                                      "missing).")] = "obligations",
    export_dir: Annotated[Path, typer.Option(
        "--export-dir", envvar="OBLIGATIONS_EXPORT_DIR",
        help="Where the scheduled export-registry run writes its files (on the worker).")
    ] = Path("exports"),
    database_slots: Annotated[int, typer.Option(
        "--database-slots", help="Documents written to the database at once, across every "
        "machine (the global concurrency limit obligations-database).")] = 4,
    prefect_file: Annotated[Path | None, typer.Option(
        "--prefect-file", help="The deployment file (default: the prefect.yaml shipped "
        "beside the package).", show_default=False)] = None,
) -> None:
    """Register ingest-contracts, export-registry and watch-drop-folder on the Prefect
    server ($PREFECT_API_URL) against a process work pool.

    Creates the work pool (with its `batches` queue) and the global concurrency limit
    obligations-database if they are missing, then runs `prefect deploy --all` on
    prefect.yaml. Run it again after an upgrade: it updates what is there."""
    from flows.deployments import PREFECT_FILE, DeployError, DeployOptions
    from flows.deployments import deploy as register_all

    options = DeployOptions(pool=pool, export_dir=str(export_dir),
                            database_slots=database_slots,
                            prefect_file=prefect_file or PREFECT_FILE)
    try:
        names = register_all(options)
    except DeployError as exc:
        fail(str(exc), EXIT_USAGE if "PREFECT_API_URL" in str(exc) else 1)
    console.print(f"work pool [bold]{pool}[/] (queues default and batches), "
                  f"global concurrency limit obligations-database: {database_slots}")
    for name in names:
        console.print(f"deployed [bold]{name}[/]")
    console.print(f"Start a worker on each machine: [bold]prefect worker start --pool {pool} "
                  "--limit 2[/]")


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
