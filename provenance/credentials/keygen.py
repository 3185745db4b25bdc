"""Development signing credentials: a throw-away CA and a C2PA signing certificate. FOR TESTING ONLY.

`create_dev_credentials` writes, into one folder:

- ``dev-root-ca.pem``: the development root CA certificate (use it as a trust anchor:
  ``--trust-anchors dev-root-ca.pem``);
- ``dev-signer-chain.pem``: the signing certificate followed by the intermediate CA (what ``sign --cert``
  takes; the root is not included, as C2PA expects);
- ``dev-signer-key.pem``: the signer's private key (PKCS#8, unencrypted, file mode 0600).

The certificates carry the extensions C2PA requires of a signer (c2pa-rs checks them): version 3, not a
CA, a critical KeyUsage with digitalSignature, an ExtendedKeyUsage accepted by the C2PA trust
configuration (emailProtection and documentSigning), subject and authority key identifiers, and a
validity inside the issuer's. Every subject says "FOR TESTING ONLY"; the root's private key is not kept,
so nothing else can ever be issued under it. Never use these to sign anything published.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from veracity.provenance.assets.files import RESULT_FILE_MODE, write_file_atomic
from veracity.provenance.errors import KeygenError

ROOT_FILE = "dev-root-ca.pem"
CHAIN_FILE = "dev-signer-chain.pem"
KEY_FILE = "dev-signer-key.pem"
TEST_ONLY = "FOR TESTING ONLY"
_ALGS = ("es256", "es384", "es512", "ed25519")


@dataclass(frozen=True)
class DevCredentials:
    """Paths of the files `create_dev_credentials` wrote.

    Attributes:
        root_ca: the root CA certificate (trust anchor).
        chain: the signer certificate and the intermediate CA, PEM.
        key: the signer's private key, PEM.
        alg: the signing algorithm the key is for.
    """

    root_ca: Path
    chain: Path
    key: Path
    alg: str

    def to_dict(self) -> dict[str, str]:
        return {"root_ca": str(self.root_ca), "chain": str(self.chain), "key": str(self.key), "alg": self.alg}


def create_dev_credentials(
    folder: str | os.PathLike[str], *, alg: str = "es256", days: int = 365, overwrite: bool = False
) -> DevCredentials:
    """Create a development root CA, intermediate CA and C2PA signing certificate in `folder`.

    Args:
        folder: where to write (created if missing).
        alg: ``es256``, ``es384``, ``es512`` or ``ed25519``.
        days: validity of the signing certificate in days.
        overwrite: replace existing files of the same names.

    Returns:
        The paths written.

    Raises:
        KeygenError: unknown `alg`, or the files exist and `overwrite` is false.
    """
    if alg not in _ALGS:
        raise KeygenError(f"Unknown key algorithm {alg!r} for development credentials. Choose one of {_ALGS}.")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KeygenError(
            f"Cannot create the folder {folder} ({exc.strerror or exc}). Choose a writable folder."
        ) from None
    paths = DevCredentials(folder / ROOT_FILE, folder / CHAIN_FILE, folder / KEY_FILE, alg)
    existing = [p for p in (paths.root_ca, paths.chain, paths.key) if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise KeygenError(
            f"{existing[0]} already exists. Choose another folder or pass --overwrite to replace the files."
        )
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    root_key, int_key, signer_key = _new_key(alg), _new_key(alg), _new_key(alg)
    root = _certificate(_name("veracity development root CA"), root_key, None, root_key, now, days + 730, ca=True)
    intermediate = _certificate(
        _name("veracity development intermediate CA"), int_key, root, root_key, now, days + 365, ca=True
    )
    signer = _certificate(_name("veracity development signer"), signer_key, intermediate, int_key, now, days, ca=False)
    _write(paths.root_ca, _pem(root))
    _write(paths.chain, _pem(signer) + _pem(intermediate))
    key_pem = signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(paths.key, key_pem, mode=0o600)
    return paths


def _new_key(alg: str):
    curves = {"es256": ec.SECP256R1(), "es384": ec.SECP384R1(), "es512": ec.SECP521R1()}
    return ed25519.Ed25519PrivateKey.generate() if alg == "ed25519" else ec.generate_private_key(curves[alg])


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"veracity development credentials ({TEST_ONLY})"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_ONLY),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(name, key, issuer_cert, issuer_key, start, days, *, ca: bool) -> x509.Certificate:
    public = key.public_key()
    issuer_public = issuer_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        document_signing = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, document_signing]), critical=False
        )
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else _hash_for(issuer_key)
    return builder.sign(issuer_key, algorithm)


def _hash_for(key) -> hashes.HashAlgorithm:
    size = key.curve.key_size
    return hashes.SHA256() if size <= 256 else hashes.SHA384() if size <= 384 else hashes.SHA512()


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, *, mode: int = RESULT_FILE_MODE) -> None:
    """Write through a new temp file made with O_EXCL | O_NOFOLLOW and ``mode`` from the start, then rename.

    A predictable temp name would let a planted file (its mode kept) or link (its target written) capture
    the private key; `write_file_atomic` never opens an existing path, and the rename replaces a link itself.
    """
    try:
        write_file_atomic(path, data, mode=mode)
    except OSError as exc:
        raise KeygenError(f"Cannot write {path} ({exc.strerror or exc}). Choose a writable folder.") from None
