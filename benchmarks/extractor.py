"""The extractor against an earlier version of itself, measured in the same run.

The earlier version is checked out in a temporary git worktree (``--against``, by default the
last commit before the spaCy pipeline of issue 9) and run with this venv's Python; both
versions read the same PDFs, each in fresh processes, alternately, best of ``--repeat``:

- ``extract``  PDF bytes → Extraction (parse + rules), pages/s;
- ``rules``    the rules alone over layouts parsed beforehand (``layout_to_extraction``).

Usage: python -m benchmarks.extractor [--against REF] [--docs DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE_SPACY_PIPELINE = "c1fce8a"  # gold and golden outputs in place, regex extraction

_MEASURE = r"""
import json, sys, time
# This venv installs the project in editable mode: its import hook would bring in the code
# of the checkout it was installed from, whatever PYTHONPATH says. Measure the code given.
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
sys.path.insert(0, sys.argv.pop(1))
import catalogue  # nor our spaCy entry points: they name the installed checkout's components
_entry_points = catalogue.Registry._get_entry_points
catalogue.Registry._get_entry_points = lambda self: [
    e for e in _entry_points(self) if not e.value.startswith("pipeline.")
]
from pathlib import Path
paths = [Path(p) for p in sys.argv[1:]]
from pipeline.extract import extract, layout_to_extraction
from pipeline.pdf import pdf_to_layout
extract(paths[0].read_bytes())  # warm up: rule files, spaCy
t = time.perf_counter()
layouts = []
for p in paths:
    layouts.append(extract(p.read_bytes()).layout)
full = time.perf_counter() - t
t = time.perf_counter()
for layout in layouts:
    layout_to_extraction(layout)
rules = time.perf_counter() - t
print(json.dumps({"pages": sum(len(x.pages) for x in layouts), "extract": full, "rules": rules}))
"""


def _pdfs(docs: list[Path]) -> list[str]:
    out: list[str] = []
    for folder in docs:
        out += sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() == ".pdf")
    return out


def _measure(code_root: Path, pdfs: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(code_root), *pdfs],
        cwd=code_root,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"measuring {code_root} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(against: str, docs: list[Path], repeat: int) -> dict:
    pdfs = _pdfs(docs)
    with tempfile.TemporaryDirectory() as tmp:
        old_root = Path(tmp) / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(old_root), against],
            cwd=ROOT, check=True,
        )
        try:
            runs: dict[str, list[dict]] = {"old": [], "new": []}
            for _ in range(repeat):
                runs["old"].append(_measure(old_root, pdfs))
                runs["new"].append(_measure(ROOT, pdfs))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_root)], cwd=ROOT)
    best = {
        who: {k: min(r[k] for r in rs) for k in ("extract", "rules")} | {"pages": rs[0]["pages"]}
        for who, rs in runs.items()
    }
    return {"against": against, "documents": len(pdfs), **best}


def report(result: dict) -> str:
    pages = result["new"]["pages"]
    lines = [
        f"{result['documents']} documents, {pages} pages; old = {result['against']}, "
        "best of each, same run",
        f"{'':10}{'old pages/s':>12}{'new pages/s':>12}{'new/old':>9}",
    ]
    for key in ("extract", "rules"):
        old = result["old"]["pages"] / result["old"][key]
        new = pages / result["new"][key]
        lines.append(f"{key:10}{old:12.1f}{new:12.1f}{new / old:9.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default=BEFORE_SPACY_PIPELINE)
    parser.add_argument("--docs", type=Path, action="append")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    docs = args.docs or [ROOT / "sample_docs"]
    print(report(compare(args.against, docs, args.repeat)))


if __name__ == "__main__":
    main()
