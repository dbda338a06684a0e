"""Services the team tests start as real processes (a Prefect server, workers, the review
app, a local S3 emulator), and the means to stop every one of them.

Every process started here carries ``OBLIGATIONS_TEST_MARKER`` in its environment, and so does
everything it starts in turn (a worker's flow runs, their parsing processes): after the test,
``strays(marker)`` finds any that survived, whoever its parent was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
MARKER_ENV = "OBLIGATIONS_TEST_MARKER"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{process.args[:3]} exited ({process.returncode}): {tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Processes:
    """Processes started for one test, each in a session of its own, stopped together."""

    marker: str
    env: dict
    logs: Path
    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, args: list[str], cwd: Path, **env) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115  closed with the process
        process = subprocess.Popen(
            args, cwd=cwd, env={**self.env, **env, MARKER_ENV: self.marker},
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((name, process))
        return process

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self, grace: float = 20.0) -> None:
        """SIGTERM to each process group (a worker, then the flow runs it started), SIGKILL
        to what is left after ``grace`` seconds."""
        for _name, process in reversed(self.started):
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _name, process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for pid in strays(self.marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def strays(marker: str) -> list[int]:
    """Live processes (zombies aside) whose environment carries ``marker``."""
    found = []
    needle = f"{MARKER_ENV}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def start_moto(processes: Processes, cwd: Path) -> str:
    """A local S3 emulator (moto in server mode) on a free loopback port; its URL."""
    port = free_port()
    process = processes.start("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1",
                                       "-p", str(port)], cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/moto-api/", 30, process, processes.logs / "moto.log")
    return url


def s3_env(endpoint: str) -> dict:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-2", "AWS_ENDPOINT_URL": endpoint}


def create_bucket(endpoint: str, name: str) -> None:
    import boto3

    env = s3_env(endpoint)
    boto3.client("s3", endpoint_url=endpoint, region_name=env["AWS_DEFAULT_REGION"],
                 aws_access_key_id="testing", aws_secret_access_key="testing",
                 ).create_bucket(Bucket=name, CreateBucketConfiguration={
                     "LocationConstraint": env["AWS_DEFAULT_REGION"]})
