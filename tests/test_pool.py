"""flows.pool: a dead, stuck or oversized job costs only itself (issue 12).

The jobs here are plain functions of this module, run in real worker processes."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from flows.pool import WorkerPool, describe_exit


def echo(arg, notify):
    return arg, os.getpid()


def die(arg, notify):
    os.kill(os.getpid(), signal.SIGKILL)


def sleep(seconds, notify):
    time.sleep(seconds)
    return "woke"


def sleep_extended(seconds, notify):
    notify({"extend": seconds})
    time.sleep(seconds)
    return "woke"


def allocate(megabytes, notify):
    block = bytearray(megabytes * 2**20)
    return len(block)


@pytest.fixture
def pool():
    with WorkerPool(2, memory_mb=400) as pool:
        yield pool


def test_pool_runs_jobs_in_other_processes(pool):
    outcome = pool.run(echo, "hello", timeout=60)
    assert outcome.status == "ok" and outcome.value[0] == "hello"
    assert outcome.value[1] != os.getpid() and outcome.pid == outcome.value[1]
    assert 0 < outcome.peak_rss_mb < 400


def test_pool_dead_worker_fails_only_its_job_issue_12(pool):
    """Regression (issue 12): one killed parse process failed 33 of 38 documents."""
    results = {}

    def run(name, fn, arg):
        results[name] = pool.run(fn, arg, timeout=60)

    threads = [threading.Thread(target=run, args=(f"ok{i}", echo, i)) for i in range(5)]
    threads.insert(2, threading.Thread(target=run, args=("dead", die, None)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["dead"].status == "crashed"
    assert "SIGKILL" in results["dead"].message
    assert all(results[f"ok{i}"].status == "ok" for i in range(5))
    assert pool.run(echo, "after", timeout=60).status == "ok"  # a fresh worker took over


def test_pool_time_limit_stops_the_job_and_replaces_the_worker(pool):
    started = time.monotonic()
    outcome = pool.run(sleep, 30, timeout=1)
    assert outcome.status == "timeout" and time.monotonic() - started < 20
    assert pool.run(echo, "next", timeout=60).status == "ok"


def test_pool_without_a_time_limit(pool):
    assert pool.run(sleep, 0.2, timeout=None).value == "woke"


def test_pool_job_can_extend_its_time_limit(pool):
    assert pool.run(sleep_extended, 2, timeout=1).value == "woke"


def test_pool_memory_cap_turns_a_huge_allocation_into_memory_error(pool):
    outcome = pool.run(allocate, 2048, timeout=60)
    assert outcome.status == "error" and "MemoryError" in outcome.message
    assert pool.run(allocate, 10, timeout=60).value == 10 * 2**20


def test_pool_describe_exit():
    assert "SIGKILL" in describe_exit(-9) and "out of memory" in describe_exit(-9)
    assert describe_exit(3) == "exited with status 3"
