"""Scan files one at a time, each in a fresh worker process: the last resort for files that kill workers.

A worker that dies may have died of its neighbour (memory pressure), so a file whose worker died is first
retried alone; a file that still kills its worker gets a ``WorkerDied`` error record and the scan goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from veracity.benchmarks.engine.pool import Engine, FailureKind
from veracity.benchmarks.scan.settings import DEFAULT_TASK_TIMEOUT_S, ScanSettings
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.benchmarks.scan.worker import died_record, init_scan_context, scan_file, timeout_record


def rescan_isolated(
    paths: Iterable[str],
    settings: ScanSettings,
    summary: ScanSummary | None,
    *,
    timeout_s: float | None = DEFAULT_TASK_TIMEOUT_S,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Scan each file alone in a fresh worker process, under the per-file time budget; yield ``(path, record)``."""
    for path in paths:
        pool = Engine(scan_file, init=init_scan_context, init_args=(settings,), workers=1, task_timeout_s=timeout_s)
        (result,) = list(pool.map([(path, path)]))
        if summary is not None:
            summary.worker_deaths += pool.stats.n_worker_deaths
        if result.failure is None:
            record = result.value
        elif result.failure.kind == FailureKind.TIMED_OUT:
            if summary is not None:
                summary.timeouts += 1
            record = timeout_record(path, timeout_s or 0.0)
        else:
            reason = result.failure.message.splitlines()[0]
            record = died_record(path, f"{reason} (also when scanned alone)")
        yield path, record
