"""Turn a `ManifestResult` into the ``c2pa`` signal's findings, under the fusion rules of `verdict.py`.

Declaring findings only come from evidence that holds:

- ``implies=generated``: a trained-AI declaration (``trainedAlgorithmicMedia`` on an action of the active
  manifest or of an ingredient's manifest, Adobe's vendor parameter, or the legacy
  ``com.adobe.generative-ai`` assertion), only when the manifest is ``valid`` or ``trusted``;
- ``implies=ai-edited``: ``compositeWithTrainedAlgorithmicMedia`` / ``compositeSynthetic``, same condition;
- ``implies=captured``: only a ``trusted`` manifest whose active manifest declares a capture source type
  (``digitalCapture``, ``computationalCapture``, film, print) with no AI declaration anywhere.

Everything else, including the same declarations in an invalid manifest, is ``context``: worth showing,
pointing nowhere. ``algorithmicMedia`` (procedural, no trained model) is not AI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veracity.provenance import labels
from veracity.provenance.credentials.facts import source_type_implies
from veracity.provenance.credentials.reader import ABSENT, INVALID, TRUSTED, VALID, ManifestResult, verify_manifest
from veracity.provenance.credentials.trust import TrustSettings
from veracity.provenance.credentials.validation_codes import group_words
from veracity.provenance.signals import Finding, SignalResult
from veracity.provenance.sourcetypes import lookup_source_type

if TYPE_CHECKING:
    from veracity.provenance.assets.asset import Asset
    from veracity.provenance.options import AnalysisOptions

_STATE_WORDS = {
    TRUSTED: "valid and signed by a trusted signer",
    VALID: "valid (intact), but the signer is not on a trust list in use",
    INVALID: "present but failing validation",
}


def manifest_signal(result: ManifestResult) -> SignalResult:
    """The ``c2pa`` `SignalResult` for a manifest read."""
    details = result.to_dict()
    if result.state == ABSENT:
        return _absent_signal(result, details)
    holds = result.state in (VALID, TRUSTED)
    findings = [_state_finding(result)]
    findings.extend(_ai_findings(result, holds))
    capture = _capture_finding(result)
    if capture is not None:
        findings.append(capture)
    findings.extend(_group_findings(result))
    if result.signer and (result.signer.organisation or result.signer.common_name):
        signer = result.signer
        findings.append(
            Finding(
                kind="c2pa.signer",
                where="C2PA claim signature",
                value=", ".join(v for v in (signer.organisation, signer.common_name) if v),
                meaning=f"Signed by {signer.organisation or signer.common_name}"
                + (f", issued by {signer.issuer}" if signer.issuer else "")
                + (" (timestamped)" if signer.timestamped else " (no trusted timestamp)")
                + ".",
            )
        )
    findings.sort(key=lambda f: labels.IMPLICATIONS.index(f.implies))
    summary = f"Content Credentials {_STATE_WORDS[result.state]}"
    if result.state == INVALID and result.groups:
        summary += " (" + ", ".join(group_words(g) for g in result.groups if g != "untrusted") + ")"
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


def _state_finding(result: ManifestResult) -> Finding:
    where = {"sidecar": "C2PA sidecar manifest", "remote": "C2PA remote manifest", "store": "C2PA manifest store"}
    meaning = f"The Content Credentials are {_STATE_WORDS[result.state]}."
    if result.problem is not None:
        meaning = f"Content Credentials are present but could not be read: {result.problem.message}."
    if result.trusted_by:
        meaning += f" Trust anchor: {result.trusted_by}."
    return Finding(
        kind="c2pa.state",
        where=where.get(result.location or "", "C2PA manifest"),
        value=result.state,
        meaning=meaning,
    )


def _ai_findings(result: ManifestResult, holds: bool) -> list[Finding]:
    found: list[Finding] = []
    ingredient_codes = [c for c in result.ai.any_manifest_dst if c not in result.ai.active_manifest_dst]
    places = [(c, "digitalSourceType on an action of the active manifest") for c in result.ai.active_manifest_dst]
    places += [(c, "digitalSourceType on an action of an ingredient's manifest") for c in ingredient_codes]
    places += [(c, "Adobe vendor parameter com.adobe.digitalSourceType") for c in result.ai.vendor_parameter_dst]
    for code, where in places:
        implied = source_type_implies(code)
        if implied not in (labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED):
            continue
        term = lookup_source_type(code)
        found.append(_declaring(f"c2pa.source_type.{code}", where, code, term.words if term else code, implied, holds))
    if result.ai.legacy_generative_ai_assertion:
        found.append(
            _declaring(
                "c2pa.generative_ai_assertion",
                "legacy com.adobe.generative-ai assertion",
                "com.adobe.generative-ai",
                "created with generative AI (early Adobe Firefly declaration)",
                labels.IMPLIES_GENERATED,
                holds,
            )
        )
    return found


def _declaring(kind: str, where: str, value: str, words: str, implied: str, holds: bool) -> Finding:
    if holds:
        return Finding(kind, f"C2PA {where}", value, f"The Content Credentials declare: {words}.", implied)
    return Finding(
        kind,
        f"C2PA {where}",
        value,
        f"The Content Credentials declare: {words}; but they fail validation, so the declaration is not relied on.",
        labels.IMPLIES_NOTHING,
    )


def _capture_finding(result: ManifestResult) -> Finding | None:
    captures = [c for c in result.ai.active_manifest_dst if source_type_implies(c) == labels.IMPLIES_CAPTURED]
    if not captures:
        return None
    code = captures[0]
    term = lookup_source_type(code)
    words = term.words if term else code
    if result.state == TRUSTED and not result.ai.ai_anywhere:
        return Finding(
            f"c2pa.source_type.{code}",
            "C2PA digitalSourceType on an action of the active manifest",
            code,
            f"A trusted signer declares a capture: {words}, with no AI action.",
            labels.IMPLIES_CAPTURED,
        )
    reason = "the manifest also declares AI" if result.ai.ai_anywhere else "the signer is not trusted or it fails"
    return Finding(
        f"c2pa.source_type.{code}",
        "C2PA digitalSourceType on an action of the active manifest",
        code,
        f"Declares a capture ({words}), but {reason}, so it is not relied on.",
    )


def _group_findings(result: ManifestResult) -> list[Finding]:
    found = []
    for group, codes in result.groups.items():
        scoped = "; ".join(
            f"{c.words}" + (f" [{c.scope}]" if c.scope != "active" else "") for c in _unique_codes(codes)
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


def _unique_codes(codes):
    seen = set()
    for c in codes:
        if (c.code, c.scope) not in seen:
            seen.add((c.code, c.scope))
            yield c


def read_c2pa_signal(asset: Asset, options: AnalysisOptions | None = None) -> SignalResult:
    """The ``c2pa`` signal: verify the asset's Content Credentials under the trust settings in `options`.

    Uses `verify_manifest`, so a trusted result names the anchor that matched (a few extra reads, trusted
    files only).

    ``options.signal_settings["c2pa"]`` may hold a `TrustSettings`; without it the defaults apply
    (bundled trust list, user anchors, no network).
    """
    settings = getattr(options, "signal_settings", {}).get(labels.C2PA) if options is not None else None
    trust = settings if isinstance(settings, TrustSettings) else TrustSettings()
    return manifest_signal(verify_manifest(asset, trust=trust))
