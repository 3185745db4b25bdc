"""Hash lists of files that must never enter the corpus.

A hash list is a text file with one ``<kind> <hex>`` pair a line, where ``kind`` is
``sha256`` (of the file bytes, 64 hex digits) or ``gitblob`` (git blob id, 40 hex digits).
Blank lines and lines starting with ``#`` are ignored. This is the format of
``shared/data/reserved-hashes.txt``; :func:`hash_list_from_manifest` writes the same format
from a manifest CSV such as ``wild-dev/manifest.csv``.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from veracity.detector.trainingdata.corpus.errors import HashListError

__all__ = ["HashList", "hash_list_from_manifest", "load_hash_list", "write_hash_list"]

_KINDS = {"sha256": re.compile(r"^[0-9a-f]{64}$"), "gitblob": re.compile(r"^[0-9a-f]{40}$")}
_MANIFEST_COLUMNS = {"sha256": "sha256", "source_blob_sha256": "sha256", "git_blob": "gitblob"}


@dataclass(frozen=True)
class HashList:
    """Sets of forbidden hashes.

    Attributes:
        sha256: Lowercase hex sha256 digests of file bytes.
        gitblob: Lowercase hex git blob ids.
        sources: The files the hashes came from, for messages.
    """

    sha256: frozenset[str] = field(default_factory=frozenset)
    gitblob: frozenset[str] = field(default_factory=frozenset)
    sources: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.sha256) + len(self.gitblob)

    def __or__(self, other: HashList) -> HashList:
        return HashList(self.sha256 | other.sha256, self.gitblob | other.gitblob, self.sources + other.sources)

    def has_blob(self, blob: str) -> bool:
        """Return True when the git blob id is listed."""
        return blob.lower() in self.gitblob

    def has_sha256(self, digest: str) -> bool:
        """Return True when the sha256 digest is listed."""
        return digest.lower() in self.sha256

    def to_dict(self) -> dict[str, object]:
        """Counts and sources (not the hashes themselves)."""
        return {
            "sha256": len(self.sha256),
            "gitblob": len(self.gitblob),
            "sources": list(self.sources),
        }


def load_hash_list(*paths: str | Path) -> HashList:
    """Read one or more hash-list files into one :class:`HashList`.

    Args:
        *paths: Files of ``<kind> <hex>`` lines.

    Returns:
        The union of all listed hashes (an empty list when no path is given).

    Raises:
        FileNotFoundError: A file does not exist.
        HashListError: A line has an unknown kind or a malformed hex digest.
    """
    sha: set[str] = set()
    blob: set[str] = set()
    for path in map(Path, paths):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            kind = parts[0].lower() if parts else ""
            value = parts[1].lower() if len(parts) > 1 else ""
            if len(parts) != 2 or kind not in _KINDS or not _KINDS[kind].match(value):
                raise HashListError(
                    f"{path}:{number}: cannot read {line!r}. Write 'sha256 <64 hex>' or "
                    "'gitblob <40 hex>', one pair a line."
                )
            (sha if kind == "sha256" else blob).add(value)
    return HashList(frozenset(sha), frozenset(blob), tuple(str(p) for p in paths))


def hash_list_from_manifest(manifest: str | Path) -> list[tuple[str, str]]:
    """Collect ``(kind, hex)`` pairs from a manifest CSV.

    Reads the columns ``sha256`` and ``source_blob_sha256`` (as ``sha256``) and
    ``git_blob`` (as ``gitblob``) wherever present; empty cells are skipped.

    Args:
        manifest: CSV file with a header line.

    Returns:
        Sorted, de-duplicated ``(kind, hex)`` pairs.

    Raises:
        HashListError: The CSV has none of the hash columns, or a cell is malformed.
    """
    manifest = Path(manifest)
    pairs: set[tuple[str, str]] = set()
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = [c for c in _MANIFEST_COLUMNS if c in (reader.fieldnames or [])]
        if not columns:
            raise HashListError(f"{manifest}: no hash column found. Expected one of {sorted(_MANIFEST_COLUMNS)}.")
        for number, row in enumerate(reader, 2):
            for column in columns:
                value = (row.get(column) or "").strip().lower()
                if not value:
                    continue
                kind = _MANIFEST_COLUMNS[column]
                if not _KINDS[kind].match(value):
                    raise HashListError(f"{manifest}:{number}: column {column!r} holds {value!r}, not a {kind} digest.")
                pairs.add((kind, value))
    return sorted(pairs)


def write_hash_list(pairs: list[tuple[str, str]], out: str | Path, *, header: str = "") -> Path:
    """Write ``(kind, hex)`` pairs as a hash list, atomically.

    Args:
        pairs: Pairs as returned by :func:`hash_list_from_manifest`.
        out: Destination file; its folder must exist.
        header: Optional comment written first (each line prefixed with ``#``).

    Returns:
        The destination path.
    """
    out = Path(out)
    lines = [f"# {h}" for h in header.splitlines()] + [f"{k} {v}" for k, v in pairs]
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    return out
