"""Plan a scan: which inputs still need work, given what the output already holds and ``dedupe``.

Resume is keyed by ``(path, sha256)``: a file recorded with the same content is skipped, a changed file
is scanned again. An existing output that is not a scan output is refused, never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from veracity.benchmarks.errors import BenchmarkError
from veracity.benchmarks.scan.inputs import content_hash
from veracity.benchmarks.scan.records import read_records, record_key
from veracity.benchmarks.scan.summary import ScanSummary
from veracity.provenance.assets.inputs import InputProblem

DoneKeys = set[tuple[str, str | None]]


@dataclass
class ScanPlan:
    """What a scan will do.

    Attributes:
        tasks: paths to analyse.
        repeats: with dedupe, first path -> later paths with the same content (they get ``duplicate_of``).
        problems: inputs that name no readable file; each becomes an error record.
    """

    tasks: list[str] = field(default_factory=list)
    repeats: dict[str, list[str]] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)


def plan_scan(
    items: Iterator[Path | str | InputProblem], done: DoneKeys, dedupe: bool, summary: ScanSummary
) -> ScanPlan:
    """Sort expanded inputs into tasks, repeats and problems, skipping what ``done`` already holds."""
    plan = ScanPlan()
    done_paths = {path for path, _ in done}
    first_by_hash: dict[str, str] = {}
    for item in items:
        summary.total_inputs += 1
        if isinstance(item, InputProblem):
            if (item.input, None) in done:
                summary.skipped_done += 1
            else:
                plan.problems.append(item)
            continue
        path = str(item)
        sha256 = None
        if path in done_paths or dedupe:
            sha256, _ = content_hash(path)
            if (path, sha256) in done:  # same path, same content: already recorded
                summary.skipped_done += 1
                continue
        if dedupe and sha256 is not None:
            if sha256 in first_by_hash:
                plan.repeats.setdefault(first_by_hash[sha256], []).append(path)
                continue
            first_by_hash[sha256] = path
        plan.tasks.append(path)
    return plan


def done_keys(output: Path, fmt: str, side_journal: Path) -> DoneKeys:
    """Keys of the records an earlier run wrote (output and side journal).

    Raises:
        BenchmarkError: ``output`` exists and is not a scan output (it is left untouched).
    """
    try:
        records = [*read_records(output, fmt), *read_records(side_journal, "jsonl")]
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise BenchmarkError(
            f"{output} exists and is not a veracity scan output; it was left untouched. "
            f"Choose another output, or pass --overwrite to replace it. ({type(exc).__name__}: {exc})"
        ) from exc
    if any("path" not in r or "schema_version" not in r for r in records):
        raise BenchmarkError(
            f"{output} exists and is not a veracity scan output; it was left untouched. "
            "Choose another output, or pass --overwrite to replace it."
        )
    return {record_key(r) for r in records}
