"""The one place where veracity's library errors become command-line errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from veracity.benchmarks.errors import BenchmarkError
from veracity.detector.errors import DetectorError
from veracity.provenance.errors import ProvenanceError

#: Base classes of every error the libraries raise on purpose (bad input, bad settings, missing files).
LIBRARY_ERRORS = (ProvenanceError, DetectorError, BenchmarkError)


@contextlib.contextmanager
def library_errors() -> Iterator[None]:
    """Turn veracity's own errors into a clean one-line error (exit 1); anything else keeps its traceback."""
    try:
        yield
    except LIBRARY_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
