"""`ScanSummary`: the counts and throughput of one scan, filled while records stream."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from veracity.provenance.report import SCHEMA_VERSION


@dataclass
class ScanSummary:
    """Counts and throughput of one scan.

    ``written`` counts records written to the output, ``set_aside`` those ``--only`` kept in the side
    journal; ``errors`` counts error records of either (the same count the progress line shows).
    ``engine_stats`` are the worker pool's own figures (its ``n_failed_tasks`` are tasks that raised, timed
    out or lost their worker, not error records).
    """

    output: str
    engine: str
    total_inputs: int = 0
    skipped_done: int = 0
    scanned: int = 0
    duplicates: int = 0
    written: int = 0
    set_aside: int = 0
    errors: int = 0
    timeouts: int = 0
    worker_deaths: int = 0
    verdicts: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0
    engine_stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rate = self.scanned / self.elapsed_s if self.elapsed_s > 0 else None
        return {
            "schema_version": SCHEMA_VERSION,
            "output": self.output,
            "engine": self.engine,
            "total_inputs": self.total_inputs,
            "skipped_already_done": self.skipped_done,
            "scanned": self.scanned,
            "duplicates": self.duplicates,
            "records_written": self.written,
            "records_set_aside": self.set_aside,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "worker_deaths": self.worker_deaths,
            "verdicts": dict(sorted(self.verdicts.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "files_per_s": round(rate, 3) if rate else None,
            "engine_stats": self.engine_stats,
        }
