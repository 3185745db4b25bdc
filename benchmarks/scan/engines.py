"""Scan engines behind one interface: each turns a list of paths into ``(path, scan record)`` pairs.

`LocalEngine` runs `scan_file` in single-threaded worker processes here (`benchmarks.engine`);
`RayEngine` (`ray_engine.py`) runs the same function in Ray Data actors. Both rescan files whose worker
died one by one in isolation, so a crashing file costs only itself. A new engine implements `ScanEngine`
and joins `create_engine`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from veracity.benchmarks.engine.pool import Engine, FailureKind
from veracity.benchmarks.scan.isolation import rescan_isolated
from veracity.benchmarks.scan.settings import DEFAULT_TASK_TIMEOUT_S, EngineName, ScanOptions, ScanSettings
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.benchmarks.scan.worker import died_record, init_scan_context, scan_file, timeout_record


class ScanEngine(Protocol):
    """Runs the per-file work over ``paths``; yields one ``(path, record)`` per path, in any order.

    Engines do not report progress: the caller counts the records it writes, so the progress line, the
    summary and the output always agree.
    """

    def run(
        self, paths: list[str], settings: ScanSettings, summary: ScanSummary
    ) -> Iterator[tuple[str, dict[str, Any]]]: ...


@dataclass(frozen=True)
class LocalEngine:
    """Worker processes on this machine (``workers=0``: in this process, without a time budget)."""

    workers: int = 2
    task_timeout_s: float | None = DEFAULT_TASK_TIMEOUT_S

    def run(
        self, paths: list[str], settings: ScanSettings, summary: ScanSummary
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        pool = Engine(
            scan_file,
            init=init_scan_context,
            init_args=(settings,),
            workers=self.workers,
            task_timeout_s=self.task_timeout_s,
        )
        died: list[str] = []
        try:
            for result in pool.map((path, path) for path in paths):
                if result.failure is None:
                    yield result.task_id, result.value
                elif result.failure.kind == FailureKind.TIMED_OUT:  # a hang is not retried: it would hang again
                    summary.timeouts += 1
                    yield result.task_id, timeout_record(result.task_id, self.task_timeout_s)
                elif result.failure.killed_worker:
                    died.append(result.task_id)  # maybe its neighbour's fault (memory): retry it alone first
                else:  # a bug in the per-file work: record it with the first line of the traceback
                    first_line = result.error.splitlines()[0]
                    yield (
                        result.task_id,
                        died_record(result.task_id, "analysis failed: " + first_line, "AnalysisFailed"),
                    )
        finally:
            summary.worker_deaths += pool.stats.n_worker_deaths
            summary.engine_stats = pool.stats.to_dict()
        yield from rescan_isolated(died, settings, summary, timeout_s=self.task_timeout_s)


def create_engine(options: ScanOptions, output: Path) -> ScanEngine:
    """The engine ``options`` name, configured for a scan into ``output``."""
    if options.engine == EngineName.RAY:
        from veracity.benchmarks.scan.ray_engine import RayEngine

        return RayEngine(
            workers=options.workers,
            address=options.ray_address,
            rows_per_block=options.rows_per_block,
            state_file=output.with_name(output.name + ".ray-processes.json"),
            task_timeout_s=options.task_timeout_s,
        )
    return LocalEngine(workers=options.workers, task_timeout_s=options.task_timeout_s)
