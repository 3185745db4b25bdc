"""Plan a scan: which inputs still need work, given what the output already holds and ``dedupe``.

Resume is keyed by ``(path, sha256)``, where the path is the normalised absolute path (`scan.paths.path_key`:
``corpus`` and ``/tmp/x/corpus`` are the same files) and the sha256 is the file's current content hash, or
``None`` when the path cannot be read as a regular file (missing, unreadable, a FIFO). Every record carries
the hash of the content it was made from whenever that content could be read, error records included, so:

* a file recorded with the same content is skipped, whether it was analysed or gave an error;
* a path that could not be read and still cannot is skipped (its error record stands);
* a changed file, or one that became readable, is scanned again (the old record stays).

An existing output that is not a scan output is refused, never touched (`scan.output`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veracity.benchmarks.scan.inputs import content_hash
from veracity.benchmarks.scan.paths import path_key, record_path
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.provenance.assets.inputs import InputProblem

DoneKeys = set[tuple[str, str | None]]


@dataclass
class ScanPlan:
    """What a scan will do.

    Attributes:
        tasks: normalised paths to analyse.
        repeats: with dedupe, first path -> later paths with the same content (they get ``duplicate_of``).
        problems: inputs that name no readable file; each becomes an error record.
    """

    tasks: list[str] = field(default_factory=list)
    repeats: dict[str, list[str]] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)

    @property
    def n_records(self) -> int:
        """How many records the plan will write."""
        return len(self.problems) + len(self.tasks) + sum(len(r) for r in self.repeats.values())


def record_key(record: dict[str, Any]) -> tuple[str, str | None]:
    """The resume key of a record: its normalised path and the hash of the content it was made from."""
    return path_key(record_path(record)), record.get("sha256")


def done_keys(records: Iterable[dict[str, Any]]) -> DoneKeys:
    """The keys of the records earlier runs wrote."""
    return {record_key(r) for r in records}


def plan_scan(
    items: Iterator[Path | str | InputProblem], done: DoneKeys, dedupe: bool, summary: ScanSummary
) -> ScanPlan:
    """Sort expanded inputs into tasks, repeats and problems, skipping what ``done`` already holds."""
    plan = ScanPlan()
    done_paths = {path for path, _ in done}
    first_by_hash: dict[str, str] = {}
    planned: set[str] = set()
    for item in items:
        summary.total_inputs += 1
        if isinstance(item, InputProblem):
            if (path_key(item.input), None) in done:
                summary.skipped_done += 1
            else:
                plan.problems.append(item)
            continue
        path = path_key(str(item))
        if path in planned:  # the same file named twice (``a.jpg`` and ``./a.jpg``)
            summary.total_inputs -= 1
            continue
        planned.add(path)
        sha256 = None
        if path in done_paths or dedupe:
            sha256, _ = content_hash(path)
            if (path, sha256) in done:  # same path, same content (or still unreadable): already recorded
                summary.skipped_done += 1
                continue
        if dedupe and sha256 is not None:
            if sha256 in first_by_hash:
                plan.repeats.setdefault(first_by_hash[sha256], []).append(path)
                continue
            first_by_hash[sha256] = path
        plan.tasks.append(path)
    return plan
