"""Options shared by several commands, declared once: limits, C2PA trust, detector choice, --fail-on."""

from __future__ import annotations

from pathlib import Path

import click

from veracity.provenance import labels

detector_option = click.option(
    "--detector",
    default=None,
    help="Detector name or path for the classifier signal (default: the shipped model; see `veracity detectors`).",
)
no_detector_option = click.option("--no-detector", is_flag=True, help="Provenance signals only: no classifier.")
fail_on_option = click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(labels.FAIL_ON_LABELS),
    multiple=True,
    help="Exit with code 3 when any file gets this label (repeatable).",
)


def _apply(command, options):
    for option in reversed(options):
        command = option(command)
    return command


def trust_options(command):
    """``--trust-anchors``, ``--no-default-trust``, ``--no-interim-trust``, ``--allow-remote``: `trust_settings`."""
    return _apply(
        command,
        (
            click.option(
                "--trust-anchors",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                multiple=True,
                help="PEM file of extra C2PA trust anchors (repeatable).",
            ),
            click.option("--no-default-trust", is_flag=True, help="Leave out the bundled C2PA trust list."),
            click.option(
                "--no-interim-trust",
                is_flag=True,
                help="Leave out the bundled Content Credentials interim trust list (the one the Verify site uses).",
            ),
            click.option(
                "--allow-remote",
                is_flag=True,
                help="Fetch remote C2PA manifests (off by default; timeout and size limit apply).",
            ),
        ),
    )


def analysis_options(command):
    """The limits, time budget and C2PA trust options of every command that analyses files (`check`, `scan`, `serve`).

    The command receives ``max_bytes``, ``max_pixels``, ``timeout``, ``trust_anchors``, ``no_default_trust``,
    ``no_interim_trust`` and ``allow_remote``; `analysis_settings` turns the limits and trust options into what
    `AnalysisOptions` takes.
    """
    from veracity.benchmarks.scan.settings import DEFAULT_TASK_TIMEOUT_S

    command = trust_options(command)
    return _apply(
        command,
        (
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=DEFAULT_TASK_TIMEOUT_S,
                show_default=True,
                envvar="VERACITY_TIMEOUT",
                help="Per-file time budget in seconds (env VERACITY_TIMEOUT): a file taking longer gets a "
                "TimeoutError record (serve: HTTP 504), its worker process is replaced and the rest goes on.",
            ),
            click.option(
                "--max-bytes", type=click.IntRange(min=1), default=None, help="Refuse files larger than this."
            ),
            click.option(
                "--max-pixels",
                type=click.IntRange(min=1),
                default=None,
                help="Refuse images with more pixels than this, before decoding.",
            ),
        ),
    )


def trust_settings(
    trust_anchors: tuple[Path, ...], no_default_trust: bool, allow_remote: bool, no_interim_trust: bool = False
):
    """The `TrustSettings` of the `trust_options`."""
    # Imported here so `--help` does not load the analysis stack (C2PA SDK, numpy).
    from veracity.provenance.credentials.trust import TrustSettings

    return TrustSettings(
        anchor_files=tuple(trust_anchors),
        use_default_trust=not no_default_trust,
        use_interim_trust=not no_interim_trust,
        allow_remote=allow_remote,
    )


def analysis_settings(
    max_bytes: int | None,
    max_pixels: int | None,
    trust_anchors: tuple[Path, ...],
    no_default_trust: bool,
    allow_remote: bool,
    no_interim_trust: bool = False,
):
    """``(Limits, signal_settings)`` from the `analysis_options`; unset limits come from the environment."""
    from veracity.provenance.assets.asset import Limits

    defaults = Limits.from_env()
    limits = Limits(max_bytes=max_bytes or defaults.max_bytes, max_pixels=max_pixels or defaults.max_pixels)
    trust = trust_settings(trust_anchors, no_default_trust, allow_remote, no_interim_trust)
    return limits, {labels.C2PA: trust}
