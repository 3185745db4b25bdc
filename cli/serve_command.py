"""``veracity serve``: the HTTP service and its web page (see `veracity.cli.serve`)."""

from __future__ import annotations

from pathlib import Path

import click

from veracity.cli.options import analysis_options, analysis_settings, detector_option, no_detector_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Analysis processes, each with its own detector (one per core is a good start).",
)
@click.option(
    "--queue-size",
    type=click.IntRange(min=0),
    default=16,
    show_default=True,
    help="Requests that may wait for a free worker; one more gets 429.",
)
@click.option(
    "--api-keys",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File of accepted API keys, one per line; without it the API is open.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Let web pages from this origin call the API (repeatable); CORS is off unless given.",
)
@detector_option
@no_detector_option
@analysis_options
def serve(
    host: str,
    port: int,
    workers: int,
    queue_size: int,
    api_keys: Path | None,
    cors_origins: tuple[str, ...],
    detector: str | None,
    no_detector: bool,
    timeout: float,
    max_bytes: int | None,
    max_pixels: int | None,
    trust_anchors: tuple[Path, ...],
    no_default_trust: bool,
    no_interim_trust: bool,
    allow_remote: bool,
) -> None:
    """Serve checks over HTTP: a JSON API under /v1 and a web page at /, for upload pipelines and newsrooms.

    POST a file to /v1/check to get the report `veracity check --format json` prints for it. Limits and
    C2PA trust options are those of `check`. The analysis runs in --workers processes; a file that crashes
    one or runs past --timeout costs only its own request (HTTP 504). API docs at /docs.
    """
    # Imported here so `veracity serve --help` loads neither the web stack nor the analysis stack.
    from veracity.cli.serve.auth import ApiKeys
    from veracity.cli.serve.errors import ServeError
    from veracity.cli.serve.server import run_server
    from veracity.cli.serve.settings import DEFAULT_DETECTOR, ServeSettings, WorkerSettings
    from veracity.provenance.options import AnalysisOptions

    limits, signal_settings = analysis_settings(
        max_bytes, max_pixels, trust_anchors, no_default_trust, allow_remote, no_interim_trust
    )
    try:
        keys = ApiKeys.load(api_keys) if api_keys else None
    except ServeError as exc:
        raise click.BadParameter(str(exc), param_hint="--api-keys") from exc
    worker = WorkerSettings(
        detector=None if no_detector else (detector or DEFAULT_DETECTOR),
        options=AnalysisOptions(limits=limits, signal_settings=signal_settings),
    )
    settings = ServeSettings(
        worker=worker,
        workers=workers,
        queue_size=queue_size,
        timeout_s=timeout,
        api_keys=keys,
        cors_origins=cors_origins,
    )
    run_server(settings, host=host, port=port)
