"""Fusion is a precedence table: signals in, label and deciding signal out."""

from __future__ import annotations

import pytest

from veracity.provenance import labels
from veracity.provenance.fusion.verdict import Verdict, fuse
from veracity.provenance.signals import Finding, SignalResult


def _signal(name: str, *implies: str, status: str = labels.FOUND) -> SignalResult:
    findings = tuple(Finding(f"{name}.x", f"{name} field", "v", f"{name} says {i}", i) for i in implies)
    return SignalResult(name, status if findings or status != labels.FOUND else labels.ABSENT, "s", findings)


def _classifier(band: str, p: float) -> SignalResult:
    return SignalResult(labels.CLASSIFIER, labels.FOUND, f"classifier band {band}", (), {"band": band}, p_generated=p)


G, E, C, X = labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED, labels.IMPLIES_CAPTURED, labels.IMPLIES_NOTHING

TABLE = [
    # (signals, expected label, expected decider)
    ([], labels.INCONCLUSIVE, None),
    ([_signal("metadata", X)], labels.INCONCLUSIVE, None),
    ([_signal("metadata", G)], labels.GENERATED, "metadata"),
    ([_signal("c2pa", G), _signal("metadata", G)], labels.GENERATED, "c2pa"),
    ([_signal("watermark", G), _signal("metadata", X)], labels.GENERATED, "watermark"),
    ([_signal("c2pa", E)], labels.AI_EDITED, "c2pa"),
    ([_signal("c2pa", E), _signal("metadata", G)], labels.GENERATED, "metadata"),
    ([_signal("c2pa", C)], labels.CAPTURED, "c2pa"),
    ([_signal("metadata", C)], labels.INCONCLUSIVE, None),  # metadata cannot prove capture
    ([_signal("c2pa", C), _signal("metadata", G)], labels.GENERATED, "metadata"),
    ([_signal("c2pa", C), _classifier(labels.LIKELY_GENERATED, 0.9)], labels.CAPTURED, "c2pa"),
    ([_classifier(labels.LIKELY_GENERATED, 0.93)], labels.LIKELY_GENERATED, "classifier"),
    ([_classifier(labels.LIKELY_REAL, 0.04), _signal("metadata", X)], labels.LIKELY_REAL, "classifier"),
    ([_classifier(labels.INCONCLUSIVE, 0.5)], labels.INCONCLUSIVE, "classifier"),
    ([_signal("metadata", G), _classifier(labels.LIKELY_REAL, 0.02)], labels.GENERATED, "metadata"),
    (
        [SignalResult("c2pa", labels.SIGNAL_ERROR, "bad", error="x"), _signal("metadata", E)],
        labels.AI_EDITED,
        "metadata",
    ),
]


@pytest.mark.parametrize(("signals", "label", "decider"), TABLE)
def test_precedence_table(signals, label, decider):
    verdict = fuse(signals)
    assert (verdict.label, verdict.deciding_signal) == (label, decider)
    assert verdict.reasons


def test_conflicts_are_kept():
    verdict = fuse([_signal("c2pa", C), _classifier(labels.LIKELY_GENERATED, 0.97)])
    assert verdict.conflicts == ("classifier: classifier band likely-generated",)
    verdict = fuse([_signal("metadata", G), _signal("c2pa", C)])
    assert verdict.label == labels.GENERATED and any("c2pa" in c for c in verdict.conflicts)


def test_absence_is_never_evidence():
    verdict = fuse([_signal("metadata"), _signal("c2pa"), _signal("watermark")])
    assert verdict.label == labels.INCONCLUSIVE
    assert "absence of provenance is not evidence" in verdict.reasons[0]


def test_p_generated_travels_with_the_verdict():
    assert fuse([_classifier(labels.LIKELY_REAL, 0.1)]).p_generated == 0.1


def test_bad_labels_are_rejected():
    with pytest.raises(ValueError, match="Verdict.label must be one of"):
        Verdict("fake", None, ("r",))
    with pytest.raises(ValueError, match="Finding.implies must be one of"):
        Finding("k", "w", "v", "m", "maybe")
    with pytest.raises(ValueError, match="p_generated must be in"):
        SignalResult("classifier", labels.FOUND, "s", p_generated=1.5)
