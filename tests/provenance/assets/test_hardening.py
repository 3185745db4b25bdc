"""Issue 14, provenance side: each hostile or careless input, made by the test, and what veracity now does."""

from __future__ import annotations

import io
import os
import stat
import struct
import threading
import warnings
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image, PngImagePlugin

from tests.images import textured
from veracity.provenance import labels
from veracity.provenance.assets.asset import Limits, load_asset
from veracity.provenance.assets.files import NotARegularFileError, write_file_atomic
from veracity.provenance.assets.hashing import sha256_file
from veracity.provenance.credentials.keygen import KEY_FILE, create_dev_credentials
from veracity.provenance.credentials.signing import sign_file
from veracity.provenance.errors import AssetAccessError, AssetLimitError, KeygenError, SigningError
from veracity.provenance.metadata.signal import read_metadata_signal
from veracity.provenance.metadata.xmp import MAX_PACKET_BYTES, find_xmp_packets, read_xmp
from veracity.provenance.pipeline import analyze, analyze_or_error

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _bag_packet(empty: int, full: int) -> bytes:
    return (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF}"><rdf:Description '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag>'
        + "<rdf:li/>" * empty
        + "<rdf:li>x</rdf:li>" * full
        + "</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def _png_with_xmp(path: Path, packet: bytes) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode())
    textured(64, 64).save(path, "PNG", pnginfo=info)
    return path


def _finishes(function, seconds: float = 20.0):
    """Run ``function`` in a thread; fail (instead of hanging the suite) if it has not returned in time."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = function()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_quadratic_xmp_bag_is_read_in_linear_time_and_capped(tmp_path):
    # The file: a 4 MB PNG whose iTXt XMP holds 440,000 empty rdf:li and 2,000 rdf:li with text (236 s).
    path = _png_with_xmp(tmp_path / "bag.png", _bag_packet(440_000, 2_000))
    assert path.stat().st_size > 3_900_000
    report = _finishes(lambda: analyze(path))
    metadata = report.signal(labels.METADATA)
    refused = [f for f in metadata.findings if f.kind == "xmp.refused"]
    assert refused and "more than 100,000 elements" in refused[0].meaning


def test_small_bags_keep_their_values_on_the_owning_property():
    read = read_xmp(_bag_packet(0, 3))
    assert read.refused is None
    assert [(p.name, p.value) for p in read.properties] == [("dc:subject", "x")] * 3


def test_xmp_that_pillow_extracts_is_capped_too(tmp_path):
    comment = "<!--" + "x" * (MAX_PACKET_BYTES + 10) + "-->"
    path = _png_with_xmp(tmp_path / "big.png", _bag_packet(0, 1).replace(b"<rdf:RDF", comment.encode() + b"<rdf:RDF"))
    signal = read_metadata_signal(load_asset(path))
    assert any("larger than 4 MiB" in f.meaning for f in signal.findings)


def test_unclosed_packets_are_found_in_one_pass():
    data = b"<x:xmpmeta " * 2_000_000  # a regex with .*? rescanned the rest of the file from each one
    assert _finishes(lambda: find_xmp_packets(data), 5) == []


@pytest.mark.parametrize(
    ("doctype", "why"),
    [
        ('<!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>', "defines entities"),
        ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "defines entities"),
    ],
    ids=["billion-laughs", "xxe"],
)
def test_xmp_with_entities_is_refused_and_says_why(tmp_path, doctype, why):
    packet = doctype.encode() + _bag_packet(0, 1).replace(b"<rdf:li>x</rdf:li>", b"<rdf:li>&b;</rdf:li>")
    path = tmp_path / "entities.jpg"
    textured().save(path, "JPEG", xmp=packet)
    signal = read_metadata_signal(load_asset(path))
    assert signal.status == labels.FOUND
    assert why in signal.summary and "not expanded" in signal.summary
    (finding,) = [f for f in signal.findings if f.kind == "xmp.refused"]
    assert finding.implies == labels.IMPLIES_NOTHING and "possible billion-laughs or XXE" in finding.meaning


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "p.jpg"
    os.mkfifo(fifo)
    with pytest.raises(AssetAccessError, match=r"p.jpg: is a FIFO \(named pipe\), not a regular file"):
        _finishes(lambda: load_asset(fifo), 5)
    with pytest.raises(NotARegularFileError):
        _finishes(lambda: sha256_file(fifo), 5)


def _jpeg_declaring(width: int, height: int, data_size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    textured(*data_size).save(buffer, "JPEG", quality=90)
    data = bytearray(buffer.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def test_jpeg_declaring_more_pixels_than_its_data_holds_is_truncated():
    record = analyze_or_error(_jpeg_declaring(14000, 10000, (640, 480)), name="big.jpg")
    assert record.error_kind == "CorruptAssetError"
    assert "big.jpg: truncated JPEG file: the header declares 14000x10000 pixels" in record.message
    assert "at most 6." in record.message or "at most 7." in record.message


def test_complete_jpegs_are_not_called_truncated():
    for options in ({"quality": 95}, {"quality": 40}, {"progressive": True}, {"subsampling": 0}):
        buffer = io.BytesIO()
        textured(333, 217, seed=3).save(buffer, "JPEG", **options)
        assert analyze(buffer.getvalue()).image.width == 333


def test_webp_pixels_count_twice_against_the_limit():
    buffer = io.BytesIO()
    textured(150, 100).save(buffer, "WEBP")
    asset = load_asset(buffer.getvalue(), name="x.webp", limits=Limits(max_pixels=20_000))
    with pytest.raises(AssetLimitError, match=r"15,000 pixels \(150x100\), over the limit of 10,000 pixels for WEBP"):
        _ = asset.image
    png = io.BytesIO()
    textured(150, 100).save(png, "PNG")
    assert load_asset(png.getvalue(), limits=Limits(max_pixels=20_000)).image.width == 150


def test_png_metadata_after_the_pixels_is_read_without_decoding_them():
    buffer = io.BytesIO()
    textured(64, 64).save(buffer, "PNG")
    data = buffer.getvalue()
    text = b"parameters\x00a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    late = data[:-12] + chunk + data[-12:]  # after IDAT, before IEND
    asset = load_asset(late)
    signal = read_metadata_signal(asset)
    assert signal.summary.startswith("Metadata declares generative AI")
    assert "image" not in asset.__dict__  # the metadata signal never decoded the pixels


def test_an_avif_its_decoder_rejects_is_a_corrupt_file_not_a_crash(shared):
    # Found by the fuzzer: the AVIF decoder says "damaged" with RuntimeError, which escaped as a bug.
    data = bytearray((shared / "fixtures" / "c2pa" / "media" / "c2pa-rs_sample1.avif").read_bytes())
    data[120] ^= 0xFF  # inside the meta box: the image item goes missing
    record = analyze_or_error(bytes(data), name="x.avif")
    assert record.error_kind == "CorruptAssetError", record
    assert "x.avif: " in record.message and "Missing or empty image item" in record.message
    assert "\n" not in record.message


def test_pillow_warnings_never_reach_stderr():
    # EXIF whose tag data points past the end of the block: Pillow warns "Tag data larger than file".
    exif = Image.Exif()
    exif[0x010F] = "Camera" * 10
    buffer = io.BytesIO()
    textured().save(buffer, "JPEG", exif=exif)
    data = bytearray(buffer.getvalue())
    start = data.find(b"Exif\x00\x00")
    data[start + 20 : start + 30] = b"\xff" * 10
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = analyze_or_error(bytes(data), name="bad-exif.jpg")
    assert report.label != labels.ERROR
    assert [str(w.message) for w in caught] == []


# --- signing and keys ---------------------------------------------------------------------------------------


def _read_only_dir(tmp_path: Path) -> Path:
    """A folder nobody may write to, for real: permissions for a normal user; root ignores them, so skip."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.write_text("x")
    except PermissionError:
        return folder
    probe.unlink()
    pytest.skip("this user (root) writes to read-only folders; tests/cli/test_hardening_cli.py mounts one instead")


