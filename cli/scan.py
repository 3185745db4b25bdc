"""``veracity scan``: score many files into a resumable record file (JSONL, CSV or Parquet)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from veracity.cli.errors import library_errors
from veracity.cli.exitcodes import batch_exit_code
from veracity.cli.options import (
    analysis_options,
    analysis_settings,
    detector_option,
    fail_on_option,
    no_detector_option,
)
from veracity.provenance import labels


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Record file; .jsonl, .csv or .parquet. An existing one is resumed, never truncated.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default=None,
    help="Output format (default: from the output's extension).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Worker processes on this machine, or Ray Data (pip install 'veracity[ray]').",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Single-threaded worker processes (local) or actors (ray); 0 runs in this process, where the "
    "--timeout budget cannot be enforced.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per Ray block. The local engine scores one file at a time per worker: batching does "
    "not speed up CPU inference.",
)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@detector_option
@no_detector_option
@click.option("--threshold", type=click.FloatRange(0, 1), default=None, help="Override the detector's threshold.")
@analysis_options
@click.option("--dedupe", is_flag=True, help="Score identical content once; repeats refer to the first.")
@click.option(
    "--only",
    type=click.Choice(labels.FAIL_ON_LABELS),
    multiple=True,
    help="Write only records with this verdict (repeatable); the rest are kept aside for resuming.",
)
@fail_on_option
@click.option("--overwrite", is_flag=True, help="Start afresh, replacing an existing output.")
@click.option("--ray-address", default=None, help="An existing Ray cluster (default: RAY_ADDRESS, else a private one).")
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the summary as JSON to this file.",
)
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def scan(
    inputs: tuple[str, ...],
    output: Path,
    fmt: str | None,
    engine: str,
    workers: int,
    batch_size: int | None,
    device: str,
    detector: str | None,
    no_detector: bool,
    threshold: float | None,
    max_bytes: int | None,
    max_pixels: int | None,
    timeout: float,
    trust_anchors: tuple[Path, ...],
    no_default_trust: bool,
    no_interim_trust: bool,
    allow_remote: bool,
    dedupe: bool,
    only: tuple[str, ...],
    fail_on: tuple[str, ...],
    overwrite: bool,
    ray_address: str | None,
    summary_path: Path | None,
    quiet: bool,
) -> None:
    """Scan INPUTS (files, directories, globs, @LIST files, - for stdin) into one record per file.

    INPUTS may also be object-storage URIs (s3://bucket/prefix/, file:///data/x.jpg) read with pyarrow.

    Records are appended and flushed one at a time: re-running the same command resumes, skipping files
    already recorded with the same content; a file that crashes its worker gets an error record and the
    scan goes on. Exit codes: 0 all analysed; 1 some file could not be analysed; 3 --fail-on matched.
    """
    from veracity.benchmarks.engine.jsonl import write_json
    from veracity.benchmarks.engine.progress import Progress
    from veracity.benchmarks.scan.run import run_scan
    from veracity.benchmarks.scan.settings import ScanOptions, ScanSettings
    from veracity.detector.default import DEFAULT_DETECTOR

    limits, signal_settings = analysis_settings(
        max_bytes, max_pixels, trust_anchors, no_default_trust, allow_remote, no_interim_trust
    )
    settings = ScanSettings(
        detector=None if no_detector else (detector or DEFAULT_DETECTOR),
        device=device,
        threshold=threshold,
        limits=limits,
        signal_settings=signal_settings,
    )
    with library_errors():
        options = ScanOptions(
            settings=settings, fmt=fmt, engine=engine, workers=workers, dedupe=dedupe, only=only,
            overwrite=overwrite, ray_address=ray_address, task_timeout_s=timeout,
            **({"rows_per_block": batch_size} if batch_size else {}),
        )  # fmt: skip
        progress = None if quiet else Progress(None, "scan")
        summary = run_scan(inputs, output, options, stdin=sys.stdin, progress=progress)
    data = summary.to_dict()
    click.echo(json.dumps(data, indent=1), err=True)
    if summary_path:
        try:
            write_json(summary_path, data)
        except OSError as exc:
            raise click.ClickException(f"Cannot write the summary to {summary_path}: {exc.strerror or exc}.") from None
    matched = sum(summary.verdicts.get(label, 0) for label in fail_on)
    sys.exit(batch_exit_code(errors=summary.errors, matched=matched))
