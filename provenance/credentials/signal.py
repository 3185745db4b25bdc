"""Turn a `ManifestResult` into the ``c2pa`` signal's findings, under the fusion rules of `verdict.py`.

`assessment.assess_credentials` keeps apart integrity (do hashes and signatures still bind the manifest to
these bytes?) and signer trust (trusted, untrusted, expired or revoked). Declaring findings follow from it:

- ``implies=generated`` / ``implies=ai-edited``: the deciding AI claim (see `assessment` for how the ingredient
  tree is followed), when the manifest still binds to this file, **whoever signed it**: an untrusted or
  expired signer changes the wording and how sure the verdict is, never whether the declaration counts;
- ``implies=captured``: only intact credentials from a trusted signer whose active manifest declares a capture
  source type (``digitalCapture``, ``computationalCapture``, film, print) with no AI declaration anywhere;
  an untrusted capture claim is context.

A tampered manifest's declarations are context: the manifest no longer describes these bytes. The details
carry the assessment under ``assessment`` for fusion and reports. ``algorithmicMedia`` (procedural, no
trained model) is not AI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veracity.provenance import labels
from veracity.provenance.credentials.assessment import (
    INTACT,
    INTEGRITY_TAMPERED,
    SIGNER_EXPIRED,
    SIGNER_TRUSTED,
    SIGNER_UNTRUSTED,
    UNREADABLE,
    UNVERIFIED,
    AiClaim,
    CredentialAssessment,
    assess_credentials,
)
from veracity.provenance.credentials.reader import ABSENT, ManifestResult, verify_manifest
from veracity.provenance.credentials.trust import SOURCE_NAMES, TrustSettings
from veracity.provenance.credentials.validation_codes import group_words
from veracity.provenance.signals import Finding, SignalResult
from veracity.provenance.sourcetypes import lookup_source_type

if TYPE_CHECKING:
    from veracity.provenance.assets.asset import Asset
    from veracity.provenance.options import AnalysisOptions

_INTEGRITY_SUMMARY = {
    INTACT: "intact (they still match this file)",
    INTEGRITY_TAMPERED: "changed after signing",
    UNVERIFIED: "malformed, so not fully checked",
    UNREADABLE: "present but unreadable",
}
_TRUST_SUMMARY = {
    SIGNER_TRUSTED: "signer on a trust list in use",
    SIGNER_UNTRUSTED: "signer not on a trust list in use",
    SIGNER_EXPIRED: "signer's certificate expired or revoked",
}


def manifest_signal(result: ManifestResult) -> SignalResult:
    """The ``c2pa`` `SignalResult` for a manifest read."""
    details = result.to_dict()
    if result.state == ABSENT:
        return _absent_signal(result, details)
    assessment = assess_credentials(result)
    details["assessment"] = assessment.to_dict()
    findings = [_integrity_finding(result, assessment)]
    signer = _signer_finding(result, assessment)
    if signer is not None:
        findings.append(signer)
    findings.extend(_claim_finding(c, assessment, deciding=True) for c in assessment.claims)
    findings.extend(_claim_finding(c, assessment, deciding=False) for c in assessment.context_claims)
    capture = _capture_finding(result, assessment)
    if capture is not None:
        findings.append(capture)
    findings.extend(_group_findings(result))
    findings.sort(key=lambda f: labels.IMPLICATIONS.index(f.implies))
    summary = f"Content Credentials {_INTEGRITY_SUMMARY[assessment.integrity]}"
    if assessment.signer_trust in _TRUST_SUMMARY:
        summary += f"; {_TRUST_SUMMARY[assessment.signer_trust]}"
    summary += f"; from {result.claim_generator}." if result.claim_generator else "."
    return SignalResult(labels.C2PA, labels.FOUND, summary, tuple(findings), details)


def _absent_signal(result: ManifestResult, details: dict) -> SignalResult:
    if result.remote_url:
        finding = Finding(
            kind="c2pa.remote",
            where="C2PA remote manifest reference",
            value=result.remote_url,
            meaning="The file points to Content Credentials stored online; they were not fetched or checked "
            "(pass --allow-remote to fetch them).",
        )
        return SignalResult(labels.C2PA, labels.FOUND, finding.meaning, (finding,), details)
    if result.problem is not None and result.problem.kind.endswith("NotSupported"):
        return SignalResult(
            labels.C2PA,
            labels.NOT_APPLICABLE,
            "The C2PA reader does not support this file format.",
            details=details,
        )
    if result.problem is not None:
        return SignalResult(
            labels.C2PA,
            labels.SIGNAL_ERROR,
            "The file could not be parsed to look for Content Credentials.",
            details=details,
            error=f"{result.problem.kind}: {result.problem.message}",
        )
    return SignalResult(labels.C2PA, labels.ABSENT, "No Content Credentials (C2PA) in this file.", details=details)


def _integrity_finding(result: ManifestResult, assessment: CredentialAssessment) -> Finding:
    where = {"sidecar": "C2PA sidecar manifest", "remote": "C2PA remote manifest", "store": "C2PA manifest store"}
    integrity = assessment.integrity
    if integrity == UNREADABLE and result.problem is not None:
        meaning = f"Content Credentials are present but could not be read: {result.problem.message}."
    elif integrity == INTEGRITY_TAMPERED and "file" in assessment.tampered_parts:
        meaning = "The Content Credentials do not match this file: it was changed after signing."
    elif integrity == INTEGRITY_TAMPERED:
        parts = ", ".join(f"'{p}'" for p in assessment.tampered_parts)
        meaning = f"The Content Credentials of the ingredient {parts} were changed after signing."
    elif integrity == UNVERIFIED:
        meaning = "The Content Credentials are malformed, so they cannot be checked completely."
    else:
        meaning = "The Content Credentials still match this file: its hashes and signature are intact."
    return Finding(
        kind="c2pa.integrity",
        where=where.get(result.location or "", "C2PA manifest"),
        value=integrity,
        meaning=meaning,
    )


def _signer_finding(result: ManifestResult, assessment: CredentialAssessment) -> Finding | None:
    signer = result.signer
    if signer is None or not (signer.organisation or signer.common_name):
        return None
    who = signer.organisation or signer.common_name
    meaning = f"Signed by {who}" + (f" (certificate issued by {signer.issuer})" if signer.issuer else "")
    if assessment.signer_trust == SIGNER_TRUSTED and result.trusted_by:
        meaning += f"; trusted through {result.trusted_by}."
    elif assessment.signer_trust == SIGNER_TRUSTED:
        meaning += f"; trusted through {SOURCE_NAMES.get(result.trust_list or '', 'a trust source in use')}."
    elif assessment.signer_trust == SIGNER_EXPIRED:
        until = f" on {signer.not_after[:10]}" if signer.not_after else ""
        meaning += (
            f"; the certificate expired{until} (or was revoked) and no trusted timestamp shows it was valid "
            "at signing, so who signed cannot be confirmed."
        )
    else:
        meaning += "; this signer is on no trust list in use, so who signed cannot be confirmed."
    values = ", ".join(v for v in (signer.organisation, signer.common_name) if v)
    return Finding(kind="c2pa.signer", where="C2PA claim signature", value=values, meaning=meaning)


def _claim_finding(claim: AiClaim, assessment: CredentialAssessment, *, deciding: bool) -> Finding:
    tool = f" (tool: {claim.tool})" if claim.tool else ""
    kind = (
        "c2pa.generative_ai_assertion" if claim.code == "com.adobe.generative-ai" else f"c2pa.source_type.{claim.code}"
    )
    where = f"C2PA {claim.where}"
    if deciding and assessment.counts:
        return Finding(kind, where, claim.code, f"The Content Credentials declare: {claim.words}{tool}.", claim.implies)
    if deciding:
        meaning = (
            f"The Content Credentials declared: {claim.words}{tool}; they no longer match this file, "
            "so the declaration is not relied on."
        )
    else:
        meaning = f"The Content Credentials also record: {claim.words}{tool}."
    return Finding(kind, where, claim.code, meaning, labels.IMPLIES_NOTHING)


def _capture_finding(result: ManifestResult, assessment: CredentialAssessment) -> Finding | None:
    code = assessment.capture
    if code is None:
        return None
    term = lookup_source_type(code)
    words = term.words if term else code
    where = "C2PA digitalSourceType on an action of the active manifest"
    ai_anywhere = bool(assessment.claims or assessment.context_claims) or result.ai.ai_anywhere
    holds = assessment.integrity == INTACT and assessment.signer_trust == SIGNER_TRUSTED
    if holds and not ai_anywhere:
        meaning = f"A trusted signer declares a capture: {words}, with no AI action."
        return Finding(f"c2pa.source_type.{code}", where, code, meaning, labels.IMPLIES_CAPTURED)
    if ai_anywhere:
        reason = "the credentials also declare AI"
    elif assessment.integrity != INTACT:
        reason = "the credentials do not hold for this file"
    else:
        reason = "the signer is not trusted"
    meaning = f"Declares a capture ({words}), but {reason}, so it is context, not a verdict."
    return Finding(f"c2pa.source_type.{code}", where, code, meaning)


def _group_findings(result: ManifestResult) -> list[Finding]:
    found = []
    for group, codes in result.groups.items():
        scopes: dict[str, list[str]] = {}
        for code in codes:
            where = scopes.setdefault(code.words, [])
            scope = "this file" if code.scope == "active" else code.scope
            if scope not in where:
                where.append(scope)
        scoped = "; ".join(
            words + ("" if where == ["this file"] else f" [{', '.join(where)}]") for words, where in scopes.items()
        )
        found.append(
            Finding(
                kind=f"c2pa.validation.{group}",
                where="C2PA validation",
                value=", ".join(sorted({c.code for c in codes})),
                meaning=f"{group_words(group).capitalize()}: {scoped}.",
            )
        )
    return found


def read_c2pa_signal(asset: Asset, options: AnalysisOptions | None = None) -> SignalResult:
    """The ``c2pa`` signal: verify the asset's Content Credentials under the trust settings in `options`.

    Uses `verify_manifest`, so a trusted result names the anchor that matched (a few extra reads, trusted
    files only).

    ``options.signal_settings["c2pa"]`` may hold a `TrustSettings`; without it the defaults apply
    (bundled C2PA and interim trust lists, user anchors, no network).
    """
    settings = getattr(options, "signal_settings", {}).get(labels.C2PA) if options is not None else None
    trust = settings if isinstance(settings, TrustSettings) else TrustSettings()
    return manifest_signal(verify_manifest(asset, trust=trust))
