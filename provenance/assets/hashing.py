"""Content hashes of files: the one sha256 every package uses (reports, resume keys, weights checks)."""

from __future__ import annotations

import hashlib
import os

from veracity.provenance.assets.files import open_regular_file


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of the regular file at ``path``, read in blocks (memory stays flat for any size).

    A FIFO, device or socket is refused without blocking (see `open_regular_file`).

    Raises:
        OSError: the file cannot be opened or read, or is not a regular file (`NotARegularFileError`).
    """
    with open_regular_file(path) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
