"""Fuse signal results into one verdict, by a fixed precedence (STYLE.md §9).

Precedence, first match wins:

====  ==================================================  ================  ==================
rank  evidence                                            label             decided by
====  ==================================================  ================  ==================
1     a finding that declares generative AI               generated         c2pa > metadata > watermark
2     a finding that declares a composite or AI edit      ai-edited         c2pa > metadata > watermark
3     a valid, trusted C2PA capture claim, no AI action   captured          c2pa only
4     the classifier's calibrated band                    likely-generated  classifier
                                                          / inconclusive
                                                          / likely-real
5     nothing above                                       inconclusive      none
====  ==================================================  ================  ==================

Signals only emit declaring findings for evidence that holds (a C2PA manifest that fails
validation declares nothing). The absence of provenance is never evidence: a file with no
metadata and no classifier is ``inconclusive``, not ``likely-real``. Evidence that points
elsewhere than the verdict is kept in ``Verdict.conflicts`` so a reader sees the disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veracity.provenance import labels
from veracity.provenance.signals import SignalResult

_DECLARING_SIGNALS = (labels.C2PA, labels.METADATA, labels.WATERMARK)
_CLASSIFIER_BANDS = (labels.LIKELY_GENERATED, labels.INCONCLUSIVE, labels.LIKELY_REAL)


@dataclass(frozen=True)
class Verdict:
    """The fused answer for one file.

    Attributes:
        label: one of ``labels.VERDICT_LABELS``.
        deciding_signal: the signal that decided, or ``None`` when nothing did.
        reasons: plain sentences that justify the label, strongest first.
        conflicts: sentences for evidence that points elsewhere than ``label``.
        p_generated: the classifier's P(generated) when it ran, else ``None``.
    """

    label: str
    deciding_signal: str | None
    reasons: tuple[str, ...]
    conflicts: tuple[str, ...] = ()
    p_generated: float | None = None

    def __post_init__(self) -> None:
        if self.label not in labels.VERDICT_LABELS:
            raise ValueError(f"Verdict.label must be one of {labels.VERDICT_LABELS}. Got {self.label!r} instead.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "deciding_signal": self.deciding_signal,
            "reasons": list(self.reasons),
            "conflicts": list(self.conflicts),
            "p_generated": self.p_generated,
        }


def fuse(signals: Sequence[SignalResult]) -> Verdict:
    """Combine signal results into a `Verdict` by the precedence table in this module's docstring.

    Args:
        signals: the results of one file, any order, any subset of signal names.

    Returns:
        The verdict, naming the deciding signal and its reasons.
    """
    by_name = {s.name: s for s in signals}
    classifier = by_name.get(labels.CLASSIFIER)
    p_generated = classifier.p_generated if classifier is not None else None

    for implication, label in (
        (labels.IMPLIES_GENERATED, labels.GENERATED),
        (labels.IMPLIES_AI_EDITED, labels.AI_EDITED),
    ):
        for name in _DECLARING_SIGNALS:
            signal = by_name.get(name)
            findings = signal.implying(implication) if signal else ()
            if findings:
                reasons = tuple(f"{f.meaning} ({f.where})" for f in findings)
                return Verdict(label, name, reasons, _conflicts(signals, name, label), p_generated)

    c2pa = by_name.get(labels.C2PA)
    captured = c2pa.implying(labels.IMPLIES_CAPTURED) if c2pa else ()
    if captured:
        reasons = tuple(f"{f.meaning} ({f.where})" for f in captured)
        return Verdict(
            labels.CAPTURED, labels.C2PA, reasons, _conflicts(signals, labels.C2PA, labels.CAPTURED), p_generated
        )

    band = classifier.details.get("band") if classifier is not None and classifier.status == labels.FOUND else None
    if band in _CLASSIFIER_BANDS:
        return Verdict(band, labels.CLASSIFIER, (classifier.summary,), (), p_generated)

    reasons = ["No signal declares how this file was made; the absence of provenance is not evidence either way."]
    if classifier is None:
        reasons.append("No classifier ran on this file.")
    elif classifier.status != labels.FOUND:
        reasons.append(f"The classifier gave no score: {classifier.summary}")
    return Verdict(labels.INCONCLUSIVE, None, tuple(reasons), (), p_generated)


def _conflicts(signals: Sequence[SignalResult], decider: str, label: str) -> tuple[str, ...]:
    """Sentences for other signals whose evidence points away from ``label``."""
    notes: list[str] = []
    for signal in signals:
        if signal.name == decider:
            continue
        if signal.name == labels.CLASSIFIER:
            band = signal.details.get("band")
            disagrees = (label == labels.CAPTURED and band == labels.LIKELY_GENERATED) or (
                label in (labels.GENERATED, labels.AI_EDITED) and band == labels.LIKELY_REAL
            )
            if disagrees:
                notes.append(f"classifier: {signal.summary}")
            continue
        for finding in signal.findings:
            opposite = (
                label == labels.CAPTURED and finding.implies in (labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED)
            ) or (label in (labels.GENERATED, labels.AI_EDITED) and finding.implies == labels.IMPLIES_CAPTURED)
            if opposite:
                notes.append(f"{signal.name}: {finding.meaning} ({finding.where})")
    return tuple(notes)
