"""`ServeSettings`: how ``veracity serve`` runs (workers, queue, time limit, analysis options, keys, CORS)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from veracity.benchmarks.scan.settings import DEFAULT_TASK_TIMEOUT_S
from veracity.cli.serve.auth import ApiKeys

#: ``detector=DEFAULT_DETECTOR`` means the shipped default model, as ``veracity check`` uses.
DEFAULT_DETECTOR = "default"  # the same value as `veracity.api.DEFAULT`, without importing the analysis stack


@dataclass(frozen=True)
class WorkerSettings:
    """What each analysis worker process needs: picklable, sent to every worker once.

    Attributes:
        detector: detector name or path, `DEFAULT_DETECTOR`, or ``None`` for provenance signals only.
        options: the `AnalysisOptions` (limits, C2PA trust), as ``veracity check`` builds them.
        crash_marker: test hook (``VERACITY_TEST_CRASH_MARKER``, as in ``veracity scan``): a worker dies like a
            crashing decoder on an upload whose name contains this text. Used only by crash-isolation tests.
        start_delay_s: test hook (``VERACITY_TEST_WORKER_START_DELAY_S``): seconds a worker waits before
            loading its detector, so that tests see the start-up answers (503) every time, not by luck.
    """

    detector: str | None
    options: Any
    crash_marker: str | None = field(default_factory=lambda: os.environ.get("VERACITY_TEST_CRASH_MARKER") or None)
    start_delay_s: float = field(
        default_factory=lambda: float(os.environ.get("VERACITY_TEST_WORKER_START_DELAY_S") or 0.0)
    )


@dataclass(frozen=True)
class ServeSettings:
    """How the service runs.

    Attributes:
        worker: what each analysis worker loads and how it analyses (see `WorkerSettings`).
        workers: analysis worker processes, each with its own detector.
        queue_size: requests that may wait for a free worker; one more gets 429.
        timeout_s: seconds one analysis may run; past it the worker is killed and replaced, and the client
            gets 504.
        api_keys: the accepted keys, or ``None`` when the service is open.
        cors_origins: origins whose web pages may call the API from a browser; empty: CORS off.
        worker_start_timeout_s: seconds a worker may take to load its detector before it counts as failed.
    """

    worker: WorkerSettings
    workers: int = 2
    queue_size: int = 16
    timeout_s: float = DEFAULT_TASK_TIMEOUT_S  # the same per-file budget as check and scan
    api_keys: ApiKeys | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    worker_start_timeout_s: float = 300.0

    @property
    def max_bytes(self) -> int:
        """The byte limit of an upload (the analysis limit, checked while the body streams in)."""
        return self.worker.options.limits.max_bytes

    def to_dict(self) -> dict[str, Any]:
        """The settings as logged at start-up (never the API keys, only whether there are any)."""
        limits = self.worker.options.limits
        return {
            "workers": self.workers,
            "queue_size": self.queue_size,
            "timeout_s": self.timeout_s,
            "detector": self.worker.detector,
            "max_bytes": limits.max_bytes,
            "max_pixels": limits.max_pixels,
            "api_keys": len(self.api_keys) if self.api_keys else 0,
            "cors_origins": list(self.cors_origins),
        }
