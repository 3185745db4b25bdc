"""What a manifest says, kept apart from whether it holds: integrity, signer trust, and the AI claim that counts.

The SDK folds three questions into one state (``Invalid`` covers a changed file and an expired certificate
alike). People need them apart:

- **integrity**: do the hashes and signatures still bind the manifest to these bytes? ``intact``,
  ``tampered`` (a hash or signature no longer matches), ``unverified`` (the manifest is malformed, so it
  cannot be checked completely) or ``unreadable`` (the SDK could not read it at all);
- **signer trust**: ``trusted`` (chains to a trust list or anchor in use), ``untrusted``,
  ``expired-or-revoked`` or ``unknown``. CAWG identity codes concern the identity assertion, not the
  signer, and are left out of both;
- **the AI claim**: which declaration decides ``generated`` or ``ai-edited``, following the ingredient tree:

========================================================  ============  ==========================
where the declaration is                                   label         example
========================================================  ============  ==========================
trained-AI source type on a create/open action             generated     Firefly, Titan, Sora
(or the vendor parameter, or the legacy Adobe assertion)
composite source type, or trained-AI on an edit/placed     ai-edited     Generative Fill, inpainting
action, or an edit/placed action by a generative tool
nothing in the active manifest; a ``parentOf``             the parent's  ChatGPT re-export of its
ingredient declares AI                                     label         own image
nothing in the active manifest; a ``componentOf``          ai-edited     a generated layer placed
ingredient declares AI                                                   into a composition
``inputTo`` ingredients (references, prompts)              context       style reference images
========================================================  ============  ==========================

A tampered ingredient's own declarations are not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veracity.provenance import labels
from veracity.provenance.credentials.facts import (
    LEGACY_GENERATIVE_AI_LABEL,
    Action,
    Ingredient,
    source_type_implies,
)
from veracity.provenance.credentials.reader import ManifestResult, signer_trusted
from veracity.provenance.credentials.validation_codes import EXPIRED_OR_REVOKED, MALFORMED, TAMPERED, UNTRUSTED
from veracity.provenance.metadata.generators import generative_tool
from veracity.provenance.sourcetypes import lookup_source_type

INTACT = "intact"
INTEGRITY_TAMPERED = "tampered"
UNVERIFIED = "unverified"
UNREADABLE = "unreadable"
INTEGRITY_STATES = (INTACT, INTEGRITY_TAMPERED, UNVERIFIED, UNREADABLE)

SIGNER_TRUSTED = "trusted"
SIGNER_UNTRUSTED = "untrusted"
SIGNER_EXPIRED = "expired-or-revoked"
SIGNER_UNKNOWN = "unknown"
SIGNER_STATES = (SIGNER_TRUSTED, SIGNER_UNTRUSTED, SIGNER_EXPIRED, SIGNER_UNKNOWN)

#: Actions that change existing content (an AI source type on them means an AI edit, not a new image).
EDIT_ACTIONS = frozenset(
    {
        "c2pa.edited",
        "c2pa.placed",
        "c2pa.drawing",
        "c2pa.filtered",
        "c2pa.color_adjustments",
        "c2pa.cropped",
        "c2pa.resized",
        "c2pa.orientation",
        "c2pa.removed",
        "c2pa.edited.metadata",
    }
)
_AI = (labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED)


@dataclass(frozen=True)
class AiClaim:
    """One generative-AI declaration, where it lives and what it implies for this file.

    Attributes:
        implies: ``labels.IMPLIES_GENERATED`` or ``labels.IMPLIES_AI_EDITED``.
        code: the IPTC source type (``trainedAlgorithmicMedia``), ``com.adobe.generative-ai``, or
            ``generative-tool`` for an edit by a generative tool that declares no source type.
        words: the declaration in plain words.
        action: the C2PA action it sits on, when any.
        tool: the generative tool named (software agent or claim generator), when any.
        where: where it was found, for people.
        scope: ``active``, ``parent``, ``component``.
    """

    implies: str
    code: str
    words: str
    action: str | None
    tool: str | None
    where: str
    scope: str = "active"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CredentialAssessment:
    """Integrity, signer trust and the deciding AI claim of one file's Content Credentials.

    Attributes:
        integrity: one of `INTEGRITY_STATES`.
        tampered_parts: what no longer matches: ``"file"`` (the active manifest) and/or ingredient titles.
        signer_trust: one of `SIGNER_STATES`.
        signer: who signed, for people (organisation or common name), when known.
        trust_list: the kind of trust source the signer chained to, when identified.
        label: ``generated``, ``ai-edited`` or ``None``: what the deciding claims imply.
        claims: the deciding claims (they all imply `label`).
        context_claims: other AI declarations (ingredients' parts, inputs, tampered ingredients).
        capture: the capture source type the active manifest declares, when any.
        tools: generative tools named anywhere in the store.
    """

    integrity: str
    tampered_parts: tuple[str, ...]
    signer_trust: str
    signer: str | None
    trust_list: str | None
    label: str | None
    claims: tuple[AiClaim, ...]
    context_claims: tuple[AiClaim, ...]
    capture: str | None
    tools: tuple[str, ...]

    @property
    def counts(self) -> bool:
        """Whether the AI claims can decide: the manifest still binds to this file (or is merely malformed)."""
        return self.integrity in (INTACT, UNVERIFIED) and "file" not in self.tampered_parts

    def to_dict(self) -> dict[str, Any]:
        return {
            "integrity": self.integrity,
            "tampered_parts": list(self.tampered_parts),
            "signer_trust": self.signer_trust,
            "signer": self.signer,
            "trust_list": self.trust_list,
            "label": self.label,
            "claims": [c.to_dict() for c in self.claims],
            "context_claims": [c.to_dict() for c in self.context_claims],
            "capture": self.capture,
            "tools": list(self.tools),
        }


def assess_credentials(result: ManifestResult) -> CredentialAssessment:
    """Split a `ManifestResult` into integrity, signer trust and the AI claim that decides (module docstring)."""
    integrity, tampered_parts = _integrity(result)
    tampered_ingredients = set(tampered_parts) - {"file"}
    claims = _active_claims(result.actions, result.assertion_labels, result.claim_generator)
    context: list[AiClaim] = []
    inherited, context_from_ingredients = _ingredient_claims(result.ingredients, tampered_ingredients)
    context.extend(context_from_ingredients)
    if claims:
        context.extend(inherited)
    else:
        claims = inherited
    label = _label_of(claims)
    deciding = _unique_claims(c for c in claims if c.implies == label)
    context.extend(c for c in claims if c.implies != label)
    signer = result.signer
    tools = tuple(dict.fromkeys(c.tool for c in (*deciding, *context) if c.tool))
    return CredentialAssessment(
        integrity=integrity,
        tampered_parts=tampered_parts,
        signer_trust=_signer_trust(result),
        signer=(signer.organisation or signer.common_name) if signer else None,
        trust_list=result.trust_list,
        label=label,
        claims=deciding,
        context_claims=tuple(context),
        capture=next((c for c in result.ai.active_manifest_dst if source_type_implies(c) == "captured"), None),
        tools=tools,
    )


def _integrity(result: ManifestResult) -> tuple[str, tuple[str, ...]]:
    if result.problem is not None:
        return UNREADABLE, ()
    relevant = [c for c in result.failures if not c.code.startswith("cawg.") or c.group == TAMPERED]
    parts: list[str] = []
    for code in relevant:
        if code.group != TAMPERED:
            continue
        part = "file" if code.scope == "active" else code.scope.removeprefix("ingredient: ")
        if part not in parts:
            parts.append(part)
    if parts:
        return INTEGRITY_TAMPERED, tuple(parts)
    if any(c.group == MALFORMED and c.scope == "active" for c in relevant):
        return UNVERIFIED, ()
    return INTACT, ()


def _signer_trust(result: ManifestResult) -> str:
    active = [c for c in result.failures if c.scope == "active" and not c.code.startswith("cawg.")]
    if any(c.group == EXPIRED_OR_REVOKED for c in active):
        return SIGNER_EXPIRED
    if signer_trusted(result):
        return SIGNER_TRUSTED
    if any(c.group == UNTRUSTED for c in active) or result.state == "valid":
        return SIGNER_UNTRUSTED
    return SIGNER_UNKNOWN


def _active_claims(actions, assertion_labels, generator: str | None, scope: str = "active", where: str = ""):
    """AI claims of one manifest's actions (and legacy assertion)."""
    place = where or "an action of the active manifest"
    found: list[AiClaim] = []
    for action in actions:
        claim = _action_claim(action, generator, scope, place)
        if claim is not None:
            found.append(claim)
    if LEGACY_GENERATIVE_AI_LABEL in assertion_labels:
        found.append(
            AiClaim(
                labels.IMPLIES_GENERATED,
                LEGACY_GENERATIVE_AI_LABEL,
                "created with generative AI (early Adobe Firefly declaration)",
                None,
                generative_tool(generator) or "Adobe Firefly",
                f"the legacy {LEGACY_GENERATIVE_AI_LABEL} assertion" + (f" of {where}" if where else ""),
                scope,
            )
        )
    return found


def _action_claim(action: Action, generator: str | None, scope: str, place: str) -> AiClaim | None:
    code = action.digital_source_type or action.vendor_source_type
    implied = source_type_implies(code) if code else labels.IMPLIES_NOTHING
    agent_tool = generative_tool(action.software_agent)
    tool = action.software_agent if agent_tool else None
    if implied == labels.IMPLIES_GENERATED and action.action in EDIT_ACTIONS:
        implied = labels.IMPLIES_AI_EDITED
    if implied not in _AI:
        if agent_tool is None:
            return None
        # An action by a generative tool that declares no source type: an edit (or a creation) by that tool.
        implied = labels.IMPLIES_AI_EDITED if action.action in EDIT_ACTIONS else labels.IMPLIES_GENERATED
        code = "generative-tool"
        words = f"{action.action} by the generative tool {action.software_agent}"
    else:
        term = lookup_source_type(code)
        words = term.words if term else str(code)
        if action.vendor_source_type and not action.digital_source_type:
            words += " (Adobe vendor parameter com.adobe.digitalSourceType)"
    named = tool or action.software_agent or generative_tool(generator)
    return AiClaim(implied, str(code), words, action.action, named, f"{action.action}, {place}", scope)


def _ingredient_claims(
    ingredients: tuple[Ingredient, ...], tampered: set[str], depth: int = 0
) -> tuple[list[AiClaim], list[AiClaim]]:
    """(claims this file inherits, context claims) from the ingredient tree."""
    inherited: list[AiClaim] = []
    context: list[AiClaim] = []
    for ingredient in ingredients:
        title = ingredient.title or "untitled"
        where = f"the {ingredient.relationship or 'ingredient'} ingredient '{title}'"
        own = _active_claims(
            ingredient.actions,
            (LEGACY_GENERATIVE_AI_LABEL,) if ingredient.generative_ai_assertion else (),
            ingredient.claim_generator,
            scope=_scope(ingredient.relationship),
            where=where,
        )
        if not own and depth < 8:
            deeper, deeper_context = _ingredient_claims(ingredient.ingredients, tampered, depth + 1)
            own, context = deeper, context + deeper_context
        if title in tampered or ingredient.failures and any(c.group == TAMPERED for c in ingredient.failures):
            context.extend(own)
        elif ingredient.relationship == "componentOf":
            inherited.extend(_as_part(c, where) for c in own)
        elif ingredient.relationship == "parentOf":
            inherited.extend(own)
        else:
            context.extend(own)
    return inherited, context


def _unique_claims(claims) -> tuple[AiClaim, ...]:
    """One claim per (declaration, scope), keeping the one that names a tool."""
    kept: dict[tuple[str, str, str], AiClaim] = {}
    for claim in claims:
        key = (claim.code, claim.words, claim.scope)
        if key not in kept or (claim.tool and not kept[key].tool):
            kept[key] = claim
    return tuple(kept.values())


def _as_part(claim: AiClaim, where: str) -> AiClaim:
    return AiClaim(
        labels.IMPLIES_AI_EDITED,
        claim.code,
        f"a part of this image ({where}) was made with AI: {claim.words}",
        claim.action,
        claim.tool,
        claim.where,
        "component",
    )


def _scope(relationship: str | None) -> str:
    return {"parentOf": "parent", "componentOf": "component"}.get(relationship or "", "input")


def _label_of(claims: list[AiClaim]) -> str | None:
    implied = {c.implies for c in claims}
    if labels.IMPLIES_GENERATED in implied:
        return labels.GENERATED
    if labels.IMPLIES_AI_EDITED in implied:
        return labels.AI_EDITED
    return None
