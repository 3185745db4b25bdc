"""Asset loading: sniffing, hashing, limits, every Pillow mode, and each bad input with a real file."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

from tests.images import encoded, png_bomb, textured
from veracity.provenance import (
    AssetAccessError,
    AssetLimitError,
    AssetNotFoundError,
    CorruptAssetError,
    EmptyAssetError,
    Limits,
    UnsupportedMediaError,
    analyze_or_error,
    load_asset,
)


def test_sniffs_from_bytes_not_extension(tmp_path):
    path = tmp_path / "photo.gif"
    path.write_bytes(encoded(textured(), "PNG"))
    asset = load_asset(path)
    assert asset.media_type.mime == "image/png"
    assert asset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert asset.size == path.stat().st_size


def test_bytes_input_is_named():
    asset = load_asset(encoded(textured(), "JPEG"), name="upload-1")
    assert asset.name == "upload-1" and asset.media_type.mime == "image/jpeg" and asset.path is None


@pytest.mark.parametrize(
    ("mode", "fmt", "note"),
    [
        ("CMYK", "JPEG", "CMYK"),
        ("I;16", "PNG", "8 bits"),
        ("P", "PNG", "palette"),
        ("RGBA", "PNG", "alpha"),
        ("LA", "PNG", "alpha"),
        ("L", "PNG", None),
        ("1", "PNG", None),
        ("RGB", "WEBP", None),
        ("RGB", "TIFF", None),
    ],
)
def test_every_mode_normalises_to_rgb8_and_keeps_bytes(tmp_path, mode, fmt, note):
    path = tmp_path / f"image.{fmt.lower()}"
    original = encoded(textured(mode=mode), fmt)
    path.write_bytes(original)
    decoded = load_asset(path).image
    assert decoded.pixels.mode == "RGB"
    assert decoded.pixels.size == (96, 64) == (decoded.width, decoded.height)
    assert decoded.original_mode == Image.open(path).mode
    if note:
        assert any(note in n for n in decoded.notes), decoded.notes
    assert path.read_bytes() == original


def test_sixteen_bit_keeps_the_high_byte(tmp_path):
    path = tmp_path / "deep.png"
    textured(mode="I;16").save(path)
    pixels = load_asset(path).image.pixels
    expected = textured().convert("L").getpixel((10, 10))
    assert abs(pixels.getpixel((10, 10))[0] - expected) <= 1


def test_animated_gif_uses_first_frame_with_a_note(tmp_path):
    frames = [textured(seed=i).convert("P") for i in range(3)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    decoded = load_asset(path).image
    assert decoded.frames == 3
    assert any("first frame" in n for n in decoded.notes)


def test_orientation_is_recorded_not_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    textured(96, 64).save(path, exif=exif)
    decoded = load_asset(path).image
    assert decoded.orientation == 6
    assert decoded.pixels.size == (96, 64)  # stored grid, not rotated to 64x96
    assert any("orientation 6" in n for n in decoded.notes)


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("c2pa-rs_basic.pdf", "document"),
        ("c2pa-ts_test-video.mp4", "video"),
        ("c2pa-rs_bench-100kb.mp3", "audio"),
        ("c2pa-rs_sample1.svg", "vector"),
        ("c2pa-rs_manifest_data.c2pa", "manifest"),
        ("c2pa-rs_dashinit.mp4", "video"),
    ],
)
def test_non_image_media_is_accepted_without_pixels(shared, fixture, kind, validate_record):
    record = analyze_or_error(shared / "fixtures" / "c2pa" / "media" / fixture)
    data = validate_record(record)
    assert data["record_type"] == "report"
    assert data["media_kind"] == kind and data["image"] is None
    assert any("pixel analysis does not" in n for n in data["notes"])


# --- bad input: each one a real file, a precise message, an error record ---------------------------


def _bad_inputs(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("this is not an image\n")
    jpeg = encoded(textured(400, 300), "JPEG", quality=95)
    (tmp_path / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    png = bytearray(encoded(textured(), "PNG"))
    idat = png.index(b"IDAT")
    length = int.from_bytes(png[idat - 4 : idat], "big")
    png[idat + 4 + length] ^= 0xFF  # damage the stored CRC of the image data chunk
    (tmp_path / "badcrc.png").write_bytes(bytes(png))
    os.symlink(tmp_path / "loop-b", tmp_path / "loop-a")
    os.symlink(tmp_path / "loop-a", tmp_path / "loop-b")
    (tmp_path / "folder").mkdir()
    return {
        "missing.jpg": (AssetNotFoundError, "no such file"),
        "empty.jpg": (EmptyAssetError, "empty"),
        "notes.jpg": (UnsupportedMediaError, "looks like text"),
        "truncated.jpg": (CorruptAssetError, "truncated JPEG"),
        "badcrc.png": (CorruptAssetError, "corrupt PNG file: chunk 'IDAT' .* fails its CRC check"),
        "loop-a": (AssetAccessError, "symbolic link loop"),
        "folder": (AssetAccessError, "directory"),
    }


def test_each_bad_input_raises_a_precise_error(tmp_path):
    for name, (error, words) in _bad_inputs(tmp_path).items():
        with pytest.raises(error, match=words) as info:
            asset = load_asset(tmp_path / name)
            asset.image  # noqa: B018 - decoding is what fails for corrupt data
        assert name in str(info.value)
        assert "\n" not in str(info.value)


def test_each_bad_input_becomes_an_error_record(tmp_path, validate_record):
    for name, (error, words) in _bad_inputs(tmp_path).items():
        record = analyze_or_error(tmp_path / name)
        data = validate_record(record)
        assert data["record_type"] == "error"
        assert data["error"]["kind"] == error.__name__
        assert re.search(words, data["error"]["message"])


def test_byte_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(encoded(textured(), "PNG"))
    with pytest.raises(AssetLimitError, match="over the limit of 100 bytes. Raise it with --max-bytes"):
        load_asset(path, limits=Limits(max_bytes=100))


def test_png_bomb_is_refused_before_decoding_with_bounded_memory(tmp_path):
    path = png_bomb(tmp_path / "bomb.png")
    assert path.stat().st_size < 2_000_000
    # A fresh process: its own memory high-water mark (VmHWM) is not inflated by this test process.
    code = (
        "import json, sys\n"
        "from veracity.provenance.pipeline import analyze_or_error\n"
        "record = analyze_or_error(sys.argv[1]).to_dict()\n"
        "hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps({'record': record, 'peak_kib': hwm}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    record = result["record"]
    assert record["error"]["kind"] == "AssetLimitError"
    assert "900,000,000 pixels (30000x30000)" in record["error"]["message"]
    assert "--max-pixels" in record["error"]["message"]
    assert result["peak_kib"] < 300 * 1024  # decoding would need ~900 MB


def test_pixel_limit_can_be_raised(tmp_path):
    path = tmp_path / "small.png"
    textured(96, 64).save(path)
    with pytest.raises(AssetLimitError, match="6,144 pixels"):
        load_asset(path, limits=Limits(max_pixels=1000)).image  # noqa: B018
    assert load_asset(path, limits=Limits(max_pixels=10_000)).image.width == 96


def _read_as_nobody(path, conn):
    os.setgid(65534)
    os.setuid(65534)
    conn.send(analyze_or_error(path).to_dict())


def test_unreadable_file_is_permission_denied(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "secret.png"
    textured().save(path)
    path.chmod(0)
    if os.geteuid() != 0:
        record = analyze_or_error(path).to_dict()
    else:  # root reads anything: drop to an unprivileged user in a child to test the real refusal
        for parent_dir in [tmp_path, *tmp_path.parents]:
            if parent_dir == parent_dir.parent:
                break
            os.chmod(parent_dir, os.stat(parent_dir).st_mode | 0o011)
        folder.chmod(0o755)
        parent, child = multiprocessing.get_context("fork").Pipe()
        process = multiprocessing.get_context("fork").Process(target=_read_as_nobody, args=(path, child))
        process.start()
        record = parent.recv()
        process.join(30)
    assert record["error"]["kind"] == "AssetAccessError"
    assert record["error"]["message"].endswith("secret.png: permission denied.")


@pytest.mark.skipif(sys.platform != "linux", reason="uses fork")
def test_env_limits_are_validated(monkeypatch):
    monkeypatch.setenv("VERACITY_MAX_PIXELS", "lots")
    with pytest.raises(ValueError, match="VERACITY_MAX_PIXELS must be a positive integer. Got 'lots'"):
        Limits.from_env()
