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
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, TextIO

from veracity.benchmarks.errors import BenchmarkError


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one unit of work.

    Attributes:
        task_id: the id the caller gave the task.
        value: what ``work`` returned (``None`` on error).
        error: ``None``, or a message (exception type and text, or how the worker died).
        elapsed_ms: wall time inside the worker.
    """

    task_id: Any
    value: Any
    error: str | None
    elapsed_ms: float


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
            "n_errors": self.n_errors,
            "n_worker_deaths": self.n_worker_deaths,
            "elapsed_s": round(self.elapsed_s, 3),
            "tasks_per_s": round(self.n_tasks / self.elapsed_s, 3) if self.elapsed_s > 0 else None,
            "task_ms_p50": round(float(np.percentile(ms, 50)), 2),
            "task_ms_p95": round(float(np.percentile(ms, 95)), 2),
            "main_peak_rss_mb": round(peak_rss_mb(), 1),
            "worker_peak_rss_mb": round(self.worker_peak_rss_mb, 1),
        }


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB.

    Linux keeps ``ru_maxrss`` across fork and exec, so a worker would report its parent's peak; the
    memory map's own high-water mark (``VmHWM``) starts afresh in each process. ``ru_maxrss`` is the
    fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Progress:
    """A progress line on stderr: done/total, rate, ETA, errors. Redraws in place on a terminal."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None, unit: str = "files") -> None:
        self.total, self.label, self.unit = total, label, unit
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self._last = 0.0
        self.done = self.errors = 0

    def update(self, done: int = 1, errors: int = 0) -> None:
        self.done += done
        self.errors += errors
        now = time.perf_counter()
        if now - self._last >= (0.5 if self.tty else 10.0):
            self._last = now
            self._draw(final=False)

    def close(self) -> None:
        self._draw(final=True)

    def _draw(self, *, final: bool) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        total = f"/{self.total}" if self.total is not None else ""
        eta = ""
        if self.total and rate > 0 and not final:
            eta = f" ETA {_clock((self.total - self.done) / rate)}"
        line = (
            f"[{self.label}] {self.done}{total} {self.unit} {rate:.2f}/s elapsed {_clock(elapsed)}{eta}"
            f" errors {self.errors}"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _worker_main(conn: Any, work: Callable, init: Callable | None, init_args: tuple) -> None:
    context = init(*init_args) if init is not None else None
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
            value, error = None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        rss = peak_rss_mb()
        conn.send(("done", (task_id, value, error, (time.perf_counter() - started) * 1000.0, rss)))


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

    def map(self, tasks: Iterable[tuple[Any, Any]]) -> Iterator[TaskResult]:
        """Run ``(task_id, payload)`` tasks; yield a `TaskResult` per task as each completes."""
        started = time.perf_counter()
        try:
            runner = self._map_inline if self.workers == 0 else self._map_pool
            for result in runner(iter(tasks)):
                self.stats.n_tasks += 1
                self.stats.n_errors += result.error is not None
                self.stats.task_ms.append(result.elapsed_ms)
                if self.progress:
                    self.progress.update(1, int(result.error is not None))
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
                value, error = None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
            yield TaskResult(task_id, value, error, (time.perf_counter() - t0) * 1000.0)
        self.stats.worker_peak_rss_mb = peak_rss_mb()

    def _spawn(self) -> _Worker:
        return _Worker(self.ctx, self.work, self.init, self.init_args)

    def _map_pool(self, tasks: Iterator[tuple[Any, Any]]) -> Iterator[TaskResult]:
        pool = [self._spawn() for _ in range(self.workers)]
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
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
                for i, worker in enumerate(pool):
                    result, died = self._collect(worker, ready)
                    if died:
                        pool[i] = self._spawn()
                    if result is not None:
                        yield result
        finally:
            for worker in pool:
                worker.stop()

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
            return self._death(worker, f"timed out after {self.task_timeout_s:g} s"), True
        return None, False

    def _death(self, worker: _Worker, reason: str | None) -> TaskResult | None:
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
        return TaskResult(task_id, None, f"WorkerDied: the worker processing this input died ({reason}).", elapsed)
