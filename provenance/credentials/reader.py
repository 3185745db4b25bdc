"""Read and verify Content Credentials (C2PA) with c2pa-python, and the ``c2pa`` signal of the pipeline.

States, from worst to best: ``absent`` (no manifest found, or only a remote one that was not fetched),
``invalid`` (a manifest that fails validation, or cannot be read at all), ``valid`` (it holds, but the
signer is not on a trust list in use) and ``trusted`` (it holds and the signer chains to an anchor in use).

Where the manifest came from (``location``): ``embedded`` in the file; ``sidecar`` (``photo.c2pa`` beside
``photo.jpg``, found automatically); ``remote`` (a URL in the file; fetched only with ``allow_remote``);
``store`` (the input is a stand-alone ``.c2pa`` manifest store); ``fragment`` (fragmented MP4: init
segment plus fragments). Every read builds its own ``c2pa.Context`` from `TrustSettings`: nothing
global, and nothing touches the network unless ``allow_remote`` is set.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from veracity.provenance import labels
from veracity.provenance.assets.asset import Asset, load_asset
from veracity.provenance.credentials.facts import (
    Action,
    AiDeclarations,
    Ingredient,
    Signer,
    assertion_labels,
    claim_generator_of,
    has_cawg_identity,
    parse_actions,
    parse_ai_declarations,
    parse_ingredients,
    parse_signer,
    parse_validation,
    status_codes,
)
from veracity.provenance.credentials.trust import (
    SOURCE_NAMES,
    TrustSettings,
    TrustSource,
    anchors_only,
    build_context,
    resolve_trust_sources,
    single_sources,
)
from veracity.provenance.credentials.validation_codes import GROUPS, INFORMATIONAL, ValidationCode, make_code
from veracity.provenance.errors import ManifestReadError
from veracity.provenance.labels import CredentialState

ABSENT = CredentialState.ABSENT
INVALID = CredentialState.INVALID
VALID = CredentialState.VALID
TRUSTED = CredentialState.TRUSTED
STATES: tuple[str, ...] = labels.CREDENTIAL_STATES

EMBEDDED = "embedded"
SIDECAR = "sidecar"
REMOTE = "remote"
STORE = "store"
FRAGMENT = "fragment"
LOCATIONS: tuple[str, ...] = (EMBEDDED, SIDECAR, REMOTE, STORE, FRAGMENT)

STORE_MIMES = frozenset({"application/c2pa", "application/x-c2pa-manifest-store"})
_REMOTE_URL = re.compile(r"remote manifests? from url (\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class ReadProblem:
    """Why the SDK could not read a manifest: its error class and message.

    Attributes:
        kind: ``"C2paError.<Subclass>"`` (plain ``"C2paError"`` when the SDK did not map the native error).
        message: the SDK's message.
        asset_parsed: ``False`` when the file itself could not be parsed (unsupported or hostile container).
    """

    kind: str
    message: str
    asset_parsed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "asset_parsed": self.asset_parsed}


@dataclass(frozen=True)
class ManifestResult:
    """What the Content Credentials of one file say, and whether they hold.

    Attributes:
        name: the input as named in reports.
        state: one of `STATES`.
        location: one of `LOCATIONS`, or ``None`` when no manifest was read.
        remote_url: the URL of a remote manifest, when the file points to one.
        problem: why the manifest could not be read, when it could not.
        active_manifest: label of the active manifest.
        manifest_count: manifests in the store (the active one and its ingredients').
        claim_generator: the claim generator string (or the names from claim_generator_info).
        claim_version: 1 or 2.
        title, format, instance_id: the active manifest's own fields.
        signer: who signed, when, and whether the signature is timestamped.
        actions: the active manifest's actions.
        assertion_labels: labels of the active manifest's assertions.
        ingredients: the ingredient tree, each with its own validation.
        has_thumbnail: the active manifest has a claim thumbnail.
        thumbnail: the resource identifier of that thumbnail in the store (for `read_thumbnails`).
        cawg_identity: the active manifest has a CAWG identity assertion.
        ai: AI declarations from all four places.
        codes: validation codes, grouped (see `validation_codes`), active manifest and ingredient deltas.
        status_codes: the SDK's flat ``validation_status`` codes, as listed (may repeat).
        trust_sources: the trust sources used (kind, location, count).
        trusted_by: which anchor (or source) made the signer trusted, when trusted and identified.
        trust_list: the kind of trust source the signer chained to (``bundled``, ``interim``, ``--trust-anchors``,
            ``environment``, ``user-store``), when identified.
        notes: plain sentences about the read (sidecar used, remote not fetched, ...).
    """

    name: str
    state: str
    location: str | None = None
    remote_url: str | None = None
    problem: ReadProblem | None = None
    active_manifest: str | None = None
    manifest_count: int = 0
    claim_generator: str | None = None
    claim_version: int | None = None
    title: str | None = None
    format: str | None = None
    instance_id: str | None = None
    signer: Signer | None = None
    actions: tuple[Action, ...] = ()
    assertion_labels: tuple[str, ...] = ()
    ingredients: tuple[Ingredient, ...] = ()
    has_thumbnail: bool = False
    thumbnail: str | None = None
    cawg_identity: bool = False
    ai: AiDeclarations = field(default_factory=AiDeclarations)
    codes: tuple[ValidationCode, ...] = ()
    status_codes: tuple[str, ...] = ()
    trust_sources: tuple[dict[str, Any], ...] = ()
    trusted_by: str | None = None
    trust_list: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"ManifestResult.state must be one of {STATES}. Got {self.state!r} instead.")

    @property
    def failures(self) -> tuple[ValidationCode, ...]:
        """Codes that make a manifest fail or lose trust, for the active manifest and ingredient deltas."""
        return tuple(c for c in self.codes if c.group != INFORMATIONAL)

    @property
    def groups(self) -> dict[str, tuple[ValidationCode, ...]]:
        """Failure codes by group (only groups that have codes), most serious first."""
        return {
            g: tuple(c for c in self.failures if c.group == g)
            for g in GROUPS
            if any(c.group == g for c in self.failures)
        }

    @property
    def ingredient_count(self) -> int:
        return len(self.ingredients)

    def meets(self, require: str) -> bool:
        """Whether the state is at least `require` (``valid`` or ``trusted``)."""
        if require not in (VALID, TRUSTED):
            raise ValueError(f"require must be 'valid' or 'trusted'. Got {require!r} instead.")
        return STATES.index(self.state) >= STATES.index(require)

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "location": self.location,
            "remote_url": self.remote_url,
            "problem": self.problem.to_dict() if self.problem else None,
            "active_manifest": self.active_manifest,
            "manifest_count": self.manifest_count,
            "claim_generator": self.claim_generator,
            "claim_version": self.claim_version,
            "title": self.title,
            "format": self.format,
            "instance_id": self.instance_id,
            "signer": self.signer.to_dict() if self.signer else None,
            "actions": [a.to_dict() for a in self.actions],
            "assertion_labels": list(self.assertion_labels),
            "ingredient_count": self.ingredient_count,
            "ingredients": [i.to_dict() for i in self.ingredients],
            "has_thumbnail": self.has_thumbnail,
            "thumbnail": self.thumbnail,
            "cawg_identity": self.cawg_identity,
            "ai": self.ai.to_dict(),
            "groups": {g: [c.to_dict() for c in codes] for g, codes in self.groups.items()},
            "informational": [c.code for c in self.codes if c.group == INFORMATIONAL],
            "status_codes": list(self.status_codes),
            "trust_sources": list(self.trust_sources),
            "trusted_by": self.trusted_by,
            "trust_list": self.trust_list,
            "trust_list_name": SOURCE_NAMES.get(self.trust_list) if self.trust_list else None,
            "notes": list(self.notes),
        }


def read_manifest(
    source: str | os.PathLike[str] | bytes | Asset,
    *,
    trust: TrustSettings | None = None,
    sidecar: str | os.PathLike[str] | bool | None = None,
    fragments: Sequence[str | os.PathLike[str]] = (),
    name: str | None = None,
) -> ManifestResult:
    """Read and validate the Content Credentials of one file; a negative outcome is a state, not an error.

    Args:
        source: a path, the file's bytes, or an `Asset` already loaded.
        trust: what to trust and whether remote manifests may be fetched (default `TrustSettings()`).
        sidecar: a ``.c2pa`` manifest store to validate the file against. When ``None`` and the file has no
            embedded manifest, ``<file>.c2pa`` beside a path input is used if it exists; ``False`` never
            looks for one (what a plain SDK read does).
        fragments: media fragments of a fragmented MP4 whose init segment is `source`.
        name: how results name the input.

    Returns:
        A `ManifestResult`.

    Raises:
        ProvenanceError: the input file cannot be read (missing, empty, over a limit), a trust anchor file is
            unusable, or ``allow_remote`` is set and the remote manifest cannot be fetched.
    """
    trust = trust or TrustSettings()
    asset = source if isinstance(source, Asset) else load_asset(source, name=name)
    sources = resolve_trust_sources(trust)
    result = _read_with_sources(asset, sources, trust, sidecar=sidecar, fragments=fragments)
    return replace(result, name=name or asset.name, trust_sources=tuple(s.to_dict() for s in sources))


def verify_manifest(
    source: str | os.PathLike[str] | bytes | Asset,
    *,
    trust: TrustSettings | None = None,
    sidecar: str | os.PathLike[str] | bool | None = None,
    fragments: Sequence[str | os.PathLike[str]] = (),
    name: str | None = None,
) -> ManifestResult:
    """Like `read_manifest`, and when the signer chains to a trust source also name the source and the anchor.

    The SDK does not say which anchor matched, so the sources are tried one by one and the matching source's
    anchors searched by halving: about log2(anchors) extra reads, only for files whose signer is trusted
    (including a trusted signer of credentials that fail for another reason). The answer is remembered per
    signing certificate, so a batch pays it once per signer. ``trusted_by`` names the anchor (or the allowed
    end-entity list) and ``trust_list`` the kind of source.
    """
    trust = trust or TrustSettings()
    asset = source if isinstance(source, Asset) else load_asset(source, name=name)
    result = read_manifest(asset, trust=trust, sidecar=sidecar, fragments=fragments, name=name)
    if not signer_trusted(result):
        return result
    sources = resolve_trust_sources(trust)
    key = _signer_key(result, sources)
    if key is not None and key in _ANCHOR_CACHE:
        trusted_by, kind = _ANCHOR_CACHE[key]
        return replace(result, trusted_by=trusted_by, trust_list=kind)

    def trusts(candidates: tuple[TrustSource, ...]) -> bool:
        return signer_trusted(_read_with_sources(asset, candidates, trust, sidecar=sidecar, fragments=fragments))

    found = _find_anchor(sources, trusts)
    if found is None:
        return result
    if key is not None:
        if len(_ANCHOR_CACHE) >= _ANCHOR_CACHE_SIZE:
            _ANCHOR_CACHE.pop(next(iter(_ANCHOR_CACHE)))
        _ANCHOR_CACHE[key] = found
    return replace(result, trusted_by=found[0], trust_list=found[1])


def signer_trusted(result: ManifestResult) -> bool:
    """Whether the active manifest's signer chains to a trust source in use, whatever else failed."""
    if result.state == TRUSTED:
        return True
    active = {c.code for c in result.codes if c.scope == "active"}
    return "signingCredential.trusted" in active and "signingCredential.untrusted" not in active


_ANCHOR_CACHE: dict[tuple, tuple[str, str]] = {}
_ANCHOR_CACHE_SIZE = 256


def _signer_key(result: ManifestResult, sources: tuple[TrustSource, ...]) -> tuple | None:
    signer = result.signer
    if signer is None or not signer.serial:
        return None
    identity = (signer.serial, signer.issuer, signer.organisation, signer.common_name, signer.not_after)
    return identity + tuple((s.kind, s.location, len(s.anchors), s.allowed_count) for s in sources)


def _find_anchor(sources: tuple[TrustSource, ...], trusts) -> tuple[str, str] | None:
    """``(trusted_by, kind)`` of the source (and anchors) that trust the signer, or ``None``."""
    for candidate in sources:
        if len(sources) > 1 and not trusts((candidate,)):
            continue
        if candidate.allowed and not trusts((anchors_only(candidate),)):
            return f"an allowed end-entity certificate of {candidate.name}", candidate.kind
        needed = _minimal_anchors((), single_sources(candidate), trusts)
        if not needed:
            return candidate.name, candidate.kind
        described = " and ".join(
            f"{s.anchors[0].subject} (sha256 {s.anchors[0].fingerprint[:16]})" for s in needed if s.anchors
        )
        return f"{described}, on {candidate.name}", candidate.kind
    return None


def _minimal_anchors(fixed: tuple, candidates: list[TrustSource], trusts) -> list[TrustSource]:
    """A small subset of `candidates` that, with `fixed`, still trusts the signer (divide and conquer).

    One anchor usually suffices; an expired certificate with a timestamp needs two (the signer's root and the
    timestamp authority's), so a split that neither half satisfies alone is searched on both sides.
    """
    if len(candidates) <= 1:
        return list(candidates)
    half, rest = candidates[: len(candidates) // 2], candidates[len(candidates) // 2 :]
    if trusts(fixed + tuple(half)):
        return _minimal_anchors(fixed, half, trusts)
    if trusts(fixed + tuple(rest)):
        return _minimal_anchors(fixed, rest, trusts)
    left = _minimal_anchors(fixed + tuple(rest), half, trusts)
    return left + _minimal_anchors(fixed + tuple(left), rest, trusts)


# --- reading --------------------------------------------------------------------------------------


def _state_with(asset, sources, trust, sidecar, fragments) -> str:
    return _read_with_sources(asset, sources, trust, sidecar=sidecar, fragments=fragments).state


def _read_with_sources(
    asset: Asset,
    sources: tuple[TrustSource, ...],
    trust: TrustSettings,
    *,
    sidecar: str | os.PathLike[str] | bool | None,
    fragments: Sequence[str | os.PathLike[str]],
) -> ManifestResult:
    import c2pa

    mime = asset.media_type.mime
    is_store = mime in STORE_MIMES
    fmt = "application/c2pa" if is_store else reader_format(mime)
    location = STORE if is_store else (FRAGMENT if fragments else EMBEDDED)
    notes: list[str] = []
    try:
        return _from_reader(asset.name, _open_reader(asset, sources, fmt, None, fragments), location, notes)
    except c2pa.C2paError as exc:
        problem = _problem(exc)
    remote_url = _remote_url(problem.message)
    sidecar_path = _sidecar_for(asset, sidecar)
    if problem.kind.endswith("ManifestNotFound") or remote_url:
        if sidecar_path is not None:
            notes.append(f"Manifest read from the sidecar {sidecar_path.name}.")
            reader = _open_reader(asset, sources, fmt, _read_sidecar(sidecar_path), (), sidecar_errors=True)
            return replace(_from_reader(asset.name, reader, SIDECAR, notes), remote_url=remote_url)
        if remote_url and trust.allow_remote:
            manifest_bytes = _fetch_remote(remote_url, trust)
            notes.append(f"Remote manifest fetched from {remote_url}.")
            reader = _open_reader(asset, sources, fmt, manifest_bytes, (), sidecar_errors=True)
            return replace(_from_reader(asset.name, reader, REMOTE, notes), remote_url=remote_url)
        if remote_url:
            notes.append(
                f"The file points to a remote manifest at {remote_url}; it was not fetched "
                "(pass --allow-remote to fetch it)."
            )
            return ManifestResult(
                name=asset.name, state=ABSENT, location=REMOTE, remote_url=remote_url, notes=tuple(notes)
            )
        return ManifestResult(name=asset.name, state=ABSENT, notes=tuple(notes))
    if not problem.asset_parsed:
        return ManifestResult(name=asset.name, state=ABSENT, problem=problem)
    code = make_code("manifest.read.failed", explanation=problem.message)
    return ManifestResult(name=asset.name, state=INVALID, location=location, problem=problem, codes=(code,))


def _open_reader(asset, sources, fmt, manifest_data, fragments, *, sidecar_errors: bool = False):
    import c2pa

    context = build_context(sources)
    stream = io.BytesIO(asset.data)
    try:
        reader = c2pa.Reader(fmt, stream, manifest_data, context=context)
        for fragment in fragments:
            with open(fragment, "rb") as handle:
                fragment_stream = io.BytesIO(handle.read())
            reader = reader.with_fragment(fmt, io.BytesIO(asset.data), fragment_stream)
        return reader
    except c2pa.C2paError as exc:
        if not sidecar_errors:
            raise
        problem = _problem(exc)
        raise ManifestReadError(
            f"{asset.name}: the manifest could not be read ({problem.kind}: {problem.message})."
        ) from exc


def _from_reader(name: str, reader, location: str, notes: list[str]) -> ManifestResult:
    store = json.loads(reader.json())
    cr_signature = _cr_signature(reader, store.get("active_manifest"))
    remote_url = None
    if location == EMBEDDED and not reader.is_embedded():
        location, remote_url = REMOTE, reader.get_remote_url()
    return build_result(name, store, location=location, cr_signature=cr_signature, notes=notes, remote_url=remote_url)


def build_result(
    name: str,
    store: dict[str, Any],
    *,
    location: str,
    cr_signature: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
    remote_url: str | None = None,
) -> ManifestResult:
    """A `ManifestResult` from the SDK's manifest-store JSON (``reader.json()``)."""
    active = store.get("active_manifest")
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    manifest = manifests.get(active) if isinstance(manifests.get(active), dict) else {}
    ingredients = parse_ingredients(store, active)
    codes = tuple(parse_validation(store, ingredients))
    state = {"Trusted": TRUSTED, "Valid": VALID}.get(str(store.get("validation_state")), INVALID)
    return ManifestResult(
        name=name,
        state=state,
        location=location,
        remote_url=remote_url,
        active_manifest=active,
        manifest_count=len(manifests),
        claim_generator=claim_generator_of(manifest),
        claim_version=manifest.get("claim_version"),
        title=manifest.get("title"),
        format=manifest.get("format"),
        instance_id=manifest.get("instance_id"),
        signer=parse_signer(manifest, cr_signature, (c.code for c in codes if c.scope == "active")),
        actions=tuple(parse_actions(manifest, active)),
        assertion_labels=assertion_labels(manifest),
        ingredients=ingredients,
        has_thumbnail=isinstance(manifest.get("thumbnail"), dict),
        thumbnail=(manifest.get("thumbnail") or {}).get("identifier")
        if isinstance(manifest.get("thumbnail"), dict)
        else None,
        cawg_identity=has_cawg_identity(manifest),
        ai=parse_ai_declarations(store, active),
        codes=codes,
        status_codes=status_codes(store),
        notes=tuple(notes),
    )


def _cr_signature(reader, active: str | None) -> dict[str, Any] | None:
    """The active manifest's certificate details from crJSON; ``None`` when the SDK cannot give them."""
    import c2pa

    try:
        cr = json.loads(reader.crjson())
    except (c2pa.C2paError, ValueError):
        return None
    for manifest in cr.get("manifests", []) or []:
        if isinstance(manifest, dict) and manifest.get("label") == active:
            return manifest.get("signature") if isinstance(manifest.get("signature"), dict) else None
    return None


def reader_format(mime: str) -> str | None:
    """The format string c2pa's Reader takes for `mime`, or ``None`` when it does not read that format."""
    import c2pa

    return mime if mime in c2pa.Reader.get_supported_mime_types() else None


def _problem(exc: Exception) -> ReadProblem:
    cls = type(exc).__name__
    kind = "C2paError" if cls == "C2paError" else "C2paError." + cls.removeprefix("_C2pa")
    message = str(exc)
    unparsed = kind.endswith("NotSupported") or "could not be parsed" in message
    return ReadProblem(kind=kind, message=message, asset_parsed=not unparsed)


def _remote_url(message: str) -> str | None:
    match = _REMOTE_URL.search(message)
    return match.group(1) if match else None


def _sidecar_for(asset: Asset, sidecar: str | os.PathLike[str] | bool | None) -> Path | None:
    if sidecar is False:
        return None
    if sidecar is not None and sidecar is not True:
        return Path(sidecar)
    if asset.path is None or asset.path.suffix.lower() == ".c2pa":
        return None
    candidate = asset.path.with_suffix(".c2pa")
    return candidate if candidate.is_file() else None


def _read_sidecar(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ManifestReadError(f"Sidecar manifest {path} cannot be read ({exc}).", path=path) from exc


def _fetch_remote(url: str, trust: TrustSettings) -> bytes:
    """Fetch a remote manifest, with the timeout and size limit of `trust` (only when allowed)."""
    if not url.lower().startswith(("https://", "http://")):
        raise ManifestReadError(f"Remote manifest URL {url!r} is not http(s); refusing to fetch it.")
    try:
        with urllib.request.urlopen(url, timeout=trust.remote_timeout_s) as response:  # noqa: S310 (scheme checked)
            data = response.read(trust.remote_max_bytes + 1)
    except OSError as exc:
        raise ManifestReadError(f"Remote manifest {url} could not be fetched ({exc}).") from exc
    if len(data) > trust.remote_max_bytes:
        raise ManifestReadError(f"Remote manifest {url} is larger than {trust.remote_max_bytes} bytes; not read.")
    return data


# --- the pipeline signal --------------------------------------------------------------------------
