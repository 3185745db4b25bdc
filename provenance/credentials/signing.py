"""Sign a file with Content Credentials (c2pa ``Builder`` + ``Signer``), never risking the input.

Safety rules (STYLE.md §5):

1. `sign_file` never writes over its source: a destination that is the source, also through a symbolic or
   hard link, is refused.
2. An existing destination is refused unless ``overwrite=True``.
3. The library truncates its destination before signing, so it never gets the final path: it writes a
   temporary file in the destination's folder, which is renamed over the destination (``os.replace``) only
   after signing succeeded, and removed otherwise. A failed sign leaves no partial file.

The algorithm is inferred from the private key (Ed25519, P-256/384/521 -> ES256/384/512, RSA -> PS256)
unless given. Private keys are never logged, echoed or put into an error message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from veracity.provenance.assets.files import create_temp_file
from veracity.provenance.assets.mediatypes import sniff_media_type
from veracity.provenance.errors import SigningError
from veracity.provenance.sourcetypes import list_source_types, lookup_source_type
from veracity.provenance.versions import package_version

ALGORITHMS: tuple[str, ...] = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")
_CURVE_ALG = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


@dataclass(frozen=True)
class SignResult:
    """What `sign_file` wrote.

    Attributes:
        source: the input (unchanged).
        destination: the signed file.
        alg: the signing algorithm used.
        format: the media type signed.
        manifest_bytes: size of the embedded manifest store, in bytes.
    """

    source: Path
    destination: Path
    alg: str
    format: str
    manifest_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "destination": str(self.destination),
            "alg": self.alg,
            "format": self.format,
            "manifest_bytes": self.manifest_bytes,
        }


def sign_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    cert: str | os.PathLike[str],
    key: str | os.PathLike[str],
    alg: str | None = None,
    source_type: str | None = None,
    action: str | None = None,
    title: str | None = None,
    parent: str | os.PathLike[str] | None = None,
    assertions: Sequence[str | os.PathLike[str]] = (),
    tsa_url: str | None = None,
    thumbnail: bool = True,
    overwrite: bool = False,
) -> SignResult:
    """Sign `src` into `dst` with Content Credentials.

    Args:
        src: the file to sign (left byte-identical).
        dst: where to write the signed copy.
        cert: PEM certificate chain, signer first (no root).
        key: PEM private key of the signer.
        alg: one of `ALGORITHMS`; inferred from the key when ``None``.
        source_type: IPTC digital source type (``trainedAlgorithmicMedia``, ``digitalCapture``, ...).
        action: the action to record (default ``c2pa.created``, or ``c2pa.edited`` with a parent).
        title: the manifest title (default: the destination's file name).
        parent: a file added as the ``parentOf`` ingredient, keeping its own manifest.
        assertions: JSON files, each one assertion ``{"label": ..., "data": ...}`` or a list of them.
        tsa_url: an RFC 3161 timestamp authority (network use, only when given).
        thumbnail: embed a thumbnail of the asset.
        overwrite: replace an existing `dst`.

    Returns:
        A `SignResult`.

    Raises:
        SigningError: unsafe destination, unreadable or mismatched key/certificate, unsupported format, or
            the SDK refused to sign (e.g. an expired certificate). Nothing is written then.
    """
    import c2pa

    src, dst = Path(src), Path(dst)
    _check_paths(src, dst, overwrite=overwrite)
    cert_pem = _read_text(cert, "certificate chain")
    key_pem = _read_text(key, "private key")
    inferred = infer_algorithm(key_pem, key)  # also proves the key parses, whatever --alg says
    alg = alg.lower() if alg else inferred
    key_pem = as_pkcs8(key_pem, key)  # the SDK reads PKCS#8 only; SEC1 and PKCS#1 keys are converted
    if alg not in ALGORITHMS:
        raise SigningError(f"Unknown signing algorithm {alg!r}. Choose one of {', '.join(ALGORITHMS)}.")
    mime = _signable_mime(src)
    manifest = build_manifest_definition(
        title=title or dst.name, source_type=source_type, action=action, has_parent=parent is not None
    )
    manifest["assertions"].extend(_load_assertions(assertions))
    context = c2pa.Context.from_dict(
        {"builder": {"thumbnail": {"enabled": bool(thumbnail)}}, "verify": {"remote_manifest_fetch": False}}
    )
    try:
        temp_fd, temp = create_temp_file(dst.parent, dst.name)  # the usual mode of a new file, never a link
    except OSError as exc:
        raise SigningError(
            f"Cannot write into {dst.parent} ({exc.strerror or exc}). Choose an -o path in a writable folder.", path=dst
        ) from None
    os.close(temp_fd)
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(alg, cert_pem.encode("ascii"), key_pem.encode("ascii"), tsa_url)
        )
        with c2pa.Builder(manifest, context=context) as builder:
            if parent is not None:
                _add_parent(builder, Path(parent))
            with open(src, "rb") as source, open(temp, "w+b") as target:
                manifest_bytes = builder.sign(signer, mime, source, target)
                target.flush()
                os.fsync(target.fileno())
        os.replace(temp, dst)
    except c2pa.C2paError as exc:
        temp.unlink(missing_ok=True)
        raise SigningError(f"Signing {src} failed: {exc}. Nothing was written to {dst}.", path=src) from exc
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise SigningError(
            f"Writing {dst} failed ({exc.strerror or exc}). Nothing was written; free space or choose another -o path.",
            path=dst,
        ) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return SignResult(src, dst, alg, mime, len(manifest_bytes or b""))


def build_manifest_definition(
    *, title: str, source_type: str | None = None, action: str | None = None, has_parent: bool = False
) -> dict[str, Any]:
    """The manifest definition `sign_file` uses: claim generator, title and one actions assertion.

    Raises:
        SigningError: `source_type` is not an IPTC digital source type.
    """
    actions: list[dict[str, Any]] = []
    if has_parent:
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}})
    main: dict[str, Any] = {"action": action or ("c2pa.edited" if has_parent else "c2pa.created")}
    if source_type:
        term = lookup_source_type(source_type)
        if term is None:
            raise SigningError(
                f"Unknown digital source type {source_type!r}. Use an IPTC term: {', '.join(list_source_types())}."
            )
        main["digitalSourceType"] = term.uri
    elif main["action"] == "c2pa.created":
        raise SigningError(
            "A c2pa.created action needs a digital source type (C2PA 2.x requires it). Pass --source-type, "
            "e.g. digitalCapture for a photo or trainedAlgorithmicMedia for a generated image."
        )
    main["softwareAgent"] = {"name": "veracity", "version": package_version("veracity", "0+unknown")}
    if not (has_parent and main["action"] == "c2pa.opened"):
        actions.append(main)
    return {
        "claim_generator_info": [{"name": "veracity", "version": package_version("veracity", "0+unknown")}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }


def infer_algorithm(key_pem: str, key_path: str | os.PathLike[str] = "key") -> str:
    """The C2PA algorithm for a PEM private key: Ed25519, ES256/384/512 by curve, PS256 for RSA.

    Raises:
        SigningError: the key cannot be parsed (the message never contains the key).
    """
    private = _load_private_key(key_pem, key_path)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name in _CURVE_ALG:
        return _CURVE_ALG[private.curve.name]
    if isinstance(private, rsa.RSAPrivateKey):
        return "ps256"
    raise SigningError(f"The private key {key_path} is of a type C2PA cannot sign with. Use EC, Ed25519 or RSA.")


def as_pkcs8(key_pem: str, key_path: str | os.PathLike[str] = "key") -> str:
    """The key as unencrypted PKCS#8 PEM (``BEGIN PRIVATE KEY``), the only form the C2PA SDK reads.

    Accepts PKCS#8, SEC1 (``BEGIN EC PRIVATE KEY``) and PKCS#1 (``BEGIN RSA PRIVATE KEY``) PEM keys.

    Raises:
        SigningError: the key cannot be parsed (the message never contains the key).
    """
    private = _load_private_key(key_pem, key_path)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode("ascii")


def _load_private_key(key_pem: str, key_path: str | os.PathLike[str]):
    try:
        return serialization.load_pem_private_key(key_pem.encode("ascii", "replace"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningError(
            f"The private key {key_path} is not an unencrypted PEM private key ({type(exc).__name__}). Accepted: "
            "PKCS#8 ('BEGIN PRIVATE KEY'), SEC1 EC ('BEGIN EC PRIVATE KEY') or PKCS#1 RSA ('BEGIN RSA PRIVATE KEY') "
            "PEM, without a passphrase."
        ) from None


def list_signable_formats() -> list[str]:
    """Media types the c2pa library can sign."""
    import c2pa

    return sorted(m for m in c2pa.Builder.get_supported_mime_types() if "/" in m)


# --- helpers --------------------------------------------------------------------------------------


def _check_paths(src: Path, dst: Path, *, overwrite: bool) -> None:
    if not src.is_file():
        raise SigningError(f"Source {src} is not a file. Give the path of the file to sign.", path=src)
    if dst.exists() or dst.is_symlink():
        if dst.exists() and os.path.samefile(src, dst):
            raise SigningError(
                f"Destination {dst} is the source file {src} (same file, possibly through a link). "
                "Signing never writes over its input: choose another -o path.",
                path=dst,
            )
        if not overwrite:
            raise SigningError(f"Destination {dst} already exists. Pass --overwrite to replace it.", path=dst)
        if dst.is_symlink() or not dst.is_file():
            raise SigningError(f"Destination {dst} is a link or not a regular file; refusing to replace it.", path=dst)
    if src.resolve() == dst.resolve():
        raise SigningError(f"Destination {dst} resolves to the source {src}; choose another -o path.", path=dst)
    if not dst.parent.is_dir():
        raise SigningError(f"The folder of the destination, {dst.parent}, does not exist. Create it first.", path=dst)


def _read_text(path: str | os.PathLike[str], what: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise SigningError(f"The {what} file {path} does not exist.", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningError(f"The {what} file {path} cannot be read as PEM text ({type(exc).__name__}).") from None


def _signable_mime(src: Path) -> str:
    with open(src, "rb") as handle:
        head = handle.read(1 << 16)
    sniffed = sniff_media_type(head)
    mime = sniffed.mime if sniffed is not None else "application/octet-stream"
    formats = list_signable_formats()
    if mime == "image/tiff" and src.suffix.lower() == ".dng":
        mime = "image/dng"
    if mime not in formats:
        raise SigningError(
            f"{src} is {mime}, which the C2PA library cannot sign. Signable formats: {', '.join(formats)}.",
            path=src,
        )
    return mime


def _add_parent(builder, parent: Path) -> None:
    if not parent.is_file():
        raise SigningError(f"Parent ingredient {parent} is not a file.", path=parent)
    ingredient = {"title": parent.name, "relationship": "parentOf", "label": "parent"}
    with open(parent, "rb") as handle:
        builder.add_ingredient(ingredient, _signable_mime(parent), handle)


def _load_assertions(paths: Sequence[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SigningError(f"Assertion file {path} is not readable JSON ({exc}).", path=path) from exc
        items = data if isinstance(data, list) else [data]
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("label"), str) or "data" not in item:
                raise SigningError(
                    f"Assertion file {path} must hold an object {{'label': str, 'data': ...}} or a list of them.",
                    path=path,
                )
            loaded.append(item)
    return loaded
