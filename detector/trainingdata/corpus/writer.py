"""The output folder: file naming, idempotent writes and stale-file detection."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from veracity.detector.trainingdata.corpus.errors import OutputError
from veracity.detector.trainingdata.corpus.sources import SourceRow

__all__ = ["MARKER", "OutputTree", "flatten_path"]

MARKER = ".veracity-corpus"
_MAX_STEM = 100


def flatten_path(path: str) -> str:
    """Turn a repository path into a file-name stem.

    Directories are joined with ``-``, the extension is dropped, characters outside
    ``[A-Za-z0-9._-]`` become ``_``, and a stem over 100 characters keeps its last 91
    characters behind an 8-hex digest of the full path.

    Example:
        >>> flatten_path("images/case 7/output.png")
        'images-case_7-output'
    """
    stem = re.sub(r"\.[^./]+$", "", path).replace("/", "-")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-") or "file"
    if len(stem) > _MAX_STEM:
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        stem = f"{digest}-{stem[-(_MAX_STEM - 9) :]}"
    return stem


class OutputTree:
    """Owns ``real/`` and ``fake/<family>/`` under the corpus folder.

    Args:
        root: The corpus folder. It is created when missing; an existing non-empty folder
            must carry the :data:`MARKER` file of an earlier build.

    Raises:
        OutputError: ``root`` is a file, or a non-empty folder without the marker.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"The output path {self.root} is a file. Pass a folder.")
        if self.root.is_dir() and any(self.root.iterdir()) and not (self.root / MARKER).exists():
            raise OutputError(
                f"The output folder {self.root} is not empty and was not made by the corpus builder "
                f"(no {MARKER} file). Pass an empty or new folder."
            )
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / MARKER).touch()
        self._used: set[str] = set()

    def relative_path(self, row: SourceRow, path: str, ext: str, blob: str) -> str:
        """Return the unique relative output path for one source file."""
        folder = "real" if row.label == "real" else f"fake/{row.family}"
        name = f"{row.slug}__{flatten_path(path)}"
        rel = f"{folder}/{name}.{ext}"
        if rel.lower() in self._used:
            rel = f"{folder}/{name}-{blob[:8]}.{ext}"
        self._used.add(rel.lower())
        return rel

    def place(self, row: SourceRow, path: str, ext: str, data: bytes, sha256: str) -> tuple[str, bool]:
        """Write ``data`` unless the target already holds exactly these bytes.

        Returns:
            ``(relative_path, written)``; ``written`` is False when the file was already there.
        """
        rel = self.relative_path(row, path, ext, sha256)
        target = self.root / rel
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
            return rel, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return rel, True

    def stale_files(self, kept: set[str]) -> list[Path]:
        """Image files under ``real/`` and ``fake/`` that are not in ``kept``."""
        stale = []
        for top in ("real", "fake"):
            base = self.root / top
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                if path.is_file() and path.relative_to(self.root).as_posix() not in kept:
                    stale.append(path)
        return stale
