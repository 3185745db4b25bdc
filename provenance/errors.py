"""Errors raised by the provenance package.

Hierarchy::

    ProvenanceError
    ├── AssetError (ValueError)            bad input bytes: what the file is not
    │   ├── EmptyAssetError                 zero-byte file
    │   ├── UnsupportedMediaError           bytes of a type veracity cannot analyse
    │   ├── CorruptAssetError               truncated or damaged file
    │   └── AssetLimitError                 over a byte or pixel limit (decompression bombs)
    ├── AssetNotFoundError (FileNotFoundError)
    ├── AssetAccessError (PermissionError)  unreadable path, symlink loop, directory
    ├── ManifestReadError (ValueError)      remote manifest not fetched, fragment without init segment
    ├── SigningError (ValueError)           unsafe destination, bad key or certificate, SDK failure
    ├── TrustError (ValueError)             unusable trust anchors or user trust store
    └── KeygenError (ValueError)            development credentials cannot be written

Each exception keeps the path it refers to in ``.path`` so batch callers can write an error record.
"""

from __future__ import annotations

from pathlib import Path


class ProvenanceError(Exception):
    """Base class of every error the provenance package raises on purpose."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None

    @property
    def kind(self) -> str:
        """Short machine-readable name of the error class, used in error records."""
        return type(self).__name__


class AssetError(ProvenanceError, ValueError):
    """The bytes of an input cannot be analysed."""


class EmptyAssetError(AssetError):
    """The input has zero bytes."""


class UnsupportedMediaError(AssetError):
    """The bytes are of a type veracity cannot analyse."""


class CorruptAssetError(AssetError):
    """The file is truncated or damaged."""


class AssetLimitError(AssetError):
    """The input exceeds a byte or pixel limit (for example a decompression bomb)."""


class AssetNotFoundError(ProvenanceError, FileNotFoundError):
    """The path does not exist."""


class AssetAccessError(ProvenanceError, PermissionError):
    """The path exists but cannot be read (permissions, symlink loop, not a file)."""


class ManifestReadError(ProvenanceError, ValueError):
    """A remote manifest could not be fetched, or a fragment list was given without an init segment."""


class SigningError(ProvenanceError, ValueError):
    """A file cannot be signed: unsafe destination, bad key or certificate, unsupported format, SDK failure."""


class TrustError(ProvenanceError, ValueError):
    """A trust anchor file or the user trust store cannot be used."""


class KeygenError(ProvenanceError, ValueError):
    """Development credentials cannot be written (existing files, unknown algorithm)."""
