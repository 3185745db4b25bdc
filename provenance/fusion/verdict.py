"""Fuse signal results into one verdict that follows the strongest evidence (STYLE.md §9).

Precedence, first match wins:

====  ======================================================  ================  ==========  =========
rank  evidence                                                label             decided by  certainty
====  ======================================================  ================  ==========  =========
1     Content Credentials that still match the file declare   generated /       c2pa        high if the
      generative AI (or an AI edit), whoever signed them       ai-edited                     signer is
                                                                                            trusted, else
                                                                                            medium
2     metadata declares generative AI (or an AI edit)         generated /       metadata    medium
                                                              ai-edited
3     a generator's invisible watermark decodes               generated         watermark   medium
4     intact credentials from a trusted signer declare a      captured          c2pa        high
      capture, and nothing declares AI
5     the classifier's band                                   likely-generated  classifier  low
                                                              / likely-real
6     nothing above (the classifier unsure or absent)         inconclusive      none        none
====  ======================================================  ================  ==========  =========

Integrity and signer trust are separate (`credentials.assessment`). Trust changes how strongly a declaration
is worded and how sure the verdict is, never whether it counts, so a declaration in intact credentials always
weighs at least as much as the same declaration in unsigned metadata. Credentials that no longer match the
file (tampered) declare nothing for this file, and whatever else decides, the headline leads with
"Content Credentials do not match this file: changed after signing". The classifier never overrides a
declaration: when they disagree, the disagreement is kept in ``conflicts``. A capture claim needs intact
credentials and a trusted signer; an untrusted one is context. The absence of provenance is never evidence.

Cases (the same rows are the parametrised table in ``tests/provenance/fusion/test_verdict.py``):

========================================================================  ================  ==========  =========
case                                                                      label             decided by  certainty
========================================================================  ================  ==========  =========
AI generation declared in intact credentials, trusted signer              generated         c2pa        high
AI generation declared in intact credentials, untrusted signer            generated         c2pa        medium
AI generation declared in intact credentials, expired signer              generated         c2pa        medium
AI generation declared in malformed (unverified) credentials              generated         c2pa        medium
AI edit declared in intact credentials, trusted signer                    ai-edited         c2pa        high
AI edit declared in intact credentials, untrusted signer                  ai-edited         c2pa        medium
AI declared in intact credentials, classifier says likely-real            generated         c2pa        medium
AI edit in credentials outranks AI generation in metadata                 ai-edited         c2pa        high
AI declared only in tampered credentials, metadata declares AI            generated         metadata    medium
tampered credentials, classifier says likely-generated                    likely-generated  classifier  low
tampered credentials and nothing else                                     inconclusive      none        none
generator metadata                                                        generated         metadata    medium
AI edit declared in metadata                                              ai-edited         metadata    medium
generator watermark                                                       generated         watermark   medium
metadata outranks a watermark                                             generated         metadata    medium
trusted capture claim in intact credentials                               captured          c2pa        high
trusted capture claim, classifier says likely-generated                   captured          c2pa        high
trusted capture claim, metadata declares AI                               generated         metadata    medium
untrusted capture claim, classifier says likely-real                      likely-real       classifier  low
capture claim in metadata only                                            inconclusive      none        none
classifier says likely-generated                                          likely-generated  classifier  low
classifier says likely-real                                               likely-real       classifier  low
classifier unsure                                                         inconclusive      none        none
no signal                                                                 inconclusive      none        none
C2PA read error, metadata declares an AI edit                             ai-edited         metadata    medium
========================================================================  ================  ==========  =========
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veracity.provenance import labels
from veracity.provenance.fusion.nextsteps import next_steps
from veracity.provenance.fusion.wording import Evidence, describe
from veracity.provenance.signals import Finding, SignalResult

_DECLARING_SIGNALS = (labels.C2PA, labels.METADATA, labels.WATERMARK)
_CLASSIFIER_BANDS = (labels.LIKELY_GENERATED, labels.LIKELY_REAL)
_AI = (labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED)


@dataclass(frozen=True)
class Verdict:
    """The fused answer for one file.

    Attributes:
        label: one of ``labels.VERDICT_LABELS``.
        deciding_signal: the signal that decided, or ``None`` when nothing did (always ``None`` for
            ``inconclusive``).
        reasons: plain sentences that justify the label, strongest first.
        conflicts: sentences for evidence that points elsewhere than ``label``.
        p_generated: the classifier's P(generated) when it ran, else ``None``.
        headline: one or two sentences for a person: what the file is, according to what; tampered credentials
            come first.
        certainty: one of ``labels.CERTAINTIES``: how sure the label is, from the kind of evidence.
        certainty_words: why that certainty, in plain words.
        decided_by: what decided, in plain words (``"nothing conclusive"`` for ``inconclusive``).
        next_steps: what a person should do next, for this verdict.
        tampered: the file's Content Credentials no longer match it (or an ingredient's record was altered).
    """

    label: str
    deciding_signal: str | None
    reasons: tuple[str, ...]
    conflicts: tuple[str, ...] = ()
    p_generated: float | None = None
    headline: str = ""
    certainty: str = labels.CERTAINTY_NONE
    certainty_words: str = ""
    decided_by: str = "nothing conclusive"
    next_steps: tuple[str, ...] = ()
    tampered: bool = False

    def __post_init__(self) -> None:
        if self.label not in labels.VERDICT_LABELS:
            raise ValueError(f"Verdict.label must be one of {labels.VERDICT_LABELS}. Got {self.label!r} instead.")
        if self.certainty not in labels.CERTAINTIES:
            raise ValueError(f"Verdict.certainty must be one of {labels.CERTAINTIES}. Got {self.certainty!r}.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "deciding_signal": self.deciding_signal,
            "reasons": list(self.reasons),
            "conflicts": list(self.conflicts),
            "p_generated": self.p_generated,
            "headline": self.headline,
            "certainty": self.certainty,
            "certainty_words": self.certainty_words,
            "decided_by": self.decided_by,
            "next_steps": list(self.next_steps),
            "tampered": self.tampered,
        }


def fuse(signals: Sequence[SignalResult]) -> Verdict:
    """Combine signal results into a `Verdict` by the precedence table in this module's docstring.

    Args:
        signals: the results of one file, any order, any subset of signal names.

    Returns:
        The verdict: label, deciding signal, reasons, conflicts, headline, certainty and next steps.
    """
    by_name = {s.name: s for s in signals}
    classifier = by_name.get(labels.CLASSIFIER)
    credentials = _credentials(by_name.get(labels.C2PA))
    label, decider, findings = _decide(by_name)
    evidence = Evidence(
        label=label,
        decider=decider,
        findings=findings,
        credentials=credentials,
        classifier=classifier if classifier is not None and classifier.status == labels.FOUND else None,
        metadata=by_name.get(labels.METADATA),
    )
    words = describe(evidence)
    return Verdict(
        label=label,
        deciding_signal=decider,
        reasons=_reasons(evidence, classifier),
        conflicts=_conflicts(signals, decider, label, credentials),
        p_generated=classifier.p_generated if classifier is not None else None,
        headline=words.headline,
        certainty=words.certainty,
        certainty_words=words.certainty_words,
        decided_by=words.decided_by,
        next_steps=next_steps(evidence),
        tampered=credentials.get("integrity") == "tampered",
    )


def _decide(by_name: dict[str, SignalResult]) -> tuple[str, str | None, tuple[Finding, ...]]:
    """(label, deciding signal, deciding findings) by the precedence table."""
    for name in _DECLARING_SIGNALS:
        signal = by_name.get(name)
        if signal is None:
            continue
        for implication, label in (
            (labels.IMPLIES_GENERATED, labels.GENERATED),
            (labels.IMPLIES_AI_EDITED, labels.AI_EDITED),
        ):
            findings = signal.implying(implication)
            if findings:
                return label, name, findings
    c2pa = by_name.get(labels.C2PA)
    captured = c2pa.implying(labels.IMPLIES_CAPTURED) if c2pa else ()
    if captured:
        return labels.CAPTURED, labels.C2PA, captured
    classifier = by_name.get(labels.CLASSIFIER)
    band = classifier.details.get("band") if classifier is not None and classifier.status == labels.FOUND else None
    if band in _CLASSIFIER_BANDS:
        return band, labels.CLASSIFIER, ()
    return labels.INCONCLUSIVE, None, ()


def _credentials(c2pa: SignalResult | None) -> dict[str, Any]:
    """The c2pa signal's assessment (integrity, signer trust, ...), or ``{}`` when there are no credentials."""
    if c2pa is None or c2pa.status != labels.FOUND:
        return {}
    assessment = c2pa.details.get("assessment")
    return dict(assessment) if isinstance(assessment, dict) else {}