def test_sign_into_an_unwritable_folder_is_a_signing_error(tmp_path, shared):
    creds = create_dev_credentials(tmp_path / "creds")
    folder = _read_only_dir(tmp_path)
    src = tmp_path / "in.jpg"
    textured().save(src)
    with pytest.raises(SigningError, match="Cannot write into"):
        sign_file(src, folder / "out.jpg", cert=creds.chain, key=creds.key, source_type="digitalCapture")


def test_keygen_into_an_unwritable_folder_is_a_keygen_error(tmp_path):
    folder = _read_only_dir(tmp_path)
    with pytest.raises(KeygenError, match="Cannot"):
        create_dev_credentials(folder / "creds")


def test_keygen_never_writes_through_a_planted_file_or_link(tmp_path):
    folder = tmp_path / "creds"
    folder.mkdir()
    planted = folder / f".{KEY_FILE}.partial"  # the old predictable temp name
    planted.write_text("planted")
    planted.chmod(0o644)
    made = create_dev_credentials(folder)
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600 and planted.read_text() == "planted"
    outside = tmp_path / "outside.pem"
    outside.write_text("not yours")
    planted.unlink()
    planted.symlink_to(outside)
    made = create_dev_credentials(folder, overwrite=True)
    assert outside.read_text() == "not yours" and stat.S_IMODE(made.key.stat().st_mode) == 0o600
    # A link planted at the final name is replaced itself; its target is never written.
    (folder / KEY_FILE).unlink()
    (folder / KEY_FILE).symlink_to(outside)
    made = create_dev_credentials(folder, overwrite=True)
    assert not made.key.is_symlink() and outside.read_text() == "not yours"
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600


def test_a_sec1_ec_private_key_is_accepted(tmp_path):
    creds = create_dev_credentials(tmp_path / "creds")
    key = serialization.load_pem_private_key(creds.key.read_bytes(), password=None)
    sec1 = tmp_path / "sec1.pem"
    sec1.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    assert sec1.read_text().startswith("-----BEGIN EC PRIVATE KEY-----")
    src, dst = tmp_path / "in.jpg", tmp_path / "out.jpg"
    textured().save(src)
    result = sign_file(src, dst, cert=creds.chain, key=sec1, source_type="digitalCapture")
    assert result.alg == "es256" and dst.exists()


def test_result_files_get_the_usual_mode_and_keys_stay_private(tmp_path):
    old = os.umask(0o022)
    try:
        creds = create_dev_credentials(tmp_path / "creds")
        src, dst = tmp_path / "in.jpg", tmp_path / "out.jpg"
        textured().save(src)
        sign_file(src, dst, cert=creds.chain, key=creds.key, source_type="digitalCapture")
        write_file_atomic(tmp_path / "summary.json", b"{}")
    finally:
        os.umask(old)
    modes = {
        p.name: stat.S_IMODE(p.stat().st_mode) for p in (dst, creds.chain, creds.root_ca, tmp_path / "summary.json")
    }
    assert set(modes.values()) == {0o644}, modes
    assert stat.S_IMODE(creds.key.stat().st_mode) == 0o600
