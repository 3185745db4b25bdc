"""Drop reasons and the build report.

Every candidate file (a path that matches a row's ``include`` regex) ends as exactly one
outcome: ``kept`` or one drop reason of :data:`DROP_REASONS`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DROP_REASONS", "BuildReport", "Tally"]

DROP_REASONS = {
    "reserved_dataset_path": "path names a reserved dataset (Urban100, Sun-Hays80, BSD68/CBSD68/BSD100/B100, BSDS)",
    "validation_dataset_path": "path names a dataset of the wild-dev validation set (Kodak24, McMaster)",
    "path_excluded": "path matches the row's exclude regex",
    "reserved_hash": "sha256 or git blob listed in the reserved hash list",
    "excluded_hash": "sha256 or git blob listed in an --exclude-hashes list",
    "absent_from_snapshot": "the snapshot lacks the blob (files of 4 MiB or more)",
    "lfs_pointer": "the blob is a Git LFS pointer, not the image",
    "exact_duplicate": "same bytes (sha256) as a file met earlier",
    "corrupt": "Pillow cannot decode it",
    "too_many_pixels": "header declares more pixels than the limit",
    "animated": "multi-frame GIF/WebP/PNG",
    "too_small": "short side below the minimum",
    "grid_or_collage": "separator bands or exact tiling found (several images in one)",
    "non_photographic": "real image that looks like a screenshot, diagram, comic or scan",
    "near_duplicate_of_excluded": "perceptual hash close to an image of --exclude-images",
    "near_duplicate": "perceptual hash close to a file already kept",
}


class Tally:
    """Mutable counters filled while building; :meth:`freeze` gives the report."""

    def __init__(self) -> None:
        self.drops: Counter[str] = Counter()
        self.drops_by_source: dict[str, Counter[str]] = defaultdict(Counter)
        self.kept_by_source: Counter[str] = Counter()
        self.kept_by_label: Counter[str] = Counter()
        self.kept_by_family: Counter[str] = Counter()
        self.written = 0
        self.already_present = 0
        self.examples: dict[str, list[str]] = defaultdict(list)

    def drop(self, reason: str, group: str, where: str) -> None:
        """Count one drop (``reason`` must be a key of :data:`DROP_REASONS`)."""
        if reason not in DROP_REASONS:
            raise ValueError(f"Unknown drop reason {reason!r}. Known: {sorted(DROP_REASONS)}.")
        self.drops[reason] += 1
        self.drops_by_source[group][reason] += 1
        if len(self.examples[reason]) < 20:
            self.examples[reason].append(where)

    def keep(self, group: str, label: str, family: str, *, written: bool) -> None:
        """Count one kept file."""
        self.kept_by_source[group] += 1
        self.kept_by_label[label] += 1
        self.kept_by_family[f"{label}/{family}"] += 1
        if written:
            self.written += 1
        else:
            self.already_present += 1

    def freeze(self, **extra: object) -> BuildReport:
        """Snapshot the counters as a :class:`BuildReport`."""
        groups = sorted(set(self.kept_by_source) | set(self.drops_by_source))
        return BuildReport(
            kept=sum(self.kept_by_label.values()),
            dropped=sum(self.drops.values()),
            written=self.written,
            already_present=self.already_present,
            kept_by_label=dict(sorted(self.kept_by_label.items())),
            kept_by_family=dict(sorted(self.kept_by_family.items())),
            drops_by_reason={r: self.drops.get(r, 0) for r in DROP_REASONS},
            by_source={
                g: {
                    "kept": self.kept_by_source.get(g, 0),
                    "dropped": dict(sorted(self.drops_by_source[g].items())),
                }
                for g in groups
            },
            examples={r: list(v) for r, v in sorted(self.examples.items())},
            extra=dict(extra),
        )


@dataclass(frozen=True)
class BuildReport:
    """What a build kept and dropped.

    Attributes:
        kept: Files in the manifest.
        dropped: Candidate files dropped, all reasons.
        written: Files written by this run.
        already_present: Kept files found in place with the right sha256 (resumed).
        kept_by_label: ``real``/``fake`` -> count.
        kept_by_family: ``label/family`` -> count.
        drops_by_reason: Every reason of :data:`DROP_REASONS` -> count (zeros included).
        by_source: ``repo:subset`` -> ``{"kept": n, "dropped": {reason: n}}``.
        examples: Reason -> up to 20 ``repo:path`` examples.
        extra: Run facts (inputs, thresholds, timings, hash-list sizes).
    """

    kept: int
    dropped: int
    written: int
    already_present: int
    kept_by_label: dict[str, int]
    kept_by_family: dict[str, int]
    drops_by_reason: dict[str, int]
    by_source: dict[str, dict[str, object]]
    examples: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready view."""
        return {
            "kept": self.kept,
            "dropped": self.dropped,
            "written": self.written,
            "already_present": self.already_present,
            "kept_by_label": self.kept_by_label,
            "kept_by_family": self.kept_by_family,
            "drops_by_reason": self.drops_by_reason,
            "drop_reason_meaning": DROP_REASONS,
            "by_source": self.by_source,
            "examples": self.examples,
            "run": self.extra,
        }

    def write_json(self, path: Path) -> Path:
        """Write :meth:`to_dict` as JSON atomically and return the path."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return path

    def render_text(self) -> str:
        """Human-readable summary (what the CLI prints)."""
        lines = [f"kept {self.kept} files ({self.written} written, {self.already_present} already present)"]
        lines += [f"  {label}: {n}" for label, n in self.kept_by_label.items()]
        lines.append("kept by family:")
        lines += [f"  {fam}: {n}" for fam, n in self.kept_by_family.items()]
        lines.append(f"dropped {self.dropped} files:")
        lines += [f"  {r}: {n}  ({DROP_REASONS[r]})" for r, n in self.drops_by_reason.items() if n]
        return "\n".join(lines)