def _reasons(evidence: Evidence, classifier: SignalResult | None) -> tuple[str, ...]:
    if evidence.findings:
        return tuple(f"{f.meaning} ({f.where})" for f in evidence.findings)
    if evidence.decider == labels.CLASSIFIER and classifier is not None:
        return (classifier.summary,)
    reasons = ["No signal declares how this file was made; the absence of provenance is not evidence either way."]
    if classifier is None:
        reasons.append("No classifier ran on this file.")
    elif classifier.status != labels.FOUND:
        reasons.append(f"The classifier gave no score: {classifier.summary}")
    else:
        reasons.append(
            f"The classifier's score (P(generated) = {classifier.p_generated:.2f}) lies in its uncertain band, "
            "so it decides nothing."
        )
    return tuple(reasons)


def _conflicts(
    signals: Sequence[SignalResult], decider: str | None, label: str, credentials: dict[str, Any]
) -> tuple[str, ...]:
    """Sentences for evidence that points away from ``label``, so a reader sees the disagreement."""
    notes: list[str] = []
    declared_ai = label in (labels.GENERATED, labels.AI_EDITED)
    for signal in signals:
        if signal.name == decider:
            continue
        if signal.name == labels.CLASSIFIER:
            band = signal.details.get("band") if signal.status == labels.FOUND else None
            disagrees = (label == labels.CAPTURED and band == labels.LIKELY_GENERATED) or (
                declared_ai and band == labels.LIKELY_REAL
            )
            if disagrees:
                notes.append(f"classifier: {signal.summary} The classifier does not override a declaration.")
            continue
        for finding in signal.findings:
            opposite = (label == labels.CAPTURED and finding.implies in _AI) or (
                declared_ai and finding.implies == labels.IMPLIES_CAPTURED
            )
            other_ai = declared_ai and finding.implies in _AI and finding.implies != label
            if opposite or other_ai:
                notes.append(f"{signal.name}: {finding.meaning} ({finding.where})")
    if not declared_ai and credentials.get("integrity") == "tampered":
        for claim in credentials.get("claims", []):
            notes.append(f"c2pa: before the file was changed, its Content Credentials declared: {claim.get('words')}.")
    return tuple(dict.fromkeys(notes))
