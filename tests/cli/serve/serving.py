"""The real service for the tests: ``veracity serve`` in a subprocess on a free loopback port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.paths import C2PA_FIXTURES

#: The small limits the test server runs with (and ``veracity check`` in the comparison test).
MAX_BYTES = 4_000_000
MAX_PIXELS = 20_000_000
#: Extra trust anchors for both, when the shared fixtures are there: files signed with the test keys are trusted.
TRUST_BUNDLE = C2PA_FIXTURES / "certs" / "trust" / "test_cert_root_bundle.pem"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def veracity_command() -> list[str]:
    """The installed ``veracity`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("veracity")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from veracity.cli.main import main; main()"]


class Server:
    """``veracity serve ARGS`` running until `stop`; its JSON log lines are kept in a file."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        command = [*veracity_command(), "serve", "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def wait_listening(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log_text()}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"the server did not listen within {timeout_s} s:\n{self.log_text()}")

    def wait_ready(self, timeout_s: float = 120, workers: int | None = None) -> dict:
        """Wait until /v1/health is 200 (and, if given, ``workers`` workers are ready); return its body."""
        self.wait_listening()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            response = self.client.get("/v1/health")
            body = response.json()
            if response.status_code == 200 and (workers is None or body["workers_ready"] == workers):
                return body
            time.sleep(0.05)
        raise AssertionError(f"the server was not ready within {timeout_s} s:\n{self.log_text()}")

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_records(self) -> list[dict]:
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]

    def access_record(self, request_id: str) -> dict:
        """The access-log record of the request with this X-Request-ID (waits briefly for it to be written)."""
        for _ in range(50):
            found = [r for r in self.log_records() if r.get("request_id") == request_id]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no access record for {request_id}")

    def stop(self) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode
