"""Facts of a C2PA manifest store, parsed from the SDK's JSON: signer, actions, ingredients, AI declarations.

`manifest.py` reads and verifies; this module only turns ``reader.json()`` (and ``reader.crjson()`` for
certificate details) into frozen dataclasses. Generative-AI declarations live in four places and all are
collected (a reader that only checks the standard field misses three):

1. ``digitalSourceType`` on an action of the active manifest;
2. the same on an action of any other manifest in the store (ingredients' manifests);
3. Adobe's vendor parameter ``parameters["com.adobe.digitalSourceType"]`` (Firefly with third-party models);
4. the legacy ``com.adobe.generative-ai`` assertion of early Firefly images (no source type at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from veracity.provenance import labels
from veracity.provenance.credentials.validation_codes import ValidationCode, make_code
from veracity.provenance.sourcetypes import lookup_source_type

VENDOR_SOURCE_TYPE_KEY = "com.adobe.digitalSourceType"
LEGACY_GENERATIVE_AI_LABEL = "com.adobe.generative-ai"
_MAX_INGREDIENT_DEPTH = 16  # a store is a DAG; this bounds hostile or cyclic ones


def short_source_type(value: Any) -> str | None:
    """``trainedAlgorithmicMedia`` from a full IPTC URI or a bare code; ``None`` for empty values."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().rstrip("/").rsplit("/", 1)[-1]


def source_type_implies(code: str | None) -> str:
    """What a digital source type implies (``labels.IMPLIES_*``); unknown terms imply nothing."""
    term = lookup_source_type(code) if code else None
    return term.implies if term else labels.IMPLIES_NOTHING


@dataclass(frozen=True)
class Signer:
    """Who signed the active manifest, and when.

    Attributes:
        alg: signature algorithm, e.g. ``"Es256"``.
        organisation: the signer's organisation (certificate subject O), e.g. ``"Adobe Inc."``.
        common_name: the signer certificate's common name.
        issuer: the certificate authority that issued the signing certificate (issuer O or CN).
        serial: certificate serial number (decimal string, as the SDK gives it).
        not_before: start of the certificate's validity, ISO 8601, when known.
        not_after: end of the certificate's validity, ISO 8601, when known.
        time: signing time claimed by the signature (from its timestamp when there is one), ISO 8601.
        timestamped: the signature carries an RFC 3161 timestamp that validated.
        timestamp_authority: who issued the timestamp, when known.
    """

    alg: str | None = None
    organisation: str | None = None
    common_name: str | None = None
    issuer: str | None = None
    serial: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    time: str | None = None
    timestamped: bool = False
    timestamp_authority: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Action:
    """One action of a manifest's actions assertion.

    Attributes:
        action: e.g. ``"c2pa.created"``.
        digital_source_type: the IPTC term, shortened (``"trainedAlgorithmicMedia"``), or ``None``.
        vendor_source_type: the same from Adobe's ``com.adobe.digitalSourceType`` parameter, or ``None``.
        software_agent: name (and version) of the tool that acted.
        manifest: label of the manifest it belongs to.
    """

    action: str
    digital_source_type: str | None = None
    vendor_source_type: str | None = None
    software_agent: str | None = None
    manifest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Ingredient:
    """One ingredient, with its own manifest's facts and its own ingredients.

    Attributes:
        title: the ingredient's title (often its file name).
        format: its media type.
        relationship: ``parentOf``, ``componentOf`` or ``inputTo``.
        manifest: label of the ingredient's own manifest in the store, or ``None`` when it had none.
        codes: the ingredient's own validation codes (failures and notes), scoped to it.
        source_types: digital source types declared in its manifest's actions.
        ingredients: its own ingredients (from its manifest), recursively.
        actions: the actions of its own manifest (with their software agents).
        generative_ai_assertion: its manifest has the legacy ``com.adobe.generative-ai`` assertion.
        claim_generator: the claim generator of its manifest, when it has one.
        thumbnail: the resource identifier of its thumbnail in the store, when it has one.
    """

    title: str | None
    format: str | None
    relationship: str | None
    manifest: str | None
    codes: tuple[ValidationCode, ...] = ()
    source_types: tuple[str, ...] = ()
    ingredients: tuple[Ingredient, ...] = ()
    actions: tuple[Action, ...] = ()
    generative_ai_assertion: bool = False
    claim_generator: str | None = None
    thumbnail: str | None = None

    @property
    def failures(self) -> tuple[ValidationCode, ...]:
        return tuple(c for c in self.codes if c.group != "informational")

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "format": self.format,
            "relationship": self.relationship,
            "manifest": self.manifest,
            "failures": [c.to_dict() for c in self.failures],
            "source_types": list(self.source_types),
            "actions": [a.to_dict() for a in self.actions],
            "generative_ai_assertion": self.generative_ai_assertion,
            "claim_generator": self.claim_generator,
            "thumbnail": self.thumbnail,
            "ingredients": [i.to_dict() for i in self.ingredients],
        }


@dataclass(frozen=True)
class AiDeclarations:
    """Generative-AI declarations, wherever they live in the store.

    Attributes:
        active_manifest_dst: source types on the active manifest's actions.
        any_manifest_dst: source types on the actions of every manifest in the store.
        vendor_parameter_dst: source types from Adobe's vendor parameter, any manifest.
        legacy_generative_ai_assertion: some manifest has the legacy ``com.adobe.generative-ai`` assertion.
    """

    active_manifest_dst: tuple[str, ...] = ()
    any_manifest_dst: tuple[str, ...] = ()
    vendor_parameter_dst: tuple[str, ...] = ()
    legacy_generative_ai_assertion: bool = False

    @property
    def ai_in_active_manifest(self) -> bool:
        return any(source_type_implies(c) in _AI_IMPLICATIONS for c in self.active_manifest_dst)

    @property
    def ai_anywhere(self) -> bool:
        codes = self.any_manifest_dst + self.vendor_parameter_dst
        return self.legacy_generative_ai_assertion or any(source_type_implies(c) in _AI_IMPLICATIONS for c in codes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "active_manifest_dst": list(self.active_manifest_dst),
            "any_manifest_dst": list(self.any_manifest_dst),
            "vendor_parameter_dst": list(self.vendor_parameter_dst),
            "legacy_generative_ai_assertion": self.legacy_generative_ai_assertion,
            "ai_in_active_manifest": self.ai_in_active_manifest,
            "ai_anywhere": self.ai_anywhere,
        }


_AI_IMPLICATIONS = (labels.IMPLIES_GENERATED, labels.IMPLIES_AI_EDITED)


# --- parsing --------------------------------------------------------------------------------------


def parse_actions(manifest: Mapping[str, Any], label: str | None) -> list[Action]:
    """Every action of every actions assertion (``c2pa.actions``, ``c2pa.actions.v2``, instances) of a manifest."""
    found = []
    for assertion in _assertions(manifest):
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data")
        for item in data.get("actions", []) if isinstance(data, dict) else []:
            if not isinstance(item, dict):
                continue
            params = item.get("parameters") if isinstance(item.get("parameters"), dict) else {}
            found.append(
                Action(
                    action=str(item.get("action", "")),
                    digital_source_type=short_source_type(item.get("digitalSourceType")),
                    vendor_source_type=short_source_type(params.get(VENDOR_SOURCE_TYPE_KEY)),
                    software_agent=_agent_name(item.get("softwareAgent")),
                    manifest=label,
                )
            )
    return found


def parse_ai_declarations(store: Mapping[str, Any], active: str | None) -> AiDeclarations:
    """Collect AI declarations in all four places of the store."""
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    active_dst: list[str] = []
    any_dst: list[str] = []
    vendor: list[str] = []
    legacy = False
    for label, manifest in manifests.items():
        if not isinstance(manifest, dict):
            continue
        for action in parse_actions(manifest, label):
            if action.digital_source_type:
                any_dst.append(action.digital_source_type)
                if label == active:
                    active_dst.append(action.digital_source_type)
            if action.vendor_source_type:
                vendor.append(action.vendor_source_type)
        legacy = legacy or any(a.get("label") == LEGACY_GENERATIVE_AI_LABEL for a in _assertions(manifest))
    return AiDeclarations(
        active_manifest_dst=_unique(active_dst),
        any_manifest_dst=_unique(any_dst),
        vendor_parameter_dst=_unique(vendor),
        legacy_generative_ai_assertion=legacy,
    )


def parse_ingredients(store: Mapping[str, Any], label: str | None, *, depth: int = 0) -> tuple[Ingredient, ...]:
    """The ingredient tree below manifest `label`; each ingredient keeps its own validation codes."""
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    manifest = manifests.get(label) if label else None
    if not isinstance(manifest, dict) or depth >= _MAX_INGREDIENT_DEPTH:
        return ()
    found = []
    for item in manifest.get("ingredients", []) or []:
        if not isinstance(item, dict):
            continue
        child_label = item.get("active_manifest") if isinstance(item.get("active_manifest"), str) else None
        title = item.get("title")
        child_manifest = manifests.get(child_label) if child_label else None
        child_actions = parse_actions(child_manifest, child_label) if isinstance(child_manifest, dict) else []
        found.append(
            Ingredient(
                title=title,
                format=item.get("format"),
                relationship=item.get("relationship"),
                manifest=child_label,
                codes=tuple(_ingredient_codes(item, scope=str(title or child_label or "ingredient"))),
                source_types=_unique(
                    a.digital_source_type or a.vendor_source_type
                    for a in child_actions
                    if a.digital_source_type or a.vendor_source_type
                ),
                ingredients=parse_ingredients(store, child_label, depth=depth + 1) if child_label != label else (),
                actions=tuple(child_actions),
                generative_ai_assertion=isinstance(child_manifest, dict)
                and LEGACY_GENERATIVE_AI_LABEL in assertion_labels(child_manifest),
                claim_generator=claim_generator_of(child_manifest) if isinstance(child_manifest, dict) else None,
                thumbnail=_resource_id(item.get("thumbnail")),
            )
        )
    return tuple(found)


def parse_signer(manifest: Mapping[str, Any], cr_signature: Mapping[str, Any] | None, codes: Iterable[str]) -> Signer:
    """Signer facts from ``signature_info`` plus, when available, crJSON's certificate details."""
    info = manifest.get("signature_info") if isinstance(manifest.get("signature_info"), dict) else {}
    cert = (cr_signature or {}).get("certificateInfo") or {}
    stamp = (cr_signature or {}).get("timeStampInfo") or {}
    issuer = cert.get("issuer") or {}
    validity = cert.get("validity") or {}
    stamp_issuer = ((stamp.get("certificateInfo") or {}).get("subject")) or {}
    codes = set(codes)
    return Signer(
        alg=info.get("alg"),
        organisation=info.get("issuer") or (cert.get("subject") or {}).get("O"),
        common_name=info.get("common_name") or (cert.get("subject") or {}).get("CN"),
        issuer=issuer.get("O") or issuer.get("CN"),
        serial=info.get("cert_serial_number"),
        not_before=validity.get("notBefore"),
        not_after=validity.get("notAfter"),
        time=info.get("time") or stamp.get("timestamp"),
        timestamped="timeStamp.validated" in codes or "timeStamp.trusted" in codes,
        timestamp_authority=stamp_issuer.get("O") or stamp_issuer.get("CN"),
    )


def parse_validation(store: Mapping[str, Any], ingredients: tuple[Ingredient, ...]) -> list[ValidationCode]:
    """The active manifest's codes (success, informational, failure) and the ingredient deltas' codes.

    Ingredient deltas are scoped to the ingredient they concern, so a failure inside an ingredient is never
    reported as the active manifest's own.
    """
    results = store.get("validation_results") if isinstance(store.get("validation_results"), dict) else None
    if results is None:  # older SDK output: only the flat status list, which holds failures
        return [
            make_code(s["code"], explanation=s.get("explanation"), url=s.get("url"))
            for s in store.get("validation_status", []) or []
            if isinstance(s, dict) and "code" in s
        ]
    codes = list(_codes_of(results.get("activeManifest") or {}, scope="active"))
    titles = _ingredient_titles(store)
    for delta in results.get("ingredientDeltas", []) or []:
        if not isinstance(delta, dict):
            continue
        uri = str(delta.get("ingredientAssertionURI", ""))
        scope = titles.get(uri.rsplit("/", 1)[-1]) or uri or "ingredient"
        codes.extend(_codes_of(delta.get("validationDeltas") or {}, scope=f"ingredient: {scope}"))
    return codes


def status_codes(store: Mapping[str, Any]) -> tuple[str, ...]:
    """The top-level ``validation_status`` codes, as the SDK lists them (may repeat one per manifest)."""
    return tuple(
        str(s["code"]) for s in store.get("validation_status", []) or [] if isinstance(s, dict) and "code" in s
    )


def claim_generator_of(manifest: Mapping[str, Any]) -> str | None:
    """The claim generator string, or the names from ``claim_generator_info``; ``None`` when neither is set."""
    generator = manifest.get("claim_generator") or " ".join(
        str(i.get("name")) for i in manifest.get("claim_generator_info", []) or [] if isinstance(i, dict)
    )
    return str(generator) if generator else None


def _resource_id(reference: Any) -> str | None:
    if isinstance(reference, dict) and isinstance(reference.get("identifier"), str):
        return reference["identifier"]
    return None


def assertion_labels(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(a.get("label")) for a in _assertions(manifest) if a.get("label"))


def has_cawg_identity(manifest: Mapping[str, Any]) -> bool:
    return any(label.startswith("cawg.identity") for label in assertion_labels(manifest))


# --- helpers --------------------------------------------------------------------------------------


def _assertions(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = manifest.get("assertions")
    return [a for a in items if isinstance(a, dict)] if isinstance(items, list) else []


def _agent_name(agent: Any) -> str | None:
    if isinstance(agent, str):
        return agent
    if isinstance(agent, dict) and agent.get("name"):
        version = agent.get("version")
        return f"{agent['name']} {version}" if version else str(agent["name"])
    return None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _codes_of(lists: Mapping[str, Any], *, scope: str) -> Iterable[ValidationCode]:
    for reported_as in ("failure", "informational", "success"):
        for status in lists.get(reported_as, []) or []:
            if isinstance(status, dict) and "code" in status:
                yield make_code(
                    str(status["code"]),
                    reported_as=reported_as,
                    explanation=status.get("explanation"),
                    url=status.get("url"),
                    scope=scope,
                )


def _ingredient_codes(item: Mapping[str, Any], *, scope: str) -> Iterable[ValidationCode]:
    results = item.get("validation_results")
    if isinstance(results, dict):
        yield from _codes_of(results.get("activeManifest") or {}, scope=f"ingredient: {scope}")
        return
    for status in item.get("validation_status", []) or []:
        if isinstance(status, dict) and "code" in status:
            yield make_code(
                str(status["code"]), explanation=status.get("explanation"), url=status.get("url"), scope=scope
            )


def _ingredient_titles(store: Mapping[str, Any]) -> dict[str, str]:
    """Ingredient assertion label (``c2pa.ingredient.v3``, ``c2pa.ingredient__1``) -> title, active manifest."""
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    active = manifests.get(store.get("active_manifest")) or {}
    return {
        str(i.get("label")): str(i.get("title"))
        for i in active.get("ingredients", []) or []
        if isinstance(i, dict) and i.get("label") and i.get("title")
    }
