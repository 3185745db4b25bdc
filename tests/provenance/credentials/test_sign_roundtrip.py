"""Round trip: sign every signable fixture format with every test credential, read back, tamper, strip."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.paths import C2PA_FIXTURES
from veracity.provenance.credentials.keygen import create_dev_credentials
from veracity.provenance.credentials.reader import read_manifest
from veracity.provenance.credentials.signing import SigningError, sign_file
from veracity.provenance.credentials.trust import TrustSettings

FIXTURES = C2PA_FIXTURES
CERTS = FIXTURES / "certs"
TEST_ANCHORS = CERTS / "trust" / "test_cert_root_bundle.pem"
# One small unsigned file per format c2pa-python can sign.
INPUTS = [
    "c2pa-rs_no_manifest.jpg",
    "c2pa-rs_cli-libpng-test.png",
    "c2pa-rs_test.webp",
    "c2pa-ts_trustnxt-icon.heic",
    "c2pa-rs_sample1.avif",
    "c2pa-ts_c2pa.tiff",
    "c2pa-rs_bench-100kb.gif",
    "c2pa-rs_sample1.svg",
    "c2pa-rs_basic.pdf",
    "c2pa-ts_test-video.mp4",
    "c2pa-rs_bench-100kb.wav",
    "c2pa-rs_bench-100kb.mp3",
]
CREDENTIALS = ["ed25519", "es256", "es384", "es512", "ps256", "ps384", "ps512"]

pytestmark = pytest.mark.skipif(not TEST_ANCHORS.exists(), reason="shared C2PA fixtures not found")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _format_by_algorithm() -> list:
    """Every format with every algorithm; the fast subset (not marked slow) still signs every format once and
    uses every algorithm at least once."""
    return [
        pytest.param(name, alg, marks=() if CREDENTIALS.index(alg) == i % len(CREDENTIALS) else pytest.mark.slow)
        for i, name in enumerate(INPUTS)
        for alg in CREDENTIALS
    ]


@pytest.mark.parametrize(("name", "alg"), _format_by_algorithm())
def test_sign_then_read_back(tmp_path: Path, name: str, alg: str) -> None:
    src = FIXTURES / "media" / name
    before = _sha(src)
    dst = tmp_path / f"signed{src.suffix}"
    result = sign_file(
        src,
        dst,
        cert=CERTS / f"{alg}.pub",
        key=CERTS / f"{alg}.pem",
        alg=alg if alg.startswith("ps") else None,  # an RSA key does not say which PSS hash to use
        source_type="trainedAlgorithmicMedia",
        thumbnail=False,
    )
    assert result.alg == alg
    assert _sha(src) == before
    trusted = read_manifest(dst, trust=TrustSettings.only(TEST_ANCHORS))
    assert trusted.state == "trusted", trusted.status_codes
    assert trusted.ai.active_manifest_dst == ("trainedAlgorithmicMedia",)
    untrusted = read_manifest(dst, trust=TrustSettings.only())
    assert untrusted.state == "valid"
    assert {c.code for c in untrusted.failures} == {"signingCredential.untrusted"}
    assert [p.name for p in tmp_path.iterdir()] == [dst.name]  # no temporary file left behind


def test_changing_one_byte_of_image_data_is_tampered(tmp_path: Path) -> None:
    dst = tmp_path / "signed.jpg"
    sign_file(
        FIXTURES / "media" / "c2pa-rs_no_manifest.jpg",
        dst,
        cert=CERTS / "es256.pub",
        key=CERTS / "es256.pem",
        source_type="digitalCapture",
    )
    data = bytearray(dst.read_bytes())
    data[-100] ^= 0x55  # inside the entropy-coded scan, before EOI
    dst.write_bytes(bytes(data))
    result = read_manifest(dst, trust=TrustSettings.only(TEST_ANCHORS))
    assert result.state == "invalid"
    assert "tampered" in result.groups and "untrusted" not in result.groups


def test_stripped_manifest_is_absent(tmp_path: Path) -> None:
    from PIL import Image

    dst = tmp_path / "signed.png"
    sign_file(
        FIXTURES / "media" / "c2pa-rs_cli-libpng-test.png",
        dst,
        cert=CERTS / "es256.pub",
        key=CERTS / "es256.pem",
        source_type="digitalCapture",
    )
    stripped = tmp_path / "stripped.png"
    with Image.open(dst) as image:
        image.save(stripped)  # Pillow drops unknown chunks, caBX included
    assert read_manifest(stripped, trust=TrustSettings.only(TEST_ANCHORS)).state == "absent"


def test_parent_ingredient_keeps_its_manifest(tmp_path: Path) -> None:
    dst = tmp_path / "edit.jpg"
    sign_file(
        FIXTURES / "media" / "c2pa-rs_no_manifest.jpg",
        dst,
        cert=CERTS / "es256.pub",
        key=CERTS / "es256.pem",
        parent=FIXTURES / "media" / "c2pa-rs_CA.jpg",
        source_type="compositeWithTrainedAlgorithmicMedia",
        title="edited",
    )
    result = read_manifest(dst, trust=TrustSettings.only(TEST_ANCHORS))
    assert result.state == "trusted"
    assert result.title == "edited"
    assert result.ingredient_count == 1 and result.ingredients[0].manifest is not None
    assert result.manifest_count >= 2


def test_refuses_to_write_over_the_source_even_through_a_link(tmp_path: Path) -> None:
    src = tmp_path / "in.jpg"
    src.write_bytes((FIXTURES / "media" / "c2pa-rs_no_manifest.jpg").read_bytes())
    before = _sha(src)
    (tmp_path / "link.jpg").symlink_to(src)
    (tmp_path / "hard.jpg").hardlink_to(src)
    for dst in (src, tmp_path / "link.jpg", tmp_path / "hard.jpg"):
        with pytest.raises(SigningError, match="source"):
            sign_file(src, dst, cert=CERTS / "es256.pub", key=CERTS / "es256.pem", overwrite=True)
    assert _sha(src) == before


def test_refuses_existing_destination_without_overwrite(tmp_path: Path) -> None:
    dst = tmp_path / "out.jpg"
    dst.write_bytes(b"keep me")
    with pytest.raises(SigningError, match="--overwrite"):
        sign_file(
            FIXTURES / "media" / "c2pa-rs_no_manifest.jpg", dst, cert=CERTS / "es256.pub", key=CERTS / "es256.pem"
        )
    assert dst.read_bytes() == b"keep me"


def test_failed_sign_leaves_no_partial_file_and_keeps_existing_output(tmp_path: Path) -> None:
    dst = tmp_path / "out.jpg"
    dst.write_bytes(b"previous output")
    with pytest.raises(SigningError, match="Nothing was written"):
        sign_file(
            FIXTURES / "media" / "c2pa-rs_no_manifest.jpg",
            dst,
            cert=CERTS / "ps256_expired.pub",
            key=CERTS / "ps256_expired.pem",
            alg="ps256",
            source_type="digitalCapture",
            overwrite=True,
        )
    assert dst.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg"]


def test_key_errors_never_echo_the_key(tmp_path: Path) -> None:
    key = tmp_path / "bad.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SigningError) as info:
        sign_file(FIXTURES / "media" / "c2pa-rs_no_manifest.jpg", tmp_path / "o.jpg", cert=CERTS / "es256.pub", key=key)
    assert "SECRET" not in str(info.value)


def test_unknown_source_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="Unknown digital source type 'aiMagic'"):
        sign_file(
            FIXTURES / "media" / "c2pa-rs_no_manifest.jpg",
            tmp_path / "o.jpg",
            cert=CERTS / "es256.pub",
            key=CERTS / "es256.pem",
            source_type="aiMagic",
        )
    assert not (tmp_path / "o.jpg").exists()


def test_dev_credentials_sign_end_to_end(tmp_path: Path) -> None:
    made = create_dev_credentials(tmp_path / "dev")
    from cryptography import x509

    signer = x509.load_pem_x509_certificates(made.chain.read_bytes())[0]
    assert "FOR TESTING ONLY" in signer.subject.rfc4514_string()
    dst = tmp_path / "signed.jpg"
    sign_file(
        FIXTURES / "media" / "c2pa-rs_no_manifest.jpg", dst, cert=made.chain, key=made.key, source_type="digitalCapture"
    )
    assert read_manifest(dst, trust=TrustSettings.only(made.root_ca)).state == "trusted"
    assert read_manifest(dst, trust=TrustSettings.only()).state == "valid"
    assert oct(made.key.stat().st_mode & 0o777) == "0o600"


def test_created_action_needs_a_source_type(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="--source-type"):
        sign_file(
            FIXTURES / "media" / "c2pa-rs_no_manifest.jpg",
            tmp_path / "o.jpg",
            cert=CERTS / "es256.pub",
            key=CERTS / "es256.pem",
        )
    assert list(tmp_path.iterdir()) == []
