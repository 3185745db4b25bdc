"""Analysis worker processes for the HTTP service: one request at a time each, detector loaded once.

The event loop never analyses. `AnalysisPool.analyze` takes an idle worker, sends it one `Job` (the path of
an upload in the service's private folder) and waits for the answer in a helper thread. A worker that dies
(decoder crash, out-of-memory kill) costs only the request it held, which gets a ``WorkerDied`` outcome; one
that runs past the time limit is killed and its request gets ``AnalysisTimeout``. Either way a fresh
worker is started in the background and the service goes on.

This is the request/response counterpart of the batch engine in `veracity.benchmarks.engine.pool`, which
maps a stream of tasks; here each HTTP request waits for its own answer.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from veracity.cli.serve.errors import WorkerStartError
from veracity.cli.serve.settings import WorkerSettings

log = logging.getLogger("veracity.serve")

# Outcome failures (the analysis itself did not finish); an unreadable file is not one of them: it is a
# normal result, an error record.
WORKER_DIED = "WorkerDied"
ANALYSIS_TIMEOUT = "AnalysisTimeout"
INTERNAL_ERROR = "InternalError"

STARTING, READY, DEGRADED, FAILED = "starting", "ok", "degraded", "failed"


@dataclass(frozen=True)
class Job:
    """One analysis: the upload's path in the private folder, the name the report gives it, HTML wanted."""

    path: str
    name: str
    html: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a worker answered.

    Attributes:
        record: the report or error record as ``to_dict()`` gives it (``None`` when the analysis failed).
        html: the HTML report when asked for.
        failure: ``None``, `WORKER_DIED`, `ANALYSIS_TIMEOUT` or `INTERNAL_ERROR`.
        message: what went wrong, for the client, when ``failure`` is set.
        elapsed_ms: time in the worker (or until it was given up on).
    """

    record: dict[str, Any] | None = None
    html: str | None = None
    failure: str | None = None
    message: str = ""
    elapsed_ms: float = 0.0


# --- inside a worker process -----------------------------------------------------------------------------


def _worker_main(conn: Any, settings: WorkerSettings) -> None:
    # Ctrl-C reaches the whole process group; the server shuts the workers down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from veracity.api import resolve_detector
    from veracity.cli.serve.logs import configure_logging

    configure_logging()
    time.sleep(settings.start_delay_s)  # a test hook; 0 unless set
    try:
        detector = resolve_detector(settings.detector)  # DEFAULT_DETECTOR is veracity.api.DEFAULT
    except Exception as exc:  # noqa: BLE001 - any failure to load is reported to the server, which logs it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", _model_info(detector)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if job is None:
            return
        conn.send(("done", _analyse(job, detector, settings)))


def _analyse(job: Job, detector: Any, settings: WorkerSettings) -> Outcome:
    from veracity.api import check_or_error
    from veracity.provenance.report import Report

    if settings.crash_marker and settings.crash_marker in job.name:
        os._exit(86)  # the test hook: die like a segfaulting decoder would
    started = time.perf_counter()
    try:
        data = Path(job.path).read_bytes()
        report = check_or_error(data, detector=detector, options=settings.options, name=job.name)
        html = None
        if job.html and isinstance(report, Report):
            from veracity.cli.render.html import render_html

            html = render_html(report, data)
        return Outcome(report.to_dict(), html, elapsed_ms=(time.perf_counter() - started) * 1000.0)
    except Exception as exc:  # noqa: BLE001 - a bug must answer this request with 500, not kill the worker
        log.error("analysis of %s failed:\n%s", job.name, traceback.format_exc(limit=8))
        return Outcome(failure=INTERNAL_ERROR, message=f"The analysis failed: {type(exc).__name__}: {exc}")


def _model_info(detector: Any) -> dict[str, Any] | None:
    if detector is None:
        return None
    cfg = detector.cfg.to_dict() if hasattr(detector.cfg, "to_dict") else {}
    keys = ("weights_sha256", "threshold", "bands", "calibrated", "license")
    return {"name": detector.name, **{key: cfg.get(key) for key in keys}}


# --- in the server ---------------------------------------------------------------------------------------


class _Worker:
    """One worker process and its pipe; `run` blocks, so it is called from a helper thread."""

    def __init__(self, ctx: Any, settings: WorkerSettings) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, settings), daemon=True, name="veracity-worker")
        self.process.start()
        child.close()
        self.model: dict[str, Any] | None = None

    def wait_ready(self, timeout_s: float) -> None:
        """Block until the detector is loaded.

        Raises:
            WorkerStartError: the worker failed, exited or took longer than ``timeout_s``.
        """
        ready = wait([self.conn, self.process.sentinel], timeout_s)
        if self.conn in ready:
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                kind, payload = "failed", f"exited with code {self._exit_code()}"
            if kind == "ready":
                self.model = payload
                return
            self.kill()
            raise WorkerStartError(f"An analysis worker could not load its detector: {payload}")
        self.kill()
        reason = f"exited with code {self._exit_code()}" if ready else f"was not ready within {timeout_s:g} s"
        raise WorkerStartError(f"An analysis worker {reason} while loading its detector.")

    def run(self, job: Job, timeout_s: float) -> Outcome:
        """Send ``job`` and wait for the answer, at most ``timeout_s`` (then the worker is killed)."""
        started = time.perf_counter()
        try:
            self.conn.send(job)
            ready = wait([self.conn, self.process.sentinel], timeout_s)
            if self.conn in ready:
                kind, payload = self.conn.recv()
                return payload
        except (EOFError, OSError):
            ready = [self.process.sentinel]  # the pipe broke: the worker is gone
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        if not ready:
            self.kill()
            return Outcome(
                failure=ANALYSIS_TIMEOUT,
                message=f"The analysis of {job.name!r} took longer than this server's limit of {timeout_s:g} s and "
                "was stopped. Retry later or with a smaller file; the operator sets the limit with --timeout.",
                elapsed_ms=elapsed_ms,
            )
        return Outcome(
            failure=WORKER_DIED,
            message=f"The process analysing {job.name!r} died (exit code {self._exit_code()}); the file may be "
            "hostile or trigger a decoder bug. The server replaced the process and goes on.",
            elapsed_ms=elapsed_ms,
        )

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)

    def retire(self) -> None:
        """Make sure a failed worker is gone and release its pipe."""
        self.kill()
        self.conn.close()

    def stop(self) -> None:
        """Ask the worker to exit, then make sure it has."""
        try:
            self.conn.send(None)
        except OSError:
            pass  # already gone: nothing to tell it
        self.process.join(timeout=2)
        self.kill()
        self.conn.close()

    def _exit_code(self) -> int | None:
        self.process.join(timeout=5)
        return self.process.exitcode


class AnalysisPool:
    """A fixed number of analysis workers behind a bounded queue, for an asyncio server.

    Args:
        settings: what each worker loads (see `WorkerSettings`).
        workers: worker processes.
        queue_size: requests allowed to wait for a worker beyond those being analysed.
        timeout_s: per-request analysis time limit.
        start_timeout_s: how long a worker may take to load its detector.
    """

    def __init__(
        self,
        settings: WorkerSettings,
        *,
        workers: int,
        queue_size: int,
        timeout_s: float,
        start_timeout_s: float = 300.0,
    ) -> None:
        self.settings, self.size = settings, workers
        self.capacity = workers + queue_size
        self.timeout_s, self.start_timeout_s = timeout_s, start_timeout_s
        self.model: dict[str, Any] | None = None
        self.failure: str | None = None
        self.restarts = 0
        self.pending = 0
        self._ctx = mp.get_context("spawn")  # safe with the server's threads
        self._alive: set[_Worker] = set()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue[_Worker | None] | None = None
        self._threads: ThreadPoolExecutor | None = None

    @property
    def state(self) -> str:
        """`STARTING` (no worker ready yet), `READY`, `DEGRADED` (fewer workers than asked) or `FAILED`."""
        if self.failure is not None and not self._alive:
            return FAILED
        if self.model is None and not self._alive:
            return STARTING
        return READY if len(self._alive) == self.size else DEGRADED

    @property
    def workers_ready(self) -> int:
        return len(self._alive)

    async def start(self) -> None:
        """Start the workers in the background; returns at once (the service answers 503 meanwhile)."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        # One thread waits on each busy worker, one per worker being (re)started.
        self._threads = ThreadPoolExecutor(max_workers=2 * self.size + 1, thread_name_prefix="veracity-pool")
        for _ in range(self.size):
            self._launch()

    def try_admit(self) -> bool:
        """Take a place for one request (analysed or queued); ``False`` when the queue is full."""
        if self.pending >= self.capacity:
            return False
        self.pending += 1
        return True

    def release(self) -> None:
        """Give back the place taken by `try_admit`."""
        self.pending -= 1

    async def analyze(self, job: Job) -> Outcome:
        """Run ``job`` on the next free worker and return its outcome (never raises for a bad file)."""
        worker = await self._idle.get()
        if worker is None:  # the pool failed: pass the news on to the next waiter
            self._idle.put_nowait(None)
            return Outcome(failure=INTERNAL_ERROR, message=f"No analysis worker is running: {self.failure}")
        future = self._loop.run_in_executor(self._threads, worker.run, job, self.timeout_s)
        # The worker goes back (or is replaced) when it answers, even if this request was cancelled meanwhile.
        future.add_done_callback(lambda done: self._finished(worker, done))
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Stop every worker (busy ones are killed) and the helper threads."""
        self._closed = True
        workers, self._alive = list(self._alive), set()
        await asyncio.gather(*(asyncio.to_thread(worker.stop) for worker in workers))
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)

    def _launch(self) -> None:
        future = self._threads.submit(self._start_worker)
        future.add_done_callback(lambda done: self._loop.call_soon_threadsafe(self._started, done))

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._ctx, self.settings)
        worker.wait_ready(self.start_timeout_s)
        return worker

    def _started(self, future: Future) -> None:
        error = future.exception()
        if error is not None:
            self.failure = str(error)
            log.error("%s", error, extra={"fields": {"event": "worker_failed"}})
            if not self._alive:
                self._idle.put_nowait(None)  # wake every waiting request: nothing will serve it
            return
        worker = future.result()
        if self._closed:
            worker.stop()
            return
        self.model = worker.model
        self._alive.add(worker)
        self._idle.put_nowait(worker)
        log.info("analysis worker ready", extra={"fields": {"event": "worker_ready", "pid": worker.process.pid}})

    def _finished(self, worker: _Worker, future: asyncio.Future) -> None:
        if self._closed:
            return
        error = "cancelled" if future.cancelled() else future.exception()
        outcome = None if error is not None else future.result()
        if outcome is not None and outcome.failure not in (WORKER_DIED, ANALYSIS_TIMEOUT) and worker.alive:
            self._idle.put_nowait(worker)
            return
        self._alive.discard(worker)
        self._threads.submit(worker.retire)  # joining a process blocks: not on the event loop
        self.restarts += 1
        reason = outcome.failure if outcome is not None else repr(error)
        log.warning(
            "analysis worker replaced",
            extra={"fields": {"event": "worker_replaced", "pid": worker.process.pid, "reason": reason}},
        )
        self._launch()
