"""Options shared by the commands that analyse files (`check`, `scan`), declared once."""

from __future__ import annotations

import click

from provenance import labels

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
