"""``veracity check``: analyse files and print what was found, what it means and the verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from veracity.cli.exitcodes import batch_exit_code
from veracity.cli.options import (
    analysis_options,
    analysis_settings,
    detector_option,
    fail_on_option,
    no_detector_option,
)


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl"]),
    default="text",
    show_default=True,
    help="Text for people; JSON (one array) or JSONL (one record per line) for programs.",
)
@fail_on_option
@detector_option
@no_detector_option
@analysis_options
def check(
    inputs: tuple[str, ...],
    output_format: str,
    fail_on: tuple[str, ...],
    detector: str | None,
    no_detector: bool,
    max_bytes: int | None,
    max_pixels: int | None,
    timeout: float,
    trust_anchors: tuple[Path, ...],
    no_default_trust: bool,
    allow_remote: bool,
) -> None:
    """Check files for provenance and say whether they came from a camera or a generative model.

    INPUTS are files, directories (searched recursively for media files), glob patterns, @LIST files
    with one path per line, or - to read paths from standard input. One bad file never stops the
    others: it gets an error record, and the exit code is 1 at the end. Files are analysed in a worker
    process under the --timeout budget: a file that hangs or crashes the decoder costs only itself.

    Exit codes: 0 all files analysed; 1 a file could not be analysed; 2 usage error; 3 --fail-on matched.
    """
    # Imported here so `veracity check --help` does not load the analysis stack (C2PA SDK, numpy).
    from veracity.api import DEFAULT, check_each
    from veracity.provenance.options import AnalysisOptions

    limits, signal_settings = analysis_settings(max_bytes, max_pixels, trust_anchors, no_default_trust, allow_remote)
    options = AnalysisOptions(limits=limits, signal_settings=signal_settings)
    classifier = None if no_detector else (detector or DEFAULT)
    # The worker starts loading now; what this process imports next overlaps with it.
    results = check_each(inputs, detector=classifier, options=options, timeout_s=timeout, stdin=sys.stdin)
    from veracity.cli.errors import library_errors
    from veracity.provenance.report import ErrorRecord

    errors = matched = 0
    records = []
    with library_errors():
        for record in results:
            errors += isinstance(record, ErrorRecord)
            matched += record.label in fail_on
            _emit(record, output_format, records)
    if output_format == "json":
        click.echo(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
    if errors:
        click.echo(f"{errors} file(s) could not be analysed.", err=True)
    sys.exit(batch_exit_code(errors=errors, matched=matched))


def _emit(record, output_format: str, records: list) -> None:
    from veracity.cli.render.text import render_error_line, render_text
    from veracity.provenance.report import ErrorRecord, to_json_line

    if isinstance(record, ErrorRecord):
        click.echo(render_error_line(record), err=True)
    if output_format == "json":
        records.append(record)
    elif output_format == "jsonl":
        click.echo(to_json_line(record))
    elif not isinstance(record, ErrorRecord):
        click.echo(render_text(record) + "\n")
