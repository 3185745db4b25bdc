"""Per-file analysis cache, so that a re-run does not decode every image again.

One JSON object a line in ``OUT/.cache/analysis.jsonl``, keyed by the sha256 of the file
bytes. Entries carry :data:`ANALYSIS_VERSION`; entries of another version are ignored, so a
change to the heuristics only needs the version bumped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

__all__ = ["ANALYSIS_VERSION", "AnalysisCache"]

ANALYSIS_VERSION = 4


class AnalysisCache:
    """Append-only JSONL cache of analysis results.

    Args:
        path: The JSONL file; created (with its folder) on first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, object]] = {}
        self._handle: IO[str] | None = None
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interrupted run
                if entry.get("version") == ANALYSIS_VERSION and "sha256" in entry:
                    self._entries[entry["sha256"]] = entry

    def get(self, sha256: str) -> dict[str, object] | None:
        """Return the cached entry for ``sha256`` or ``None``."""
        return self._entries.get(sha256)

    def put(self, sha256: str, entry: dict[str, object]) -> None:
        """Store and append one entry (flushed at once, so an interrupted run keeps it)."""
        record = {"version": ANALYSIS_VERSION, "sha256": sha256, **entry}
        self._entries[sha256] = record
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(record, sort_keys=True) + "\n")
        self._handle.flush()

    def close(self) -> None:
        """Close the file handle."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
