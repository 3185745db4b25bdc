"""A real ``veracity serve`` under trouble: a file that kills its worker, one over the time limit, a full
queue, and requests that arrive while the detector is still loading."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from tests.cli.serve.serving import Server
from tests.images import png_bomb

pytestmark = pytest.mark.slow  # a real server in a subprocess per test module

#: A slow server: one worker, no queue, and a time limit that a 144 MP image (~1.3 s here) runs past.
TIMEOUT_S = 0.5


@pytest.fixture(scope="module")
def slow_file(tmp_path_factory):
    """A legitimate image within the default limits that takes more than a second to analyse (144 MP)."""
    return png_bomb(tmp_path_factory.mktemp("slow") / "large.png", 12000, 12000).read_bytes()


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory):
    """One worker, no queue, a 0.5 s time limit; its worker waits 1.5 s before loading (a test hook), so
    the start-up answers can be seen every time."""
    log = tmp_path_factory.mktemp("tight") / "server.log"
    args = ["--workers", "1", "--queue-size", "0", "--timeout", str(TIMEOUT_S)]
    running = Server(args, log, env={"VERACITY_TEST_WORKER_START_DELAY_S": "1.5"})
    try:
        running.wait_listening()
        running.startup_answers = (running.client.get("/v1/health"), running.client.post("/v1/check", content=b"x"))
        running.wait_ready()
        yield running
    finally:
        running.stop()


def test_a_file_that_kills_its_worker_costs_only_its_own_request(server, small_jpeg):
    restarts = server.client.get("/v1/health").json()["worker_restarts"]
    crash = server.client.post("/v1/check", files={"file": ("CRASHME.jpg", small_jpeg.read_bytes())})
    assert crash.status_code == 500
    error = crash.json()["error"]
    assert error["kind"] == "WorkerDied" and "exit code 86" in error["message"]
    after = server.client.post("/v1/check", files={"file": ("fine.jpg", small_jpeg.read_bytes())})
    assert after.status_code == 200 and after.json()["record_type"] == "report"
    health = server.wait_ready(workers=2)  # the dead worker was replaced
    assert health["worker_restarts"] == restarts + 1 and health["status"] == "ok"


def test_a_request_over_the_time_limit_gets_504_and_the_worker_is_replaced(tight_server, slow_file, small_jpeg):
    started = time.monotonic()
    response = tight_server.client.post("/v1/check", files={"file": ("large.png", slow_file)})
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["kind"] == "AnalysisTimeout" and "limit of 0.5 s" in error["message"]
    assert time.monotonic() - started < 30
    after = tight_server.client.post("/v1/check", content=small_jpeg.read_bytes())  # waits for the new worker
    assert after.status_code == 200
    assert tight_server.client.get("/v1/health").json()["worker_restarts"] >= 1


def test_a_full_queue_gets_429_at_once(tight_server, slow_file, small_jpeg):
    tight_server.wait_ready(workers=1)
    answers = {}
    busy = threading.Thread(
        target=lambda: answers.setdefault("slow", tight_server.client.post("/v1/check", content=slow_file))
    )
    busy.start()
    try:
        deadline = time.monotonic() + 10
        while tight_server.client.get("/v1/health").json()["queued"] < 1:  # the slow one holds the only place
            assert time.monotonic() < deadline, "the slow request never started"
            time.sleep(0.01)
        refused = tight_server.client.post("/v1/check", content=small_jpeg.read_bytes())
    finally:
        busy.join(timeout=60)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["kind"] == "QueueFull"
    assert answers["slow"].status_code == 504


def test_while_starting_the_answer_is_503_with_retry_after(tight_server):
    health, check = tight_server.startup_answers
    assert health.status_code == 503
    assert health.json()["status"] == "starting" and health.json()["ready"] is False
    assert check.status_code == 503 and check.headers["retry-after"] == "2"
    assert check.json()["error"]["kind"] == "Starting"
    assert tight_server.wait_ready()["status"] == "ok"


def test_workers_that_cannot_start_leave_the_server_up_and_saying_why(tmp_path, small_jpeg):
    running = Server(["--detector", "nope.v1", "--workers", "1"], tmp_path / "server.log")
    try:
        running.wait_listening()
        deadline = time.monotonic() + 60
        while (health := running.client.get("/v1/health")).json()["status"] != "failed":
            assert time.monotonic() < deadline, running.log_text()
            time.sleep(0.05)
        assert health.status_code == 503 and "Unknown detector 'nope.v1'" in health.json()["reason"]
        check = running.client.post("/v1/check", content=small_jpeg.read_bytes())
        assert check.status_code == 503 and check.json()["error"]["kind"] == "NoWorker"
    finally:
        running.stop()


def test_sigterm_stops_the_workers_and_removes_the_upload_folder(tmp_path, small_jpeg):
    running = Server(["--no-detector", "--workers", "2"], tmp_path / "server.log")
    try:
        running.wait_ready(workers=2)
        assert running.client.post("/v1/check", content=small_jpeg.read_bytes()).status_code == 200
    finally:
        # uvicorn shuts down, then re-raises the signal so that a supervisor sees how the process ended
        assert running.stop() == -signal.SIGTERM
    records = running.log_records()
    folder = next(Path(r["path"]) for r in records if r.get("event") == "upload_folder")
    pids = [r["pid"] for r in records if r.get("event") == "worker_ready"]
    assert len(pids) == 2 and not folder.exists()
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
