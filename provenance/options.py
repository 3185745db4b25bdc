"""`AnalysisOptions`: how one file is analysed (limits, which signals run, each signal's settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from veracity.provenance.assets.asset import Limits


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse: limits and which signals run.

    Attributes:
        limits: byte and pixel limits checked before decoding.
        signals: names of the signals to run (``None``: every registered signal).
        signal_settings: per-signal settings, keyed by signal name (e.g. a `TrustSettings` for ``c2pa``).
    """

    limits: Limits = field(default_factory=Limits.from_env)
    signals: tuple[str, ...] | None = None
    signal_settings: dict[str, Any] = field(default_factory=dict)
