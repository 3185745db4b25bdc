"""Errors of the batch engine, the scanner and the benchmark harness.

Dataset errors belong to `veracity.detector.errors` (the dataset reader lives in `detector.datasets`).

BenchmarkError
├── PerturbationError (ValueError)  a bad perturbation spec or severity
├── BenchConfigError (ValueError)   a bad run configuration (YAML or options)
├── OutputExistsError (FileExistsError)  an output that would be overwritten without --overwrite
└── ResultsNotFoundError (FileNotFoundError)  a results folder without the predictions a report needs
"""

from __future__ import annotations


class BenchmarkError(Exception):
    """Base class of every error raised by `benchmarks`."""


class PerturbationError(BenchmarkError, ValueError):
    """A perturbation name, spec or severity that is not valid."""


class BenchConfigError(BenchmarkError, ValueError):
    """A run configuration value that is not valid."""


class OutputExistsError(BenchmarkError, FileExistsError):
    """An output that exists and would be overwritten."""


class ResultsNotFoundError(BenchmarkError, FileNotFoundError):
    """A benchmark results folder that holds no predictions to report on."""
