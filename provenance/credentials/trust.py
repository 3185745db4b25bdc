"""Who veracity trusts to sign Content Credentials, and the c2pa settings built from that.

Offline sources, in this order:

1. the bundled copy of the C2PA trust list (``provenance/credentials/trustlists/``, see SOURCE.md there), unless
   ``--no-default-trust``;
2. the bundled copy of the Content Credentials *interim* trust list, the one the Verify site uses (anchors,
   allowed end-entity certificate hashes and its EKU configuration), unless ``--no-interim-trust``;
3. the user's anchors: ``--trust-anchors FILE`` (repeatable), the ``VERACITY_TRUST_ANCHORS`` environment
   variable (one or more PEM files separated by the OS path separator), and the user trust store, a folder
   of PEM files under ``$XDG_CONFIG_HOME/veracity/trust-anchors`` managed by
   ``veracity provenance trust show|add|remove``.

Nothing here touches the network: no trust-list download, no OCSP, and remote manifests are fetched only
when `TrustSettings.allow_remote` is set. A ``c2pa.Context`` is built per call from these settings; the
process-wide ``c2pa.load_settings`` is never used, so two calls with different trust never interfere.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from veracity.provenance.errors import TrustError

ENV_TRUST_ANCHORS = "VERACITY_TRUST_ANCHORS"
_TRUSTLIST_DIR = Path(__file__).resolve().parent / "trustlists"
BUNDLED_TRUST_LIST = _TRUSTLIST_DIR / "c2pa_trust_list.pem"
BUNDLED_TRUST_CONFIG = _TRUSTLIST_DIR / "c2pa_store.cfg"
INTERIM_TRUST_LIST = _TRUSTLIST_DIR / "interim_anchors.pem"
INTERIM_ALLOWED_LIST = _TRUSTLIST_DIR / "interim_allowed.sha256.txt"
INTERIM_TRUST_CONFIG = _TRUSTLIST_DIR / "interim_store.cfg"
#: When the bundled copy of the interim list was taken (see trustlists/SOURCE.md).
INTERIM_LIST_DATE = "2026-11-30"

BUNDLED = "bundled"
INTERIM = "interim"
FLAG = "--trust-anchors"
ENVIRONMENT = "environment"
USER_STORE = "user-store"
#: Bundled lists: passed to c2pa as trust anchors (the user's go in as user anchors).
LIST_KINDS = (BUNDLED, INTERIM)

#: What a report calls each kind of trust source, for people.
SOURCE_NAMES: dict[str, str] = {
    BUNDLED: "the C2PA trust list",
    INTERIM: "the Content Credentials interim trust list (as used by the Verify site)",
    FLAG: "your --trust-anchors file",
    ENVIRONMENT: "your VERACITY_TRUST_ANCHORS file",
    USER_STORE: "your trust store",
}


@dataclass(frozen=True)
class TrustSettings:
    """What to trust and whether the network may be used, for one read.

    Attributes:
        anchor_files: PEM files given explicitly (``--trust-anchors``).
        use_default_trust: include the bundled C2PA trust list.
        use_interim_trust: include the bundled Content Credentials interim trust list (anchors and allowed
            end-entity certificates), as the Verify site does.
        use_environment: include the files named by ``VERACITY_TRUST_ANCHORS``.
        use_user_store: include the user trust store.
        allow_remote: fetch remote manifests (off by default; then with a timeout and a size limit).
        remote_timeout_s: timeout of one remote fetch, in seconds.
        remote_max_bytes: largest remote manifest accepted, in bytes.
        store_dir: the user trust store folder (``None``: `default_store_dir()`).
    """

    anchor_files: tuple[Path, ...] = ()
    use_default_trust: bool = True
    use_interim_trust: bool = True
    use_environment: bool = True
    use_user_store: bool = True
    allow_remote: bool = False
    remote_timeout_s: float = 10.0
    remote_max_bytes: int = 16 * 1024 * 1024
    store_dir: Path | None = None

    @classmethod
    def only(
        cls,
        *anchor_files: str | os.PathLike[str],
        use_default_trust: bool = False,
        use_interim_trust: bool = False,
    ) -> TrustSettings:
        """Settings that trust exactly these files (no environment, no user store): for tests and scripts."""
        return cls(
            anchor_files=tuple(Path(p) for p in anchor_files),
            use_default_trust=use_default_trust,
            use_interim_trust=use_interim_trust,
            use_environment=False,
            use_user_store=False,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor_files": [str(p) for p in self.anchor_files],
            "use_default_trust": self.use_default_trust,
            "use_interim_trust": self.use_interim_trust,
            "use_environment": self.use_environment,
            "use_user_store": self.use_user_store,
            "allow_remote": self.allow_remote,
        }


@dataclass(frozen=True)
class Anchor:
    """One trust anchor certificate, for people.

    Attributes:
        subject: the certificate's subject (RFC 4514 string).
        fingerprint: SHA-256 of the DER certificate, hex.
        not_after: end of validity, ISO 8601 UTC.
        is_ca: the certificate says it is a CA.
    """

    subject: str
    fingerprint: str
    not_after: str
    is_ca: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "fingerprint": self.fingerprint,
            "not_after": self.not_after,
            "is_ca": self.is_ca,
        }


@dataclass(frozen=True)
class TrustSource:
    """A set of anchors from one place.

    Attributes:
        kind: ``bundled``, ``interim``, ``--trust-anchors``, ``environment`` or ``user-store``.
        location: the file or folder it came from.
        pem: the certificates, PEM text.
        anchors: the certificates described.
        allowed: allowed end-entity certificates (SHA-256 hashes, base64, one a line; ``#`` comments), or "".
    """

    kind: str
    location: str
    pem: str = field(repr=False)
    anchors: tuple[Anchor, ...]
    allowed: str = field(default="", repr=False)

    @property
    def name(self) -> str:
        """The source for people, e.g. "the Content Credentials interim trust list"."""
        return SOURCE_NAMES.get(self.kind, self.kind)

    @property
    def allowed_count(self) -> int:
        return sum(1 for line in self.allowed.splitlines() if line.strip() and not line.startswith("#"))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name, "location": self.location}
        data["anchors"] = len(self.anchors)
        if self.allowed:
            data["allowed_end_entities"] = self.allowed_count
        return data


def default_store_dir() -> Path:
    """The user trust store: ``$XDG_CONFIG_HOME/veracity/trust-anchors`` (``~/.config`` when unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "veracity" / "trust-anchors"


def load_anchors(path: str | os.PathLike[str], *, kind: str = FLAG) -> TrustSource:
    """Read a PEM file of trust anchors.

    Raises:
        TrustError: the file is missing, unreadable or holds no PEM certificate.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TrustError(f"Trust anchor file {path} does not exist. Pass a PEM file of CA certificates.") from None
    except OSError as exc:
        raise TrustError(f"Trust anchor file {path} cannot be read ({exc}).", path=path) from exc
    return _load_anchors_cached(str(path), stat.st_mtime_ns, stat.st_size, kind)


@functools.lru_cache(maxsize=64)
def _load_anchors_cached(name: str, mtime_ns: int, size: int, kind: str) -> TrustSource:
    # Keyed by modification time and size, so an edited file is read again; parsing 22 certificates costs
    # several ms, which a batch would otherwise pay per file.
    del mtime_ns, size
    path = Path(name)
    try:
        text = path.read_text(encoding="ascii", errors="strict")
    except FileNotFoundError:
        raise TrustError(f"Trust anchor file {path} does not exist. Pass a PEM file of CA certificates.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustError(f"Trust anchor file {path} cannot be read as PEM text ({exc}).", path=path) from exc
    return TrustSource(kind=kind, location=str(path), pem=text, anchors=_describe_pem(text, path))


def resolve_trust_sources(settings: TrustSettings, environ: dict[str, str] | None = None) -> tuple[TrustSource, ...]:
    """Every trust source `settings` asks for, bundled first.

    Raises:
        TrustError: a named anchor file cannot be used.
    """
    environ = os.environ if environ is None else environ
    sources: list[TrustSource] = []
    if settings.use_default_trust:
        sources.append(load_anchors(BUNDLED_TRUST_LIST, kind=BUNDLED))
    if settings.use_interim_trust:
        sources.append(interim_source())
    sources.extend(load_anchors(p, kind=FLAG) for p in settings.anchor_files)
    if settings.use_environment and environ.get(ENV_TRUST_ANCHORS):
        for part in environ[ENV_TRUST_ANCHORS].split(os.pathsep):
            if part.strip():
                sources.append(load_anchors(part.strip(), kind=ENVIRONMENT))
    if settings.use_user_store:
        store = user_store_source(settings.store_dir)
        if store is not None:
            sources.append(store)
    return tuple(sources)


def interim_source() -> TrustSource:
    """The bundled Content Credentials interim trust list: its anchors and its allowed end-entity hashes."""
    anchors = load_anchors(INTERIM_TRUST_LIST, kind=INTERIM)
    return replace(anchors, allowed=_read_bundled_text(INTERIM_ALLOWED_LIST))


def context_settings(sources: tuple[TrustSource, ...], *, allow_remote: bool = False) -> dict[str, Any]:
    """The c2pa settings dict for these sources: bundled lists as trust anchors, the rest as user anchors.

    The EKU configuration is the union of the bundled lists' (they are identical today); allowed end-entity
    certificates of the interim list go in as c2pa's ``allowed_list``.
    """
    config: dict[str, Any] = {"verify": {"remote_manifest_fetch": bool(allow_remote), "ocsp_fetch": False}}
    lists = [s.pem for s in sources if s.kind in LIST_KINDS and s.pem]
    users = [s.pem for s in sources if s.kind not in LIST_KINDS and s.pem]
    allowed = [s.allowed for s in sources if s.allowed]
    if lists or users or allowed:
        configs = [BUNDLED_TRUST_CONFIG] + ([INTERIM_TRUST_CONFIG] if any(s.kind == INTERIM for s in sources) else [])
        trust: dict[str, Any] = {"trust_config": _merged_config(configs)}
        if lists:
            trust["trust_anchors"] = "\n".join(lists)
        if users:
            trust["user_anchors"] = "\n".join(users)
        if allowed:
            trust["allowed_list"] = "\n".join(allowed)
        config["trust"] = trust
    return config


@functools.cache
def _read_bundled_text(path: Path) -> str:
    return path.read_text(encoding="ascii")


def _merged_config(paths: list[Path]) -> str:
    """EKU OIDs of several store.cfg files, each once, comments kept before their OID."""
    seen: set[str] = set()
    lines: list[str] = []
    for path in paths:
        pending: list[str] = []
        for line in _read_bundled_text(path).splitlines():
            if line.strip().startswith("//") or not line.strip():
                pending.append(line)
            elif line.strip() not in seen:
                seen.add(line.strip())
                lines.extend(pending + [line])
                pending = []
            else:
                pending = []
    return "\n".join(lines)


def build_context(sources: tuple[TrustSource, ...], *, allow_remote: bool = False):
    """A fresh ``c2pa.Context`` for one read (never the process-wide settings)."""
    import c2pa

    return c2pa.Context.from_dict(context_settings(sources, allow_remote=allow_remote))


# --- the user trust store -------------------------------------------------------------------------


def user_store_source(store_dir: Path | None = None) -> TrustSource | None:
    """The user trust store as one source, or ``None`` when it is empty or does not exist."""
    store = store_dir or default_store_dir()
    files = sorted(store.glob("*.pem")) if store.is_dir() else []
    if not files:
        return None
    parts = [load_anchors(f, kind=USER_STORE) for f in files]
    return TrustSource(
        kind=USER_STORE,
        location=str(store),
        pem="\n".join(p.pem for p in parts),
        anchors=tuple(a for p in parts for a in p.anchors),
    )


def add_user_anchors(pem_file: str | os.PathLike[str], store_dir: Path | None = None) -> tuple[Anchor, ...]:
    """Copy each certificate of `pem_file` into the user trust store, one file per certificate.

    Returns:
        The anchors added (already present ones are returned too; adding is idempotent).

    Raises:
        TrustError: the file holds no PEM certificate.
    """
    source = load_anchors(pem_file)
    store = store_dir or default_store_dir()
    store.mkdir(parents=True, exist_ok=True)
    for cert in x509.load_pem_x509_certificates(source.pem.encode("ascii")):
        fingerprint = cert.fingerprint(_sha256()).hex()
        target = store / f"{fingerprint[:16]}.pem"
        temp = target.with_suffix(".pem.tmp")
        temp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        os.replace(temp, target)
    return source.anchors


def remove_user_anchor(fingerprint_prefix: str, store_dir: Path | None = None) -> Anchor:
    """Remove the one stored anchor whose SHA-256 fingerprint starts with `fingerprint_prefix`.

    Raises:
        TrustError: no stored anchor matches, or more than one does.
    """
    prefix = fingerprint_prefix.lower().replace(":", "")
    if not re.fullmatch(r"[0-9a-f]{4,64}", prefix):
        raise TrustError(
            f"Trust anchor fingerprint {fingerprint_prefix!r} is not hex. Give at least 4 hex digits of the "
            "SHA-256 fingerprint that `veracity provenance trust show` prints."
        )
    store = store_dir or default_store_dir()
    matches = []
    for f in sorted(store.glob("*.pem")) if store.is_dir() else []:
        for anchor in load_anchors(f, kind=USER_STORE).anchors:
            if anchor.fingerprint.startswith(prefix):
                matches.append((f, anchor))
    if not matches:
        raise TrustError(f"No anchor in the user trust store {store} has a fingerprint starting {prefix!r}.")
    if len(matches) > 1:
        raise TrustError(f"{len(matches)} anchors in {store} start with {prefix!r}; give more hex digits.")
    path, anchor = matches[0]
    path.unlink()
    return anchor


# --- helpers --------------------------------------------------------------------------------------


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _describe_pem(text: str, path: Path) -> tuple[Anchor, ...]:
    try:
        certs = x509.load_pem_x509_certificates(text.encode("ascii"))
    except ValueError as exc:
        raise TrustError(
            f"Trust anchor file {path} holds no readable PEM certificate ({exc}). "
            "It must contain '-----BEGIN CERTIFICATE-----' blocks.",
            path=path,
        ) from exc
    return tuple(describe_certificate(c) for c in certs)


def describe_certificate(cert: x509.Certificate) -> Anchor:
    """An `Anchor` for a parsed certificate."""
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    return Anchor(
        subject=cert.subject.rfc4514_string(),
        fingerprint=cert.fingerprint(_sha256()).hex(),
        not_after=cert.not_valid_after_utc.astimezone(UTC).isoformat(),
        is_ca=is_ca,
    )


def single_sources(source: TrustSource) -> list[TrustSource]:
    """One source per certificate of `source`, to find the anchor that matched."""
    certs = x509.load_pem_x509_certificates(source.pem.encode("ascii"))
    return [
        replace(
            source,
            pem=c.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            anchors=(describe_certificate(c),),
            allowed="",
        )
        for c in certs
    ]


def anchors_only(source: TrustSource) -> TrustSource:
    """`source` without its allowed end-entity list, to tell an anchor match from an allowed-list match."""
    return replace(source, allowed="")
