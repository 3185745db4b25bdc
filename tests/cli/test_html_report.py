"""The HTML report: one self-contained page (or a folder with an index), rendered by a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.browser import chromium, chromium_missing, inspect_page
from tests.images import jpeg_with_exif
from tests.paths import C2PA_FIXTURES, screenshot_folder
from veracity.cli.main import main
from veracity.cli.render.html import render_html
from veracity.provenance.pipeline import analyze

FIXTURES = C2PA_FIXTURES


@pytest.fixture
def camera_jpeg(tmp_path: Path) -> Path:
    return jpeg_with_exif(
        tmp_path / "camera.jpg",
        {0x010F: "Sony", 0x0110: "MAVICA\x003ghx7y", 0x0131: "Adobe Photoshop 25.0"},
        exif_ifd={0x9003: "2021:05:01 12:00:00"},
        size=(640, 480),
    )


def _check_self_contained(page: str) -> None:
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page, re.IGNORECASE)
    sources = re.findall(r"""<img[^>]+src="([^"]+)""", page)
    assert sources and all(s.startswith("data:image/") for s in sources)


def test_render_html_is_one_self_contained_page_with_every_view(camera_jpeg: Path) -> None:
    report = analyze(camera_jpeg)
    page = render_html(report, camera_jpeg.read_bytes())
    _check_self_contained(page)
    for section in ("Error-level analysis", "Noise residual", "Fourier spectrum", "JPEG quantisation tables"):
        assert section in page
    assert "Exactly libjpeg (IJG) quality 90" in page
    assert "MAVICA" in page and "3ghx7y" not in page  # EXIF strings end at the first NUL
    assert report.verdict.headline in page.replace("&#39;", "'")


def test_heatmap_of_the_classifier_tiles_is_drawn(camera_jpeg: Path) -> None:
    import veracity

    report = veracity.check(camera_jpeg)
    page = render_html(report, camera_jpeg.read_bytes())
    assert report.signal("classifier").details.get("tiles")
    assert "Classifier heatmap" in page


@pytest.mark.shared
def test_manifest_with_ingredient_tree_and_thumbnails() -> None:
    path = FIXTURES / "media" / "c2pa-rs_CACA.jpg"
    page = render_html(analyze(path), path.read_bytes())
    assert "Ingredients" in page and "CA.jpg" in page and "A.jpg" in page
    assert "Thumbnail of ingredient" in page and "The thumbnail the signer embedded" in page


def test_check_writes_one_page_and_refuses_to_overwrite(camera_jpeg: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(camera_jpeg), "--no-detector", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    again = runner.invoke(main, ["check", str(camera_jpeg), "--no-detector", "--format", "html", "-o", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.stderr


@pytest.mark.shared
def test_several_files_make_a_folder_with_an_index(camera_jpeg: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_text("not an image")
    folder = tmp_path / "reports"
    args = ["check", str(camera_jpeg), str(FIXTURES / "generated" / "gen_ai-created_es256.jpg"), str(broken)]
    result = CliRunner().invoke(main, [*args, "--no-detector", "--format", "html", "-o", str(folder)])
    assert result.exit_code == 1  # the broken file is an error record, listed in the index
    pages = sorted(p.name for p in folder.glob("*.html"))
    assert pages == ["001-camera.jpg.html", "002-gen_ai-created_es256.jpg.html", "index.html"]
    index = (folder / "index.html").read_text()
    assert 'href="002-gen_ai-created_es256.jpg.html"' in index and "broken.jpg" in index and "GENERATED" in index


BROWSER_CASES = {
    "generated": FIXTURES / "generated" / "gen_ai-created_es256.jpg",
    "c2pa-signed": FIXTURES / "media" / "c2pa-rs_ocsp.jpg",
}


@pytest.mark.shared
@pytest.mark.browser
@pytest.mark.skipif(chromium_missing() is not None, reason=f"browser test: {chromium_missing()}")
@pytest.mark.parametrize("case", ["camera", *BROWSER_CASES])
def test_page_renders_in_headless_chromium(case: str, camera_jpeg: Path, tmp_path: Path) -> None:
    source = camera_jpeg if case == "camera" else BROWSER_CASES[case]
    page = tmp_path / f"{case}.html"
    result = CliRunner().invoke(main, ["check", str(source), "--format", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    screenshot = tmp_path / f"{case}.png"
    with chromium() as driver:
        seen = inspect_page(driver, page, screenshot)
    (screenshot_folder() / f"html-report-{case}.png").write_bytes(
        screenshot.read_bytes()
    )  # kept for a person to look at
    assert seen["banner_visible"] and "Decided by:" in seen["banner_text"]
    assert seen["images"] and all(i["complete"] and i["width"] > 0 for i in seen["images"]), seen["images"]
    errors = [entry for entry in seen["console"] if entry.get("level") == "SEVERE"]
    assert errors == []
    assert screenshot.stat().st_size > 10_000
