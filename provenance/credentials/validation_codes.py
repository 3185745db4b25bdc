"""C2PA validation status codes, grouped for people and explained in plain words.

The SDK reports dozens of codes (``assertion.dataHash.mismatch``, ``signingCredential.untrusted``...).
People need to know one thing first: was the file changed, or do we merely not know the signer?
c2patool shows both as red failures; here every failure code belongs to exactly one group:

=====================  ===================================================================
group                  meaning
=====================  ===================================================================
``tampered``           a hash or signature does not match: content or manifest changed
``untrusted``          the signature holds, but the signer is not on a trust list you use
``expired-or-revoked`` the signing certificate expired (without a trusted timestamp) or
                       was revoked
``malformed``          the manifest is broken or incomplete (cannot be checked fully)
``informational``      success codes and notes that do not make the manifest fail
=====================  ===================================================================

Untrusted is never shown as tampered, nor the reverse: the two groups share no code. A code the
SDK lists under ``success`` or ``informational`` is informational whatever its name (c2pa-rs
reports e.g. ``timeStamp.mismatch`` as informational when a timestamp is merely unusable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TAMPERED = "tampered"
UNTRUSTED = "untrusted"
EXPIRED_OR_REVOKED = "expired-or-revoked"
MALFORMED = "malformed"
INFORMATIONAL = "informational"

#: Groups, most serious first (the order reports list them in).
GROUPS: tuple[str, ...] = (TAMPERED, UNTRUSTED, EXPIRED_OR_REVOKED, MALFORMED, INFORMATIONAL)

# code -> (group, plain words). Failure codes of the C2PA 2.x specification, c2pa-rs and CAWG identity.
_CODES: dict[str, tuple[str, str]] = {
    # Tampered: something hashed or signed no longer matches.
    "claimSignature.mismatch": (TAMPERED, "the claim's signature does not match the claim: the manifest was altered"),
    "assertion.hashedURI.mismatch": (TAMPERED, "an assertion changed after signing (its hash does not match)"),
    "assertion.dataHash.mismatch": (TAMPERED, "the file's content changed after signing (data hash mismatch)"),
    "assertion.bmffHash.mismatch": (TAMPERED, "the media's content changed after signing (BMFF hash mismatch)"),
    "assertion.boxesHash.mismatch": (TAMPERED, "the file's content changed after signing (box hash mismatch)"),
    "assertion.collectionHash.mismatch": (TAMPERED, "a file of the signed collection changed after signing"),
    "ingredient.manifest.mismatch": (TAMPERED, "an ingredient's manifest does not match the one recorded"),
    "ingredient.claimSignature.mismatch": (TAMPERED, "an ingredient's claim signature does not match"),
    "ingredient.hashedURI.mismatch": (TAMPERED, "an ingredient reference does not match its hash"),
    "timeStamp.mismatch": (TAMPERED, "the timestamp does not match the signature it stamps"),
    "cawg.ica.signature_mismatch": (TAMPERED, "the identity credential's signature does not match"),
    "cawg.identity.signature.mismatch": (TAMPERED, "the identity assertion's signature does not match"),
    "cawg.x509.signature.mismatch": (TAMPERED, "the identity assertion's X.509 signature does not match"),
    # Untrusted: the signature is intact, the signer is unknown to the trust lists in use.
    "signingCredential.untrusted": (UNTRUSTED, "the signer's certificate is not on a trust list you use"),
    "signingCredential.invalid": (
        UNTRUSTED,
        "the signer's certificate is not acceptable for C2PA (e.g. self-signed or wrong key usage)",
    ),
    "timeStamp.untrusted": (UNTRUSTED, "the timestamp authority is not on a trust list you use"),
    "cawg.x509.credential.untrusted": (UNTRUSTED, "the identity certificate is not on a trust list you use"),
    "cawg.ica.untrusted_issuer": (UNTRUSTED, "the identity credential's issuer is not trusted"),
    "cawg.ica.did_unavailable": (
        UNTRUSTED,
        "the identity credential's issuer (a DID) could not be resolved offline, so it cannot be checked",
    ),
    "cawg.ica.invalid_issuer": (UNTRUSTED, "the identity credential's issuer is not valid"),
    # Expired or revoked.
    "signingCredential.expired": (
        EXPIRED_OR_REVOKED,
        "the signer's certificate has expired and no trusted timestamp shows it was signed in time",
    ),
    "signingCredential.revoked": (EXPIRED_OR_REVOKED, "the signer's certificate was revoked"),
    "signingCredential.ocsp.revoked": (EXPIRED_OR_REVOKED, "the OCSP response says the certificate was revoked"),
    "claimSignature.outsideValidity": (
        EXPIRED_OR_REVOKED,
        "the claim was signed outside the certificate's validity period",
    ),
    "timeStamp.outsideValidity": (EXPIRED_OR_REVOKED, "the timestamp lies outside the certificate's validity"),
    "cawg.ica.credential_expired": (EXPIRED_OR_REVOKED, "the identity credential has expired"),
    "cawg.ica.valid_from.invalid": (EXPIRED_OR_REVOKED, "the identity credential is not valid yet"),
    "cawg.ica.valid_until.invalid": (EXPIRED_OR_REVOKED, "the identity credential is no longer valid"),
    "cawg.x509.credential.expired": (EXPIRED_OR_REVOKED, "the identity certificate has expired"),
    # Malformed: the manifest cannot be checked completely.
    "claimSignature.missing": (MALFORMED, "the claim has no signature"),
    "claim.missing": (MALFORMED, "the manifest has no claim"),
    "claim.multiple": (MALFORMED, "the manifest has more than one claim"),
    "claim.malformed": (MALFORMED, "the claim is not well-formed"),
    "claim.cbor.invalid": (MALFORMED, "the claim's CBOR cannot be parsed"),
    "claim.hardBindings.missing": (MALFORMED, "the claim binds to no content (no hard-binding hash)"),
    "claim.required.missing": (MALFORMED, "the claim lacks a required field"),
    "assertion.missing": (MALFORMED, "an assertion the claim lists is missing"),
    "assertion.hashedURI.missing": (MALFORMED, "an assertion the claim references is missing"),
    "assertion.required.missing": (MALFORMED, "a required assertion is missing"),
    "assertion.multipleHardBindings": (MALFORMED, "the claim has more than one content hash"),
    "assertion.undeclared": (MALFORMED, "an assertion is present but not listed in the claim"),
    "assertion.inaccessible": (MALFORMED, "an assertion's data could not be reached"),
    "assertion.outsideManifest": (MALFORMED, "an assertion points outside the manifest"),
    "assertion.notRedacted": (MALFORMED, "an assertion marked as redacted is still present"),
    "assertion.selfRedacted": (MALFORMED, "a manifest tried to redact its own assertion"),
    "assertion.json.invalid": (MALFORMED, "an assertion's JSON cannot be parsed"),
    "assertion.cbor.invalid": (MALFORMED, "an assertion's CBOR cannot be parsed"),
    "assertion.action.ingredientMismatch": (MALFORMED, "an action refers to an ingredient that does not match"),
    "assertion.action.malformed": (MALFORMED, "an action is not well-formed"),
    "assertion.action.redacted": (MALFORMED, "a required action was redacted"),
    "assertion.action.redactionMismatch": (MALFORMED, "a redaction action does not match what was redacted"),
    "assertion.dataHash.malformed": (MALFORMED, "the data hash assertion is not well-formed"),
    "assertion.bmffHash.malformed": (MALFORMED, "the BMFF hash assertion is not well-formed"),
    "assertion.boxesHash.malformed": (MALFORMED, "the box hash assertion is not well-formed"),
    "assertion.boxesHash.unknownBox": (MALFORMED, "the box hash covers a box that is not in the file"),
    "assertion.collectionHash.malformed": (MALFORMED, "the collection hash assertion is not well-formed"),
    "assertion.cloudData.hardBinding": (MALFORMED, "a cloud-data assertion holds a content hash"),
    "assertion.cloudData.actions": (MALFORMED, "a cloud-data assertion holds actions"),
    "assertion.cloudData.labelMismatch": (MALFORMED, "a cloud-data assertion's label does not match"),
    "assertion.cloudData.malformed": (MALFORMED, "a cloud-data assertion is not well-formed"),
    "assertion.timestamp.malformed": (MALFORMED, "the timestamp assertion is not well-formed"),
    "ingredient.manifest.missing": (MALFORMED, "an ingredient's manifest is referenced but missing"),
    "ingredient.claimSignature.missing": (MALFORMED, "an ingredient's claim signature is missing"),
    "ingredient.hashedURI.missing": (MALFORMED, "an ingredient's referenced data is missing"),
    "manifest.inaccessible": (MALFORMED, "the manifest could not be read"),
    "manifest.missing": (MALFORMED, "the manifest is missing"),
    "manifest.multipleParents": (MALFORMED, "the manifest has more than one parent ingredient"),
    "manifest.update.invalid": (MALFORMED, "the update manifest is not valid"),
    "manifest.update.wrongParents": (MALFORMED, "the update manifest does not have exactly one parent"),
    "manifest.compressed.invalid": (MALFORMED, "the compressed manifest cannot be decompressed"),
    "manifest.unknownProvenance": (MALFORMED, "the manifest's provenance is unknown"),
    "manifest.unreferenced": (MALFORMED, "a manifest in the store is referenced by nothing"),
    "timeStamp.malformed": (MALFORMED, "the timestamp is not well-formed"),
    "algorithm.unsupported": (MALFORMED, "the signature or hash algorithm is not supported"),
    "algorithm.deprecated": (MALFORMED, "the signature or hash algorithm is deprecated"),
    "general.error": (MALFORMED, "the validator hit an unexpected error"),
    "cawg.identity.pad.invalid": (MALFORMED, "the identity assertion's padding is invalid"),
    "cawg.identity.cbor.invalid": (MALFORMED, "the identity assertion's CBOR cannot be parsed"),
    "cawg.identity.malformed": (MALFORMED, "the identity assertion is not well-formed"),
    "cawg.identity.assertion.mismatch": (MALFORMED, "the identity assertion refers to the wrong assertions"),
    "cawg.ica.invalid_verifiable_credential": (MALFORMED, "the identity credential is not well-formed"),
    "manifest.read.failed": (MALFORMED, "the manifest could not be read at all"),
    # Codes the SDK reports as notes.
    "signingCredential.ocsp.skipped": (INFORMATIONAL, "certificate revocation (OCSP) was not checked (offline)"),
    "signingCredential.ocsp.inaccessible": (INFORMATIONAL, "the OCSP responder could not be reached"),
    "signingCredential.ocsp.unknown": (INFORMATIONAL, "the OCSP responder does not know the certificate"),
    "signingCredential.ocsp.notRevoked": (INFORMATIONAL, "the OCSP response says the certificate is not revoked"),
    "signingCredential.trusted": (INFORMATIONAL, "the signer's certificate chains to a trust anchor you use"),
    "claimSignature.validated": (INFORMATIONAL, "the claim's signature is valid"),
    "claimSignature.insideValidity": (INFORMATIONAL, "the claim was signed inside the certificate's validity"),
    "timeStamp.trusted": (INFORMATIONAL, "the timestamp comes from a trusted timestamp authority"),
    "timeStamp.validated": (INFORMATIONAL, "the timestamp is valid"),
    "assertion.hashedURI.match": (INFORMATIONAL, "an assertion matches its hash"),
    "assertion.dataHash.match": (INFORMATIONAL, "the file's content matches the signed hash"),
    "assertion.bmffHash.match": (INFORMATIONAL, "the media's content matches the signed hash"),
    "assertion.boxesHash.match": (INFORMATIONAL, "the file's content matches the signed box hashes"),
    "assertion.dataHash.additionalExclusionsPresent": (
        INFORMATIONAL,
        "the content hash leaves out more of the file than needed for the manifest",
    ),
    "assertion.bmffHash.additionalExclusionsPresent": (
        INFORMATIONAL,
        "the content hash leaves out more of the media than needed for the manifest",
    ),
    "ingredient.manifest.validated": (INFORMATIONAL, "an ingredient's manifest was validated"),
    "ingredient.claimSignature.validated": (INFORMATIONAL, "an ingredient's claim signature was validated"),
    "cawg.identity.well-formed": (INFORMATIONAL, "the identity assertion is well-formed"),
    "cawg.x509.signature.validated": (INFORMATIONAL, "the identity assertion's X.509 signature is valid"),
    "cawg.ica.credential_valid": (INFORMATIONAL, "the identity credential is valid"),
}

_GROUP_WORDS = {
    TAMPERED: "changed after signing",
    UNTRUSTED: "signer not trusted",
    EXPIRED_OR_REVOKED: "credential expired or revoked",
    MALFORMED: "malformed manifest",
    INFORMATIONAL: "information",
}


@dataclass(frozen=True)
class ValidationCode:
    """One status code as a person should see it.

    Attributes:
        code: the C2PA code, e.g. ``"assertion.dataHash.mismatch"``.
        group: one of `GROUPS`.
        words: what it means, in plain words.
        explanation: the SDK's own explanation, when it gave one.
        url: the JUMBF URI of what it is about, when given.
        scope: ``"active"`` for the active manifest, or the ingredient's title for an ingredient's manifest.
    """

    code: str
    group: str
    words: str
    explanation: str | None = None
    url: str | None = None
    scope: str = "active"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "group": self.group,
            "words": self.words,
            "explanation": self.explanation,
            "url": self.url,
            "scope": self.scope,
        }


def classify_code(code: str, *, reported_as: str = "failure") -> tuple[str, str]:
    """Return ``(group, plain words)`` for a code.

    Args:
        code: the C2PA status code.
        reported_as: the SDK list it came from: ``"success"``, ``"informational"`` or ``"failure"``.
            Codes from the first two are informational whatever their name.

    Returns:
        The group (one of `GROUPS`) and a plain sentence. Unknown failure codes are grouped by their
        name (``*.mismatch`` tampered, ``*untrusted*`` untrusted, ``*expired*``/``*revoked*`` expired,
        anything else malformed), so a new SDK code never disappears from a report.
    """
    known = _CODES.get(code)
    if reported_as in ("success", "informational"):
        words = known[1] if known else f"the validator noted {code}"
        return INFORMATIONAL, words
    if known:
        return known
    lowered = code.lower()
    if "mismatch" in lowered:
        return TAMPERED, f"something signed no longer matches ({code})"
    if "untrusted" in lowered:
        return UNTRUSTED, f"a credential is not trusted ({code})"
    if "expired" in lowered or "revoked" in lowered or "outsidevalidity" in lowered:
        return EXPIRED_OR_REVOKED, f"a credential expired or was revoked ({code})"
    return MALFORMED, f"the manifest failed the check {code}"


def make_code(
    code: str,
    *,
    reported_as: str = "failure",
    explanation: str | None = None,
    url: str | None = None,
    scope: str = "active",
) -> ValidationCode:
    """Build a `ValidationCode` with its group and plain words."""
    group, words = classify_code(code, reported_as=reported_as)
    return ValidationCode(code=code, group=group, words=words, explanation=explanation, url=url, scope=scope)


def group_words(group: str) -> str:
    """A short heading for a group, e.g. ``"changed after signing"`` for ``tampered``."""
    return _GROUP_WORDS[group]


def known_codes() -> list[str]:
    """Every code with its own explanation, sorted."""
    return sorted(_CODES)
