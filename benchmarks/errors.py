"""Errors of the benchmark harness.

BenchmarkError
├── DatasetError (ValueError)
│   └── UnknownLayoutError          a folder that matches no known dataset layout
├── DatasetNotFoundError (FileNotFoundError)
├── PerturbationError (ValueError)  a bad perturbation spec or severity
├── BenchConfigError (ValueError)   a bad run configuration (YAML or options)
└── OutputExistsError (FileExistsError)  an output that would be overwritten without --overwrite
"""

from __future__ import annotations


class BenchmarkError(Exception):
    """Base class of every error raised by `benchmarks`."""


class DatasetError(BenchmarkError, ValueError):
    """A dataset folder or manifest that cannot be read as a labelled dataset."""


class UnknownLayoutError(DatasetError):
    """A folder that matches none of the known dataset layouts."""


class DatasetNotFoundError(BenchmarkError, FileNotFoundError):
    """A dataset path that does not exist."""


class PerturbationError(BenchmarkError, ValueError):
    """A perturbation name, spec or severity that is not valid."""


class BenchConfigError(BenchmarkError, ValueError):
    """A run configuration value that is not valid."""


class OutputExistsError(BenchmarkError, FileExistsError):
    """An output that exists and would be overwritten."""
