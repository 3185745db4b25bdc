"""``veracity check``: analyse files and print what was found, what it means and the verdict."""

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

STDIN_NAME = "<stdin>"


@click.command()
@click.argument("inputs", nargs=-1)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl", "html"]),
    default="text",
    show_default=True,
    help="Text for people; JSON (one array) or JSONL (one record per line) for programs; HTML: a self-contained "
    "report page to attach or show.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the output here instead of standard output. With --format html and several files: a folder "
    "with one page per file and index.html.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file or folder.")
@click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read one image's bytes from standard input (e.g. cat x.jpg | veracity check --stdin); - reads paths instead.",
)
@fail_on_option
@detector_option
@no_detector_option
@analysis_options
def check(
    inputs: tuple[str, ...],
    output_format: str,
    output: Path | None,
    overwrite: bool,
    from_stdin: bool,
    fail_on: tuple[str, ...],
    detector: str | None,
    no_detector: bool,
    max_bytes: int | None,
    max_pixels: int | None,
    timeout: float,
    trust_anchors: tuple[Path, ...],
    no_default_trust: bool,
    no_interim_trust: bool,
    allow_remote: bool,
) -> None:
    """Check files for provenance and say whether they came from a camera or a generative model.

    INPUTS are files, directories (searched recursively for media files), glob patterns, @LIST files
    with one path per line, or - to read paths from standard input; --stdin reads one file's bytes
    instead. One bad file never stops the others: it gets an error record, and the exit code is 1 at the end.
    Files are analysed in a worker process under the --timeout budget: a file that hangs or crashes the
    decoder costs only itself.

    Exit codes: 0 all files analysed; 1 a file could not be analysed; 2 usage error; 3 --fail-on matched.
    """
    # Imported here so `veracity check --help` does not load the analysis stack (C2PA SDK, numpy).
    from veracity.api import DEFAULT, check_each
    from veracity.provenance.options import AnalysisOptions

    if from_stdin == bool(inputs):
        raise click.UsageError("Give INPUTS or --stdin (image bytes on standard input), not both and not neither.")
    _check_output(output, overwrite)
    limits, signal_settings = analysis_settings(
        max_bytes, max_pixels, trust_anchors, no_default_trust, allow_remote, no_interim_trust
    )
    options = AnalysisOptions(limits=limits, signal_settings=signal_settings)
    data = getattr(sys.stdin, "buffer", sys.stdin).read() if from_stdin else None
    # The worker starts loading now (the detector loads there, once); what this process imports next overlaps.
    results = check_each(
        inputs,
        detector=None if no_detector else (detector or DEFAULT),
        options=options,
        timeout_s=timeout,
        stdin=sys.stdin,
        data=data,
        name=STDIN_NAME,
    )
    from veracity.provenance.report import ErrorRecord

    sink = _Sink(output_format, output)
    errors = matched = 0
    with library_errors():
        for record in results:
            errors += isinstance(record, ErrorRecord)
            matched += record.label in fail_on
            sink.add(record, _page_bytes(record, data) if output_format == "html" else None)
        sink.close()
    if errors:
        click.echo(f"{errors} file(s) could not be analysed.", err=True)
    sys.exit(batch_exit_code(errors=errors, matched=matched))


def _page_bytes(record, data: bytes | None) -> bytes | None:
    """The file's bytes for its HTML page (images are shown there); ``None`` for an error record."""
    from veracity.provenance.report import ErrorRecord

    if isinstance(record, ErrorRecord):
        return None
    return data if data is not None else Path(record.input).read_bytes()


def _check_output(output: Path | None, overwrite: bool) -> None:
    if output is not None and output.exists() and not overwrite:
        raise click.UsageError(f"{output} exists. Pass --overwrite to replace it, or choose another -o path.")


class _Sink:
    """Where records go: stdout or a file, in one of the formats; HTML pages are written at the end."""

    def __init__(self, output_format: str, output: Path | None) -> None:
        self.format = output_format
        self.output = output
        self.records: list = []
        self.pages: list = []
        self.lines: list[str] = []

    def add(self, record, data: bytes | None) -> None:
        from veracity.cli.render.text import render_error_line, render_text
        from veracity.provenance.report import ErrorRecord, to_json_line

        if isinstance(record, ErrorRecord):
            click.echo(render_error_line(record), err=True)
        if self.format == "json":
            self.records.append(record)
        elif self.format == "jsonl":
            self._emit(to_json_line(record))
        elif self.format == "html":
            self.pages.append((record, data))
        elif not isinstance(record, ErrorRecord):
            self._emit(render_text(record) + "\n")

    def _emit(self, text: str) -> None:
        if self.output is None:
            click.echo(text)
        else:
            self.lines.append(text)

    def close(self) -> None:
        if self.format == "json":
            self._emit(json.dumps([r.to_dict() for r in self.records], indent=2, ensure_ascii=False))
        if self.format == "html":
            from veracity.cli.render.html import write_html

            written = write_html(self.pages, self.output)
            if written is not None:
                click.echo(f"HTML report written to {written}", err=True)
            else:
                click.echo(self._single_page(), nl=False)
            return
        if self.output is not None:
            _write_text(self.output, "\n".join(self.lines) + "\n")

    def _single_page(self) -> str:
        from veracity.cli.render.html import render_html
        from veracity.provenance.report import ErrorRecord

        reports = [(r, d) for r, d in self.pages if not isinstance(r, ErrorRecord)]
        if len(reports) != 1:
            raise click.UsageError("--format html without -o needs exactly one readable file; give -o FOLDER.")
        return render_html(*reports[0])


def _write_text(path: Path, text: str) -> None:
    from veracity.cli.render.html import write_atomic_text

    write_atomic_text(path, text)
