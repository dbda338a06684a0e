"""Ingest at the parse floor: how far above a raw pdfplumber parse our whole flow is, what
parallelism, the layout cache and the memory limits give. ``make bench`` (issue 12).

Every mode runs in a fresh Python process, in one run, so the ratios compare like with like:

- ``raw``       pdfplumber ``extract_words`` over every page, pages closed: the floor, the
                time every other figure is divided by;
- ``extract``   our pure pipeline (``pipeline.extract``), one document after another;
- ``flow-1``    the ``ingest-contracts`` flow with one worker process, into a fresh SQLite
                file; then, in the same database, every document marked behind and
                ``reextract`` timed (the rules over the cached layouts, no PDF opened);
- ``flow-N``    the same flow with N workers (N = CPUs);
- ``long``      one ≥600-page PDF made of the corpus, read by a worker as the flow does:
                the worker's peak resident memory;
- ``hostile``   a 1.5 MB PDF whose page inflates to 1.5 GB, under the default memory cap.

The corpus: the CUAD PDFs in ``../shared/cuad/pdf`` when present (38 real contracts, 686
pages), else the sample contracts repeated to 600+ pages.

Usage: python -m benchmarks [--docs DIR] [--workers N] [--modes raw,extract,flow-1,...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CUAD = ROOT.parent / "shared" / "cuad" / "pdf"
MODES = "raw,extract,flow-1,flow-N,long,hostile"
MIN_PAGES = 600
TARGETS = {"flow_over_raw": 1.3, "speedup": 1.7, "reextract": 10.0, "long_mb": 300,
           "hostile_mb": 1024}


def _pdfs(docs: Path) -> list[Path]:
    return sorted(p for p in docs.rglob("*") if p.suffix.lower() == ".pdf")


def default_corpus(workdir: Path) -> Path:
    """CUAD when present; else the samples, copied as many times as 600 pages take."""
    if CUAD.is_dir() and _pdfs(CUAD):
        return CUAD
    import pdfplumber

    samples = _pdfs(ROOT / "sample_docs")
    pages = 0
    for pdf in samples:
        with pdfplumber.open(pdf) as doc:
            pages += len(doc.pages)
    corpus = workdir / "corpus"
    corpus.mkdir()
    for copy in range(-(-MIN_PAGES // pages)):
        for pdf in samples:  # different bytes per copy, or the flow would skip duplicates
            data = pdf.read_bytes() + f"\n% copy {copy}\n".encode()
            (corpus / f"{copy:02d}-{pdf.name}").write_bytes(data)
    return corpus


# --- the modes, each run in its own process ------------------------------------------------


def mode_raw(docs: Path, workers: int) -> dict:
    import pdfplumber

    started, pages = time.perf_counter(), 0
    for path in _pdfs(docs):
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.close()
                pages += 1
    return {"pages": pages, "seconds": time.perf_counter() - started}


def mode_extract(docs: Path, workers: int) -> dict:
    from pipeline.extract import extract

    started, pages = time.perf_counter(), 0
    for path in _pdfs(docs):
        pages += len(extract(path.read_bytes()).layout.pages)
    return {"pages": pages, "seconds": time.perf_counter() - started}


def mode_flow(docs: Path, workers: int) -> dict:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from flows.ingest import run_ingest

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        summary = run_ingest([str(docs)], db_url=url, workers=workers)
        total = time.perf_counter() - started
        if not summary.ok:
            raise SystemExit(f"the flow failed: {summary.state_message()} "
                             f"{[(d.source_file, d.reason) for d in summary.failed]}")
        result = {"pages": summary.pages, "seconds": summary.seconds, "total_seconds": total,
                  "worker_peak_mb": max(d.peak_rss_mb or 0 for d in summary.documents),
                  "worker_seconds": {k: sum(d.timings.get(k, 0) for d in summary.documents)
                                     for k in ("read", "rules", "encode")}}
        if workers == 1:
            result["reextract_seconds"] = _time_reextract(url)
    return result


def _time_reextract(url: str) -> float:
    from sqlalchemy import update

    from flows.reextract import reextract
    from models.db import get_engine, session_scope
    from models.models import Document

    engine = get_engine(url)
    with session_scope(engine) as session:  # as after a rule change: every document behind
        session.execute(update(Document).values(extractor_version="0.0.0+rules.before"))
    started = time.perf_counter()
    summary = reextract(engine)
    seconds = time.perf_counter() - started
    if not summary.ok:
        failed = [(d.source_file, d.reason) for d in summary.documents if d.status != "processed"]
        raise SystemExit(f"reextract failed: {failed}")
    return seconds


def _in_worker(data: bytes, name: str) -> dict:
    import hashlib

    from flows.parse_job import ParseJob, parse_document, warm_up
    from flows.pool import WorkerPool

    with WorkerPool(1, memory_mb=1024, initializer=warm_up) as pool:
        started = time.perf_counter()
        ran = pool.run(parse_document, ParseJob(
            sha256=hashlib.sha256(data).hexdigest(), source_file=name, data=data), timeout=None)
    result = ran.value
    return {"seconds": time.perf_counter() - started, "worker_peak_mb": ran.peak_rss_mb,
            "status": ran.status if result is None else (result.error_code or "processed"),
            "pages": result.pages if result is not None else 0, "bytes": len(data)}


def mode_long(docs: Path, workers: int) -> dict:
    import io

    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    for path in _pdfs(docs):
        out.import_pages(pdfium.PdfDocument(path))
        if len(out) >= MIN_PAGES:
            break
    buf = io.BytesIO()
    out.save(buf)
    return _in_worker(buf.getvalue(), "long.pdf")


def mode_hostile(docs: Path, workers: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.ingest_support import bomb_pdf

    return _in_worker(bomb_pdf(1536), "bomb.pdf")


RUNNERS = {"raw": mode_raw, "extract": mode_extract, "flow-1": mode_flow, "flow-N": mode_flow,
           "long": mode_long, "hostile": mode_hostile}


def run_one(mode: str, docs: Path, workers: int) -> dict:
    n = 1 if mode == "flow-1" else workers
    return {"mode": mode, "workers": n, **RUNNERS[mode](docs, n)}


# --- the report ------------------------------------------------------------------------------


def report(rows: dict[str, dict], docs: Path, workers: int) -> list[str]:
    raw = rows.get("raw")
    lines = [f"corpus: {len(_pdfs(docs))} documents from {docs}; {os.cpu_count()} CPUs, "
             f"{workers} workers, load average {os.getloadavg()[0]:.1f}",
             f"{'mode':<10} {'seconds':>8} {'total s':>8} {'pages/s':>8} {'× raw':>6}  "
             f"{'worker peak MB':>14}  target", "-" * 78]
    for mode in ("raw", "extract", "flow-1", "flow-N"):
        if mode not in rows:
            continue
        r = rows[mode]
        ratio = r["seconds"] / raw["seconds"] if raw else float("nan")
        target = f"≤ {TARGETS['flow_over_raw']:.2f} × raw" if mode == "flow-1" else ""
        peak = f"{r['worker_peak_mb']:.0f}" if r.get("worker_peak_mb") else "-"
        total = r.get("total_seconds", r["seconds"])
        lines.append(f"{mode:<10} {r['seconds']:>8.1f} {total:>8.1f} "
                     f"{r['pages'] / r['seconds']:>8.1f} {ratio:>6.2f}  {peak:>14}  {target}")
    if "flow-1" in rows:
        parts = rows["flow-1"]["worker_seconds"]
        rest = rows["flow-1"]["seconds"] - sum(parts.values())
        lines.append("flow-1, in the worker: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in parts.items()) + f"; the rest, {rest:.1f} s: start-up, "
            "hand-over, storing and Prefect not hidden behind the parsing")
    if "flow-1" in rows and "flow-N" in rows:
        speedup = rows["flow-1"]["seconds"] / rows["flow-N"]["seconds"]
        lines.append(f"speed-up flow-N over flow-1: {speedup:.2f}× "
                     f"(target ≥ {TARGETS['speedup']}× on 2 cores)")
    if "flow-1" in rows and "reextract_seconds" in rows["flow-1"]:
        re_s = rows["flow-1"]["reextract_seconds"]
        first = rows["flow-1"]["seconds"]
        lines.append(f"reextract (rules over cached layouts, 1 process): {re_s:.1f} s, "
                     f"{first / re_s:.1f}× faster than the first ingest with one worker "
                     f"(target ≥ {TARGETS['reextract']:.0f}×)")
    for mode, label, key in (("long", "longest document", "long_mb"),
                             ("hostile", "hostile file (1.5 MB → 1.5 GB)", "hostile_mb")):
        if mode in rows:
            r = rows[mode]
            lines.append(f"{label}: {r['pages']} pages, {r['bytes'] / 2**20:.1f} MB, "
                         f"{r['status']} in {r['seconds']:.1f} s, worker peak "
                         f"{r['worker_peak_mb']:.0f} MB (target ≤ {TARGETS[key]} MB)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--modes", default=MODES)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one mode, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.docs, args.workers)))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="obligations-bench-"))
    try:
        docs = args.docs or default_corpus(workdir)
        rows: dict[str, dict] = {}
        for mode in args.modes.split(","):
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks", "--one", mode, "--docs", str(docs),
                 "--workers", str(args.workers)], capture_output=True, text=True, cwd=ROOT)
            if proc.returncode:
                print(proc.stdout, proc.stderr, file=sys.stderr)
                return proc.returncode
            rows[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"  measured {mode}", file=sys.stderr)
        print("\n".join(report(rows, docs, args.workers)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0
