"""The gold sets, and where their PDFs are.

- ``samples``: our own sample contracts (``sample_docs/gold/*.yaml``, PDFs beside them);
- ``dev`` and ``test``: real contracts nobody on the team wrote, annotated blind
  (``sample_docs/gold/real/{dev,test}/*.yaml``; the split is fixed in ``real/SPLIT.md``).
  Their PDFs live outside the repository, in the ``shared/`` folder next to it (or
  ``$OBLIGATIONS_SHARED_DIR``): each gold file names its PDF by path there and by SHA-256,
  and a PDF whose bytes differ is refused.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "sample_docs" / "gold"
SETS = ("samples", "dev", "test")


class GoldError(ValueError):
    """A gold file or the PDF it names is missing or does not match."""


@dataclass(frozen=True)
class GoldFile:
    path: Path  # the YAML
    pdf: Path
    sha256: str | None  # None for our samples (the PDF is in the repository)
    set: str


def shared_dir() -> Path:
    return Path(os.environ.get("OBLIGATIONS_SHARED_DIR", ROOT.parent / "shared"))


def gold_dir(name: str) -> Path:
    if name == "samples":
        return GOLD
    if name in ("dev", "test"):
        return GOLD / "real" / name
    raise GoldError(f"unknown gold set {name!r}: one of {', '.join(SETS)}")


def available_sets() -> tuple[str, ...]:
    """The sets whose PDFs are all reachable here (the real ones need ``shared/``)."""
    out = []
    for name in SETS:
        try:
            gold_files(name)
        except GoldError:
            continue
        out.append(name)
    return tuple(out)


def gold_files(name: str, directory: Path | None = None) -> list[GoldFile]:
    """The gold files of set ``name`` (or of any folder of gold YAML), each with its PDF,
    checked to exist and, for real contracts, to have the recorded SHA-256."""
    folder = directory or gold_dir(name)
    out = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "document" not in data:
            raise GoldError(f"{path}: no 'document' key")
        if data.get("source"):
            pdf = shared_dir() / data["source"]
        else:
            pdf = folder / data["document"]
            if not pdf.is_file():
                pdf = folder.parent / data["document"]
        if not pdf.is_file():
            raise GoldError(f"{path.name}: the PDF {pdf} is not here")
        sha = data.get("sha256")
        if sha and hashlib.sha256(pdf.read_bytes()).hexdigest() != sha:
            raise GoldError(f"{path.name}: {pdf} is not the PDF annotated (SHA-256 differs)")
        out.append(GoldFile(path=path, pdf=pdf, sha256=sha, set=data.get("set", name)))
    if not out:
        raise GoldError(f"no gold files (*.yaml) in {folder}")
    return out
