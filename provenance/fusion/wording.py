"""The words of a verdict: a headline, what decided it and how sure that is, for a reader who is not an expert.

Rules the tests hold this module to: every label says what decided it and how sure that is; tampered
credentials lead the headline whatever decides the label; an ``inconclusive`` result never says a signal
decided it; no sentence is said twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from veracity.provenance import labels
from veracity.provenance.signals import Finding, SignalResult

TAMPERED_LEAD = "Content Credentials do not match this file: changed after signing."
INGREDIENT_TAMPERED_LEAD = "Content Credentials of an ingredient of this file were changed after signing."
_TRUST_LIST_NAMES = {
    "bundled": "the C2PA trust list",
    "interim": "the Content Credentials interim trust list",
    "--trust-anchors": "your own trust anchors",
    "environment": "your own trust anchors",
    "user-store": "your trust store",
}


@dataclass(frozen=True)
class Evidence:
    """What decided a verdict, as `fuse` found it: the input of the wording and of the next steps.

    Attributes:
        label: the verdict label.
        decider: the deciding signal's name, or ``None``.
        findings: the deciding findings.
        credentials: the c2pa assessment (``credentials.assessment``) as a dict; ``{}`` without credentials.
        classifier: the classifier's result when it scored the file, else ``None``.
        metadata: the metadata signal's result, when it ran.
    """

    label: str
    decider: str | None
    findings: tuple[Finding, ...] = ()
    credentials: dict[str, Any] = field(default_factory=dict)
    classifier: SignalResult | None = None
    metadata: SignalResult | None = None

    @property
    def tampered_lead(self) -> str | None:
        if self.credentials.get("integrity") != "tampered":
            return None
        parts = self.credentials.get("tampered_parts") or ["file"]
        return TAMPERED_LEAD if "file" in parts else INGREDIENT_TAMPERED_LEAD

    @property
    def signer(self) -> str | None:
        return self.credentials.get("signer")

    @property
    def signer_trusted(self) -> bool:
        return self.credentials.get("signer_trust") == "trusted" and self.credentials.get("integrity") == "intact"

    @property
    def tool(self) -> str | None:
        """The generative tool named by the deciding evidence, when any."""
        if self.decider == labels.C2PA:
            tools = self.credentials.get("tools") or []
            return tools[0] if tools else None
        if self.decider == labels.METADATA and self.metadata is not None:
            generator = self.metadata.details.get("generator") or {}
            return generator.get("tool")
        if self.decider == labels.WATERMARK and self.findings:
            return self.findings[0].kind.removeprefix("watermark.")
        return None


@dataclass(frozen=True)
class Words:
    """The verdict's wording (see `describe`)."""

    headline: str
    certainty: str
    certainty_words: str
    decided_by: str


def describe(evidence: Evidence) -> Words:
    """Headline, certainty and what decided, for the evidence of one verdict."""
    certainty, certainty_words = _certainty(evidence)
    statement = _statement(evidence)
    lead = evidence.tampered_lead
    headline = f"{lead} {statement}" if lead else statement
    return Words(headline, certainty, certainty_words, _decided_by(evidence))


def _statement(evidence: Evidence) -> str:
    label, decider = evidence.label, evidence.decider
    tool = f" ({evidence.tool})" if evidence.tool else ""
    if label in (labels.GENERATED, labels.AI_EDITED):
        made = "Made with generative AI" if label == labels.GENERATED else "Edited with generative AI"
        if decider == labels.C2PA:
            by = f"signed by {evidence.signer}" if evidence.signer else "signed"
            if evidence.signer_trusted:
                return f"{made}{tool}, as its Content Credentials, {by}, declare."
            return f"{made}{tool}, as its Content Credentials declare ({by}; the signer could not be confirmed)."
        if decider == labels.METADATA:
            return f"{made}{tool}, as the file's metadata declares."
        return f"{made}: an invisible watermark of a generator{tool} is embedded in the pixels."
    if label == labels.CAPTURED:
        return f"A camera capture, as Content Credentials signed by {evidence.signer or 'a trusted signer'} declare."
    p = evidence.classifier.p_generated if evidence.classifier is not None else None
    score = f" (P(generated) = {p:.2f})" if p is not None else ""
    if label == labels.LIKELY_GENERATED:
        return f"Possibly AI-generated: only the pixel classifier points that way{score}."
    if label == labels.LIKELY_REAL:
        return f"Possibly a camera image: only the pixel classifier points that way{score}."
    if evidence.tampered_lead:
        return "Nothing else in the file shows how it was made."
    return "Undetermined: nothing in this file shows how it was made."


def _decided_by(evidence: Evidence) -> str:
    decider = evidence.decider
    if decider == labels.C2PA:
        who = f", signed by {evidence.signer}" if evidence.signer else ""
        return f"the file's Content Credentials (C2PA){who}"
    if decider == labels.METADATA:
        tool = evidence.tool
        return f"metadata written by {tool}" if tool else "the file's metadata (EXIF/XMP/IPTC)"
    if decider == labels.WATERMARK:
        return "an invisible watermark in the pixels"
    if decider == labels.CLASSIFIER:
        detector = evidence.classifier.details.get("detector") if evidence.classifier is not None else None
        return f"the pixel classifier{f' {detector}' if detector else ''}, a statistical estimate"
    return "nothing conclusive"


def _certainty(evidence: Evidence) -> tuple[str, str]:
    label, decider, creds = evidence.label, evidence.decider, evidence.credentials
    if decider == labels.C2PA and label == labels.CAPTURED:
        return labels.CERTAINTY_HIGH, (
            "High: intact credentials from a trusted signer. They show where the file comes from, "
            "not that the scene is what it seems."
        )
    if decider == labels.C2PA:
        if evidence.signer_trusted:
            listed = _TRUST_LIST_NAMES.get(creds.get("trust_list") or "", "a trust list in use")
            return labels.CERTAINTY_HIGH, (
                f"High: the declaration still matches the file and its signer is on {listed}."
            )
        return labels.CERTAINTY_MEDIUM, f"Medium: {_unconfirmed(creds)}"
    if decider == labels.METADATA:
        return labels.CERTAINTY_MEDIUM, (
            "Medium: metadata can be copied or edited, but generators write these fields and cameras do not."
        )
    if decider == labels.WATERMARK:
        return labels.CERTAINTY_MEDIUM, (
            "Medium: the watermark decodes clearly, though a watermark proves only which tool last wrote it."
        )
    if decider == labels.CLASSIFIER:
        return labels.CERTAINTY_LOW, (
            "Low: the classifier is a statistical estimate that is often wrong on real-world images; "
            "treat it as a hint."
        )
    return labels.CERTAINTY_NONE, "None: nothing in the file decides."


def _unconfirmed(creds: dict[str, Any]) -> str:
    if creds.get("integrity") == "unverified":
        return "the credentials are malformed, so they could not be checked completely; who signed is not confirmed."
    if creds.get("signer_trust") == "expired-or-revoked":
        return (
            "the declaration still matches the file, but the signer's certificate has expired (or was revoked) "
            "without a trusted timestamp, so who signed cannot be confirmed."
        )
    return "the declaration still matches the file, but its signer is on no trust list in use."
