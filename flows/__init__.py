"""Prefect flows: thin orchestration over ``pipeline`` and ``models``.

Importing this package sets the Prefect defaults this product relies on (NOTES.md), before
Prefect itself is imported; an explicit environment variable still wins.
"""

import os

# The temporary server's telemetry locked its own SQLite database ("database is locked",
# PrefectHQ/prefect#18934, #19771).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
