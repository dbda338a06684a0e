"""The complete extraction of every sample contract and of ten real CUAD contracts, compared
with ``tests/golden/*.json``. A difference fails with the first lines of the diff; when the
change is intended, ``make golden`` rewrites the files and the diff goes in the commit."""

from __future__ import annotations

import difflib

import pytest

from pipeline.extract import extract
from tests.golden_support import GOLDEN, dumps, extraction_to_golden, golden_sources
from tests.pipeline_support import sample

SOURCES = golden_sources()


def _params():
    for name in sorted(SOURCES):
        marks = [pytest.mark.slow] if name.startswith("cuad-") else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_golden_extraction_is_unchanged(name):
    path = GOLDEN / f"{name}.json"
    assert path.exists(), f"no golden file for {name}: run make golden"
    pdf = SOURCES[name]
    extraction = sample(name) if not name.startswith("cuad-") else extract(pdf.read_bytes())
    actual = dumps(extraction_to_golden(extraction))
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), f"golden/{name}.json", "now", lineterm=""
        )
        lines = list(diff)
        pytest.fail(
            f"extraction of {pdf.name} differs from its golden file ({len(lines)} diff lines; "
            "run `make golden` and read the diff):\n" + "\n".join(lines[:60])
        )


def test_golden_every_file_has_a_source():
    stale = sorted(p.stem for p in GOLDEN.glob("*.json") if p.stem not in SOURCES)
    if stale and all(s.startswith("cuad-") for s in stale):
        pytest.skip("the CUAD PDFs (../shared/cuad) are not here")
    assert not stale, f"golden files without a source PDF: {stale}"
