"""Options shared by the commands that analyse files (`check`, `scan`), declared once."""

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


def analysis_options(command):
    """The limits and C2PA trust options of every command that analyses files (`check`, `scan`).

    The command receives ``max_bytes``, ``max_pixels``, ``trust_anchors``, ``no_default_trust`` and
    ``allow_remote``; `analysis_settings` turns them into what `veracity.provenance.pipeline.AnalysisOptions` takes.
    """
    for option in reversed(
        (
            click.option(
                "--max-bytes", type=click.IntRange(min=1), default=None, help="Refuse files larger than this."
            ),
            click.option(
                "--max-pixels",
                type=click.IntRange(min=1),
                default=None,
                help="Refuse images with more pixels than this, before decoding.",
            ),
            click.option(
                "--trust-anchors",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                multiple=True,
                help="PEM file of extra C2PA trust anchors (repeatable).",
            ),
            click.option("--no-default-trust", is_flag=True, help="Leave out the bundled C2PA trust list."),
            click.option("--allow-remote", is_flag=True, help="Fetch remote C2PA manifests (off by default)."),
        )
    ):
        command = option(command)
    return command


def analysis_settings(
    max_bytes: int | None,
    max_pixels: int | None,
    trust_anchors: tuple[Path, ...],
    no_default_trust: bool,
    allow_remote: bool,
):
    """``(Limits, signal_settings)`` from the `analysis_options`; unset limits come from the environment."""
    # Imported here so `--help` does not load the analysis stack (C2PA SDK, numpy).
    from veracity.provenance.assets.asset import Limits
    from veracity.provenance.credentials.trust import TrustSettings

    defaults = Limits.from_env()
    limits = Limits(max_bytes=max_bytes or defaults.max_bytes, max_pixels=max_pixels or defaults.max_pixels)
    trust = TrustSettings(anchor_files=trust_anchors, use_default_trust=not no_default_trust, allow_remote=allow_remote)
    return limits, {labels.C2PA: trust}
