"""``veracity detectors [PATTERN]``: list registered detectors (built-in and plugins) with their config."""

from __future__ import annotations

import click


@click.command()
@click.argument("pattern", required=False)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def detectors(pattern: str | None, output_format: str) -> None:
    """List detectors whose name matches PATTERN (wildcards: * ? [ ]), with their default configuration.

    Third-party detectors appear here once installed, through the 'veracity.detectors' entry-point group.
    """
    from veracity.benchmarks.harness.listing import render_detectors
    from veracity.cli.bench import library_errors

    with library_errors():
        click.echo(render_detectors(pattern, as_json=output_format == "json"))
