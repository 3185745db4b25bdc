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

from veracity.benchmarks.engine.pool import Engine
from veracity.benchmarks.engine.progress import Progress
from veracity.benchmarks.scan.isolation import rescan_isolated
from veracity.benchmarks.scan.settings import EngineName, ScanOptions, ScanSettings
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.benchmarks.scan.worker import died_record, init_scan_context, scan_file


class ScanEngine(Protocol):
    """Runs the per-file work over ``paths``; yields one ``(path, record)`` per path, in any order."""

    def run(
        self, paths: list[str], settings: ScanSettings, progress: Progress | None, summary: ScanSummary
    ) -> Iterator[tuple[str, dict[str, Any]]]: ...


@dataclass(frozen=True)
class LocalEngine:
    """Worker processes on this machine (``workers=0``: in this process)."""

    workers: int = 2
    task_timeout_s: float | None = None

    def run(
        self, paths: list[str], settings: ScanSettings, progress: Progress | None, summary: ScanSummary
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        pool = Engine(
            scan_file,
            init=init_scan_context,
            init_args=(settings,),
            workers=self.workers,
            task_timeout_s=self.task_timeout_s,
            progress=progress,
        )
        died: list[str] = []
        for result in pool.map((path, path) for path in paths):
            if result.failure is None:
                yield result.task_id, result.value
            elif result.failure.killed_worker:
                died.append(result.task_id)  # maybe its neighbour's fault (memory): retry it alone first
            else:  # a bug in the per-file work: record it with the first line of the traceback
                yield result.task_id, died_record(result.task_id, "analysis failed: " + result.error.splitlines()[0])
        summary.worker_deaths = pool.stats.n_worker_deaths
        summary.engine_stats = pool.stats.to_dict()
        yield from rescan_isolated(died, settings, None, summary)


def create_engine(options: ScanOptions, output: Path) -> ScanEngine:
    """The engine ``options`` name, configured for a scan into ``output``."""
    if options.engine == EngineName.RAY:
        from veracity.benchmarks.scan.ray_engine import RayEngine

        return RayEngine(
            workers=options.workers,
            address=options.ray_address,
            rows_per_block=options.rows_per_block,
            state_file=output.with_name(output.name + ".ray-processes.json"),
        )
    return LocalEngine(workers=options.workers, task_timeout_s=options.task_timeout_s)
