"""Ingest throughput over ``sample_docs/``: pages per second and peak memory.

Each mode runs in a fresh Python process (clean peak-memory figures, nothing cached):

- ``extract``    the pure pipeline, one document after another, no Prefect, no database:
                 the baseline every other figure is divided by;
- ``pool``       the pure pipeline on a plain ``ProcessPoolExecutor`` (what parallelism can
                 give at best);
- ``flow-1``     the ``ingest-contracts`` flow with one worker (parsing in the flow's process),
                 storing into a fresh SQLite file;
- ``flow-N``     the same flow on Prefect's ``ProcessPoolTaskRunner`` with N workers.

"flow s" is the time inside the flow; "total s" adds the process's Prefect start-up (the
temporary server), which is what a user waits for.

Usage: python -m benchmarks [--docs DIR] [--workers N] [--modes extract,pool,flow-1,flow-N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _pdfs(docs: Path) -> list[Path]:
    return sorted(p for p in docs.rglob("*") if p.suffix.lower() == ".pdf")


def _extract_one(path: str) -> int:
    from pipeline.extract import extract

    return len(extract(Path(path).read_bytes()).layout.pages)


def run_mode(mode: str, docs: Path, workers: int) -> dict:
    """One measurement, in this process."""
    import tracemalloc

    files = _pdfs(docs)
    started = time.perf_counter()
    result: dict = {"mode": mode, "documents": len(files)}
    if mode == "extract":
        import pipeline.extract  # noqa: F401  (import time is not parsing time)

        started = time.perf_counter()
        result["pages"] = sum(_extract_one(str(p)) for p in files)
        result["flow_seconds"] = result["total_seconds"] = time.perf_counter() - started
        # tracemalloc slows parsing ~10×: measured apart, on the largest document alone.
        largest = max(files, key=lambda p: p.stat().st_size)
        tracemalloc.start()
        _extract_one(str(largest))
        result["python_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elif mode == "pool":
        from concurrent.futures import ProcessPoolExecutor

        ctx = __import__("multiprocessing").get_context("spawn")  # as Prefect's pool does
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            result["pages"] = sum(pool.map(_extract_one, [str(p) for p in files]))
        result["flow_seconds"] = time.perf_counter() - started
    else:
        n = 1 if mode == "flow-1" else workers
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        from flows.ingest import run_ingest

        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            summary = run_ingest([str(docs)], db_url=f"sqlite:///{tmp}/bench.db", workers=n)
        if summary.failed:
            raise SystemExit(f"{len(summary.failed)} document(s) failed: {summary.failed}")
        result["pages"] = summary.pages
        result["flow_seconds"] = summary.seconds
    result.setdefault("total_seconds", time.perf_counter() - started)
    result["peak_rss_mb"] = _peak_rss_mb(resource.RUSAGE_SELF)
    result["children_peak_rss_mb"] = _peak_rss_mb(resource.RUSAGE_CHILDREN)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, default=ROOT / "sample_docs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--modes", default="extract,pool,flow-1,flow-N")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one mode, print JSON
    args = parser.parse_args(argv)

    if args.one:
        print(json.dumps(run_mode(args.one, args.docs, args.workers)))
        return 0

    rows = []
    for mode in args.modes.split(","):
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--one", mode, "--docs", str(args.docs),
             "--workers", str(args.workers)],
            capture_output=True, text=True, cwd=ROOT,
        )
        if proc.returncode:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            return proc.returncode
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"  measured {mode}", file=sys.stderr)

    base = rows[0]
    base_rate = base["pages"] / base["flow_seconds"]
    load = os.getloadavg()[0]
    print(f"{base['documents']} documents, {base['pages']} pages from {args.docs}; "
          f"{os.cpu_count()} CPUs, {args.workers} workers, load average {load:.1f}")
    print(f"baseline: {rows[0]['mode']} at {base_rate:.1f} pages/s")
    header = (f"{'mode':<9} {'flow s':>7} {'total s':>8} {'pages/s':>8} {'× base':>7} "
              f"{'peak RSS MB':>12} {'workers MB':>11} {'py peak MB':>11}")
    print("(py peak MB: tracemalloc peak of Python allocations for the largest document)")
    print(header)
    print("-" * len(header))
    for r in rows:
        rate = r["pages"] / r["flow_seconds"]
        py = f"{r['python_peak_mb']:.0f}" if "python_peak_mb" in r else "-"
        children = r["children_peak_rss_mb"]
        print(f"{r['mode']:<9} {r['flow_seconds']:>7.1f} {r['total_seconds']:>8.1f} "
              f"{rate:>8.1f} {rate / base_rate:>7.2f} {r['peak_rss_mb']:>12.0f} "
              f"{children:>11.0f} {py:>11}")
    return 0
