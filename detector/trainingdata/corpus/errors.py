"""Errors raised by the corpus builder.

Hierarchy (under the detector package's `veracity.detector.errors.DetectorError`)::

    CorpusError
    ├── SourcesTableError (also ValueError)   a sources table row is malformed
    ├── HashListError (also ValueError)       a hash list line is malformed
    ├── MirrorError                           a git snapshot cannot be read
    │   └── MirrorNotFoundError (also FileNotFoundError)
    └── OutputError                           the output folder cannot be used

A file that cannot be decoded is not an error: it is a counted drop.
"""

from __future__ import annotations

from veracity.detector.errors import DetectorError


class CorpusError(DetectorError):
    """Base class of every error the corpus builder raises on purpose."""


class SourcesTableError(CorpusError, ValueError):
    """A row of the sources table is malformed (the message names file, line and column)."""


class HashListError(CorpusError, ValueError):
    """A line of a hash list is malformed (the message names file and line)."""


class MirrorError(CorpusError):
    """A bare git snapshot exists but cannot be read at the requested commit."""


class MirrorNotFoundError(MirrorError, FileNotFoundError):
    """No git snapshot of a repository is present in the mirror folder."""


class OutputError(CorpusError):
    """The output folder cannot be written or holds something unexpected."""
