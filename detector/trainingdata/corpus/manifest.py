"""The corpus manifest: one row per kept file.

Written twice: ``manifest.csv`` beside the images and ``manifest.csv.gz`` (byte-for-byte
reproducible: gzip header mtime 0, rows sorted by ``file``), which is the copy to commit.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["MANIFEST_COLUMNS", "ManifestRow", "write_manifest"]

MANIFEST_COLUMNS = (
    "file",
    "label",
    "generator_family",
    "generator",
    "source_repo",
    "commit",
    "original_path",
    "sha256",
    "git_blob",
    "licence",
    "width",
    "height",
    "format",
    "group",
)


@dataclass(frozen=True)
class ManifestRow:
    """One kept file.

    Attributes:
        file: Path relative to the output folder (``real/...`` or ``fake/<family>/...``).
        label: ``real`` or ``fake``.
        generator_family: Normalised family; ``camera`` for reals.
        generator: Generator or camera detail from the sources table.
        source_repo: ``owner/name``.
        commit: Commit the file was read at.
        original_path: Path inside the repository.
        sha256: Hex sha256 of the bytes (identical to the repository's bytes).
        git_blob: Git blob id in the repository.
        licence: Licence recorded in the sources table.
        width: Width in pixels.
        height: Height in pixels.
        format: Pillow format name.
        group: Fold group, ``owner/name:subset``.
    """

    file: str
    label: str
    generator_family: str
    generator: str
    source_repo: str
    commit: str
    original_path: str
    sha256: str
    git_blob: str
    licence: str
    width: int
    height: int
    format: str
    group: str

    def to_dict(self) -> dict[str, object]:
        """Column name -> value, in :data:`MANIFEST_COLUMNS` order."""
        return asdict(self)


def _csv_text(rows: list[ManifestRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r.file):
        writer.writerow(row.to_dict())
    return buffer.getvalue()


def _replace(out: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the manifest is meant to be shared
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_manifest(rows: list[ManifestRow], out_dir: Path) -> tuple[Path, Path]:
    """Write ``manifest.csv`` and ``manifest.csv.gz`` into ``out_dir`` atomically.

    Args:
        rows: The kept files.
        out_dir: The corpus folder.

    Returns:
        The paths of the CSV and of its gzip copy.
    """
    text = _csv_text(rows).encode("utf-8")
    plain, packed = out_dir / "manifest.csv", out_dir / "manifest.csv.gz"
    _replace(plain, text)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="manifest.csv", mode="wb", fileobj=buffer, mtime=0) as gz:
        gz.write(text)
    _replace(packed, buffer.getvalue())
    return plain, packed
