"""Defaults shared by the commands that analyse files."""

from __future__ import annotations


def default_detector_name() -> str | None:
    """The detector `check` and `scan` use unless told otherwise: the shipped default model, if installed."""
    try:
        from veracity.detector.default import DEFAULT_DETECTOR
    except ImportError:
        return None
    return DEFAULT_DETECTOR
