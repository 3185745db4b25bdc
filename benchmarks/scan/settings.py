"""What a scan does, as typed settings: `ScanSettings` for each worker, `ScanOptions` for the whole run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from veracity.benchmarks.errors import BenchmarkError
from veracity.provenance.assets.asset import Limits


class EngineName(StrEnum):
    """Where the per-file work runs."""

    LOCAL = "local"  # single-threaded worker processes on this machine
    RAY = "ray"  # Ray Data actors, on a private local instance or an existing cluster


class OutputFormat(StrEnum):
    """Record file formats."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


#: Files per Ray block: a crashed actor loses (and the scan rescans) at most one block.
DEFAULT_ROWS_PER_BLOCK = 8
#: The per-file time budget (seconds) of `check` and `scan`: a file taking longer becomes an error record
#: (``TimeoutError``) and the worker process that ran it is replaced. ``VERACITY_TIMEOUT`` or ``--timeout``
#: change it. Generous on purpose: a 150 MP PNG takes about 5 s here, a 500 MB video's C2PA hash a few.
DEFAULT_TASK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ScanSettings:
    """What each worker needs to analyse a file: picklable, built once per run.

    Attributes:
        detector: detector name or path for `detector.create_detector`, or ``None`` for no classifier.
        device: ``cpu`` or ``cuda``.
        threshold: override of the detector's decision threshold, or ``None``.
        limits: byte and pixel limits.
        signal_settings: per-signal settings (trust anchors, ...), as in `AnalysisOptions`.
        crash_marker: test hook (``VERACITY_TEST_CRASH_MARKER``): a worker dies like a crashing decoder
            on a file whose name contains this text. Used only by the tests of crash isolation.
    """

    detector: str | None = None
    device: str = "cpu"
    threshold: float | None = None
    limits: Limits = field(default_factory=Limits.from_env)
    signal_settings: dict[str, Any] = field(default_factory=dict)
    crash_marker: str | None = field(default_factory=lambda: os.environ.get("VERACITY_TEST_CRASH_MARKER") or None)


@dataclass(frozen=True)
class ScanOptions:
    """How one scan runs.

    Attributes:
        settings: what each worker does with a file.
        fmt: output format (``None``: from the output's extension).
        engine: `EngineName`.
        workers: worker processes (local) or actors (ray); each runs single-threaded; 0 runs locally in-process.
        dedupe: score identical content once; repeats get a record with ``duplicate_of``.
        only: write records only for these verdict labels (others are kept in a journal for resuming).
        overwrite: start afresh instead of resuming (the old output is replaced, never appended to).
        ray_address: an existing Ray cluster (``None``: ``RAY_ADDRESS`` or a private local instance).
        task_timeout_s: the per-file time budget in seconds: a file taking longer is a ``TimeoutError`` record
            and its worker is replaced (not enforced with ``workers=0``, which runs in this process).
        rows_per_block: files per Ray block.

    Raises:
        BenchmarkError: an unknown engine or format, or a negative worker count.
    """

    settings: ScanSettings = field(default_factory=ScanSettings)
    fmt: OutputFormat | None = None
    engine: EngineName = EngineName.LOCAL
    workers: int = 2
    dedupe: bool = False
    only: tuple[str, ...] = ()
    overwrite: bool = False
    ray_address: str | None = None
    task_timeout_s: float | None = DEFAULT_TASK_TIMEOUT_S
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "engine", EngineName(self.engine))
            if self.fmt is not None:
                object.__setattr__(self, "fmt", OutputFormat(self.fmt))
        except ValueError as exc:
            raise BenchmarkError(
                f"{exc}. Engines: {', '.join(EngineName)}; formats: {', '.join(OutputFormat)}."
            ) from exc
        if self.workers < 0:
            raise BenchmarkError(f"ScanOptions.workers must be >= 0. Got {self.workers} instead.")
        if self.task_timeout_s is not None and not self.task_timeout_s > 0:
            raise BenchmarkError(f"ScanOptions.task_timeout_s must be > 0 seconds. Got {self.task_timeout_s} instead.")
        if self.rows_per_block < 1:
            raise BenchmarkError(f"ScanOptions.rows_per_block must be >= 1. Got {self.rows_per_block} instead.")
        object.__setattr__(self, "only", tuple(self.only))
