"""Signal results: what one kind of evidence (C2PA, metadata, watermark, classifier) says about a file.

A signal is a function ``(asset, options) -> SignalResult``. It never raises for an expected absence
(status ``absent``) nor for a read failure of its own (status ``error`` with a message); the pipeline
turns anything else into an error result too, so one bad file never stops a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from veracity.provenance import labels


@dataclass(frozen=True)
class Finding:
    """One fact a signal found, where it was found and what it implies.

    Attributes:
        kind: machine-readable name, e.g. ``"exif.software"`` or ``"generator.automatic1111"``.
        where: where in the file it was found, e.g. ``"EXIF 0x0131 Software"`` or ``"PNG tEXt 'parameters'"``.
        value: the value as found (shortened for display when long).
        meaning: one plain sentence for a person.
        implies: one of ``labels.IMPLICATIONS``.
    """

    kind: str
    where: str
    value: str
    meaning: str
    implies: str = labels.IMPLIES_NOTHING

    def __post_init__(self) -> None:
        if self.implies not in labels.IMPLICATIONS:
            raise ValueError(f"Finding.implies must be one of {labels.IMPLICATIONS}. Got {self.implies!r} instead.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "where": self.where,
            "value": self.value,
            "meaning": self.meaning,
            "implies": self.implies,
        }


@dataclass(frozen=True)
class SignalResult:
    """The outcome of one signal on one file.

    Attributes:
        name: one of ``labels.SIGNAL_NAMES``.
        status: one of ``labels.SIGNAL_STATUSES``.
        summary: one plain sentence for a person.
        findings: the facts found, strongest first.
        details: signal-specific structured data (JSON-serialisable), e.g. the C2PA manifest facts.
        p_generated: P(generated) in [0, 1] for signals that score (the classifier); ``None`` otherwise.
        error: the message when ``status == "error"``.
        elapsed_ms: wall time the signal took.
    """

    name: str
    status: str
    summary: str
    findings: tuple[Finding, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    p_generated: float | None = None
    error: str | None = None
    elapsed_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in labels.SIGNAL_STATUSES:
            raise ValueError(
                f"SignalResult.status must be one of {labels.SIGNAL_STATUSES}. Got {self.status!r} instead."
            )
        if self.p_generated is not None and not 0.0 <= self.p_generated <= 1.0:
            raise ValueError(f"SignalResult.p_generated must be in [0, 1]. Got {self.p_generated!r} instead.")

    def implying(self, implication: str) -> tuple[Finding, ...]:
        """Findings of this signal that imply ``implication``."""
        return tuple(f for f in self.findings if f.implies == implication)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "details": self.details,
            "p_generated": self.p_generated,
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


def not_applicable(name: str, reason: str) -> SignalResult:
    """A result for a signal that does not apply to this media, with the reason for a person."""
    return SignalResult(name=name, status=labels.NOT_APPLICABLE, summary=reason)


def signal_error(name: str, exc: BaseException) -> SignalResult:
    """A result for a signal that failed on this file; the message names the error class."""
    message = f"{type(exc).__name__}: {exc}"
    return SignalResult(name=name, status=labels.SIGNAL_ERROR, summary=f"{name} could not be read", error=message)
