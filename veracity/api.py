"""The library's front door for one file: `check` gives the same answer as ``veracity check``.

`provenance.pipeline.analyze` runs a classifier only when one is injected (the provenance package never
imports a detector); `check` injects the shipped default unless told otherwise, exactly as the CLI does,
and keeps each loaded detector for the life of the process.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, TextIO

from veracity.provenance.options import AnalysisOptions
from veracity.provenance.report import ErrorRecord, Report

#: ``detector=DEFAULT`` (the default) means the shipped default model, as ``veracity check`` uses.
DEFAULT = "default"


def check(
    source: str | os.PathLike[str] | bytes,
    *,
    detector: Any = DEFAULT,
    options: AnalysisOptions | None = None,
    name: str | None = None,
) -> Report:
    """Analyse one file (a path or its bytes) as ``veracity check`` does.

    Args:
        source: a path or the file's bytes.
        detector: ``DEFAULT`` (the shipped model), a detector name or folder path, a detector object, or
            ``None`` for provenance signals only.
        options: limits, signals and trust settings; defaults to `AnalysisOptions()`.
        name: how the report names the input (defaults to the path; ``<bytes>`` for bytes).

    Returns:
        The `Report`, the same JSON as ``veracity check --format json`` prints.

    Raises:
        ProvenanceError: the input could not be read or decoded (the subclass says why).
        DetectorError: ``detector`` names no detector or its weights fail their check.

    Example:
        >>> import veracity
        >>> report = veracity.check("photo.jpg")  # doctest: +SKIP
        >>> report.verdict.label, report.verdict.deciding_signal  # doctest: +SKIP
        ('likely-real', 'classifier')
    """
    from veracity.provenance.pipeline import analyze

    return analyze(source, detector=resolve_detector(detector), options=options, name=name)


def check_or_error(
    source: str | os.PathLike[str] | bytes,
    *,
    detector: Any = DEFAULT,
    options: AnalysisOptions | None = None,
    name: str | None = None,
) -> Report | ErrorRecord:
    """Like `check`, but an unreadable input becomes an `ErrorRecord` instead of an exception."""
    from veracity.provenance.pipeline import analyze_or_error

    return analyze_or_error(source, detector=resolve_detector(detector), options=options, name=name)


def resolve_detector(detector: Any = DEFAULT) -> Any:
    """A ready detector for ``detector`` (see `check`), loaded once per process; ``None`` stays ``None``."""
    if detector is None or not isinstance(detector, str):
        return detector
    return _load(_default_name() if detector == DEFAULT else detector)


def _default_name() -> str:
    from veracity.detector.default import DEFAULT_DETECTOR

    return DEFAULT_DETECTOR


@cache
def _load(name: str) -> Any:
    from veracity.detector.registry import create_detector

    return create_detector(name)


def check_each(
    inputs: Iterable[str],
    *,
    detector: Any = DEFAULT,
    options: AnalysisOptions | None = None,
    timeout_s: float | None = None,
    stdin: TextIO | None = None,
    data: bytes | None = None,
    name: str = "<bytes>",
) -> Iterator[Report | ErrorRecord]:
    """`check_or_error` for every file ``inputs`` name, in order, each under a time budget.

    The files are analysed one at a time in one worker process, started at once so that it loads (the
    detector loads there, once) while the caller goes on; results come as the caller iterates. A file that
    runs past ``timeout_s`` becomes an `ErrorRecord` of kind ``TimeoutError``, the worker is replaced and the
    next file goes on; a file that kills the worker (a crashing decoder) becomes a ``WorkerDied`` record.

    Args:
        inputs: paths, directories, globs, ``@list`` files and ``-`` (see `provenance.assets.inputs.iter_inputs`).
        detector: as in `check`.
        options: as in `check`.
        timeout_s: the per-file time budget in seconds (default: the scan's, `DEFAULT_TASK_TIMEOUT_S`).
        stdin: where ``-`` reads paths.
        data: one file's bytes to analyse instead of ``inputs`` (``veracity check --stdin``).
        name: how the report names ``data``.

    Raises:
        BenchmarkError: the worker could not start (an unknown detector, say: the message says which).
    """
    from veracity.benchmarks.engine.pool import Engine
    from veracity.benchmarks.scan.settings import DEFAULT_TASK_TIMEOUT_S
    from veracity.provenance.assets.inputs import iter_inputs

    timeout_s = DEFAULT_TASK_TIMEOUT_S if timeout_s is None else timeout_s
    engine = Engine(
        _check_in_worker,
        init=_CheckWorker,
        init_args=(detector, options),
        workers=1,
        task_timeout_s=timeout_s,
        # fork when this process runs no other thread (then it is safe): the worker starts with what this
        # process has imported, which keeps a one-file `veracity check` as fast as analysing in-process.
        start_method="fork" if threading.active_count() == 1 else "spawn",
    )
    engine.start()
    items = iter([_Bytes(name, data)]) if data is not None else iter_inputs(inputs, stdin=stdin)
    return _checked(engine, items, timeout_s)


@dataclass(frozen=True)
class _Bytes:
    """A file given as bytes (standard input), with the name its report carries."""

    input: str
    data: bytes


def _checked(engine: Any, items: Iterator[Any], timeout_s: float) -> Iterator[Report | ErrorRecord]:
    from veracity.benchmarks.engine.pool import FailureKind

    with contextlib.closing(engine.map((str(getattr(i, "input", i)), i) for i in items)) as results:
        for result in results:
            if result.failure is None:
                yield result.value
                continue
            name = result.task_id
            if result.failure.kind == FailureKind.TIMED_OUT:
                message = (
                    f"{name}: analysis took longer than the per-file time budget of {timeout_s:g} s; it was stopped "
                    "(raise the budget with --timeout or VERACITY_TIMEOUT if the file is merely large)."
                )
                yield ErrorRecord(input=name, error_kind="TimeoutError", message=message)
            else:  # the worker died under the file, or the analysis raised (a bug): the first line says which
                kind = "AnalysisFailed" if result.failure.kind == FailureKind.RAISED else "WorkerDied"
                reason = result.failure.message.splitlines()[0]
                yield ErrorRecord(input=name, error_kind=kind, message=f"{name}: {reason}")


class _CheckWorker:
    """The state of `check_each`'s worker process: the detector, loaded once."""

    def __init__(self, detector: Any, options: AnalysisOptions | None) -> None:
        self.detector = resolve_detector(detector)
        self.options = options


def _check_in_worker(item: Any, worker: _CheckWorker) -> Report | ErrorRecord:
    from veracity.provenance.assets.inputs import InputProblem
    from veracity.provenance.pipeline import analyze_or_error

    if isinstance(item, InputProblem):
        return ErrorRecord(item.input, item.kind, item.message)
    if isinstance(item, _Bytes):
        return analyze_or_error(item.data, detector=worker.detector, options=worker.options, name=item.input)
    return analyze_or_error(item, detector=worker.detector, options=worker.options)
