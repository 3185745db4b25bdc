"""The text report: values a journalist needs, a next step, the verdict in words, and nothing said twice."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.images import jpeg_with_exif, png_with_text, textured
from tests.paths import C2PA_FIXTURES
from veracity.cli.main import main
from veracity.cli.render.text import render_text
from veracity.provenance import labels
from veracity.provenance.pipeline import analyze

FIXTURES = C2PA_FIXTURES
A1111 = (
    "a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567, Size: 64x64, Model: dreamshaper_8"
)


@pytest.fixture
def camera_photo(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "mavica.jpg"
    image = textured(96, 64)
    exif = Image.Exif()
    exif[0x010F] = "SONY"
    exif[0x0110] = "MAVICA\x003ghx7y"  # junk after the NUL, as real MAVICA files have
    exif[0x0131] = "Adobe Photoshop 25.0"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2021:05:01 12:34:56"
    sub[0xA434] = "FE 24-70mm F2.8 GM"
    sub[0x9286] = b"\x00" * 8 + b"\x01\x02\xfe\xff binary \x00\x10"  # a Samsung-style binary UserComment
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (Fraction(48), Fraction(51), Fraction(2964, 100)), 3: "E",
                4: (Fraction(2), Fraction(17), Fraction(4020, 100)), 5: b"\x00", 6: Fraction(35)})  # fmt: skip
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def _sentences(text: str) -> list[str]:
    flat = " ".join(line.strip(" -•!0123456789.:") for line in text.splitlines()[2:])
    return [s.strip() for s in re.split(r"(?<=[.;])\s+", flat) if len(s.strip()) > 25]


def test_camera_values_are_shown_and_exif_strings_end_at_the_first_nul(camera_photo: Path) -> None:
    report = analyze(camera_photo)
    text = render_text(report)
    assert "SONY MAVICA" in text and "3ghx7y" not in text
    assert "2021:05:01 12:34:56" in text and "FE 24-70mm F2.8 GM" in text
    assert "48.858233, 2.294500 (altitude 35.0 m)" in text
    assert "Adobe Photoshop 25.0" in text
    assert "binary" not in text and "UserComment" not in report.signal(labels.METADATA).details.get("exif", {})


def test_generator_parameters_are_shown(tmp_path: Path) -> None:
    path = png_with_text(tmp_path / "gen.png", {"parameters": A1111})
    text = render_text(analyze(path))
    for value in ("dreamshaper_8", "a lighthouse at dusk", "1234567", "DPM++ 2M Karras", "28", "blurry"):
        assert value in text
    assert "Verdict: GENERATED" in text and "Decided by: metadata written by" in text


def test_comfyui_parameters_are_read(tmp_path: Path) -> None:
    import json

    graph = {
        "3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 20, "cfg": 8, "sampler_name": "euler"}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in snow"}},
    }
    path = png_with_text(tmp_path / "comfy.png", {"prompt": json.dumps(graph)})
    generator = analyze(path).signal(labels.METADATA).details["generator"]
    assert generator == {
        "tool": "ComfyUI",
        "model": "sd_xl_base_1.0.safetensors",
        "prompt": "a red fox in snow",
        "seed": "42",
        "sampler": "euler",
        "steps": "20",
        "cfg_scale": "8",
        "where": "PNG text chunk 'prompt'",
    }


@pytest.mark.shared
@pytest.mark.parametrize(
    "name",
    [
        "media/huminify_license_my.png",
        "media/c2pa-rs_ocsp.jpg",
        "media/c2pa-rs_XCA.jpg",
        "media/c2pa-rs_CACA.jpg",
        "generated/gen_ai-created_es256.jpg",
        "media/c2pa-rs_no_manifest.jpg",
    ],
)
def test_no_phrase_is_repeated_and_there_is_a_next_step(name: str) -> None:
    text = render_text(analyze(FIXTURES / name))
    sentences = _sentences(text)
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated, repeated
    assert "Next steps:" in text and "    1. " in text


def test_no_phrase_is_repeated_when_the_classifier_decides(tmp_path: Path) -> None:
    import veracity

    path = tmp_path / "plain.jpg"
    textured(512, 384).save(path, quality=92)
    report = veracity.check(path)
    sentences = _sentences(render_text(report))
    assert not {s for s in sentences if sentences.count(s) > 1}


@pytest.mark.shared
def test_credentials_facts_are_values_not_just_presence() -> None:
    text = render_text(analyze(FIXTURES / "media" / "huminify_license_my.png"))
    assert "C2PA signer  : OpenAI, certificate issued by Truepic" in text
    assert "image.png (parentOf; c2pa.created by GPT-4o [trainedAlgorithmicMedia]" in text


@pytest.mark.shared
def test_tampered_credentials_lead_the_report() -> None:
    text = render_text(analyze(FIXTURES / "media" / "c2pa-rs_XCA.jpg"))
    assert text.splitlines()[2].strip().startswith("Content Credentials do not match this file: changed after signing.")


def test_inconclusive_never_says_the_classifier_decided(tmp_path: Path) -> None:
    import veracity

    path = tmp_path / "plain.png"
    textured(256, 256).save(path)
    report = veracity.check(path)
    text = render_text(report)
    if report.verdict.label == labels.INCONCLUSIVE:
        assert "Decided by: classifier" not in text and "Decided by: nothing conclusive" in text
    else:  # the shipped classifier may be sure either way: then it says so, and how unsure that is
        assert "Decided by: the pixel classifier" in text and "low certainty" in text


def test_check_reads_image_bytes_from_stdin(tmp_path: Path, validate_record) -> None:
    path = png_with_text(tmp_path / "gen.png", {"parameters": A1111})
    result = CliRunner().invoke(
        main, ["check", "--stdin", "--no-detector", "--format", "json"], input=path.read_bytes()
    )
    assert result.exit_code == 0, result.output
    import json

    record = validate_record(json.loads(result.stdout)[0])
    assert (record["input"], record["verdict"]["label"]) == ("<stdin>", "generated")
    both = CliRunner().invoke(main, ["check", "--stdin", str(path)], input=b"")
    assert both.exit_code == 2 and "not both" in both.stderr
    empty = CliRunner().invoke(main, ["check", "--stdin", "--no-detector"], input=b"")
    assert empty.exit_code == 1 and "<stdin>: the file is empty (0 bytes)" in empty.stderr


def test_check_writes_text_to_an_output_file(tmp_path: Path) -> None:
    path = jpeg_with_exif(tmp_path / "a.jpg", {0x010F: "Canon"})
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(main, ["check", str(path), "--no-detector", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert "Verdict: INCONCLUSIVE" in out.read_text()
