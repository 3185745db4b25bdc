"""The batch engine: run one unit of work per input in worker processes, stream results back.

Shared by ``veracity bench`` and ``veracity scan``. A unit of work is ``work(payload, context) -> value``
where ``context = init(*init_args)`` is built once per worker (models, settings). Results come back in
completion order as `TaskResult` as soon as each finishes, so the caller writes them one by one and
memory stays bounded: each worker holds one input at a time and nothing is buffered here.

Robustness: every worker has its own pipe, and the engine watches each worker's process sentinel too.
A worker that dies (segfault, out-of-memory kill) costs exactly the task it held: that task comes back
as an error naming the exit code, a fresh worker replaces it, and the run goes on. A task that runs past
``task_timeout_s`` is handled the same way. With ``workers=0`` everything runs in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import wait
from typing import Any

from veracity.benchmarks.engine.memory import peak_rss_mb
from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.errors import BenchmarkError


class FailureKind(StrEnum):
    """How a task failed."""

    RAISED = "raised"  # ``work`` raised: the message holds the exception and its traceback
    WORKER_DIED = "worker-died"  # the worker process died under the task (crash, out-of-memory kill)
    TIMED_OUT = "timed-out"  # the task ran past ``task_timeout_s``; its worker was killed


@dataclass(frozen=True)
class TaskFailure:
    """Why a task produced no value.

    Attributes:
        kind: a `FailureKind`.
        message: for a person; for ``RAISED``, ``"Type: text"`` then the traceback.
    """

    kind: FailureKind
    message: str

    @property
    def killed_worker(self) -> bool:
        """Whether the task cost its worker process (it may be the neighbour's fault: retry it alone)."""
        return self.kind in (FailureKind.WORKER_DIED, FailureKind.TIMED_OUT)


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one unit of work.

    Attributes:
        task_id: the id the caller gave the task.
        value: what ``work`` returned (``None`` on failure).
        failure: ``None``, or why the task failed.
        elapsed_ms: wall time inside the worker.
    """

    task_id: Any
    value: Any
    failure: TaskFailure | None
    elapsed_ms: float

    @property
    def error(self) -> str | None:
        """The failure's message, or ``None`` when the task succeeded."""
        return self.failure.message if self.failure is not None else None


@dataclass
class EngineStats:
    """Throughput and memory of one engine run (filled while results stream)."""

    n_tasks: int = 0
    n_errors: int = 0
    n_worker_deaths: int = 0
    elapsed_s: float = 0.0
    task_ms: list[float] = field(default_factory=list)
    worker_peak_rss_mb: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        import numpy as np

        ms = np.asarray(self.task_ms) if self.task_ms else np.zeros(1)
        return {
            "n_tasks": self.n_tasks,
            "n_failed_tasks": self.n_errors,  # raised, timed out or lost their worker; not error records
            "n_worker_deaths": self.n_worker_deaths,
            "elapsed_s": round(self.elapsed_s, 3),
            "tasks_per_s": round(self.n_tasks / self.elapsed_s, 3) if self.elapsed_s > 0 else None,
            "task_ms_p50": round(float(np.percentile(ms, 50)), 2),
            "task_ms_p95": round(float(np.percentile(ms, 95)), 2),
            "main_peak_rss_mb": round(peak_rss_mb(), 1),
            "worker_peak_rss_mb": round(self.worker_peak_rss_mb, 1),
        }


def _worker_main(conn: Any, work: Callable, init: Callable | None, init_args: tuple) -> None:
    try:
        context = init(*init_args) if init is not None else None
    except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it as one clean error
        conn.send(("failed", f"{type(exc).__name__}: {' '.join(str(exc).split())}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break  # the parent is gone: nothing left to do
        if message is None:
            break
        task_id, payload = message
        started = time.perf_counter()
        try:
            value, error = work(payload, context), None
        except Exception as exc:  # noqa: BLE001 - one input's failure is reported as its result, with its traceback
            value, error = None, _raised(exc)
        rss = peak_rss_mb()
        conn.send(("done", (task_id, value, error, (time.perf_counter() - started) * 1000.0, rss)))


def _raised(exc: Exception) -> TaskFailure:
    return TaskFailure(FailureKind.RAISED, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}")


class _Worker:
    def __init__(self, ctx: Any, work: Callable, init: Callable | None, init_args: tuple) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, work, init, init_args), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.task: tuple[Any, Any] | None = None
        self.started = 0.0

    def stop(self) -> None:
        try:
            if self.process.is_alive():
                self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass  # already gone: nothing to tell it
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class Engine:
    """Runs ``work`` over tasks with a pool of worker processes.

    Args:
        work: ``work(payload, context) -> value``; a top-level function (it is sent to workers).
        init: builds the per-worker context once (``None``: context is ``None``).
        init_args: picklable arguments of ``init``.
        workers: processes; 0 runs in this process.
        task_timeout_s: a task running longer kills its worker and becomes an error (``None``: no limit).
        start_method: multiprocessing start method; ``spawn`` is safe with threads (torch) in the parent.
        progress: where to report progress (``None``: silent).
    """

    def __init__(
        self,
        work: Callable[[Any, Any], Any],
        *,
        init: Callable[..., Any] | None = None,
        init_args: tuple = (),
        workers: int = 0,
        task_timeout_s: float | None = None,
        start_method: str = "spawn",
        progress: Progress | None = None,
    ) -> None:
        self.work, self.init, self.init_args = work, init, init_args
        self.workers = max(0, int(workers))
        self.task_timeout_s = task_timeout_s
        self.ctx = mp.get_context(start_method)
        self.progress = progress
        self.stats = EngineStats()
        self._started: list[_Worker] | None = None

    def start(self) -> None:
        """Start the worker processes now, so they load (models, libraries) while the caller does other work.

        Optional: `map` starts them otherwise. Without it, a one-file command pays the workers' start-up after
        its own instead of during it.
        """
        if self.workers and self._started is None:
            self._started = [self._spawn() for _ in range(self.workers)]

    def map(self, tasks: Iterable[tuple[Any, Any]]) -> Iterator[TaskResult]:
        """Run ``(task_id, payload)`` tasks; yield a `TaskResult` per task as each completes."""
        started = time.perf_counter()
        try:
            runner = self._map_inline if self.workers == 0 else self._map_pool
            for result in runner(iter(tasks)):
                self.stats.n_tasks += 1
                self.stats.n_errors += result.failure is not None
                self.stats.task_ms.append(result.elapsed_ms)
                if self.progress:
                    self.progress.update(1, int(result.failure is not None))
                yield result
        finally:
            self.stats.elapsed_s = time.perf_counter() - started
            if self.progress:
                self.progress.close()

    def _map_inline(self, tasks: Iterator[tuple[Any, Any]]) -> Iterator[TaskResult]:
        context = self.init(*self.init_args) if self.init else None
        for task_id, payload in tasks:
            t0 = time.perf_counter()
            try:
                value, error = self.work(payload, context), None
            except Exception as exc:  # noqa: BLE001 - same contract as the workers
                value, error = None, _raised(exc)
            yield TaskResult(task_id, value, error, (time.perf_counter() - t0) * 1000.0)
        self.stats.worker_peak_rss_mb = peak_rss_mb()

    def _spawn(self) -> _Worker:
        return _Worker(self.ctx, self.work, self.init, self.init_args)

    def _map_pool(self, tasks: Iterator[tuple[Any, Any]]) -> Iterator[TaskResult]:
        pool = self._started or [self._spawn() for _ in range(self.workers)]
        self._started = None
        exhausted = False
        try:
            while True:
                for worker in pool:  # hand a task to every ready, idle worker
                    if worker.ready and worker.task is None and not exhausted:
                        nxt = next(tasks, None)
                        if nxt is None:
                            exhausted = True
                        else:
                            worker.task, worker.started = nxt, time.perf_counter()
                            worker.conn.send(nxt)
                busy = [w for w in pool if w.task is not None or not w.ready]
                if exhausted and not any(w.task is not None for w in pool):
                    return
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=self._wait_s(pool))
                for i, worker in enumerate(pool):
                    result, died = self._collect(worker, ready)
                    if died:
                        pool[i] = self._spawn()
                    if result is not None:
                        yield result
        finally:
            for worker in pool:
                worker.stop()

    def _wait_s(self, pool: list[_Worker]) -> float:
        """How long to wait for a message: a second, or less when a running task reaches its budget sooner."""
        if self.task_timeout_s is None:
            return 1.0
        now = time.perf_counter()
        deadlines = [w.started + self.task_timeout_s - now for w in pool if w.task is not None]
        return max(0.01, min([1.0, *deadlines]))

    def _collect(self, worker: _Worker, ready: list[Any]) -> tuple[TaskResult | None, bool]:
        """(the result this worker has, whether it died and must be replaced)."""
        if worker.conn in ready or worker.conn.poll():
            try:
                kind, data = worker.conn.recv()
            except (EOFError, OSError):
                return self._death(worker, None), True
            if kind == "ready":
                worker.ready = True
                return None, False
            if kind == "failed":
                raise BenchmarkError(f"A worker process could not start: {data}")
            task_id, value, error, elapsed_ms, rss = data
            worker.task = None
            self.stats.worker_peak_rss_mb = max(self.stats.worker_peak_rss_mb, rss)
            return TaskResult(task_id, value, error, elapsed_ms), False
        if worker.process.sentinel in ready and not worker.process.is_alive():
            return self._death(worker, None), True
        if (
            self.task_timeout_s is not None
            and worker.task is not None
            and time.perf_counter() - worker.started > self.task_timeout_s
        ):
            worker.process.kill()
            return self._death(worker, f"timed out after {self.task_timeout_s:g} s", FailureKind.TIMED_OUT), True
        return None, False

    def _death(
        self, worker: _Worker, reason: str | None, kind: FailureKind = FailureKind.WORKER_DIED
    ) -> TaskResult | None:
        """The error result of the task a dead worker held (``None`` if it held none)."""
        worker.process.join(timeout=5)
        worker.conn.close()
        if not worker.ready:
            raise BenchmarkError(
                f"A worker process exited (code {worker.process.exitcode}) before it was ready: its initialisation "
                "failed. See the traceback above on stderr."
            )
        self.stats.n_worker_deaths += 1
        if worker.task is None:
            return None
        task_id, _ = worker.task
        reason = reason or f"exit code {worker.process.exitcode}"
        elapsed = (time.perf_counter() - worker.started) * 1000.0
        message = f"the worker processing this input died ({reason})."
        return TaskResult(task_id, None, TaskFailure(kind, message), elapsed)
