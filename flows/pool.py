"""Worker processes that parse one document at a time, each under a memory cap, each job
under a time limit, a dead worker costing only the document it was running.

Why not Prefect's ``ProcessPoolTaskRunner``: it is a ``concurrent.futures`` process pool, in
which one worker killed (by the kernel's OOM killer, a crash in C, a decompression bomb)
breaks the whole pool and fails every document in flight or queued, with no way to tell the
culprit; and it cannot stop a task stuck in C code. Here each worker is a process of its own
with a pipe, and a job is handed to a worker only when that worker is idle, so the parent
always knows which document each process is running:

- the worker dies → that job fails with the signal or exit status, a fresh worker takes its
  place, nothing else is touched;
- the job runs past its time limit → the worker is killed and replaced, the job fails;
- the worker's address space is capped (``RLIMIT_AS``, inherited by the OCR programs it
  starts), so a file that wants gigabytes gets ``MemoryError`` instead of the machine;
- after a job that left the worker large, the worker is replaced (glibc rarely gives memory
  back), so the next document starts small.

``run`` is blocking and thread-safe: the flow's per-document tasks (threads) call it, each
waiting for an idle worker. The job function gets a ``notify`` callable to extend its own
time limit (OCR of a long scan announces its pages before it starts).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

# How long a fresh worker may take to import the pipeline before its first job starts.
START_TIMEOUT_S = 300.0
# A worker whose resident memory ends a job above this share of its cap is replaced.
RECYCLE_SHARE = 0.5

Job = Callable[[Any, Callable[[dict], None]], Any]


@dataclass(frozen=True)
class JobOutcome:
    """How one job ended: ``ok`` (``value`` is what the job returned), ``crashed`` (the
    worker died), ``timeout``, or ``error`` (the job raised; ``message`` says what)."""

    status: str
    value: Any = None
    message: str = ""
    pid: int | None = None
    seconds: float = 0.0
    peak_rss_mb: float | None = None


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM``, not ``getrusage``'s ``ru_maxrss``:
    Linux carries ``ru_maxrss`` over from the parent through fork and exec, so a spawned
    worker would report its parent's size."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_main(conn: Connection, memory_mb: int | None, initializer: Callable | None) -> None:
    """The worker process: cap the memory, warm up, then run jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if initializer is not None:
        initializer()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, arg = message
        conn.send(("started", os.getpid()))
        try:
            value = fn(arg, lambda note: conn.send(("note", note)))
            reply = ("result", value)
        except BaseException as exc:  # noqa: BLE001  reported, never raised in the worker
            reply = ("error", f"{type(exc).__name__}: {exc}")
        peak = peak_rss_mb()
        recycle = bool(memory_mb) and _rss_mb() > RECYCLE_SHARE * memory_mb
        conn.send((*reply, peak, recycle))
        if recycle:
            return


class _Worker:
    def __init__(self, context, memory_mb: int | None, initializer: Callable | None):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, memory_mb, initializer), daemon=True,
            name="obligations-parser",
        )
        self.process.start()
        child.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=5)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


def describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "stopped"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory, or killed by an operator?)" if -exitcode == 9 else ""
        return f"killed by {name}{hint}"
    return f"exited with status {exitcode}"


class WorkerPool:
    """``size`` worker processes (spawned, so nothing of the parent's threads or Prefect
    state is inherited), each capped at ``memory_mb`` of address space."""

    def __init__(self, size: int, *, memory_mb: int | None = None,
                 initializer: Callable | None = None):
        self._context = multiprocessing.get_context("spawn")
        self._size = max(1, size)
        self._memory_mb = memory_mb
        self._initializer = initializer
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False

    def _take(self) -> _Worker:
        """An idle worker; a new one while fewer than ``size`` exist (started on demand: a
        run whose documents are all skipped starts none)."""
        with self._lock:  # checked and started under the lock: never more than size
            if self._idle.empty() and len(self._all) < self._size:
                worker = _Worker(self._context, self._memory_mb, self._initializer)
                self._all.add(worker)
                return worker
        return self._idle.get()

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self._memory_mb, self._initializer)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def run(self, fn: Job, arg: Any, *, timeout: float | None,
            on_start: Callable[[int], None] | None = None) -> JobOutcome:
        """Run ``fn(arg, notify)`` in an idle worker; ``timeout`` seconds from the moment the
        worker starts it (``notify({"extend": s})`` from the job adds ``s``)."""
        if self._closed:
            raise RuntimeError("the pool is closed")
        worker = self._take()
        keep = False
        try:
            outcome, keep = self._run_on(worker, fn, arg, timeout, on_start)
            return outcome
        finally:
            if not keep:
                # Dead, stuck or grown large: a fresh one in its place (another thread may
                # be waiting for an idle worker).
                self._retire(worker)
                worker = None if self._closed else self._start()
            if worker is not None:
                self._idle.put(worker)

    def _run_on(self, worker: _Worker, fn: Job, arg: Any, timeout: float | None,
                on_start: Callable[[int], None] | None) -> tuple[JobOutcome, bool]:
        pid = worker.pid
        try:
            worker.conn.send((fn, arg))
        except OSError as exc:
            return JobOutcome("crashed", message=f"the worker could not take the job: {exc}",
                              pid=pid), False
        deadline = time.monotonic() + START_TIMEOUT_S
        started = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seconds = time.monotonic() - (started or time.monotonic())
                what = f"after {seconds:.0f} s" if started else "before it started (start-up)"
                return JobOutcome("timeout", message=f"stopped {what}", pid=pid,
                                  seconds=seconds), False
            ready = wait([worker.conn, worker.process.sentinel],
                         timeout=None if remaining == float("inf") else remaining)
            if worker.conn in ready or worker.conn.poll():
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is None:
                    worker.process.join(timeout=5)
                    return self._crashed(worker, started), False
                kind = message[0]
                if kind == "started":
                    started = time.monotonic()
                    deadline = started + timeout if timeout else float("inf")
                    if on_start is not None:
                        on_start(message[1])
                elif kind == "note":
                    deadline += float(message[1].get("extend", 0))
                else:
                    _, payload, peak, recycle = message
                    seconds = time.monotonic() - (started or time.monotonic())
                    status = "ok" if kind == "result" else "error"
                    return JobOutcome(
                        status, value=payload if status == "ok" else None,
                        message="" if status == "ok" else payload, pid=pid, seconds=seconds,
                        peak_rss_mb=peak,
                    ), not recycle
            elif worker.process.sentinel in ready:
                worker.process.join(timeout=5)
                return self._crashed(worker, started), False

    @staticmethod
    def _crashed(worker: _Worker, started: float | None) -> JobOutcome:
        seconds = time.monotonic() - started if started else 0.0
        return JobOutcome(
            "crashed", message=f"the worker process {describe_exit(worker.process.exitcode)}",
            pid=worker.pid, seconds=seconds,
        )

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
